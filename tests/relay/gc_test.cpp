// Tailscale's TestServer_endpointGC and the incremental, quarantining GC.
#include <gtest/gtest.h>

#include "tests/relay/harness.h"

namespace wayport::relay {
namespace {

using namespace test;

class Gc : public ::testing::Test {
protected:
	Relay relay;
	Peer a, b;
	AddrPort a_addr = v4(192, 0, 2, 1, 1001);
	AddrPort b_addr = v4(192, 0, 2, 2, 1002);

	uint32_t bound_endpoint(Time now)
	{
		uint32_t vni = relay.allocate(a, b, now).vni;
		EXPECT_TRUE(relay.handshake(a, b.pub, vni, 1, a_addr, now));
		EXPECT_TRUE(relay.handshake(b, a.pub, vni, 1, b_addr, now));
		return vni;
	}

	int leg_of(const Peer &p, uint32_t vni)
	{
		return relay.server.find(vni)->client[0] == p.pub ? 0 : 1;
	}
};

TEST_F(Gc, UnboundRemovedAfterBindLifetime)
{
	relay.allocate(a, b, kT0);
	EXPECT_EQ(relay.server.gc_all(kT0).removed, 0u);
	EXPECT_EQ(relay.server.gc_all(kT0 + 30 * kSecond).removed, 0u);  // not yet: strictly >
	EXPECT_EQ(relay.server.gc_all(kT0 + 30 * kSecond + 1).removed, 1u);
	EXPECT_EQ(relay.server.endpoint_count(), 0u);
	EXPECT_EQ(relay.server.metrics().endpoints_connecting, 0u);
	EXPECT_EQ(relay.server.metrics().endpoints_expired, 1u);
}

TEST_F(Gc, UnboundAllocatedSixtySecondsAgo)
{
	relay.allocate(a, b, kT0 - 60 * kSecond);
	Peer c;
	relay.allocate(a, c, kT0);
	EXPECT_EQ(relay.server.gc_all(kT0).removed, 1u);
	EXPECT_EQ(relay.server.find(1), nullptr);
	EXPECT_NE(relay.server.find(2), nullptr);
}

TEST_F(Gc, HalfBoundExpiresLikeUnbound)
{
	uint32_t vni = relay.allocate(a, b, kT0).vni;
	ASSERT_TRUE(relay.handshake(a, b.pub, vni, 1, a_addr, kT0 + 29 * kSecond));
	EXPECT_EQ(relay.server.gc_all(kT0 + 30 * kSecond + 1).removed, 1u);
}

TEST_F(Gc, BoundKeptWhileBothLegsSeen)
{
	uint32_t vni = bound_endpoint(kT0);
	Time later = kT0 + 10 * kMinute;
	for (uint8_t leg = 0; leg < 2; leg++) {
		LegActivity act{vni, 1, leg, 1, 100, later};
		relay.server.apply_activity({&act, 1});
	}
	EXPECT_EQ(relay.server.gc_all(later).removed, 0u);
	EXPECT_EQ(relay.server.gc_all(later + 5 * kMinute).removed, 0u);
	EXPECT_EQ(relay.server.gc_all(later + 5 * kMinute + 1).removed, 1u);
}

TEST_F(Gc, BoundRemovedWhenEitherLegIdle)
{
	for (int idle : {0, 1}) {
		Relay r;
		Peer x, y;
		uint32_t vni = r.allocate(x, y, kT0).vni;
		ASSERT_TRUE(r.handshake(x, y.pub, vni, 1, a_addr, kT0));
		ASSERT_TRUE(r.handshake(y, x.pub, vni, 1, b_addr, kT0));
		Time now = kT0 + 10 * kMinute;
		LegActivity act{vni, 1, static_cast<uint8_t>(1 - idle), 1, 100, now};
		r.server.apply_activity({&act, 1});
		GcResult res = r.server.gc_all(now);
		EXPECT_EQ(res.removed, 1u) << "idle leg " << idle;
		EXPECT_EQ(r.server.metrics().endpoints_open, 0u);
	}
}

// Data the workers relay keeps a leg alive, once they report it.
TEST_F(Gc, RelayedDataRefreshesLastSeen)
{
	uint32_t vni = bound_endpoint(kT0);
	Time now = kT0 + 4 * kMinute;
	ASSERT_TRUE(relay.workers.relay(vni, a_addr, 9, now).to);
	ASSERT_TRUE(relay.workers.relay(vni, b_addr, 9, now).to);
	EXPECT_EQ(relay.server.gc_all(kT0 + 6 * kMinute).removed, 0u);
	EXPECT_EQ(relay.server.gc_all(now + 5 * kMinute + 1).removed, 1u);
}

// Binds do not refresh lastSeen (spec §3.9).
TEST_F(Gc, BindsDoNotKeepAlive)
{
	uint32_t vni = bound_endpoint(kT0);
	relay.bind(a, b.pub, vni, 2, a_addr, kT0 + 4 * kMinute);
	EXPECT_EQ(relay.server.find(vni)->last_seen[leg_of(a, vni)], kT0);
	EXPECT_EQ(relay.server.gc_all(kT0 + 5 * kMinute + 1).removed, 1u);
}

TEST_F(Gc, RemovedEndpointIsGoneEverywhere)
{
	uint32_t vni = bound_endpoint(kT0);
	std::vector<TableChange> changes;
	relay.server.take_table_changes(changes);
	Time later = kT0 + 6 * kMinute;
	ASSERT_EQ(relay.server.gc_all(later).removed, 1u);

	changes.clear();
	relay.server.take_table_changes(changes);
	ASSERT_EQ(changes.size(), 1u);
	EXPECT_EQ(changes[0].op, TableOp::remove);
	EXPECT_EQ(changes[0].vni, vni);
	EXPECT_EQ(relay.workers.forward(vni, a_addr).drop, "unknown_vni");
	EXPECT_EQ(relay.server.live_endpoints_for(a.pub), 0u);

	// A new allocation for the pair is a new endpoint, and the freed VNI
	// sits out one bind lifetime.
	ServerEndpoint ep = relay.allocate(a, b, later);
	EXPECT_NE(ep.vni, vni);
	EXPECT_EQ(ep.lamport_id, 2u);
	EXPECT_TRUE(relay.server.vni_pool().in_use(vni));
	relay.server.gc_step(later + 30 * kSecond, 0);
	EXPECT_FALSE(relay.server.vni_pool().in_use(vni));
}

TEST_F(Gc, IncrementalWithBudget)
{
	std::vector<Peer> peers(1000);
	for (auto &p : peers)
		relay.allocate(a, p, kT0);
	ASSERT_EQ(relay.server.endpoint_count(), 1000u);
	Time late = kT0 + kMinute;
	size_t removed = 0;
	for (int step = 0; step < 10; step++) {
		GcResult r = relay.server.gc_step(late, 100);
		EXPECT_EQ(r.scanned, 100u);
		removed += r.removed;
		EXPECT_EQ(relay.server.endpoint_count(), 1000u - removed);
	}
	EXPECT_EQ(removed, 1000u);
	EXPECT_EQ(relay.server.gc_step(late, 100).removed, 0u);
}

// The cursor wraps and comes back to slots it passed, and free slots are
// reused by later allocations.
TEST_F(Gc, CursorWrapsAndSlotsAreReused)
{
	Peer c, d;
	relay.allocate(a, b, kT0);
	relay.allocate(a, c, kT0 + 40 * kSecond);
	EXPECT_EQ(relay.server.gc_step(kT0 + 41 * kSecond, 1).removed, 1u);  // slot 0
	EXPECT_EQ(relay.server.gc_step(kT0 + 41 * kSecond, 1).removed, 0u);  // slot 1
	relay.allocate(a, d, kT0 + 41 * kSecond);                           // reuses slot 0
	EXPECT_EQ(relay.server.gc_step(kT0 + 80 * kSecond, 1).removed, 1u);  // wrapped: slot 0
	EXPECT_EQ(relay.server.gc_step(kT0 + 80 * kSecond, 1).removed, 1u);
	EXPECT_EQ(relay.server.endpoint_count(), 0u);
}

} // namespace
} // namespace wayport::relay
