#include "relay_table.h"

namespace wayport {

RelayTable::RelayTable(Qsbr &qsbr, unsigned workers)
	: page_live_(RadixArray<EntrySlot>::kDirSize, 0), reclaimer_(qsbr)
{
	for (unsigned w = 0; w < workers; w++)
		activity_.push_back(std::make_unique<RadixArray<EndpointActivity>>());
}

RelayTable::~RelayTable()
{
	for (uint32_t page = 0; page < RadixArray<EntrySlot>::kDirSize; page++) {
		if (!page_live_[page])
			continue;
		uint32_t base = page << RadixArray<EntrySlot>::kPageBits;
		for (uint32_t i = 0; i < RadixArray<EntrySlot>::kPageSize; i++)
			delete entries_.find(base + i)->load(std::memory_order_relaxed);
	}
}

void RelayTable::publish(const RelayEntry &e)
{
	uint32_t vni = e.vni & 0xffffff;
	// Activity pages first: a worker that sees the entry may count at once.
	for (auto &a : activity_)
		a->ensure(vni);
	EntrySlot &slot = entries_.ensure(vni);
	const RelayEntry *old = slot.exchange(new RelayEntry(e), std::memory_order_release);
	if (old) {
		reclaimer_.retire([old] { delete old; });
	} else {
		live_++;
		page_live_[vni >> RadixArray<EntrySlot>::kPageBits]++;
	}
}

void RelayTable::erase(uint32_t vni)
{
	vni &= 0xffffff;
	EntrySlot *slot = entries_.find(vni);
	const RelayEntry *old = slot ? slot->exchange(nullptr, std::memory_order_release) : nullptr;
	if (!old)
		return;
	reclaimer_.retire([old] { delete old; });
	live_--;
	if (--page_live_[vni >> RadixArray<EntrySlot>::kPageBits] > 0)
		return;
	// The page is empty: unlink it and its activity pages, free later.
	auto page = entries_.unlink_page(vni);
	reclaimer_.retire([p = page.release()] { delete p; });
	for (auto &a : activity_)
		reclaimer_.retire([p = a->unlink_page(vni).release()] { delete p; });
}

size_t RelayTable::memory_bytes() const
{
	size_t bytes = entries_.pages() * entries_.page_bytes() + live_ * sizeof(RelayEntry);
	for (const auto &a : activity_)
		bytes += a->pages() * a->page_bytes();
	return bytes;
}

} // namespace wayport
