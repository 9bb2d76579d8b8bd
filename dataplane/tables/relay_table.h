// The relay forwarding table: VNI -> endpoint, as workers see it, plus the
// per-worker, per-leg activity counters that workers own.
//
// Entries are immutable once published: the control thread publishes a new
// copy on every change (allocate, bind, re-bind) and retires the old one
// through QSBR. A worker therefore reads one consistent snapshot of both
// legs per packet.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/counter.h"
#include "dataplane/tables/radix_array.h"
#include "dataplane/tables/rcu.h"
#include "dataplane/wire/addr.h"

namespace wayport {

// How a worker reaches a bound leg: the DPDK port to send on and the
// neighbour slot holding the next hop's MAC.
struct Egress {
	uint16_t port = 0;
	uint32_t neighbour = 0;
};

struct RelayEntry {
	AddrPort leg[2];      // valid where bound has the leg's bit
	Egress egress[2];
	uint32_t vni = 0;
	uint8_t bound = 0;    // bit i: leg i is bound

	static constexpr uint8_t kBothBound = 3;
	bool forwarding() const { return bound == kBothBound; }
};

// Written by one worker only; read by the control thread, which works out
// deltas and feeds them to the relay core in bulk.
struct LegCounters {
	Counter packets;
	Counter bytes;    // UDP payload bytes, Geneve header included
	Counter last_tsc; // TSC of the last packet received from the leg

	void add(uint64_t len, uint64_t tsc)
	{
		packets.add();
		bytes.add(len);
		last_tsc.set(tsc);
	}
};

struct EndpointActivity {
	LegCounters leg[2];
};

class RelayTable {
public:
	RelayTable(Qsbr &qsbr, unsigned workers);
	~RelayTable();

	// Worker side.
	const RelayEntry *lookup(uint32_t vni) const
	{
		auto *slot = entries_.find(vni);
		return slot ? slot->load(std::memory_order_acquire) : nullptr;
	}
	void prefetch(uint32_t vni) const { entries_.prefetch(vni); }
	void prefetch_activity(unsigned worker, uint32_t vni) const { activity_[worker]->prefetch(vni); }
	// Present for every VNI that has an entry.
	EndpointActivity *activity(unsigned worker, uint32_t vni) const { return activity_[worker]->find(vni); }

	// Control side. publish replaces any entry for e.vni; the old one is
	// freed after a grace period.
	void publish(const RelayEntry &e);
	void erase(uint32_t vni);
	// Frees retired entries and pages whose grace period has passed.
	void reclaim() { reclaimer_.poll(); }

	size_t size() const { return live_; }
	// Unlinked entries and pages still waiting for their grace period.
	size_t retired() const { return reclaimer_.pending(); }
	size_t memory_bytes() const;

private:
	using EntrySlot = std::atomic<const RelayEntry *>;

	RadixArray<EntrySlot> entries_;
	std::vector<std::unique_ptr<RadixArray<EndpointActivity>>> activity_;
	std::vector<uint16_t> page_live_;  // live entries per directory page
	Reclaimer reclaimer_;
	size_t live_ = 0;
};

} // namespace wayport
