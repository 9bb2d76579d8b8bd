// TAI64N timestamps, the initiation's replay guard (whitepaper §5.1): 8
// bytes big-endian of 2^62 + seconds, then 4 bytes big-endian nanoseconds.
// The clock is injected so tests and the handshake threads choose it.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>

namespace wayport::wireguard {

inline constexpr size_t kTai64nLen = 12;

// Wall-clock time since the Unix epoch.
struct WallTime {
	int64_t seconds = 0;
	uint32_t nanoseconds = 0;
};

using WallClock = std::function<WallTime()>;

// The system's realtime clock.
WallTime system_wall_time();

struct Tai64n {
	std::array<uint8_t, kTai64nLen> bytes{};

	// Nanoseconds are rounded down to a multiple of 2^24 (about 16.8 ms),
	// as the kernel does, so a timestamp reveals no more about the sender's
	// clock than the 50-per-second initiation limit already does.
	static Tai64n from(WallTime t);

	// Big-endian, so byte order is time order: a responder accepts an
	// initiation only with a timestamp greater than the last it accepted.
	auto operator<=>(const Tai64n &) const = default;
};

} // namespace wayport::wireguard
