// The relay table's entries, read the way workers read them, including
// while the control thread rewrites them from another thread.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "dataplane/tables/relay_table.h"

namespace wayport {
namespace {

// An entry whose every field says which version it is, so a reader can
// tell a torn copy from a whole one.
RelayEntry version(uint32_t vni, uint16_t v)
{
	RelayEntry e;
	e.vni = vni;
	uint8_t ip4[4] = {10, 0, static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
	uint8_t ip6[16] = {0x20, 0x01, 0x0d, 0xb8};
	ip6[14] = static_cast<uint8_t>(v >> 8);
	ip6[15] = static_cast<uint8_t>(v);
	e.leg[0] = AddrPort::v4(ip4, v);
	e.leg[1] = AddrPort::v6(ip6, v);
	e.egress[0] = {v, v};
	e.egress[1] = {v, uint32_t{v} << 8};
	e.bound = v % 4;
	return e;
}

bool whole(const RelayEntry &e, uint32_t vni)
{
	uint16_t v = e.leg[0].port;
	RelayEntry want = version(vni, v);
	return e.vni == vni && e.bound == want.bound && e.leg[0] == want.leg[0] && e.leg[1] == want.leg[1] &&
	       e.egress[0].port == v && e.egress[0].neighbour == v && e.egress[1].port == v &&
	       e.egress[1].neighbour == want.egress[1].neighbour;
}

class RelayTableTest : public testing::Test {
protected:
	Qsbr qsbr_{1};
	RelayTable table_{qsbr_, 2};
};

TEST_F(RelayTableTest, ReadsWhatWasPublished)
{
	RelayEntry out;
	EXPECT_EQ(table_.read(5, out), EntryRead::missing);
	table_.publish(version(5, 7));
	ASSERT_EQ(table_.read(5, out), EntryRead::found);
	EXPECT_TRUE(whole(out, 5));
	EXPECT_EQ(out.leg[0].port, 7);
	// A neighbour on the same page has no entry.
	EXPECT_EQ(table_.read(6, out), EntryRead::missing);
	// The VNI is 24 bits: higher bits do not name another entry.
	ASSERT_EQ(table_.read(5 | 0xff000000u, out), EntryRead::found);
	EXPECT_EQ(out.vni, 5u);

	table_.publish(version(5, 8));
	ASSERT_TRUE(table_.lookup(5));
	EXPECT_EQ(table_.lookup(5)->leg[1].port, 8);
	EXPECT_EQ(table_.size(), 1u);
	table_.erase(5);
	EXPECT_EQ(table_.read(5, out), EntryRead::missing);
	EXPECT_EQ(table_.size(), 0u);
	table_.erase(5);  // erasing nothing is harmless
	EXPECT_EQ(table_.size(), 0u);
}

TEST_F(RelayTableTest, PageEdgesAndTheLastVni)
{
	constexpr uint32_t kPage = RadixArray<EndpointActivity>::kPageSize;
	const uint32_t vnis[] = {kPage - 1, kPage, 2 * kPage - 1, 0xffffff};
	for (uint32_t vni : vnis)
		ASSERT_TRUE(table_.publish(version(vni, static_cast<uint16_t>(vni))));
	RelayEntry out;
	for (uint32_t vni : vnis) {
		ASSERT_EQ(table_.read(vni, out), EntryRead::found) << vni;
		EXPECT_TRUE(whole(out, vni)) << vni;
		EXPECT_NE(table_.activity(1, vni), nullptr) << vni;
	}
	EXPECT_EQ(table_.read(kPage + 1, out), EntryRead::missing);
	// Emptying the first page leaves the second's entries alone.
	table_.erase(kPage - 1);
	EXPECT_EQ(table_.read(kPage - 1, out), EntryRead::missing);
	EXPECT_EQ(table_.activity(0, kPage - 1), nullptr);
	ASSERT_EQ(table_.read(kPage, out), EntryRead::found);
	EXPECT_TRUE(whole(out, kPage));
	// Republished before the grace period: a fresh page, found at once.
	ASSERT_TRUE(table_.publish(version(kPage - 1, 9)));
	ASSERT_EQ(table_.read(kPage - 1, out), EntryRead::found);
	EXPECT_EQ(out.leg[0].port, 9);
	EXPECT_EQ(table_.size(), 4u);
}

TEST_F(RelayTableTest, EveryEntryHasOneActivityLinePerWorker)
{
	table_.publish(version(70000, 1));
	EndpointActivity *a0 = table_.activity(0, 70000), *a1 = table_.activity(1, 70000);
	ASSERT_NE(a0, nullptr);
	ASSERT_NE(a1, nullptr);
	EXPECT_NE(a0, a1);
	EXPECT_EQ(reinterpret_cast<uintptr_t>(a0) % 64, 0u);
	EXPECT_EQ(table_.activity(0, 1), nullptr);  // a page with no entries
}

TEST_F(RelayTableTest, PagesAreHugePageSizedAndFollowLiveEntries)
{
	// One entry page and one activity page per worker.
	table_.publish(version(1, 1));
	EXPECT_EQ(table_.memory_bytes(), 3 * RadixArray<EndpointActivity>::kPageBytes);
	// Another page's worth of VNIs away: three more pages.
	table_.publish(version(1 + RadixArray<EndpointActivity>::kPageSize, 1));
	EXPECT_EQ(table_.memory_bytes(), 6 * RadixArray<EndpointActivity>::kPageBytes);
	table_.erase(1);
	EXPECT_EQ(table_.memory_bytes(), 3 * RadixArray<EndpointActivity>::kPageBytes);
	EXPECT_EQ(table_.retired(), 3u);
}

// A reader thread copies entries while the writer rewrites them as fast
// as it can: every copy it keeps must be one whole version.
TEST_F(RelayTableTest, ReadersNeverSeeATornEntry)
{
	constexpr uint32_t kVnis = 8;
	for (uint32_t vni = 1; vni <= kVnis; vni++)
		table_.publish(version(vni, 1));
	std::atomic<bool> stop{false};
	std::atomic<uint64_t> reads{0}, torn{0}, busy{0}, missing{0};
	std::thread reader([&] {
		RelayEntry e;
		for (uint64_t n = 0; !stop.load(std::memory_order_relaxed); n++) {
			uint32_t vni = 1 + n % kVnis;
			switch (table_.read(vni, e)) {
			case EntryRead::found:
				if (!whole(e, vni))
					torn++;
				break;
			case EntryRead::busy:
				busy++;
				break;
			case EntryRead::missing:
				missing++;
				break;
			}
			reads.store(n + 1, std::memory_order_relaxed);
		}
	});
	// Both sides run a while at once: at least a million rounds each,
	// however the two threads get scheduled, within a few seconds.
	auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
	uint32_t round = 0;
	while ((round < 1000000 || reads.load() < 1000000) && std::chrono::steady_clock::now() < deadline)
		for (int i = 0; i < 1000; i++, round++)
			table_.publish(version(1 + round % kVnis, static_cast<uint16_t>(round)));
	stop = true;
	reader.join();
	EXPECT_EQ(torn.load(), 0u);
	EXPECT_EQ(missing.load(), 0u);
	EXPECT_GT(reads.load(), 0u);
	// Busy is possible (the writer caught mid-rewrite every try) but rare.
	EXPECT_LT(busy.load(), reads.load() / 10 + 1);
}

} // namespace
} // namespace wayport
