// The outer headers of a UDP packet as the relay reads and rewrites them.
// Parsing itself is the classify stage's (dataplane/stages/classify.h); the
// relay stage builds a ParsedUdp from the PacketMeta it left (relay_view).
#pragma once

#include <cstdint>

#include "dataplane/wire/addr.h"

namespace wayport {

struct ParsedUdp {
	AddrPort src;
	AddrPort dst;
	uint16_t l3_offset;       // Ethernet header length
	uint16_t payload_offset;  // start of the UDP payload
	uint16_t payload_len;     // from the UDP length field
	uint16_t udp_checksum;    // as received, network byte order
};

} // namespace wayport
