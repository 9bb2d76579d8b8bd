#include "perf/lab/latency.h"

#include <algorithm>

namespace wayport::perf {

void LatencyHistogram::merge(const LatencyHistogram &o)
{
	for (unsigned b = 0; b < kBuckets; b++)
		buckets_[b] += o.buckets_[b];
	count_ += o.count_;
	max_ = std::max(max_, o.max_);
}

uint64_t LatencyHistogram::percentile(double q) const
{
	if (!count_)
		return 0;
	auto rank = static_cast<uint64_t>(q * static_cast<double>(count_));
	rank = std::min(rank, count_ - 1);
	uint64_t seen = 0;
	for (unsigned b = 0; b < kBuckets; b++) {
		seen += buckets_[b];
		if (seen <= rank)
			continue;
		if (b < (1u << kSubBits))
			return b;
		unsigned msb = (b >> kSubBits) + kSubBits - 1;
		uint64_t width = uint64_t{1} << (msb - kSubBits);
		uint64_t low = (uint64_t{(1u << kSubBits) + (b & ((1u << kSubBits) - 1))}) << (msb - kSubBits);
		return std::min(low + width / 2, max_);
	}
	return max_;
}

} // namespace wayport::perf
