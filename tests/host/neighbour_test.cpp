// Neighbour table lifecycle on virtual time: probing, failure, held
// packets, refresh and expiry.
#include <gtest/gtest.h>

#include "controlplane/host/neighbour_table.h"
#include "tests/dpdk/packet_builder.h"
#include "tests/host/recording_io.h"

namespace wayport {
namespace {

using test::RecordingIo;

constexpr int64_t kSecond = 1'000'000'000;

AddrPort ip(const char *s)
{
	return *AddrPort::parse(std::string(s) + ":0");
}

class NeighbourTest : public testing::Test {
protected:
	NeighbourTest() : slots_(4)
	{
		Port p;
		p.mac = {{0x02, 0, 0, 0, 0, 1}};
		p.ipv4 = ip("10.0.0.1");
		p.ipv4_prefix = 24;
		ports_.push_back(p);
		cfg_.reachable_ns = 60 * kSecond;
		cfg_.queue_limit = 2;
		table_ = std::make_unique<NeighbourTable>(slots_, ports_, io_, cfg_);
	}

	rte_mbuf *packet() { return test::build_raw(test::test_pool(), Bytes(60, 7)); }

	RecordingIo io_;
	NeighbourSlots slots_;
	std::vector<Port> ports_;
	NeighbourConfig cfg_;
	std::unique_ptr<NeighbourTable> table_;
	rte_ether_addr mac_ = {{0x02, 0, 0, 0, 0, 0x33}};
};

TEST_F(NeighbourTest, ProbesThenFailsAndDropsHeldPackets)
{
	uint32_t slot = *table_->slot_for(0, ip("10.0.0.3"), 0);
	table_->hold(slot, packet());
	table_->hold(slot, packet());
	table_->hold(slot, packet());  // over the limit of 2
	EXPECT_EQ(table_->counters().queue_drops, 1u);
	EXPECT_EQ(table_->counters().queued, 2u);
	for (int64_t t = 0; t <= 3 * kSecond; t += kSecond / 2)
		table_->tick(t);
	EXPECT_EQ(table_->counters().probes_sent, 3u);
	EXPECT_EQ(table_->find(0, ip("10.0.0.3"))->state, NeighbourTable::State::failed);
	EXPECT_EQ(table_->counters().failed, 1u);
	EXPECT_EQ(table_->counters().queue_drops, 3u);
	// A late answer still resolves it.
	table_->learn(0, ip("10.0.0.3"), mac_, 4 * kSecond);
	uint8_t mac[6];
	EXPECT_TRUE(slots_.get(slot, mac));
}

TEST_F(NeighbourTest, ReachableEntriesAreReprobedAndFailWhenSilent)
{
	uint32_t slot = *table_->slot_for(0, ip("10.0.0.3"), 0);
	table_->retain(slot);
	table_->learn(0, ip("10.0.0.3"), mac_, 0);
	size_t probes = table_->counters().probes_sent;
	table_->tick(59 * kSecond);
	EXPECT_EQ(table_->counters().probes_sent, probes);
	table_->tick(61 * kSecond);
	EXPECT_EQ(table_->counters().probes_sent, probes + 1);
	uint8_t mac[6];
	EXPECT_TRUE(slots_.get(slot, mac));  // still usable while stale
	table_->learn(0, ip("10.0.0.3"), mac_, 62 * kSecond);
	for (int64_t t = 130 * kSecond; t < 140 * kSecond; t += kSecond)
		table_->tick(t);
	EXPECT_FALSE(slots_.get(slot, mac));
	// Referenced: failed entries are retried, never forgotten.
	EXPECT_NE(table_->find(0, ip("10.0.0.3")), nullptr);
}

TEST_F(NeighbourTest, UnusedEntriesExpireAndFreeTheirSlot)
{
	for (const char *a : {"10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"})
		ASSERT_TRUE(table_->slot_for(0, ip(a), 0));
	EXPECT_FALSE(table_->slot_for(0, ip("10.0.0.7"), 0));
	EXPECT_EQ(table_->counters().table_full, 1u);
	uint32_t kept = *table_->slot_for(0, ip("10.0.0.3"), 0);
	table_->retain(kept);
	table_->tick(61 * kSecond);
	EXPECT_EQ(table_->entries().size(), 1u);
	EXPECT_TRUE(table_->slot_for(0, ip("10.0.0.7"), 61 * kSecond));
	table_->release(kept);
	table_->tick(200 * kSecond);
	EXPECT_TRUE(table_->entries().empty());
}

TEST_F(NeighbourTest, ProbeWithoutMbufsIsCounted)
{
	io_.fail_alloc = true;
	ASSERT_TRUE(table_->slot_for(0, ip("10.0.0.3"), 0));
	EXPECT_EQ(table_->counters().probe_no_mbuf, 1u);
	EXPECT_EQ(table_->counters().probes_sent, 0u);
}

TEST_F(NeighbourTest, HoldAfterResolutionPassesStraightThrough)
{
	uint32_t slot = *table_->slot_for(0, ip("10.0.0.3"), 0);
	table_->learn(0, ip("10.0.0.3"), mac_, 0);
	table_->hold(slot, packet());
	EXPECT_EQ(io_.ready.size(), 1u);
	table_->hold(99, packet());
	EXPECT_EQ(table_->counters().queue_drops, 1u);
}

} // namespace
} // namespace wayport
