// Latency percentiles from TSC deltas: a log-linear histogram (16 linear
// steps per power of two, so about 6 % resolution) that costs a count
// leading zeros and an increment per sample, owned by one thread.
#pragma once

#include <array>
#include <cstdint>

namespace wayport::perf {

class LatencyHistogram {
public:
	void add(uint64_t cycles)
	{
		buckets_[bucket(cycles)]++;
		count_++;
		if (cycles > max_)
			max_ = cycles;
	}
	void merge(const LatencyHistogram &o);

	uint64_t count() const { return count_; }
	uint64_t max() const { return max_; }
	// The value below which a fraction q (0..1) of the samples lie, at the
	// middle of its bucket; 0 with no samples.
	uint64_t percentile(double q) const;

private:
	static constexpr unsigned kSubBits = 4;
	static constexpr unsigned kBuckets = 64 << kSubBits;

	static unsigned bucket(uint64_t v)
	{
		if (v < (1u << kSubBits))
			return static_cast<unsigned>(v);
		unsigned msb = 63 - static_cast<unsigned>(__builtin_clzll(v));
		unsigned sub = static_cast<unsigned>(v >> (msb - kSubBits)) & ((1u << kSubBits) - 1);
		return ((msb - kSubBits + 1) << kSubBits) + sub;
	}

	std::array<uint64_t, kBuckets> buckets_{};
	uint64_t count_ = 0;
	uint64_t max_ = 0;
};

} // namespace wayport::perf
