// An IP address and UDP port, as disco messages and relay legs carry them.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace wayport {

struct AddrPort {
	// IPv4 is held v4-mapped (::ffff:a.b.c.d) so both families share one
	// layout; is_v4 keeps the family, as Go's netip does, so a v4 address
	// never equals its v6-mapped twin.
	std::array<uint8_t, 16> ip{};
	uint16_t port = 0;
	bool is_v4 = false;

	static constexpr uint8_t kV4MappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	static AddrPort v4(const uint8_t ip4[4], uint16_t port)
	{
		AddrPort a;
		a.set_v4(ip4, port);
		return a;
	}
	static AddrPort v6(const uint8_t ip6[16], uint16_t port)
	{
		AddrPort a;
		a.set_v6(ip6, port);
		return a;
	}
	// In place and inline: the fast path fills one per packet, and a copy
	// of a temporary written in pieces and read back whole stalls on store
	// forwarding.
	void set_v4(const uint8_t ip4[4], uint16_t p)
	{
		std::memcpy(ip.data(), kV4MappedPrefix, 12);
		std::memcpy(ip.data() + 12, ip4, 4);
		port = p;
		is_v4 = true;
	}
	void set_v6(const uint8_t ip6[16], uint16_t p)
	{
		std::memcpy(ip.data(), ip6, 16);
		port = p;
		is_v4 = false;
	}
	// The 16-byte form of disco messages; a v4-mapped address is unmapped.
	static AddrPort from_16(const uint8_t ip16[16], uint16_t port);

	const uint8_t *ip4() const { return ip.data() + 12; }
	bool is_zero() const;

	// "1.2.3.4:5" or "[2001:db8::1]:5".
	std::string to_string() const;
	// The address alone: "1.2.3.4" or "2001:db8::1".
	std::string ip_string() const;
	static std::optional<AddrPort> parse(std::string_view text);

	// Two 64-bit compares, inline: the fast path matches every relayed
	// packet's source against the bound legs with this.
	bool operator==(const AddrPort &o) const
	{
		uint64_t a[2], b[2];
		std::memcpy(a, ip.data(), 16);
		std::memcpy(b, o.ip.data(), 16);
		return ((a[0] ^ b[0]) | (a[1] ^ b[1])) == 0 && port == o.port && is_v4 == o.is_v4;
	}
};

} // namespace wayport
