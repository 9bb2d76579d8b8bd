// IPv4 ICMP echo packets for the interop test: the inner packets the
// WireGuard tunnel carries. The test answers the real peer's pings and
// sends pings of its own, so it builds and reads them here.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "dataplane/wire/bytes.h"

namespace wayport::test {

using Ip4 = std::array<uint8_t, 4>;

inline constexpr uint8_t kIcmpEchoReply = 0;
inline constexpr uint8_t kIcmpEchoRequest = 8;

// An echo's fields, as read from a packet.
struct Echo {
	Ip4 src{}, dst{};
	uint8_t type = 0;
	uint16_t id = 0;
	uint16_t seq = 0;
};

// An IPv4 packet holding an ICMP echo of `type`, both checksums set.
Bytes icmp_echo(const Ip4 &src, const Ip4 &dst, uint8_t type, uint16_t id, uint16_t seq, ByteSpan data);

// The echo in packet, or nothing when it is not an IPv4 ICMP echo (request
// or reply) whose length and both checksums are right.
std::optional<Echo> parse_echo(ByteSpan packet);

// The reply to an echo request: addresses swapped, type 0, TTL reset and
// both checksums recomputed; the identifier, sequence and data kept, as
// ping checks them. Nothing when packet is no valid echo request.
std::optional<Bytes> echo_reply(ByteSpan packet);

} // namespace wayport::test
