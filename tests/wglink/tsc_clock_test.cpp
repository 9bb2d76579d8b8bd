// TSC <-> Clock: exact at whole ticks, no overflow at real rates and long
// uptimes, saturated at the ends.
#include <gtest/gtest.h>

#include "controlplane/wglink/tsc_clock.h"

namespace wayport::wireguard {
namespace {

using namespace std::chrono_literals;

const Clock::time_point kEpoch = Clock::time_point(100h);

TEST(TscClock, ConvertsBothWays)
{
	const TscClock c(2'500'000'000, 1'000'000, kEpoch);
	EXPECT_EQ(c.to_tsc(kEpoch), 1'000'000u);
	EXPECT_EQ(c.to_tsc(kEpoch + 1s), 2'501'000'000u);
	EXPECT_EQ(c.to_tsc(kEpoch + 180s), uint64_t{1'000'000} + 180 * uint64_t{2'500'000'000});
	EXPECT_EQ(c.to_tsc(kEpoch + 4ns), 1'000'010u);
	EXPECT_EQ(c.to_tsc(kEpoch - 400us), 0u);
	EXPECT_EQ(c.to_clock(2'501'000'000), kEpoch + 1s);
	EXPECT_EQ(c.to_clock(1'000'000 - 2'500), kEpoch - 1us);
	EXPECT_EQ(c.to_clock(c.to_tsc(kEpoch + 123456789ns)), kEpoch + 123456788ns) << "to the tick below";
}

TEST(TscClock, TenYearsAtFourGigahertzDoNotOverflow)
{
	const TscClock c(4'000'000'000, 0, kEpoch);
	const auto ten_years = std::chrono::hours(24 * 3653);
	const uint64_t t = c.to_tsc(kEpoch + ten_years);
	EXPECT_EQ(t, uint64_t(24 * 3653) * 3600 * 4'000'000'000);
	EXPECT_EQ(c.to_clock(t), kEpoch + ten_years);
}

TEST(TscClock, SaturatesAtTheTop)
{
	const TscClock c(4'000'000'000, UINT64_MAX - 10, kEpoch);
	EXPECT_EQ(c.to_tsc(kEpoch + 1s), UINT64_MAX);
}

} // namespace
} // namespace wayport::wireguard
