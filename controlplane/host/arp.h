// ARP (RFC 826) for the relay's IPv4 addresses.
#pragma once

#include <rte_mbuf.h>

#include "dataplane/ports/port.h"
#include "controlplane/host/host_result.h"
#include "controlplane/host/neighbour_table.h"

namespace wayport {

// Fills m with a broadcast who-has for target, from port.
bool build_arp_request(rte_mbuf *m, const Port &port, const AddrPort &target);

// Learns the sender of any ARP packet for a neighbour we are resolving;
// a request for our address becomes the reply, in place.
HostResult arp_input(rte_mbuf *m, const Port &port, NeighbourTable &neighbours, int64_t now);

} // namespace wayport
