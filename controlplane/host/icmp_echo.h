// Echo replies (ping) for the relay's own IPv4 and IPv6 addresses.
#pragma once

#include <rte_mbuf.h>

#include "dataplane/ports/port.h"
#include "controlplane/host/host_result.h"

namespace wayport {

// m is an Ethernet frame carrying ICMP or ICMPv6; an echo request to our
// address becomes the reply, in place, sent back to the frame's source MAC.
HostResult icmp_echo_input(rte_mbuf *m, const Port &port);

} // namespace wayport
