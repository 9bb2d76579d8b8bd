#include "controlplane/relay/rate_limiter.h"

#include <algorithm>
#include <cstring>

namespace wayport::relay {

size_t RateLimiter::IpHash::operator()(const AddrPort &a) const
{
	uint64_t hi, lo;
	std::memcpy(&hi, a.ip.data(), 8);
	std::memcpy(&lo, a.ip.data() + 8, 8);
	return std::hash<uint64_t>{}(hi * 0x9e3779b97f4a7c15ULL ^ lo ^ a.is_v4);
}

double RateLimiter::refill(const Bucket &b, Time now) const
{
	double elapsed = static_cast<double>(std::max<Time>(now - b.updated, 0)) / kSecond;
	return std::min(limit_.burst, b.tokens + elapsed * limit_.per_second);
}

void RateLimiter::prune(Time now)
{
	if (pruned_ && now - pruned_at_ < kSecond)
		return;
	pruned_ = true;
	pruned_at_ = now;
	std::erase_if(buckets_, [&](const auto &kv) {
		return refill(kv.second, now) >= limit_.burst;
	});
}

bool RateLimiter::allow(const AddrPort &src, Time now)
{
	AddrPort ip = src;
	ip.port = 0;
	auto it = buckets_.find(ip);
	if (it == buckets_.end()) {
		if (buckets_.size() >= limit_.max_sources)
			prune(now);
		if (buckets_.size() >= limit_.max_sources || limit_.burst < 1)
			return false;
		buckets_.emplace(ip, Bucket{limit_.burst - 1, now});
		return true;
	}
	Bucket &b = it->second;
	b.tokens = refill(b, now);
	b.updated = now;
	if (b.tokens < 1)
		return false;
	b.tokens -= 1;
	return true;
}

} // namespace wayport::relay
