// Builds and reads Ethernet/IP/UDP frames for data plane tests.
#pragma once

#include <rte_mbuf.h>

#include "dataplane/packet/udp_view.h"
#include "dataplane/ports/port.h"
#include "dataplane/wire/addr.h"
#include "dataplane/wire/bytes.h"

namespace wayport::test {

struct Frame {
	uint8_t dst_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
	uint8_t src_mac[6] = {0x02, 0, 0, 0, 0, 0xaa};
	AddrPort src;
	AddrPort dst;
	Bytes payload;
	bool zero_udp_checksum = false;  // IPv4 only: "no checksum"
};

// A frame with correct IP and UDP checksums, in a new mbuf from pool.
rte_mbuf *build_udp(rte_mempool *pool, const Frame &f);
// Raw bytes in a new mbuf.
rte_mbuf *build_raw(rte_mempool *pool, const Bytes &bytes, uint16_t port = 0);

struct Received {
	uint8_t dst_mac[6];
	uint8_t src_mac[6];
	AddrPort src;
	AddrPort dst;
	Bytes payload;
	bool checksums_ok = false;  // IP header (v4) and UDP checksum verify
	uint16_t udp_checksum = 0;
};

// Parses an Ethernet/IP/UDP frame the data plane sent; false if it is not one.
bool read_udp(const rte_mbuf *m, Received &out);

Bytes mbuf_bytes(const rte_mbuf *m);

// Runs classify on m as a frame to `ours` on its UDP destination port, as
// the relay port, and returns what the relay stage would read of it; false
// unless classify sent it to the relay.
bool parse_relay_udp(rte_mbuf *m, const PortAddrs &ours, ParsedUdp &out);

} // namespace wayport::test
