// Next-hop MAC addresses that workers read per forwarded packet.
//
// A slot packs a MAC and a valid bit into one 64-bit word, so the control
// thread can resolve, refresh or invalidate a neighbour with one atomic
// store and workers never see a torn address. Which slot a leg uses is
// decided by the control thread when the leg binds (RelayEntry::egress).
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>

namespace wayport {

class NeighbourSlots {
public:
	explicit NeighbourSlots(uint32_t capacity)
		: slots_(std::make_unique<std::atomic<uint64_t>[]>(capacity)), capacity_(capacity)
	{
	}

	// Worker side: false while the slot is unresolved.
	bool get(uint32_t slot, uint8_t mac[6]) const
	{
		if (slot >= capacity_)
			return false;
		uint64_t v = slots_[slot].load(std::memory_order_relaxed);
		if (!(v & kValid))
			return false;
		for (int i = 0; i < 6; i++)
			mac[i] = static_cast<uint8_t>(v >> (8 * i));
		return true;
	}

	// Control side.
	void set(uint32_t slot, const uint8_t mac[6])
	{
		uint64_t v = kValid;
		for (int i = 0; i < 6; i++)
			v |= uint64_t{mac[i]} << (8 * i);
		slots_[slot].store(v, std::memory_order_relaxed);
	}
	void clear(uint32_t slot) { slots_[slot].store(0, std::memory_order_relaxed); }
	uint32_t capacity() const { return capacity_; }

private:
	static constexpr uint64_t kValid = 1ull << 63;
	std::unique_ptr<std::atomic<uint64_t>[]> slots_;
	uint32_t capacity_;
};

} // namespace wayport
