// The relay forwarding table: VNI -> endpoint, as workers see it, plus the
// per-worker, per-leg activity counters that workers own.
//
// Entries live inline in the radix pages, one cache line each, so a
// lookup costs one miss that the worker can prefetch as soon as it has
// parsed the VNI; a pointer to a separately allocated entry would cost a
// second, dependent one. The control thread is the only writer and
// rewrites an entry in place under a per-entry sequence number (a
// seqlock): a worker copies the entry and keeps the copy only if the
// sequence was even and unchanged across the copy, so it always forwards
// on one consistent version of both legs.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <type_traits>
#include <vector>

#include <rte_pause.h>

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

// One line per VNI, so counting a packet touches one line.
struct alignas(64) EndpointActivity {
	LegCounters leg[2];
};

enum class EntryRead : uint8_t {
	found,
	missing,  // no entry for the VNI
	busy,     // the control thread was rewriting it through every try
};

class RelayTable {
public:
	RelayTable(Qsbr &qsbr, unsigned workers);
	~RelayTable() = default;
	RelayTable(const RelayTable &) = delete;
	RelayTable &operator=(const RelayTable &) = delete;

	// Worker side: copies the entry for vni into out.
	EntryRead read(uint32_t vni, RelayEntry &out) const;
	void prefetch(uint32_t vni) const { entries_.prefetch(vni & kVniMask); }
	void prefetch_activity(unsigned worker, uint32_t vni) const { activity_[worker]->prefetch(vni & kVniMask); }
	// Present for every VNI that has an entry; nullptr for a worker that
	// asks after the entry's page was emptied and unlinked.
	EndpointActivity *activity(unsigned worker, uint32_t vni) const
	{
		return activity_[worker]->find(vni & kVniMask);
	}

	// Control side (the writer). publish replaces any entry for e.vni;
	// false (nothing published) when memory for its pages ran out.
	std::optional<RelayEntry> lookup(uint32_t vni) const;
	bool publish(const RelayEntry &e);
	void erase(uint32_t vni);
	// Frees pages whose grace period has passed.
	void reclaim() { reclaimer_.poll(); }

	size_t size() const { return live_; }
	// Unlinked pages still waiting for their grace period.
	size_t retired() const { return reclaimer_.pending(); }
	size_t memory_bytes() const;

private:
	static constexpr uint32_t kVniMask = 0xffffff;
	// What an entry slot stores after its head word: the legs and their
	// egress, copied as whole words.
	static constexpr size_t kBodyBytes = offsetof(RelayEntry, vni);
	static constexpr size_t kBodyWords = kBodyBytes / 8;
	static_assert(kBodyBytes % 8 == 0 && kBodyWords == 7, "an entry slot is one cache line");
	// read() and write() move the body as raw words and rebuild vni and
	// bound from the head: a field added anywhere else would be lost.
	static_assert(std::is_trivially_copyable_v<RelayEntry> && std::is_standard_layout_v<RelayEntry>);
	static_assert(offsetof(RelayEntry, bound) == offsetof(RelayEntry, vni) + 4 && sizeof(RelayEntry) == 64);
	static_assert(std::atomic<uint64_t>::is_always_lock_free);

	// head: sequence << 32 | present << 8 | bound. The sequence is odd
	// while the writer is between its two head stores. Every field is an
	// atomic word, so a read racing a write is well defined; the sequence
	// says whether the copy is one version.
	static constexpr uint64_t kPresent = 0x100;
	static constexpr uint64_t kWriting = uint64_t{1} << 32;  // the sequence's low bit
	struct alignas(64) EntrySlot {
		std::atomic<uint64_t> head{0};
		std::atomic<uint64_t> body[kBodyWords]{};
	};
	static_assert(sizeof(EntrySlot) == 64);

	void write(EntrySlot &slot, const RelayEntry *e);

	RadixArray<EntrySlot> entries_;
	std::vector<std::unique_ptr<RadixArray<EndpointActivity>>> activity_;
	std::vector<uint32_t> page_live_;  // live entries per directory page
	Reclaimer reclaimer_;
	size_t live_ = 0;
};

inline EntryRead RelayTable::read(uint32_t vni, RelayEntry &out) const
{
	// A handful of tries covers a writer caught mid-rewrite (a few stores);
	// a writer descheduled mid-rewrite must not stall the worker.
	constexpr int kTries = 4;
	const EntrySlot *slot = entries_.find(vni & kVniMask);
	if (!slot)
		return EntryRead::missing;
	for (int t = 0; t < kTries; t++) {
		if (t)
			rte_pause();  // let the writer's stores land
		uint64_t head = slot->head.load(std::memory_order_acquire);
		if (head & kWriting)
			continue;
		// Word by word straight into out: a staging copy read back in
		// wider pieces would stall on store forwarding.
		auto *dst = reinterpret_cast<unsigned char *>(&out);
		for (size_t w = 0; w < kBodyWords; w++) {
			uint64_t v = slot->body[w].load(std::memory_order_relaxed);
			std::memcpy(dst + w * 8, &v, 8);
		}
		std::atomic_thread_fence(std::memory_order_acquire);
		if (slot->head.load(std::memory_order_relaxed) != head)
			continue;
		if (!(head & kPresent))
			return EntryRead::missing;
		out.vni = vni & kVniMask;
		out.bound = static_cast<uint8_t>(head);
		return EntryRead::found;
	}
	return EntryRead::busy;
}

} // namespace wayport
