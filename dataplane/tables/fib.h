// The FIB: destination IP -> next hop, for what leaves the tunnel toward
// the networks behind the ports (ip_out) and for the outer packets the node
// sends itself (wg_output). A PrefixTable maps each prefix to a 24-bit
// next-hop id; the id indexes a fixed array of NextHop.
//
// What it holds, built whole by build():
// - each port's connected prefixes (ipv4/ipv4_prefix, ipv6/ipv6_prefix):
//   on-link through that port;
// - a default route per family (0.0.0.0/0, ::/0) via the gateway4 /
//   gateway6 of the first port, in the order given, that has one; a later
//   port's gateway of the same family is not used (one default route, and
//   the order of the ports says which);
// - the static routes, after both: longest prefix wins, and a static route
//   for exactly a connected or default prefix replaces it.
// IPv6 link-local (fe80::/10) is not routed: it is on-link on every port,
// so no one port could own it.
//
// Thread contract: one writer (the control thread) calls build() and
// reclaim(); workers call lookup*() and next_hop() without locks between
// two QSBR quiescent states of the Qsbr the Fib was made with, and keep
// neither an id nor a NextHop reference across one.
//
// A NextHop never changes while a worker may read it. Every build() takes
// fresh ids for its next hops and writes their entries before the prefix
// table names them (rte_lpm's entry stores and the IPv6 trie's pointer
// swap are releases), then retires the ids of the build before; they
// return to the free list only after a grace period (reclaim()). So the
// array holds two builds' next hops at the moment of a change:
// FibConfig::next_hops must be at least twice what one build needs.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "dataplane/ports/port.h"
#include "dataplane/tables/prefix_table.h"
#include "dataplane/tables/rcu.h"
#include "dataplane/wire/addr.h"

namespace wayport {

struct NextHop {
	uint16_t port = 0;         // DPDK port id it leaves by
	bool via_gateway = false;  // false: on-link, the neighbour is the packet's destination
	AddrPort gateway;          // port 0; the neighbour when via_gateway
};

// A static route (config's `routes:`, the port name turned into its id).
struct FibRoute {
	Prefix prefix;              // host bits clear
	std::optional<AddrPort> via;  // of the prefix's family; absent: on-link through port
	uint16_t port = 0;
};

enum class FibResult : uint8_t {
	ok,
	unknown_port,    // a route names a port id no Port has
	wrong_family,    // a route's via is not of its prefix's family
	bad_prefix,      // a route's prefix is too long or has host bits set
	next_hops_full,  // more distinct next hops than the free ids left
	table_full,      // the prefix table refused (rules or tbl8 groups exhausted)
	no_memory,       // the IPv6 rebuild could not allocate
};
const char *to_string(FibResult r);

struct FibConfig {
	uint32_t next_hops = 1024;  // ids, for two builds at once (above)
	PrefixTableConfig prefixes;
};

class Fib {
public:
	static constexpr uint32_t kNoMatch = PrefixTable::kNoMatch;

	// Throws std::bad_alloc when DPDK cannot allocate the prefix table.
	Fib(Qsbr &qsbr, const FibConfig &config = {});
	Fib(const Fib &) = delete;
	Fib &operator=(const Fib &) = delete;

	// Control thread. All or nothing: on error the table is unchanged.
	FibResult build(const std::vector<Port> &ports, std::span<const FibRoute> routes);
	// Returns the ids of past builds to the free list once their grace
	// period is over; call it from the control loop. Returns how many
	// deferred frees ran (ids and old IPv6 tables).
	size_t reclaim() { return reclaimer_.poll(); }
	// What is installed, prefix -> next-hop id (PrefixTable's order).
	const std::map<Prefix, uint32_t> &routes() const { return table_.entries(); }
	size_t free_next_hops() const { return free_ids_.size(); }

	// Workers: no locks, no allocation, no system calls. kNoMatch when no
	// route covers the address (no default route of its family).
	uint32_t lookup4(const uint8_t ip[4]) const { return table_.lookup4(ip); }
	uint32_t lookup6(const uint8_t ip[16]) const { return table_.lookup6(ip); }
	void lookup4_bulk(const uint32_t *ips_host_order, uint32_t *out, unsigned n) const
	{
		table_.lookup4_bulk(ips_host_order, out, n);
	}
	void lookup6_bulk(const uint8_t (*ips)[16], uint32_t *out, unsigned n) const
	{
		table_.lookup6_bulk(ips, out, n);
	}
	// id from a lookup (or a caller's own, checked with valid()).
	const NextHop &next_hop(uint32_t id) const { return hops_[id]; }
	bool valid(uint32_t id) const { return id < capacity_; }
	uint32_t capacity() const { return capacity_; }

private:
	FibResult check(const std::vector<Port> &ports, std::span<const FibRoute> routes) const;
	void retire(std::vector<uint32_t> ids);

	const uint32_t capacity_;
	// Written by the control thread before an id is published, read by
	// workers after; immutable while published (above).
	std::unique_ptr<NextHop[]> hops_;
	std::vector<uint32_t> free_ids_;  // control thread only
	std::vector<uint32_t> live_ids_;  // control thread only: the current build's
	// Declared before table_ so it outlives it: the table retires old IPv6
	// tries through it, and its frees return ids to free_ids_.
	Reclaimer reclaimer_;
	PrefixTable table_;
};

} // namespace wayport
