#include "dataplane/tables/relay_table.h"

namespace wayport {

RelayTable::RelayTable(Qsbr &qsbr, unsigned workers)
	: page_live_(RadixArray<EntrySlot>::kDirSize, 0), reclaimer_(qsbr)
{
	// An entry page and its activity pages cover the same VNIs, so an
	// empty entry page unlinks its activity pages with it.
	static_assert(RadixArray<EntrySlot>::kPageBits == RadixArray<EndpointActivity>::kPageBits);
	for (unsigned w = 0; w < workers; w++)
		activity_.push_back(std::make_unique<RadixArray<EndpointActivity>>());
}

void RelayTable::write(EntrySlot &slot, const RelayEntry *e)
{
	uint64_t seq = slot.head.load(std::memory_order_relaxed) >> 32;
	// Odd first: a reader that copies any of the new words discards them.
	slot.head.store((seq + 1) << 32, std::memory_order_relaxed);
	std::atomic_thread_fence(std::memory_order_release);
	uint64_t body[kBodyWords] = {};
	if (e)
		std::memcpy(body, static_cast<const void *>(e), kBodyBytes);
	for (size_t w = 0; w < kBodyWords; w++)
		slot.body[w].store(body[w], std::memory_order_relaxed);
	uint64_t state = e ? kPresent | e->bound : 0;
	slot.head.store((seq + 2) << 32 | state, std::memory_order_release);
}

std::optional<RelayEntry> RelayTable::lookup(uint32_t vni) const
{
	RelayEntry e;
	if (read(vni, e) != EntryRead::found)
		return std::nullopt;
	return e;
}

bool RelayTable::publish(const RelayEntry &e)
{
	uint32_t vni = e.vni & kVniMask;
	EntrySlot *s;
	try {
		// Activity pages first: a worker that sees the entry may count
		// at once. Pages made before a failure stay, for the next try.
		for (auto &a : activity_)
			a->ensure(vni);
		s = &entries_.ensure(vni);
	} catch (const std::bad_alloc &) {
		return false;
	}
	EntrySlot &slot = *s;
	bool fresh = !(slot.head.load(std::memory_order_relaxed) & kPresent);
	write(slot, &e);
	if (fresh) {
		live_++;
		page_live_[vni >> RadixArray<EntrySlot>::kPageBits]++;
	}
	return true;
}

void RelayTable::erase(uint32_t vni)
{
	vni &= kVniMask;
	EntrySlot *slot = entries_.find(vni);
	if (!slot || !(slot->head.load(std::memory_order_relaxed) & kPresent))
		return;
	write(*slot, nullptr);
	live_--;
	if (--page_live_[vni >> RadixArray<EntrySlot>::kPageBits] > 0)
		return;
	// The page is empty: unlink it and its activity pages, free later.
	// (Retire takes a copyable function, hence the raw pointers.)
	reclaimer_.retire([p = entries_.unlink_page(vni).release()] { RadixArray<EntrySlot>::PagePtr owned(p); });
	for (auto &a : activity_)
		reclaimer_.retire(
			[p = a->unlink_page(vni).release()] { RadixArray<EndpointActivity>::PagePtr owned(p); });
}

size_t RelayTable::memory_bytes() const
{
	size_t bytes = entries_.pages() * entries_.page_bytes();
	for (const auto &a : activity_)
		bytes += a->pages() * a->page_bytes();
	return bytes;
}

} // namespace wayport
