// Echo replies (ping) for the node's own IPv4 and IPv6 addresses: its
// ports' (in Ethernet frames) and its tunnel addresses' (bare IP packets
// out of the tunnel).
#pragma once

#include <rte_mbuf.h>

#include <cstddef>
#include <cstdint>
#include <functional>

#include "dataplane/ports/port.h"
#include "controlplane/host/host_result.h"

namespace wayport {

// m is an Ethernet frame carrying ICMP or ICMPv6; an echo request to our
// address becomes the reply, in place, sent back to the frame's source MAC.
HostResult icmp_echo_input(rte_mbuf *m, const Port &port);

// The IP packet at ip (len bytes; bytes past its own length are not part
// of it): an echo request to an address `ours` accepts becomes the reply in
// place (addresses swapped, TTL 64, checksums redone), reply_len bytes
// from ip. not_ours, unsupported (not an echo request) or malformed leave
// it unchanged.
HostResult icmp_echo_reply(uint8_t *ip, size_t len, const std::function<bool(const AddrPort &)> &ours,
			   size_t &reply_len);

} // namespace wayport
