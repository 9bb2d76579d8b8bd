// One port as the control thread's small IP host sees it: its MAC, its
// addresses with their prefixes, and its gateways.
#pragma once

#include <cstdint>
#include <optional>

#include <rte_ether.h>

#include "dataplane/wire/addr.h"

namespace wayport {

struct HostPort {
	uint16_t port_id = 0;
	rte_ether_addr mac{};
	std::optional<AddrPort> ipv4;  // port field unused
	uint8_t ipv4_prefix = 32;
	std::optional<AddrPort> ipv6;
	uint8_t ipv6_prefix = 128;
	std::optional<AddrPort> gateway4;
	std::optional<AddrPort> gateway6;

	bool is_ours(const AddrPort &ip) const;
	bool on_link(const AddrPort &ip) const;
	// The neighbour to send to for dst: dst itself when on-link, else the
	// gateway of its family. Nothing when there is no route.
	std::optional<AddrPort> next_hop(const AddrPort &dst) const;
};

// dst with only the IP kept (port 0), the form neighbour keys use.
inline AddrPort ip_only(const AddrPort &a)
{
	AddrPort ip = a;
	ip.port = 0;
	return ip;
}

} // namespace wayport
