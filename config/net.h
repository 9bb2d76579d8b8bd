// Address values of the config that AddrPort does not cover on its own: an
// interface address with its prefix, a bare IP address and a MAC address.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dataplane/wire/addr.h"

namespace wayport::config {

// A bare IP address is an AddrPort with port 0, so the data plane can hand
// it to code that already speaks AddrPort.
std::optional<AddrPort> parse_ip(std::string_view text, bool v4);
// The address alone: "192.0.2.1", "2001:db8::1".
std::string ip_to_string(const AddrPort &ip);

// An interface address and the length of its on-link prefix:
// "192.0.2.1/24", "2001:db8::1/64". Host bits are kept: they are the
// interface's own address.
struct IpPrefix {
	AddrPort addr;  // port 0
	unsigned len = 0;

	// Same family and the same first len bits.
	bool contains(const AddrPort &ip) const;
	std::string to_string() const;

	// Prefix length 1..32 for IPv4 and 1..128 for IPv6.
	static std::optional<IpPrefix> parse(std::string_view text, bool v4);

	bool operator==(const IpPrefix &) const = default;
};

// A network prefix, "10.99.0.0/24", "fd99::/64" or "0.0.0.0/0": what a
// route or a WireGuard peer's allowed IPs cover. The host bits are zero.
struct Prefix {
	AddrPort addr;  // port 0; the network address
	unsigned len = 0;

	// Same family and the same first len bits.
	bool contains(const AddrPort &ip) const;
	// Same family and one contains the other: a packet inside both would
	// match either.
	bool overlaps(const Prefix &other) const;
	std::string to_string() const;

	// Either family, told by the text; length 0..32 or 0..128. Text with
	// host bits set is refused.
	static std::optional<Prefix> parse(std::string_view text);
	// As parse, but host bits are cleared instead of refused: what
	// "10.99.0.1/24" probably meant, 10.99.0.0/24.
	static std::optional<Prefix> parse_masked(std::string_view text);

	bool operator==(const Prefix &) const = default;
};

// fe80::/10: a gateway there is on-link whatever the port's prefix.
bool is_ipv6_link_local(const AddrPort &ip);

using MacAddr = std::array<uint8_t, 6>;

// "02:00:00:00:00:01", either case. Multicast and all-zero addresses are
// refused: neither can be a port's own address.
std::optional<MacAddr> parse_unicast_mac(std::string_view text);
std::string mac_to_string(const MacAddr &mac);

} // namespace wayport::config
