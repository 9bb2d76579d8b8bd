// Go's time.Duration: signed 64-bit nanoseconds, and its two text forms.
// Operators write lifetimes as Go durations ("30s", "5m", "1.5h") and
// Tailscale's JSON carries them as Duration.String() ("30s", "5m0s").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace wayport {

using Duration = int64_t;

inline constexpr Duration kNanosecond = 1;
inline constexpr Duration kMicrosecond = 1000 * kNanosecond;
inline constexpr Duration kMillisecond = 1000 * kMicrosecond;
inline constexpr Duration kSecond = 1000 * kMillisecond;
inline constexpr Duration kMinute = 60 * kSecond;
inline constexpr Duration kHour = 60 * kMinute;

enum class DurationError : uint8_t {
	ok,
	syntax,    // not [+-]?(number unit)+, nor "0"
	negative,  // "-1s": valid Go, refused here ("-0s" is zero and allowed)
	overflow,  // more than INT64_MAX nanoseconds (about 292 years)
};

// time.ParseDuration, minus negative values: no lifetime or timeout can be
// negative. Sets out only when the result is DurationError::ok.
DurationError parse_go_duration(std::string_view text, Duration &out);

// time.Duration.String, byte for byte.
std::string go_duration_string(Duration d);

} // namespace wayport
