// A sparse array over 24-bit indexes (VNIs): a directory of 4096 page
// pointers, pages of 4096 items allocated on demand. Memory follows the
// indexes in use, not the 2^24 index space, and a lookup is two dependent
// loads with no hashing. VNIs are handed out sequentially, so live ones
// pack into few pages.
//
// Workers read pages without locks; only the control thread adds or
// unlinks them, and it frees an unlinked page after a grace period.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>

namespace wayport {

template <typename T>
class RadixArray {
public:
	static constexpr uint32_t kPageBits = 12;
	static constexpr uint32_t kPageSize = 1u << kPageBits;
	static constexpr uint32_t kDirSize = 1u << (24 - kPageBits);

	struct Page {
		T items[kPageSize]{};
	};

	RadixArray() = default;
	RadixArray(const RadixArray &) = delete;
	RadixArray &operator=(const RadixArray &) = delete;
	~RadixArray()
	{
		for (auto &p : dir_)
			delete p.load(std::memory_order_relaxed);
	}

	// Reader side: the item, or nullptr when its page does not exist.
	T *find(uint32_t index) const
	{
		Page *p = dir_[(index >> kPageBits) & (kDirSize - 1)].load(std::memory_order_acquire);
		return p ? &p->items[index & (kPageSize - 1)] : nullptr;
	}

	void prefetch(uint32_t index) const
	{
		Page *p = dir_[(index >> kPageBits) & (kDirSize - 1)].load(std::memory_order_relaxed);
		if (p)
			__builtin_prefetch(&p->items[index & (kPageSize - 1)]);
	}

	// Control side: the item, allocating (zeroed) its page if needed.
	T &ensure(uint32_t index)
	{
		auto &slot = dir_[(index >> kPageBits) & (kDirSize - 1)];
		Page *p = slot.load(std::memory_order_relaxed);
		if (!p) {
			p = new Page();
			slot.store(p, std::memory_order_release);
			pages_++;
		}
		return p->items[index & (kPageSize - 1)];
	}

	// Control side: unlinks the page holding index; the caller frees it
	// after a grace period.
	std::unique_ptr<Page> unlink_page(uint32_t index)
	{
		auto &slot = dir_[(index >> kPageBits) & (kDirSize - 1)];
		Page *p = slot.exchange(nullptr, std::memory_order_release);
		if (p)
			pages_--;
		return std::unique_ptr<Page>(p);
	}

	size_t pages() const { return pages_; }
	static constexpr size_t page_bytes() { return sizeof(Page); }

private:
	std::array<std::atomic<Page *>, kDirSize> dir_{};
	size_t pages_ = 0;
};

} // namespace wayport
