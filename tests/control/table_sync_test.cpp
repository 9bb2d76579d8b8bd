// The relay core's decisions reaching the workers' table, and the workers'
// counters reaching the core.
#include <gtest/gtest.h>

#include <memory>

#include "controlplane/control/table_sync.h"
#include "controlplane/relay/random.h"
#include "tests/dpdk/ring_port.h"
#include "tests/host/recording_io.h"

namespace wayport {
namespace {

constexpr int64_t kT0 = 1'000'000'000'000;
constexpr uint64_t kTscHz = 1'000'000'000;  // 1 tick = 1 ns, for easy sums

AddrPort ap(const char *s)
{
	return *AddrPort::parse(s);
}

class TableSyncTest : public testing::Test {
protected:
	TableSyncTest()
		: slots_(64), qsbr_(2), table_(qsbr_, 2), relay_(disco::PrivateKey::generate(), std::nullopt, {}, random_)
	{
		Port p;
		p.port_id = 3;
		p.mac = {{0x02, 0, 0, 0, 0, 1}};
		p.ipv4 = ap("10.0.0.1:0");
		p.ipv4_prefix = 24;
		p.gateway4 = ap("10.0.0.254:0");
		p.ipv6 = ap("[fd00::1]:0");
		p.ipv6_prefix = 64;
		host_ = std::make_unique<Host>(std::vector<Port>{p}, slots_, io_, NeighbourConfig{});
		sync_ = std::make_unique<TableSync>(relay_, table_, *host_, 2, kTscHz);
		relay_.set_addr_ports({ap("10.0.0.1:7777")});
	}

	// Allocates and binds a <-> b through the core's public API; returns
	// the VNI.
	uint32_t bound(const AddrPort &a_addr, const AddrPort &b_addr)
	{
		relay::ServerEndpoint ep;
		EXPECT_EQ(relay_.allocate(a_.public_key(), b_.public_key(), kT0, ep), relay::AllocError::ok);
		handshake(a_, b_.public_key(), ep.vni, a_addr);
		handshake(b_, a_.public_key(), ep.vni, b_addr);
		return ep.vni;
	}

	void handshake(const disco::PrivateKey &self, const disco::PublicKey &peer, uint32_t vni, const AddrPort &from);

	test::RecordingIo io_;
	NeighbourSlots slots_;
	Qsbr qsbr_;
	RelayTable table_;
	relay::SystemRandom random_;
	relay::Server relay_;
	std::unique_ptr<Host> host_;
	std::unique_ptr<TableSync> sync_;
	disco::PrivateKey a_ = disco::PrivateKey::generate(), b_ = disco::PrivateKey::generate();
};

}  // namespace
}  // namespace wayport

#include "controlplane/disco/seal.h"
#include "dataplane/wire/geneve.h"

