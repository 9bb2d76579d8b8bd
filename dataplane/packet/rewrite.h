// Rewrites a received UDP packet's outer Ethernet/IP/UDP headers so it
// leaves towards another address, possibly of the other IP family. The UDP
// payload is not touched: the relay forwards it byte for byte.
#pragma once

#include <cstdint>

#include <rte_mbuf.h>

#include "dataplane/packet/udp_view.h"
#include "dataplane/ports/port.h"

namespace wayport {

// Returns false (packet untouched) only when the mbuf lacks headroom for
// a larger header or the port has no address of the destination's family.
bool rewrite_udp(rte_mbuf *m, const ParsedUdp &in, const EgressPort &port, const uint8_t next_hop_mac[6],
		 uint16_t src_port, const AddrPort &dst);

} // namespace wayport
