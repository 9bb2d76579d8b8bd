// Token buckets per source IP address for allocation requests, so that one
// source cannot churn through the VNI space. Memory is bounded: past
// max_sources, buckets that have refilled (idle sources) are dropped, at
// most once a second so a flood of new sources cannot make every request
// sweep the table, and a new source is refused while the table is full.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "controlplane/relay/clock.h"
#include "dataplane/wire/addr.h"

namespace wayport::relay {

struct RateLimit {
	double per_second = 10;  // refill rate
	double burst = 20;       // bucket size
	size_t max_sources = 65536;
};

class RateLimiter {
public:
	explicit RateLimiter(const RateLimit &limit) : limit_(limit) {}

	// Takes one token for the source's IP (the port is ignored: it is free
	// for a client to change). False when the bucket is empty.
	bool allow(const AddrPort &src, Time now);
	size_t sources() const { return buckets_.size(); }

private:
	struct Bucket {
		double tokens;
		Time updated;
	};
	struct IpHash {
		size_t operator()(const AddrPort &a) const;
	};

	double refill(const Bucket &b, Time now) const;
	void prune(Time now);

	RateLimit limit_;
	std::unordered_map<AddrPort, Bucket, IpHash> buckets_;
	Time pruned_at_ = 0;
	bool pruned_ = false;
};

} // namespace wayport::relay
