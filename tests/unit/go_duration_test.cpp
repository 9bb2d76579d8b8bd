// Go duration text both ways: what operators write in the config, and what
// Tailscale's JSON carries.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "controlplane/common/go_duration.h"

namespace wayport {
namespace {

TEST(GoDuration, ParsesWhatGoParses)
{
	struct Case {
		const char *text;
		Duration want;
	} cases[] = {
		{"0", 0},
		{"+0", 0},
		{"-0", 0},
		{"0s", 0},
		{"-0s", 0},
		{"30s", 30 * kSecond},
		{"+30s", 30 * kSecond},
		{"5m", 5 * kMinute},
		{"1.5s", 1500 * kMillisecond},
		{"1.5h", 90 * kMinute},
		{"2h45m", 2 * kHour + 45 * kMinute},
		{"1h2m3s4ms5us6ns", kHour + 2 * kMinute + 3 * kSecond + 4 * kMillisecond +
					    5 * kMicrosecond + 6},
		{"500ms", 500 * kMillisecond},
		{"1\xc2\xb5s", kMicrosecond},  // U+00B5 MICRO SIGN
		{"1\xce\xbcs", kMicrosecond},  // U+03BC GREEK SMALL LETTER MU
		{"1us", kMicrosecond},
		{"7ns", 7},
		{".5s", 500 * kMillisecond},
		{"1.s", kSecond},
		{"1.0000000001s", kSecond},  // below a nanosecond: dropped, as Go
		{"0.25h", 15 * kMinute},
		{"9223372036854775807ns", INT64_MAX},
		{"9223372036.854775807s", INT64_MAX},
		{"2562047h47m16.854775807s", INT64_MAX},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(c.text);
		Duration d = -1;
		auto err = parse_go_duration(c.text, d);
		EXPECT_EQ(err, DurationError::ok);
		EXPECT_EQ(d, c.want);
	}
}

TEST(GoDuration, RefusesSyntaxNegativeAndOverflow)
{
	struct Case {
		const char *text;
		DurationError want;
	} cases[] = {
		{"", DurationError::syntax},
		{"5", DurationError::syntax},  // a unit is required except for 0
		{"00", DurationError::syntax},
		{"s", DurationError::syntax},
		{".s", DurationError::syntax},
		{"1x", DurationError::syntax},
		{"1S", DurationError::syntax},
		{"1 s", DurationError::syntax},
		{" 1s", DurationError::syntax},
		{"1s ", DurationError::syntax},
		{"30 seconds", DurationError::syntax},
		{"1d", DurationError::syntax},
		{"1h-5m", DurationError::syntax},
		{"-", DurationError::syntax},
		{"+", DurationError::syntax},
		{"--1s", DurationError::syntax},
		{"1e3s", DurationError::syntax},
		{"-1s", DurationError::negative},
		{"-1.5h", DurationError::negative},
		{"9999999999h", DurationError::overflow},
		{"9223372036854775808ns", DurationError::overflow},
		{"2562047h47m16.854775808s", DurationError::overflow},
		{"2562048h", DurationError::overflow},
		{"99999999999999999999s", DurationError::overflow},
		{"5000000h5000000h", DurationError::overflow},
		{"100000000000000000000000000000000000000.0s", DurationError::overflow},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(c.text);
		Duration d = 42;
		EXPECT_EQ(parse_go_duration(c.text, d), c.want);
		EXPECT_EQ(d, 42);  // untouched on error
	}
}

TEST(GoDuration, EmbeddedNulIsNotTheEnd)
{
	Duration d = 0;
	EXPECT_EQ(parse_go_duration(std::string_view("1s\0s", 4), d), DurationError::syntax);
}

// Expectations from Go's time.Duration.String and its tests.
TEST(GoDuration, MatchesGo)
{
	struct {
		Duration d;
		const char *want;
	} cases[] = {
		{0, "0s"},
		{1, "1ns"},
		{999, "999ns"},
		{1100, "1.1\xc2\xb5s"},
		{2200 * kMicrosecond, "2.2ms"},
		{500 * kMillisecond, "500ms"},
		{1500 * kMillisecond, "1.5s"},
		{kSecond, "1s"},
		{30 * kSecond, "30s"},
		{kMinute, "1m0s"},
		{90 * kSecond, "1m30s"},
		{5 * kMinute, "5m0s"},
		{4 * kMinute + 5 * kSecond, "4m5s"},
		{4 * kMinute + 5001 * kMillisecond, "4m5.001s"},
		{5 * kHour + 6 * kMinute + 7001 * kMillisecond, "5h6m7.001s"},
		{8 * kMinute + 1, "8m0.000000001s"},
		{kHour, "1h0m0s"},
		{-kSecond, "-1s"},
		{-1, "-1ns"},
		{std::numeric_limits<int64_t>::max(), "2562047h47m16.854775807s"},
		{std::numeric_limits<int64_t>::min(), "-2562047h47m16.854775808s"},
	};
	for (const auto &c : cases)
		EXPECT_EQ(go_duration_string(c.d), c.want) << c.d;
}

} // namespace
} // namespace wayport
