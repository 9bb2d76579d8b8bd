// Geneve fixed header (RFC 8926) as Tailscale's peer relays use it.
//
// Three views of the same 8 bytes, kept apart on purpose:
//  - geneve_encode: what we send. Always version 0, no options, reserved 0,
//    or clients misclassify the packet (spec §1.5).
//  - geneve_decode: the relay server's lenient reading. Only the length is
//    checked; version, option length and reserved bits are not (spec §1.4).
//  - geneve_is_client_strict: the client's stricter test (magicsock
//    packetLooksLike) that decides whether a datagram is Geneve at all.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "dataplane/wire/bytes.h"

namespace wayport {

inline constexpr size_t kGeneveHeaderLen = 8;
inline constexpr uint16_t kGeneveProtocolDisco = 0x7A11;
inline constexpr uint16_t kGeneveProtocolWireGuard = 0x7A12;
inline constexpr uint32_t kVniMax = (1u << 24) - 1;

struct GeneveHeader {
	uint8_t version = 0;   // 2 bits
	bool control = false;  // the O bit: relay handshake traffic
	uint16_t protocol = 0;
	uint32_t vni = 0;      // 24 bits

	bool operator==(const GeneveHeader &) const = default;
};

enum class GeneveError : uint8_t {
	ok,
	short_buffer,
	version_too_large,  // > 3 does not fit in 2 bits
	vni_too_large,      // > 2^24 - 1
};

const char *to_string(GeneveError e);

// Writes exactly kGeneveHeaderLen bytes to out.
GeneveError geneve_encode(const GeneveHeader &h, std::span<uint8_t> out);

// Tailscale's GeneveHeader.Decode: fails only on a short buffer.
inline bool geneve_decode(ByteSpan b, GeneveHeader &h)
{
	if (b.size() < kGeneveHeaderLen)
		return false;
	h.version = b[0] >> 6;
	h.control = (b[1] & 0x80) != 0;
	h.protocol = load_be16(&b[2]);
	h.vni = load_be32(&b[4]) >> 8;
	return true;
}

// magicsock packetLooksLike's header test: version 0, reserved bits of
// byte 1 clear, reserved byte 7 zero. Option length and O/C bits are not
// examined.
inline bool geneve_is_client_strict(ByteSpan b)
{
	return b.size() >= kGeneveHeaderLen && (b[0] & 0xC0) == 0 && (b[1] & 0x3F) == 0 && b[7] == 0;
}

} // namespace wayport
