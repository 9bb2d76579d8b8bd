// A counter with a single writer (one worker) and any number of readers.
//
// Relaxed load and store, not fetch_add: only the owner writes, so no
// locked instruction is needed, and readers on other threads see a value
// that is at worst slightly stale, never torn.
#pragma once

#include <atomic>
#include <cstdint>

namespace wayport {

struct Counter {
	std::atomic<uint64_t> value{0};

	void add(uint64_t n = 1) { value.store(value.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
	void set(uint64_t v) { value.store(v, std::memory_order_relaxed); }
	uint64_t get() const { return value.load(std::memory_order_relaxed); }
};

} // namespace wayport
