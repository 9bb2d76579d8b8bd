#include "dataplane/nat/port_pool.h"

#include <bit>

namespace wayport::nat {

namespace {

constexpr uint64_t kEven = 0x5555555555555555ull;  // bit i is port 64 w + i
constexpr uint64_t kAll = ~0ull;

// The bits of word w that fall inside first..last.
uint64_t within(size_t w, uint32_t first, uint32_t last)
{
	const uint32_t base = static_cast<uint32_t>(w * 64);
	if (first > base + 63 || last < base)
		return 0;  // the word lies wholly outside: no shift of 64 or more
	uint64_t m = kAll;
	if (first > base)
		m &= kAll << (first - base);
	if (last < base + 63)
		m &= kAll >> (base + 63 - last);
	return m;
}

} // namespace

PortPool::PortPool(uint16_t lo, uint16_t hi, bool class_preserving)
	: lo_(lo), hi_(hi), class_preserving_(class_preserving), owners_(new std::atomic<uint8_t>[65536])
{
	for (size_t w = 0; w < kWords; w++)
		taken_[w].store(~within(w, lo, hi), std::memory_order_relaxed);
	for (uint32_t p = 0; p < 65536; p++)
		owners_[p].store(kNoOwner, std::memory_order_relaxed);
}

bool PortPool::try_take(uint16_t port, uint8_t worker)
{
	const uint64_t bit = 1ull << (port % 64);
	if (taken_[port / 64].fetch_or(bit, std::memory_order_acq_rel) & bit)
		return false;
	owners_[port].store(worker, std::memory_order_release);
	in_use_.fetch_add(1, std::memory_order_relaxed);
	return true;
}

void PortPool::give_back(uint16_t port)
{
	owners_[port].store(kNoOwner, std::memory_order_release);
	taken_[port / 64].fetch_and(~(1ull << (port % 64)), std::memory_order_release);
	in_use_.fetch_sub(1, std::memory_order_relaxed);
}

void PortPool::reserve(uint16_t port)
{
	if (port < lo_ || port > hi_)
		return;
	const uint64_t bit = 1ull << (port % 64);
	if (!(taken_[port / 64].fetch_or(bit, std::memory_order_relaxed) & bit))
		in_use_.fetch_add(1, std::memory_order_relaxed);
}

std::optional<uint16_t> PortPool::search(uint32_t first, uint32_t last, uint64_t mask, uint8_t worker, uint32_t seed)
{
	const size_t fw = first / 64, n = last / 64 - fw + 1;
	const size_t start = seed % n;
	const unsigned turn = (seed >> 16) % 64;
	for (size_t i = 0; i < n; i++) {
		const size_t w = fw + (start + i) % n;
		const uint64_t room = mask & within(w, first, last);
		uint64_t free = ~taken_[w].load(std::memory_order_relaxed) & room;
		while (free) {
			// From a drawn place in the word, so the port within it is
			// no more predictable than the word.
			const unsigned bit = (std::countr_zero(std::rotr(free, int(turn))) + turn) % 64;
			const uint16_t port = static_cast<uint16_t>(w * 64 + bit);
			if (try_take(port, worker))
				return port;
			free = ~taken_[w].load(std::memory_order_relaxed) & room;
		}
	}
	return std::nullopt;
}

std::optional<uint16_t> PortPool::take(uint16_t wanted, uint8_t worker, uint32_t seed)
{
	if (in_use() >= size())
		return std::nullopt;
	if (wanted >= lo_ && wanted <= hi_ && try_take(wanted, worker))
		return wanted;
	uint32_t first = lo_, last = hi_;
	if (class_preserving_) {
		if (wanted < 1024 && lo_ < 1024)
			last = hi_ < 1023 ? hi_ : 1023;
		else if (wanted >= 1024 && hi_ >= 1024)
			first = lo_ > 1024 ? lo_ : 1024;
	}
	const uint64_t parity = wanted % 2 ? ~kEven : kEven;
	if (auto p = search(first, last, parity, worker, seed))
		return p;
	if (auto p = search(first, last, kAll, worker, seed))
		return p;
	if (first != lo_ || last != hi_)
		return search(lo_, hi_, kAll, worker, seed);
	return std::nullopt;
}

} // namespace wayport::nat
