// The shared external ports: preserved when free, else of the same class
// and parity from a drawn place, never one already held, owners recorded
// for the inbound hand-off, exhaustion and return, and several workers
// taking at once without a port given twice.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <thread>
#include <vector>

#include "dataplane/nat/port_pool.h"

namespace wayport::nat {
namespace {

TEST(PortPool, TheInsidePortIsKeptWhenFreeAndInTheRange)
{
	PortPool pool(1024, 65535, true);
	EXPECT_EQ(pool.take(40000, 0, 1), 40000);
	EXPECT_EQ(pool.owner(40000), 0);
	EXPECT_EQ(pool.owner(40001), PortPool::kNoOwner);
	EXPECT_EQ(pool.in_use(), 1u);
	EXPECT_EQ(pool.size(), 64512u);
}

TEST(PortPool, ATakenPortGivesAnotherOfTheSameParityAndClass)
{
	PortPool pool(1, 65535, true);
	struct Case {
		uint16_t wanted;
		bool low_class;
	};
	const Case cases[] = {{5000, false}, {5001, false}, {500, true}, {501, true}, {1024, false}, {1023, true}};
	for (const Case &c : cases) {
		ASSERT_EQ(pool.take(c.wanted, 0, 7), c.wanted);
		for (uint32_t seed : {1u, 99u, 123456789u}) {
			auto p = pool.take(c.wanted, 1, seed);
			ASSERT_TRUE(p);
			EXPECT_NE(*p, c.wanted);
			EXPECT_EQ(*p % 2, c.wanted % 2) << "parity of " << c.wanted << " (REQ-4)";
			EXPECT_EQ(*p < 1024, c.low_class) << "class of " << c.wanted << " (REQ-3a)";
			EXPECT_EQ(pool.owner(*p), 1);
		}
	}
}

TEST(PortPool, AClassOutsideTheRangeMapsIntoTheRange)
{
	PortPool pool(1024, 65535, true);
	auto p = pool.take(500, 0, 3);
	ASSERT_TRUE(p);
	EXPECT_GE(*p, 1024);
	EXPECT_EQ(*p % 2, 0);
}

TEST(PortPool, IcmpIdentifiersHaveNoClass)
{
	PortPool pool(0, 65535, false);
	ASSERT_EQ(pool.take(7, 0, 1), 7);
	bool some_high = false;
	for (uint32_t seed = 1; seed < 50; seed++) {
		auto p = pool.take(7, 0, seed * 2654435761u);
		ASSERT_TRUE(p);
		some_high |= *p >= 1024;
	}
	EXPECT_TRUE(some_high);
}

TEST(PortPool, WhenAParityRunsOutTheOtherIsUsedThenNothing)
{
	PortPool pool(2000, 2003, true);
	EXPECT_EQ(pool.take(2000, 0, 1), 2000);
	EXPECT_EQ(pool.take(2000, 0, 1), 2002);
	auto odd = pool.take(2000, 0, 1);
	ASSERT_TRUE(odd);
	EXPECT_EQ(*odd % 2, 1) << "the even ports are gone";
	EXPECT_TRUE(pool.take(2000, 0, 1));
	EXPECT_EQ(pool.take(2000, 0, 1), std::nullopt);
	EXPECT_EQ(pool.take(1, 0, 1), std::nullopt);
	EXPECT_EQ(pool.in_use(), 4u);

	pool.give_back(2002);
	EXPECT_EQ(pool.owner(2002), PortPool::kNoOwner);
	EXPECT_EQ(pool.take(3000, 1, 9), 2002);
	EXPECT_EQ(pool.owner(2002), 1);
}

TEST(PortPool, PortsOutsideTheRangeAreNeverGiven)
{
	PortPool pool(60000, 60063, true);
	std::set<uint16_t> got;
	for (int i = 0; i < 64; i++) {
		auto p = pool.take(static_cast<uint16_t>(100 + i), 0, static_cast<uint32_t>(i * 7919));
		ASSERT_TRUE(p) << i;
		EXPECT_GE(*p, 60000);
		EXPECT_LE(*p, 60063);
		got.insert(*p);
	}
	EXPECT_EQ(got.size(), 64u) << "no port given twice (REQ-3)";
	EXPECT_EQ(pool.take(60000, 0, 1), std::nullopt);
}

// The node's own listeners on the SNAT address (WireGuard, the relay):
// a client whose source port is one of them is mapped elsewhere, or its
// answers would reach the listener.
TEST(PortPool, AReservedPortIsNeverGivenNorOwned)
{
	PortPool pool(60000, 60063, true);
	pool.reserve(60010);
	pool.reserve(60010);
	pool.reserve(51820);  // outside the range: nothing to do
	EXPECT_EQ(pool.in_use(), 1u);
	EXPECT_NE(pool.take(60010, 0, 1), 60010);
	std::set<uint16_t> got;
	while (auto p = pool.take(60010, 0, static_cast<uint32_t>(got.size() * 7919)))
		got.insert(*p);
	EXPECT_EQ(got.size() + 1, 63u) << "every other port of the range, the first take's included";
	EXPECT_FALSE(got.contains(60010));
	EXPECT_EQ(pool.owner(60010), PortPool::kNoOwner) << "nat_in keeps its packets: no worker holds it";
}

TEST(PortPool, RemappedPortsAreNotSequential)
{
	PortPool pool(1024, 65535, true);
	ASSERT_EQ(pool.take(5000, 0, 1), 5000);
	uint32_t seed = 0x12345678;
	std::vector<int> ports;
	for (int i = 0; i < 200; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 17;
		seed ^= seed << 5;
		ports.push_back(*pool.take(5000, 0, seed));
	}
	std::set<int> deltas;
	for (size_t i = 1; i < ports.size(); i++)
		deltas.insert(ports[i] - ports[i - 1]);
	EXPECT_GT(deltas.size(), 150u) << "RFC 6056: no fixed step an attacker could follow";
	auto [lo, hi] = std::minmax_element(ports.begin(), ports.end());
	EXPECT_GT(*hi - *lo, 30000) << "spread over the range";
}

TEST(PortPool, WorkersTakingAtOnceNeverShareAPort)
{
	PortPool pool(10000, 14095, true);  // 4096 ports
	constexpr int kWorkers = 4;
	std::vector<std::vector<uint16_t>> got(kWorkers);
	std::vector<std::thread> threads;
	for (int w = 0; w < kWorkers; w++)
		threads.emplace_back([&, w] {
			uint32_t seed = 0x9e3779b9u * (w + 1);
			for (;;) {
				seed ^= seed << 13;
				seed ^= seed >> 17;
				seed ^= seed << 5;
				auto p = pool.take(12000, static_cast<uint8_t>(w), seed);
				if (!p)
					return;
				got[w].push_back(*p);
			}
		});
	for (auto &t : threads)
		t.join();
	std::set<uint16_t> all;
	size_t total = 0;
	for (int w = 0; w < kWorkers; w++) {
		total += got[w].size();
		for (uint16_t p : got[w]) {
			all.insert(p);
			EXPECT_EQ(pool.owner(p), w);
		}
	}
	EXPECT_EQ(total, 4096u);
	EXPECT_EQ(all.size(), 4096u);
	EXPECT_EQ(pool.in_use(), 4096u);
}

} // namespace
} // namespace wayport::nat
