// The forwarding-table change log and the bulk activity feed (table.h).
#include <gtest/gtest.h>

#include "tests/relay/harness.h"

namespace wayport::relay {
namespace {

using namespace test;

class Table : public ::testing::Test {
protected:
	Relay relay;
	Peer a, b;
	AddrPort a_addr = v4(192, 0, 2, 1, 1001);
	AddrPort b_addr = v6(2, 1002);
	uint32_t vni = 0;
	int la = 0;  // A's leg

	void SetUp() override
	{
		vni = relay.allocate(a, b).vni;
		la = relay.server.find(vni)->client[0] == a.pub ? 0 : 1;
	}

	std::vector<TableChange> changes()
	{
		std::vector<TableChange> out;
		relay.server.take_table_changes(out);
		return out;
	}

	void bind_both()
	{
		ASSERT_TRUE(relay.handshake(a, b.pub, vni, 1, a_addr, kT0));
		ASSERT_TRUE(relay.handshake(b, a.pub, vni, 1, b_addr, kT0));
	}
};

TEST_F(Table, UpsertOnAllocationAndEachBinding)
{
	auto c = changes();
	ASSERT_EQ(c.size(), 1u);
	EXPECT_EQ(c[0].op, TableOp::upsert);
	EXPECT_EQ(c[0].vni, vni);
	EXPECT_EQ(c[0].lamport_id, 1u);
	EXPECT_EQ(c[0].bound, 0);

	ASSERT_TRUE(relay.handshake(a, b.pub, vni, 1, a_addr, kT0));
	c = changes();
	ASSERT_EQ(c.size(), 1u);
	EXPECT_EQ(c[0].bound, 1 << la);
	EXPECT_FALSE(c[0].forwarding());  // half bound: nothing to forward
	EXPECT_EQ(c[0].leg[la], a_addr);

	ASSERT_TRUE(relay.handshake(b, a.pub, vni, 1, b_addr, kT0));
	c = changes();
	ASSERT_EQ(c.size(), 1u);
	EXPECT_EQ(c[0].op, TableOp::upsert);
	EXPECT_TRUE(c[0].forwarding());
	EXPECT_EQ(c[0].leg[la], a_addr);
	EXPECT_EQ(c[0].leg[1 - la], b_addr);
	EXPECT_TRUE(changes().empty());  // taken
}

TEST_F(Table, RemoveOnExpiry)
{
	changes();
	relay.server.gc_all(kT0 + kMinute);
	auto c = changes();
	ASSERT_EQ(c.size(), 1u);
	EXPECT_EQ(c[0].op, TableOp::remove);
	EXPECT_EQ(c[0].vni, vni);
	EXPECT_EQ(c[0].lamport_id, 1u);
}

TEST_F(Table, RebindLogsNewAddressOnly)
{
	bind_both();
	changes();
	ASSERT_TRUE(relay.handshake(a, b.pub, vni, 2, a_addr, kT0));  // same address
	EXPECT_TRUE(changes().empty());
	AddrPort moved = v4(192, 0, 2, 1, 2002);
	ASSERT_TRUE(relay.handshake(a, b.pub, vni, 3, moved, kT0));
	auto c = changes();
	ASSERT_EQ(c.size(), 1u);
	EXPECT_EQ(c[0].op, TableOp::upsert);
	EXPECT_EQ(c[0].leg[la], moved);
	EXPECT_EQ(c[0].leg[1 - la], b_addr);
}

TEST_F(Table, SnapshotHasEveryLiveEndpoint)
{
	Peer c;
	uint32_t other = relay.allocate(a, c).vni;
	bind_both();
	std::vector<TableChange> snap;
	relay.server.table_snapshot(snap);
	ASSERT_EQ(snap.size(), 2u);
	EXPECT_EQ(snap[0].vni, vni);
	EXPECT_TRUE(snap[0].forwarding());
	EXPECT_EQ(snap[0].leg[la], a_addr);
	EXPECT_EQ(snap[1].vni, other);
	EXPECT_EQ(snap[1].bound, 0);
}

TEST_F(Table, ActivityFeedsCountersAndMetrics)
{
	bind_both();
	LegActivity acts[] = {
		{vni, 1, static_cast<uint8_t>(la), 10, 1000, kT0 + kMinute},
		{vni, 1, static_cast<uint8_t>(1 - la), 3, 300, kT0 + 2 * kMinute},
		{vni, 1, static_cast<uint8_t>(la), 1, 100, kT0 + 30 * kSecond},  // older last_seen
	};
	EXPECT_EQ(relay.server.apply_activity(acts), 3u);
	const Endpoint *e = relay.server.find(vni);
	EXPECT_EQ(e->packets_rx[la], 11u);
	EXPECT_EQ(e->bytes_rx[la], 1100u);
	EXPECT_EQ(e->last_seen[la], kT0 + kMinute);  // never moves back
	EXPECT_EQ(e->packets_rx[1 - la], 3u);
	EXPECT_EQ(e->last_seen[1 - la], kT0 + 2 * kMinute);
	const Metrics &m = relay.server.metrics();
	EXPECT_EQ(m.forwarded_packets[kUdp4][kUdp6], 11u);  // A is v4, B is v6
	EXPECT_EQ(m.forwarded_bytes[kUdp4][kUdp6], 1100u);
	EXPECT_EQ(m.forwarded_packets[kUdp6][kUdp4], 3u);
}

TEST_F(Table, ActivityForGoneOrReplacedEndpointsIsSkipped)
{
	LegActivity unbound{vni, 1, 0, 5, 500, kT0};
	EXPECT_EQ(relay.server.apply_activity({&unbound, 1}), 0u);
	bind_both();
	LegActivity stale_lamport{vni, 99, 0, 5, 500, kT0};
	LegActivity unknown_vni{vni + 1, 1, 0, 5, 500, kT0};
	LegActivity bad_leg{vni, 1, 2, 5, 500, kT0};
	LegActivity acts[] = {stale_lamport, unknown_vni, bad_leg};
	EXPECT_EQ(relay.server.apply_activity(acts), 0u);
	const Endpoint *e = relay.server.find(vni);
	EXPECT_EQ(e->packets_rx[0] + e->packets_rx[1], 0u);
}

// The change log says what the workers forward on: each bound leg's data
// goes to the other.
TEST_F(Table, BoundLegsForwardToEachOther)
{
	bind_both();
	auto c = changes();
	ASSERT_EQ(c.size(), 3u);  // allocated, one leg, both legs
	ASSERT_TRUE(c[2].forwarding());
	int a_leg = c[2].leg[0] == a_addr ? 0 : 1;
	EXPECT_EQ(c[2].leg[a_leg], a_addr);
	EXPECT_EQ(c[2].leg[1 - a_leg], b_addr);
}

} // namespace
} // namespace wayport::relay
