#include "controlplane/wglink/tsc_clock.h"

#include <limits>

namespace wayport::wireguard {

namespace {

constexpr uint64_t kNsPerSecond = 1'000'000'000;

uint64_t since(Clock::time_point later, Clock::time_point earlier)
{
	return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(later - earlier).count());
}

} // namespace

uint64_t TscClock::ticks(uint64_t ns) const
{
	// The remainder is below 1e9 and hz below 18 GHz: the product fits.
	return ns / kNsPerSecond * hz_ + ns % kNsPerSecond * hz_ / kNsPerSecond;
}

uint64_t TscClock::nanoseconds(uint64_t t) const
{
	return t / hz_ * kNsPerSecond + t % hz_ * kNsPerSecond / hz_;
}

uint64_t TscClock::to_tsc(Clock::time_point t) const
{
	constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
	if (t >= clock_) {
		const uint64_t d = ticks(since(t, clock_));
		return d > kMax - tsc_ ? kMax : tsc_ + d;
	}
	const uint64_t d = ticks(since(clock_, t));
	return d > tsc_ ? 0 : tsc_ - d;
}

Clock::time_point TscClock::to_clock(uint64_t tsc) const
{
	using std::chrono::nanoseconds;
	if (tsc >= tsc_)
		return clock_ + std::chrono::duration_cast<Clock::duration>(
					nanoseconds(static_cast<int64_t>(this->nanoseconds(tsc - tsc_))));
	return clock_ - std::chrono::duration_cast<Clock::duration>(
				nanoseconds(static_cast<int64_t>(this->nanoseconds(tsc_ - tsc))));
}

} // namespace wayport::wireguard
