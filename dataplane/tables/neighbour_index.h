// (port, IP) -> neighbour slot, for workers: which NeighbourSlots entry
// holds the MAC of a next hop the FIB named. ip_out looks up every routed
// packet's neighbour (its destination on-link, else its gateway) here.
//
// Thread contract:
// - One writer, the control thread: it adds an entry when it creates a
//   neighbour (NeighbourTable) and removes it when the neighbour goes.
// - Readers are workers between two QSBR quiescent states (rcu.h), with
//   no lock. The table is DPDK's rte_hash in its lock-free reader mode
//   (RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF) with extendable buckets, as
//   the keypair table is. A removed key's position in the hash stays
//   reserved until a grace period has passed (reclaim()), so a reader in
//   the middle of a lookup never finds another key's slot in it.
// - The value is a slot number, not a pointer: a reader that found a
//   slot just before its removal reads a NeighbourSlots word, which the
//   control thread reuses only after the entry has been unused for a
//   whole reachable time (neighbour_table.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "dataplane/tables/rcu.h"
#include "dataplane/wire/addr.h"

struct rte_hash;

namespace wayport {

// The hash key: family and address as they are in an IP header, so the
// worker builds it from the packet without conversion.
struct NeighbourKey {
	uint8_t addr[16];  // IPv4 in addr[0..3], the rest zero
	uint16_t port;
	uint8_t family;    // 4 or 6
	uint8_t zero;

	static NeighbourKey v4(uint16_t port, const uint8_t ip[4]);
	static NeighbourKey v6(uint16_t port, const uint8_t ip[16]);
	static NeighbourKey of(uint16_t port, const AddrPort &ip);
};
static_assert(sizeof(NeighbourKey) == 20, "NeighbourKey is hashed as raw bytes: no padding");

enum class NeighbourIndexResult : uint8_t {
	ok,
	duplicate,  // add: the port already has an entry for that address
	full,       // add: capacity entries are live or not yet reclaimed
	not_found,  // remove: no such entry
};
const char *to_string(NeighbourIndexResult r);

class NeighbourIndex {
public:
	static constexpr uint32_t kNone = UINT32_MAX;

	// capacity: the most neighbours at once (NeighbourSlots' capacity);
	// a removed entry counts until reclaim(). Null, with error set, when
	// DPDK cannot make the table.
	static std::unique_ptr<NeighbourIndex> create(Qsbr &qsbr, uint32_t capacity, std::string &error);
	~NeighbourIndex();
	NeighbourIndex(const NeighbourIndex &) = delete;
	NeighbourIndex &operator=(const NeighbourIndex &) = delete;

	// Writer side.
	NeighbourIndexResult add(uint16_t port, const AddrPort &ip, uint32_t slot);
	NeighbourIndexResult remove(uint16_t port, const AddrPort &ip);
	size_t reclaim() { return reclaimer_.poll(); }
	uint32_t size() const { return size_; }

	// Reader side: no locks, no allocation. The slot, or kNone.
	uint32_t find(const NeighbourKey &key) const;
	uint32_t find(uint16_t port, const AddrPort &ip) const { return find(NeighbourKey::of(port, ip)); }

private:
	NeighbourIndex(Qsbr &qsbr, rte_hash *hash, uint32_t capacity);

	struct HashFree {
		void operator()(rte_hash *h) const;
	};

	const std::unique_ptr<rte_hash, HashFree> hash_;
	const uint32_t capacity_;
	uint32_t size_ = 0;    // writer only
	Reclaimer reclaimer_;  // writer only; declared after hash_, destroyed before it
};

} // namespace wayport
