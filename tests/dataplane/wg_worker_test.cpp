// WireGuard through a whole worker: frames go in through real net_ring
// ports, run the graph (classify, wg_input, wg_output, ip_out, output) and
// come out of the ports' TX, the punt ring, the handshake ring or another
// worker's handoff ring, where they are read back the way a peer or a
// LAN host reads them. The node is worker_fixture.h's.
#include "tests/dataplane/worker_fixture.h"

namespace wayport {
namespace {

using namespace worker_test;
using test::hop;
using test::inner_udp;
using test::ip4;

TEST_F(WgWorkerTest, TunnelToLanHost)
{
	Bytes inner = inner_udp(tunnel_of(0), kLanHost, 100);
	from_peer(0, inner);
	workers_[0]->poll();
	std::vector<Bytes> out = sent(lan_);
	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(to_lan_host(out[0]), hop(inner)) << "the inner packet, one hop on";
	EXPECT_TRUE(sent(wan_).empty());
	EXPECT_EQ(peers_[0].rx_packets.get(), 1u);
	EXPECT_EQ(counters(0).stage_packets[size_t(CountedStage::wg_input)].get(), 1u);
	EXPECT_EQ(counters(0).stage_packets[size_t(CountedStage::ip_out)].get(), 1u);
	expect_nothing_leaked();
}

TEST_F(WgWorkerTest, LanHostToPeer)
{
	Bytes inner = inner_udp(kLanHost, tunnel_of(1), 200);
	from_lan(inner);
	workers_[0]->poll();
	std::vector<Bytes> out = sent(wan_);
	ASSERT_EQ(out.size(), 1u);
	auto t = opened_by(1, out[0]);
	ASSERT_TRUE(t) << "sealed under the peer's key";
	EXPECT_EQ(t->counter, 0u);
	EXPECT_EQ(t->plain, test::padded(hop(inner)));
	EXPECT_EQ(peers_[1].tx_packets.get(), 1u);
	EXPECT_TRUE(sent(lan_).empty());
	expect_nothing_leaked();
}

TEST_F(WgWorkerTest, PeerToPeerThroughTheNode)
{
	Bytes inner = inner_udp(tunnel_of(0), tunnel_of(1), 64);
	from_peer(0, inner);
	workers_[0]->poll();
	std::vector<Bytes> out = sent(wan_);
	ASSERT_EQ(out.size(), 1u);
	auto t = opened_by(1, out[0]);
	ASSERT_TRUE(t);
	EXPECT_EQ(t->plain, test::padded(hop(inner))) << "decrypted from peer 0, sealed again for peer 1";
	expect_nothing_leaked();
}

TEST_F(WgWorkerTest, InnerPacketToTheNodeGoesToTheHostStack)
{
	Bytes inner = inner_udp(tunnel_of(0), AddrPort::v4(kTunnelNode.ip4(), 7), 8);
	from_peer(0, inner);
	workers_[0]->poll();
	std::vector<rte_mbuf *> punted = drain(punt_[0]);
	ASSERT_EQ(punted.size(), 1u);
	EXPECT_EQ(meta(punted[0]).reason, uint8_t(PuntReason::wg_host));
	EXPECT_EQ(meta(punted[0]).aux, 0u) << "the peer's slot";
	EXPECT_EQ(test::mbuf_bytes(punted[0]), inner);
	rte_pktmbuf_free(punted[0]);
	EXPECT_EQ(counters(0).punted[size_t(PuntReason::wg_host)].get(), 1u);
	expect_nothing_leaked();
}

TEST_F(WgWorkerTest, HandshakeMessagesGoToTheHandshakeRing)
{
	test::Frame f;
	std::memcpy(f.dst_mac, kWanMac.data(), 6);
	f.src = endpoint_of(0);
	f.dst = AddrPort::v4(kWan.ip4(), kListenPort);
	f.payload = Bytes(148, 0);
	f.payload[0] = 1;
	wan_.inject(test::build_udp(test::test_pool(), f));
	f.payload = Bytes(147, 0);  // one byte short: no handshake message
	f.payload[0] = 1;
	wan_.inject(test::build_udp(test::test_pool(), f));
	workers_[0]->poll();
	std::vector<rte_mbuf *> queued = drain(wg_.handshake[0]);
	ASSERT_EQ(queued.size(), 1u);
	EXPECT_EQ(rte_pktmbuf_pkt_len(queued[0]), 14u + 20 + 8 + 148) << "untouched";
	rte_pktmbuf_free(queued[0]);
	EXPECT_EQ(counters(0).handshakes_queued.get(), 1u);
	EXPECT_EQ(counters(0).dropped(ClassifyDrop::not_wireguard), 1u);
	expect_nothing_leaked();
}

TEST_F(WgWorkerTest, PacketsOfAPeerHomedElsewhereAreHandedOff)
{
	Bytes from_tunnel = inner_udp(tunnel_of(kOnWorker1), kLanHost, 40);
	from_peer(kOnWorker1, from_tunnel);
	Bytes to_tunnel = inner_udp(kLanHost, tunnel_of(kOnWorker1), 40);
	from_lan(to_tunnel);
	workers_[0]->poll();
	EXPECT_TRUE(sent(wan_).empty());
	EXPECT_TRUE(sent(lan_).empty());
	EXPECT_EQ(counters(0).handed_off.get(), 2u);
	EXPECT_EQ(rte_ring_count(wg_.handoff[0 * 2 + 1]), 2u);
	EXPECT_EQ(peers_[kOnWorker1].rx_packets.get(), 0u) << "worker 0 did not touch its window";

	// Worker 1 polls the same ports (empty now) and its handoff ring.
	workers_[1]->poll();
	EXPECT_EQ(counters(1).handoffs_received.get(), 2u);
	std::vector<Bytes> lan = sent(lan_), wan = sent(wan_);
	ASSERT_EQ(lan.size(), 1u);
	EXPECT_EQ(to_lan_host(lan[0]), hop(from_tunnel));
	ASSERT_EQ(wan.size(), 1u);
	auto t = opened_by(kOnWorker1, wan[0]);
	ASSERT_TRUE(t);
	EXPECT_EQ(peers_[kOnWorker1].rx_packets.get(), 1u);
	EXPECT_EQ(peers_[kOnWorker1].tx_packets.get(), 1u);
	expect_nothing_leaked();
}

TEST_F(WgWorkerTest, StagedPacketHandedBackIsSealedWithItsHopCountedOnce)
{
	Bytes inner = inner_udp(kLanHost, tunnel_of(kUnkeyed), 30);
	from_lan(inner);
	workers_[0]->poll();
	EXPECT_TRUE(sent(wan_).empty());
	std::vector<rte_mbuf *> punted = drain(punt_[0]);
	ASSERT_EQ(punted.size(), 1u);
	EXPECT_EQ(meta(punted[0]).reason, uint8_t(PuntReason::wg_staged));
	EXPECT_TRUE(peers_[kUnkeyed].wants_handshake.load());

	// The handshake completes; the control thread hands the packet back.
	give_keypair(kUnkeyed);
	meta(punted[0]).next = Stage::wg_output;
	ASSERT_EQ(rte_ring_enqueue(inject_[0], punted[0]), 0);
	workers_[0]->poll();
	std::vector<Bytes> out = sent(wan_);
	ASSERT_EQ(out.size(), 1u);
	auto t = opened_by(kUnkeyed, out[0]);
	ASSERT_TRUE(t);
	EXPECT_EQ(t->plain, test::padded(hop(inner))) << "TTL 63, not 62";
	expect_nothing_leaked();
}

TEST_F(WgWorkerTest, KeepaliveHandedBackIsSealedEmpty)
{
	hand_back_empty(Stage::wg_output, 0);
	workers_[0]->poll();
	std::vector<Bytes> out = sent(wan_);
	ASSERT_EQ(out.size(), 1u);
	auto t = opened_by(0, out[0]);
	ASSERT_TRUE(t);
	EXPECT_TRUE(t->plain.empty());
	EXPECT_EQ(peers_[0].tx_packets.get(), 1u);
	EXPECT_NE(peers_[0].last_tx_tsc.get(), 0u);
	EXPECT_EQ(peers_[0].last_data_tx_tsc.get(), 0u) << "a keepalive is no data";

	// Without a keypair there is nothing to seal it under.
	hand_back_empty(Stage::wg_output, kUnkeyed);
	workers_[0]->poll();
	EXPECT_TRUE(sent(wan_).empty());
	EXPECT_EQ(counters(0).dropped(WgOutputDrop::keepalive_unkeyed), 1u);
	expect_nothing_leaked();
}

TEST_F(WgWorkerTest, PacketsHandedBackForARemovedPeerAreDroppedEvenWhenItsSlotIsReused)
{
	peers_[0].generation.store(5);
	hand_back_empty(Stage::wg_output, 0, 5);
	workers_[0]->poll();
	EXPECT_EQ(sent(wan_).size(), 1u) << "made under the slot's generation: sealed";

	// The peer left (6) and another took its slot (7), keypair and all.
	peers_[0].generation.store(7);
	hand_back_empty(Stage::wg_output, 0, 5);
	Bytes inner = inner_udp(kLanHost, tunnel_of(kUnkeyed), 30);
	rte_mbuf *staged = test::build_raw(test::test_pool(), inner);
	meta(staged) = PacketMeta{};
	meta(staged).next = Stage::wg_output;
	meta(staged).aux = 0;
	meta(staged).peer_gen = 6;
	ASSERT_EQ(rte_ring_enqueue(inject_[0], staged), 0);
	workers_[0]->poll();
	EXPECT_TRUE(sent(wan_).empty());
	EXPECT_EQ(counters(0).dropped(WgOutputDrop::removed_peer), 2u);
	EXPECT_EQ(peers_[0].tx_packets.get(), 1u);
	expect_nothing_leaked();
}

TEST_F(WgWorkerTest, AStagedPacketCarriesItsPeersGeneration)
{
	peers_[kUnkeyed].generation.store(9);
	from_lan(inner_udp(kLanHost, tunnel_of(kUnkeyed), 30));
	workers_[0]->poll();
	std::vector<rte_mbuf *> punted = drain(punt_[0]);
	ASSERT_EQ(punted.size(), 1u);
	EXPECT_EQ(meta(punted[0]).reason, uint8_t(PuntReason::wg_staged));
	EXPECT_EQ(meta(punted[0]).aux, kUnkeyed);
	EXPECT_EQ(meta(punted[0]).peer_gen, 9u);
	rte_pktmbuf_free(punted[0]);
	expect_nothing_leaked();
}

TEST_F(WgWorkerTest, UnresolvedNextHopIsHeldThenDroppedIfStillUnresolved)
{
	from_peer(0, inner_udp(tunnel_of(0), kLanUnresolved, 20));
	workers_[0]->poll();
	std::vector<rte_mbuf *> punted = drain(punt_[0]);
	ASSERT_EQ(punted.size(), 1u);
	EXPECT_EQ(meta(punted[0]).reason, uint8_t(PuntReason::ip_unresolved));
	meta(punted[0]).next = Stage::ip_out;
	ASSERT_EQ(rte_ring_enqueue(inject_[0], punted[0]), 0);
	workers_[0]->poll();
	EXPECT_TRUE(drain(punt_[0]).empty()) << "never punted twice";
	EXPECT_EQ(counters(0).dropped(IpOutDrop::no_neighbour), 1u);
	expect_nothing_leaked();
}

TEST_F(WgWorkerTest, LanPacketToNoPeerIsDroppedByReason)
{
	from_lan(inner_udp(kLanHost, ip4(10, 99, 0, 99, 53), 10));
	workers_[0]->poll();
	EXPECT_TRUE(sent(wan_).empty());
	EXPECT_EQ(counters(0).dropped(WgOutputDrop::no_peer), 1u);
	expect_nothing_leaked();
}

TEST_F(WgWorkerTest, BadInjectStagesAreDropped)
{
	hand_back_empty(Stage::wg_input, 0);  // the control thread never hands back to wg_input
	workers_[0]->poll();
	EXPECT_EQ(counters(0).dropped(OutputDrop::bad_inject), 1u);
	expect_nothing_leaked();
}

} // namespace
} // namespace wayport
