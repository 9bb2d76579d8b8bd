// A sparse array over 24-bit indexes (VNIs): a directory of page pointers,
// pages of 2 MiB allocated on demand. Memory follows the indexes in use,
// not the 2^24 index space, and a lookup is one load from the directory
// (a few KiB, always cached) and one from the page, with no hashing. VNIs
// are handed out sequentially, so live ones mostly pack into few pages;
// the worst case is one long-lived VNI keeping each 2 MiB page alive.
//
// A page is one 2 MiB block, aligned and advised for a transparent huge
// page, so a table of a million entries costs a handful of TLB entries
// instead of a page walk per lookup. Without THP it works on 4 KiB pages.
//
// Workers read pages without locks; only the control thread adds or
// unlinks them, and it frees an unlinked page after a grace period.
#pragma once

#include <sys/mman.h>

#include <array>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>

namespace wayport {

template <typename T>
class RadixArray {
public:
	static constexpr size_t kPageBytes = size_t{2} << 20;
	static_assert(std::has_single_bit(sizeof(T)) && sizeof(T) <= kPageBytes, "items must tile a page");
	static constexpr uint32_t kPageBits = std::countr_zero(kPageBytes / sizeof(T));
	static constexpr uint32_t kPageSize = 1u << kPageBits;
	static constexpr uint32_t kDirSize = 1u << (24 - kPageBits);

	struct Page {
		T items[kPageSize]{};
	};
	struct PageDelete {
		void operator()(Page *p) const { free_page(p); }
	};
	using PagePtr = std::unique_ptr<Page, PageDelete>;

	RadixArray() = default;
	RadixArray(const RadixArray &) = delete;
	RadixArray &operator=(const RadixArray &) = delete;
	~RadixArray()
	{
		for (auto &p : dir_)
			free_page(p.load(std::memory_order_relaxed));
	}

	// Reader side: the item, or nullptr when its page does not exist.
	T *find(uint32_t index) const
	{
		Page *p = dir_[(index >> kPageBits) & (kDirSize - 1)].load(std::memory_order_acquire);
		return p ? &p->items[index & (kPageSize - 1)] : nullptr;
	}

	void prefetch(uint32_t index) const
	{
		if (T *item = find(index))
			__builtin_prefetch(item);
	}

	// Control side: the item, allocating (zeroed) its page if needed.
	// Throws std::bad_alloc when memory is exhausted.
	T &ensure(uint32_t index)
	{
		auto &slot = dir_[(index >> kPageBits) & (kDirSize - 1)];
		Page *p = slot.load(std::memory_order_relaxed);
		if (!p) {
			p = alloc_page();
			slot.store(p, std::memory_order_release);
			pages_++;
		}
		return p->items[index & (kPageSize - 1)];
	}

	// Control side: unlinks the page holding index; the caller frees it
	// after a grace period.
	PagePtr unlink_page(uint32_t index)
	{
		auto &slot = dir_[(index >> kPageBits) & (kDirSize - 1)];
		Page *p = slot.exchange(nullptr, std::memory_order_release);
		if (p)
			pages_--;
		return PagePtr(p);
	}

	size_t pages() const { return pages_; }
	static constexpr size_t page_bytes() { return sizeof(Page); }

private:
	static Page *alloc_page()
	{
		void *mem = std::aligned_alloc(kPageBytes, sizeof(Page));
		if (!mem)
			throw std::bad_alloc();
		// Advice only: with THP off the page stays on 4 KiB pages. It
		// must come before the first touch, which the zeroing below is.
		madvise(mem, sizeof(Page), MADV_HUGEPAGE);
		return new (mem) Page();
	}
	static void free_page(Page *p)
	{
		if (!p)
			return;
		p->~Page();
		std::free(p);
	}

	std::array<std::atomic<Page *>, kDirSize> dir_{};
	size_t pages_ = 0;
};

} // namespace wayport
