// IPv6 neighbour discovery (RFC 4861): solicitations for the relay's
// address are answered, advertisements resolve neighbours we asked for.
#pragma once

#include <rte_mbuf.h>

#include "dataplane/ports/port.h"
#include "controlplane/host/host_result.h"
#include "controlplane/host/neighbour_table.h"

namespace wayport {

// Fills m with a neighbour solicitation for target, sent to its
// solicited-node multicast group.
bool build_neighbour_solicitation(rte_mbuf *m, const Port &port, const AddrPort &target);

// Handles an ICMPv6 neighbour solicitation or advertisement in m (the
// Ethernet frame); a solicitation for our address becomes the
// advertisement, in place.
HostResult ndp_input(rte_mbuf *m, const Port &port, NeighbourTable &neighbours, int64_t now);

} // namespace wayport
