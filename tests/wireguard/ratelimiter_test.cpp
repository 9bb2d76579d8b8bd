// The handshake token bucket on virtual time: the Linux kernel's selftest
// (selftest/ratelimiter.c) as a table, then what the kernel's test leaves
// implicit: how sources are keyed, gc, a full table, the steady rate.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "controlplane/wireguard/ratelimiter.h"
#include "dataplane/wire/bytes.h"

namespace wayport::wireguard {
namespace {

using namespace std::chrono_literals;

const Clock::time_point kT0 = Clock::time_point{} + 1000s;

AddrPort v4(uint32_t addr, uint16_t port = 51820)
{
	uint8_t b[4];
	store_be32(b, addr);
	return AddrPort::v4(b, port);
}

// The kernel's test address words: four big-endian 32-bit words.
AddrPort v6(uint32_t w0, uint32_t w1, uint32_t w2, uint32_t w3, uint16_t port = 51820)
{
	uint8_t b[16];
	store_be32(b, w0);
	store_be32(b + 4, w1);
	store_be32(b + 8, w2);
	store_be32(b + 12, w3);
	return AddrPort::v6(b, port);
}

// The kernel's expected_results: sleep this long, then send; allowed?
struct Step {
	std::chrono::milliseconds sleep_before;
	bool allowed;
};

constexpr auto kCostMs = 1000ms / Ratelimiter::kPacketsPerSecond;

constexpr Step kKernelTimings[] = {
	{0ms, true}, {0ms, true}, {0ms, true}, {0ms, true}, {0ms, true},  // the burst
	{0ms, false},
	{kCostMs, true},
	{0ms, false},
	{kCostMs * 2, true},
	{0ms, true},
	{0ms, false},
};

static_assert(Ratelimiter::kPacketsBurstable == 5);
static_assert(Ratelimiter::kPacketCost == 50ms);
static_assert(Ratelimiter::kTokenMax == 250ms);

// timings_test: each step is checked for a v4 source and a v6 source whose
// low 64 bits change every step (same /64), and each step also sends from
// a fresh v4 address and a fresh /64, which are always allowed. Virtual
// time needs none of the kernel's slack.
TEST(WireGuardRatelimiter, KernelTimings)
{
	Ratelimiter r;
	const uint32_t base4 = 8182;
	const uint32_t w0 = 1212, w1 = 289188;
	Clock::time_point now = kT0;
	for (uint32_t i = 0; i < std::size(kKernelTimings); ++i) {
		SCOPED_TRACE(testing::Message() << "step " << i);
		now += kKernelTimings[i].sleep_before;
		EXPECT_EQ(r.allow(v4(base4), now), kKernelTimings[i].allowed);
		EXPECT_TRUE(r.allow(v4(base4 + i + 1), now));
		EXPECT_EQ(r.allow(v6(w0, w1, i, i), now), kKernelTimings[i].allowed);
		EXPECT_TRUE(r.allow(v6(w0 + i + 1, w1, i, i), now));
	}
}

// capacity_test: with the default (the kernel's) max entries, every new
// source is allowed until the table holds max entries, then the next is not.
TEST(WireGuardRatelimiter, KernelCapacity)
{
	Ratelimiter r;
	EXPECT_EQ(r.size(), 0u);
	const size_t max = Ratelimiter::kDefaultMaxEntries;
	EXPECT_EQ(max, 65536u);
	for (uint32_t i = 0; i <= max; ++i)
		ASSERT_EQ(r.allow(v4(i), kT0), i != max) << i;
	EXPECT_EQ(r.size(), max);
}

TEST(WireGuardRatelimiter, V6SourcesInOneSlash64ShareABucket)
{
	Ratelimiter r;
	for (uint32_t i = 0; i < 5; ++i)
		EXPECT_TRUE(r.allow(v6(0x20010db8, 1, i, i * 7, static_cast<uint16_t>(1000 + i)), kT0));
	EXPECT_FALSE(r.allow(v6(0x20010db8, 1, 0xffffffff, 0xffffffff), kT0));
	// One bit above the /64 is another source.
	EXPECT_TRUE(r.allow(v6(0x20010db8, 2, 0, 0), kT0));
	EXPECT_TRUE(r.allow(v6(0x20010db8, 0x80000001, 0, 0), kT0));
	EXPECT_EQ(r.size(), 3u);
}

TEST(WireGuardRatelimiter, V4SourceIsTheWholeAddressNotThePort)
{
	Ratelimiter r;
	for (uint16_t port = 1; port <= 5; ++port)
		EXPECT_TRUE(r.allow(v4(0xc0000201, port), kT0));
	EXPECT_FALSE(r.allow(v4(0xc0000201, 6), kT0));
	EXPECT_TRUE(r.allow(v4(0xc0000202), kT0));
	EXPECT_EQ(r.size(), 2u);
}

TEST(WireGuardRatelimiter, V4AndV6AreSeparate)
{
	Ratelimiter r;
	const uint8_t a4[4] = {192, 0, 2, 1};
	for (int i = 0; i < 5; ++i)
		EXPECT_TRUE(r.allow(AddrPort::v4(a4, 1), kT0));
	EXPECT_FALSE(r.allow(AddrPort::v4(a4, 1), kT0));
	// A v6 /64 whose first bytes are the v4 address, and the v4-mapped
	// address itself held as v6: both other sources.
	const uint8_t same_bytes[16] = {192, 0, 2, 1};
	EXPECT_TRUE(r.allow(AddrPort::v6(same_bytes, 1), kT0));
	uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1};
	EXPECT_TRUE(r.allow(AddrPort::v6(mapped, 1), kT0));
	EXPECT_EQ(r.size(), 3u);
}

TEST(WireGuardRatelimiter, GcRemovesEntriesIdleMoreThanOneSecond)
{
	Ratelimiter r;
	for (uint32_t i = 1; i <= 3; ++i)
		EXPECT_TRUE(r.allow(v4(i), kT0));
	EXPECT_TRUE(r.allow(v4(4), kT0 + 600ms));
	// Using a source keeps it: source 1 was last seen at +700 ms.
	EXPECT_TRUE(r.allow(v4(1), kT0 + 700ms));
	r.gc(kT0 + 1s);
	EXPECT_EQ(r.size(), 4u);  // idle exactly 1 s is not idle more than 1 s
	r.gc(kT0 + 1s + 1ns);
	EXPECT_EQ(r.size(), 2u);
	r.gc(kT0 + 1600ms + 1ns);
	EXPECT_EQ(r.size(), 1u);
	r.gc(kT0 + 1700ms + 1ns);
	EXPECT_EQ(r.size(), 0u);
}

// No gc thread: allow() sweeps as it goes, at most once a second.
TEST(WireGuardRatelimiter, AllowSweepsAtMostOnceASecond)
{
	Ratelimiter r;
	EXPECT_TRUE(r.allow(v4(1), kT0));           // sweeps (nothing); next at +1 s
	EXPECT_TRUE(r.allow(v4(2), kT0 + 500ms));
	EXPECT_TRUE(r.allow(v4(3), kT0 + 1200ms));  // sweeps: 1 goes; next at +2.2 s
	EXPECT_EQ(r.size(), 2u);
	EXPECT_TRUE(r.allow(v4(4), kT0 + 1600ms));  // 2 is idle 1.1 s, but no sweep yet
	EXPECT_EQ(r.size(), 3u);
	EXPECT_TRUE(r.allow(v4(4), kT0 + 2200ms));  // sweeps: 2 goes, 3 (idle 1 s) stays
	EXPECT_EQ(r.size(), 2u);
}

TEST(WireGuardRatelimiter, FullTableDeniesNewSourcesButServesHeldOnes)
{
	Ratelimiter r(3);
	for (uint32_t i = 1; i <= 3; ++i)
		EXPECT_TRUE(r.allow(v4(i), kT0));
	EXPECT_FALSE(r.allow(v4(4), kT0));
	EXPECT_FALSE(r.allow(v6(0x20010db8, 0, 0, 1), kT0));
	EXPECT_EQ(r.size(), 3u);
	// Held sources keep their whole burst.
	for (int i = 0; i < 4; ++i)
		EXPECT_TRUE(r.allow(v4(2), kT0));
	EXPECT_FALSE(r.allow(v4(2), kT0));
	// Still full while they are in use; room once they are idle and swept.
	EXPECT_FALSE(r.allow(v4(4), kT0 + 500ms));
	r.gc(kT0 + 1100ms);
	EXPECT_EQ(r.size(), 0u);
	EXPECT_TRUE(r.allow(v4(4), kT0 + 1100ms));
}

TEST(WireGuardRatelimiter, BurstOfFiveThenOnePerFiftyMilliseconds)
{
	Ratelimiter r;
	const AddrPort s = v4(0x0a000001);
	for (int i = 0; i < 5; ++i)
		EXPECT_TRUE(r.allow(s, kT0)) << i;
	EXPECT_FALSE(r.allow(s, kT0));
	Clock::time_point now = kT0;
	for (int i = 0; i < 40; ++i) {
		SCOPED_TRACE(i);
		EXPECT_FALSE(r.allow(s, now + 49ms));  // 49 ms earns less than one packet...
		now += 50ms;                            // ...which is not lost: 50 ms after the last
		EXPECT_TRUE(r.allow(s, now));
		EXPECT_FALSE(r.allow(s, now));
	}
	// Idle credit is capped at the burst.
	now += 10s;
	for (int i = 0; i < 5; ++i)
		EXPECT_TRUE(r.allow(s, now)) << i;
	EXPECT_FALSE(r.allow(s, now));
}

// A `now` older than the entry's (threads reading the clock in one order
// and locking in the other) earns nothing and costs nothing extra later.
TEST(WireGuardRatelimiter, EarlierNowEarnsNothing)
{
	Ratelimiter r;
	const AddrPort s = v4(0x0a000002);
	for (int i = 0; i < 5; ++i)
		EXPECT_TRUE(r.allow(s, kT0 + 100ms));
	EXPECT_FALSE(r.allow(s, kT0 + 99ms));
	EXPECT_FALSE(r.allow(s, kT0));
	EXPECT_TRUE(r.allow(s, kT0 + 150ms));
	EXPECT_FALSE(r.allow(s, kT0 + 150ms));
}

// The handshake threads share one Ratelimiter: a source gets its burst
// once, however many threads ask at the same instant.
TEST(WireGuardRatelimiter, ThreadsShareOneBucketPerSource)
{
	Ratelimiter r;
	std::atomic<int> allowed{0};
	std::vector<std::thread> threads;
	for (int t = 0; t < 4; ++t)
		threads.emplace_back([&] {
			for (int i = 0; i < 200; ++i)
				if (r.allow(v4(static_cast<uint32_t>(0x0a000100 + i % 10)), kT0))
					++allowed;
		});
	for (auto &t : threads)
		t.join();
	EXPECT_EQ(allowed.load(), 10 * Ratelimiter::kPacketsBurstable);
	EXPECT_EQ(r.size(), 10u);
}

} // namespace
} // namespace wayport::wireguard
