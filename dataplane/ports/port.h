// The ports, described once: what wayportd learned bringing each one up
// (drivers/) and what the configuration gives it, as one Port. The host
// stack and the table sync read Ports; the workers read the fast-path view
// derived from them (egress_view): fewer bytes per port, indexed by DPDK
// port id.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <rte_ether.h>

#include "dataplane/wire/addr.h"

namespace wayport {

struct Port {
	uint16_t port_id = 0;
	rte_ether_addr mac{};
	std::optional<AddrPort> ipv4;  // port field unused
	uint8_t ipv4_prefix = 32;
	std::optional<AddrPort> ipv6;
	uint8_t ipv6_prefix = 128;
	std::optional<AddrPort> gateway4;
	std::optional<AddrPort> gateway6;
	bool offload_ipv4_cksum = false;  // the device computes IPv4 header checksums
	bool offload_udp_cksum = false;   // ... and UDP checksums from a pseudo-header sum

	bool is_ours(const AddrPort &ip) const;
	bool on_link(const AddrPort &ip) const;
	// The neighbour to send to for dst: dst itself when on-link, else the
	// gateway of its family. Nothing when there is no route.
	std::optional<AddrPort> next_hop(const AddrPort &dst) const;
};

// A port's addresses, as classify compares them.
struct PortAddrs {
	uint8_t ipv4[4] = {};
	uint8_t ipv6[16] = {};
	bool has_ipv4 = false;
	bool has_ipv6 = false;
};

// What the relay's rewrite needs of the port a packet leaves by.
struct EgressPort {
	uint8_t mac[6] = {};
	PortAddrs addrs;
	bool offload_ipv4_cksum = false;
	bool offload_udp_cksum = false;
};

// The workers' view: EgressPort by DPDK port id; ids no Port has get an
// EgressPort with no addresses, which classify counts as unknown_port.
std::vector<EgressPort> egress_view(const std::vector<Port> &ports);

// dst with only the IP kept (port 0), the form neighbour keys use.
inline AddrPort ip_only(const AddrPort &a)
{
	AddrPort ip = a;
	ip.port = 0;
	return ip;
}

} // namespace wayport