namespace wayport {
namespace {

Bytes sealed(const disco::PrivateKey &from, const disco::PublicKey &to, const disco::Message &m, uint32_t vni)
{
	Bytes out(kGeneveHeaderLen);
	geneve_encode({0, true, kGeneveProtocolDisco, vni}, out);
	disco::seal(*disco::shared_key(from, to), from.public_key(), disco::marshal(m), out);
	return out;
}

void TableSyncTest::handshake(const disco::PrivateKey &self, const disco::PublicKey &peer, uint32_t vni,
			      const AddrPort &from)
{
	disco::Message bind;
	auto &b = bind.body.emplace<disco::BindUdpRelayEndpoint>();
	b.vni = vni;
	b.generation = 1;
	b.remote_key = peer;
	std::array<uint8_t, relay::kReplyBufferLen> reply{};
	relay::PacketResult r = relay_.handle_packet(sealed(self, relay_.server_disco(), bind, vni), from, kT0, reply);
	ASSERT_EQ(r.verdict, relay::Verdict::reply);
	ByteSpan frame = ByteSpan(reply.data(), r.reply_len).subspan(kGeneveHeaderLen);
	auto plain = disco::open(*disco::shared_key(self, relay_.server_disco()), frame);
	ASSERT_TRUE(plain);
	disco::Message challenge;
	ASSERT_EQ(disco::parse(*plain, challenge), disco::ParseError::ok);
	disco::Message answer;
	answer.body = disco::BindUdpRelayEndpointAnswer{std::get<disco::BindUdpRelayEndpointChallenge>(challenge.body)};
	r = relay_.handle_packet(sealed(self, relay_.server_disco(), answer, vni), from, kT0, reply);
	ASSERT_EQ(r.verdict, relay::Verdict::consumed);
}

TEST_F(TableSyncTest, BindingsReachTheTableWithEgressAndNextHop)
{
	uint32_t vni = bound(ap("10.0.0.7:1000"), ap("198.51.100.9:2000"));
	sync_->apply_changes(kT0);
	auto e = table_.lookup(vni);
	ASSERT_TRUE(e);
	EXPECT_TRUE(e->forwarding());
	EXPECT_EQ(e->leg[0].port + e->leg[1].port, 3000);
	for (int leg = 0; leg < 2; leg++)
		EXPECT_EQ(e->egress[leg].port, 3);
	// On-link leg: its own address is the next hop; the other goes via
	// the gateway. Both are being resolved (one probe each).
	EXPECT_NE(host_->neighbours().find(3, ap("10.0.0.7:0")), nullptr);
	EXPECT_NE(host_->neighbours().find(3, ap("10.0.0.254:0")), nullptr);
	EXPECT_EQ(host_->neighbours().counters().probes_sent, 2u);
	EXPECT_EQ(host_->neighbours().find(3, ap("10.0.0.7:0"))->refs, 1u);

	// No route for an IPv6 leg off-link without an IPv6 gateway.
	relay::ServerEndpoint ep;
	disco::PrivateKey c = disco::PrivateKey::generate();
	ASSERT_EQ(relay_.allocate(a_.public_key(), c.public_key(), kT0, ep), relay::AllocError::ok);
	handshake(a_, c.public_key(), ep.vni, ap("10.0.0.7:1001"));
	handshake(c, a_.public_key(), ep.vni, ap("[2001:db8::9]:3000"));
	sync_->apply_changes(kT0);
	auto x = table_.lookup(ep.vni);
	ASSERT_TRUE(x);
	int v6 = x->leg[0].is_v4 ? 1 : 0;
	EXPECT_EQ(x->egress[v6].port, kNoEgressPort);
}

TEST_F(TableSyncTest, ExpiryRemovesTheEntryAndReleasesNeighbours)
{
	uint32_t vni = bound(ap("10.0.0.7:1000"), ap("10.0.0.8:2000"));
	sync_->apply_changes(kT0);
	ASSERT_TRUE(table_.lookup(vni));
	relay_.gc_all(kT0 + 10 * kMinute);
	sync_->apply_changes(kT0 + 10 * kMinute);
	EXPECT_FALSE(table_.lookup(vni));
	EXPECT_EQ(sync_->tracked(), 0u);
	EXPECT_EQ(host_->neighbours().find(3, ap("10.0.0.7:0"))->refs, 0u);
}

TEST_F(TableSyncTest, WorkerCountersFeedTheCoreAsDeltas)
{
	uint32_t vni = bound(ap("10.0.0.7:1000"), ap("10.0.0.8:2000"));
	sync_->apply_changes(kT0);
	auto e = table_.lookup(vni);
	ASSERT_TRUE(e);
	int a_leg = e->leg[0] == ap("10.0.0.7:1000") ? 0 : 1;

	// Two workers saw traffic from leg a; the newest at TSC 900.
	table_.activity(0, vni)->leg[a_leg].add(100, 500);
	table_.activity(1, vni)->leg[a_leg].add(200, 900);
	sync_->feed_activity(kT0 + 1000, 1000, 64);
	const relay::Endpoint *ep = relay_.find(vni);
	ASSERT_NE(ep, nullptr);
	EXPECT_EQ(ep->packets_rx[a_leg], 2u);
	EXPECT_EQ(ep->bytes_rx[a_leg], 300u);
	EXPECT_EQ(ep->last_seen[a_leg], kT0 + 1000 - 100);  // 100 ticks before "now"

	// Only what moved since is fed again.
	table_.activity(0, vni)->leg[a_leg].add(50, 1500);
	sync_->feed_activity(kT0 + 2000, 2000, 64);
	EXPECT_EQ(ep->packets_rx[a_leg], 3u);
	EXPECT_EQ(ep->bytes_rx[a_leg], 350u);
	EXPECT_EQ(ep->packets_rx[1 - a_leg], 0u);
}

TEST_F(TableSyncTest, ActivityIsReadInBoundedSlices)
{
	std::vector<uint32_t> vnis;
	for (int i = 0; i < 5; i++) {
		b_ = disco::PrivateKey::generate();
		vnis.push_back(bound(ap("10.0.0.7:1000"), ap("10.0.0.8:2000")));
	}
	sync_->apply_changes(kT0);
	for (uint32_t vni : vnis)
		for (int leg = 0; leg < 2; leg++)
			table_.activity(0, vni)->leg[leg].add(10, 10);
	uint64_t fed = 0;
	auto total = [&] {
		uint64_t n = 0;
		for (uint32_t vni : vnis)
			n += relay_.find(vni)->packets_rx[0] + relay_.find(vni)->packets_rx[1];
		return n;
	};
	sync_->feed_activity(kT0 + 100, 100, 2);
	fed = total();
	EXPECT_EQ(fed, 4u);  // two endpoints, two legs each
	sync_->feed_activity(kT0 + 100, 100, 2);
	sync_->feed_activity(kT0 + 100, 100, 2);
	EXPECT_EQ(total(), 10u);
}

} // namespace
} // namespace wayport
