// The worker's relay fast path over a real DPDK port (net_ring): packets
// go in through the PMD's RX, come out of its TX, and are checked byte by
// byte.
#include <gtest/gtest.h>

#include <rte_ring.h>

#include <cstring>
#include <memory>

#include "dataplane/worker/worker.h"
#include "tests/dpdk/packet_builder.h"
#include "tests/dpdk/ring_port.h"

namespace wayport {
namespace {

using test::Frame;
using test::Received;

constexpr uint16_t kRelayPort = 7777;
constexpr uint8_t kPortMac[6] = {0x02, 0, 0, 0, 0, 0x01};
constexpr uint8_t kNextHopB[6] = {0x02, 0, 0, 0, 0, 0xbb};
constexpr uint32_t kNeighbourB = 3;

AddrPort addr(const char *s)
{
	return *AddrPort::parse(s);
}

Bytes geneve_wg_payload(uint32_t vni)
{
	// Geneve data/WireGuard header + a transport-shaped WireGuard message.
	Bytes b = *from_hex("00007a12000000000400000078563412000000000000000" "0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	store_be32(&b[4], vni << 8);
	return b;
}

class WorkerTest : public testing::Test {
protected:
	void SetUp() override
	{
		static int n = 0;
		std::string name = "wt" + std::to_string(n++);
		port_ = test::RingPort::create(name, test::test_pool());
		punt_ = rte_ring_create((name + "_punt").c_str(), 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		qsbr_ = std::make_unique<Qsbr>(1);
		table_ = std::make_unique<RelayTable>(*qsbr_, 1);
		neighbours_ = std::make_unique<NeighbourSlots>(16);
		neighbours_->set(kNeighbourB, kNextHopB);

		shared_.relay = table_.get();
		shared_.neighbours = neighbours_.get();
		shared_.qsbr = qsbr_.get();
		shared_.relay_port = kRelayPort;
		shared_.ports.resize(port_.port_id + 1);
		EgressPort &p = shared_.ports[port_.port_id];
		std::memcpy(p.mac, kPortMac, 6);
		p.addrs.has_ipv4 = p.addrs.has_ipv6 = true;
		std::memcpy(p.addrs.ipv4, ours4_.ip4(), 4);
		std::memcpy(p.addrs.ipv6, ours6_.ip.data(), 16);
		worker_ = std::make_unique<Worker>(0, shared_, std::vector<RxQueue>{{port_.port_id, 0}}, 0, punt_, 32);
	}

	void TearDown() override
	{
		worker_.reset();
		void *m;
		while (rte_ring_dequeue(punt_, &m) == 0)
			rte_pktmbuf_free(static_cast<rte_mbuf *>(m));
		rte_ring_free(punt_);
		table_.reset();
		port_.destroy();
	}

	void bind(uint32_t vni, const AddrPort &a, const AddrPort &b, uint8_t bound = RelayEntry::kBothBound)
	{
		RelayEntry e;
		e.vni = vni;
		e.leg[0] = a;
		e.leg[1] = b;
		e.bound = bound;
		for (auto &eg : e.egress)
			eg = {port_.port_id, kNeighbourB};
		table_->publish(e);
	}

	Frame frame(const AddrPort &src, uint32_t vni, const AddrPort *dst = nullptr)
	{
		Frame f;
		f.src = src;
		f.dst = dst ? *dst : (src.is_v4 ? ours4_ : ours6_);
		f.payload = geneve_wg_payload(vni);
		return f;
	}

	// Sends one frame through the port and the worker; returns what left.
	std::vector<rte_mbuf *> run(rte_mbuf *m)
	{
		port_.inject(m);
		EXPECT_EQ(worker_->poll(), 1u);
		return port_.sent();
	}

	template <typename Reason>
	uint64_t drops(Reason r) const { return worker_->counters().dropped(r); }
	uint64_t punts(PuntReason r) const { return worker_->counters().punts(r); }

	template <typename Reason>
	void expect_dropped(const Frame &f, Reason r)
	{
		expect_dropped(test::build_udp(test::test_pool(), f), r);
	}
	template <typename Reason>
	void expect_dropped(rte_mbuf *m, Reason r)
	{
		uint64_t before = drops(r);
		EXPECT_TRUE(run(m).empty());
		EXPECT_EQ(drops(r), before + 1) << to_string(r);
	}
	void expect_punted(rte_mbuf *m, PuntReason r)
	{
		uint64_t before = punts(r);
		EXPECT_TRUE(run(m).empty());
		EXPECT_EQ(punts(r), before + 1) << to_string(r);
		void *out = nullptr;
		ASSERT_EQ(rte_ring_dequeue(punt_, &out), 0);
		EXPECT_EQ(static_cast<PuntReason>(meta(static_cast<rte_mbuf *>(out)).reason), r);
		rte_pktmbuf_free(static_cast<rte_mbuf *>(out));
	}

	// Relays one packet from src and checks it reached dst intact.
	void expect_relayed(const AddrPort &src, const AddrPort &dst, uint32_t vni, bool zero_checksum = false)
	{
		Frame f = frame(src, vni);
		f.zero_udp_checksum = zero_checksum;
		auto out = run(test::build_udp(test::test_pool(), f));
		ASSERT_EQ(out.size(), 1u);
		Received r;
		ASSERT_TRUE(test::read_udp(out[0], r));
		EXPECT_EQ(std::memcmp(r.dst_mac, kNextHopB, 6), 0);
		EXPECT_EQ(std::memcmp(r.src_mac, kPortMac, 6), 0);
		AddrPort want_src = dst.is_v4 ? ours4_ : ours6_;
		EXPECT_EQ(r.src, want_src) << r.src.to_string();
		EXPECT_EQ(r.dst, dst) << r.dst.to_string();
		EXPECT_EQ(to_hex(r.payload), to_hex(f.payload));
		EXPECT_TRUE(r.checksums_ok);
		if (zero_checksum && dst.is_v4) {
			EXPECT_EQ(r.udp_checksum, 0);
		}
		rte_pktmbuf_free(out[0]);
	}

	AddrPort ours4_ = addr("10.0.0.1:7777");
	AddrPort ours6_ = addr("[fd00::1]:7777");
	AddrPort a4_ = addr("10.0.0.2:1000");
	AddrPort b4_ = addr("10.0.0.3:2000");
	AddrPort a6_ = addr("[fd00::2]:1000");
	AddrPort b6_ = addr("[fd00::3]:3000");

	test::RingPort port_;
	rte_ring *punt_ = nullptr;
	std::unique_ptr<Qsbr> qsbr_;
	std::unique_ptr<RelayTable> table_;
	std::unique_ptr<NeighbourSlots> neighbours_;
	DataplaneShared shared_;
	std::unique_ptr<Worker> worker_;
};

TEST_F(WorkerTest, RelaysIpv4BothWays)
{
	bind(1, a4_, b4_);
	expect_relayed(a4_, b4_, 1);
	expect_relayed(b4_, a4_, 1);
	const auto &c = worker_->counters();
	EXPECT_EQ(c.forwarded_packets[0][0].get(), 2u);
	EXPECT_EQ(c.tx_packets.get(), 2u);
}

TEST_F(WorkerTest, RelaysIpv6AndAcrossFamilies)
{
	bind(7, a6_, b6_);
	expect_relayed(a6_, b6_, 7);
	expect_relayed(b6_, a6_, 7);
	bind(8, a4_, b6_);
	expect_relayed(a4_, b6_, 8);
	expect_relayed(b6_, a4_, 8);
	// An IPv4 sender without a UDP checksum: IPv6 needs one computed,
	// IPv4 keeps "none".
	expect_relayed(a4_, b6_, 8, true);
	bind(9, a4_, b4_);
	expect_relayed(a4_, b4_, 9, true);
	const auto &c = worker_->counters();
	EXPECT_EQ(c.forwarded_packets[1][1].get(), 2u);
	EXPECT_EQ(c.forwarded_packets[0][1].get(), 2u);
	EXPECT_EQ(c.forwarded_packets[1][0].get(), 1u);
}

TEST_F(WorkerTest, CountsLegActivity)
{
	bind(1, a4_, b4_);
	expect_relayed(a4_, b4_, 1);
	expect_relayed(a4_, b4_, 1);
	expect_relayed(b4_, a4_, 1);
	EndpointActivity *a = table_->activity(0, 1);
	ASSERT_NE(a, nullptr);
	EXPECT_EQ(a->leg[0].packets.get(), 2u);
	EXPECT_EQ(a->leg[0].bytes.get(), 2 * geneve_wg_payload(1).size());
	EXPECT_EQ(a->leg[1].packets.get(), 1u);
	EXPECT_GT(a->leg[1].last_tsc.get(), 0u);
}

TEST_F(WorkerTest, RebindMovesTheFlow)
{
	bind(1, a4_, b4_);
	expect_relayed(a4_, b4_, 1);
	AddrPort a_new = addr("10.0.0.2:1001");
	bind(1, a_new, b4_);
	expect_relayed(b4_, a_new, 1);
	expect_dropped(frame(a4_, 1), RelayDrop::source_mismatch);
	expect_relayed(a_new, b4_, 1);
}

TEST_F(WorkerTest, DropsByReason)
{
	bind(1, a4_, b4_);
	bind(2, a4_, b4_, 1);  // only leg 0 bound
	expect_dropped(frame(a4_, 99), RelayDrop::unknown_vni);
	expect_dropped(frame(a4_, 2), RelayDrop::not_bound);
	expect_dropped(frame(addr("10.0.0.2:1002"), 1), RelayDrop::source_mismatch);
	expect_dropped(frame(addr("10.0.0.9:1000"), 1), RelayDrop::source_mismatch);

	AddrPort other_ip = addr("10.0.0.50:7777"), other_port = addr("10.0.0.1:53");
	expect_dropped(frame(a4_, 1, &other_ip), ClassifyDrop::not_for_us);
	expect_dropped(frame(a4_, 1, &other_port), ClassifyDrop::not_for_us);

	Frame short_payload = frame(a4_, 1);
	short_payload.payload.resize(7);
	expect_dropped(short_payload, RelayDrop::short_payload);

	// Truncated IPv4 header, bad IP version, UDP length past the packet.
	Bytes good = test::mbuf_bytes(test::build_udp(test::test_pool(), frame(a4_, 1)));
	expect_dropped(test::build_raw(test::test_pool(), Bytes(good.begin(), good.begin() + 20)), ClassifyDrop::malformed);
	Bytes bad_version = good;
	bad_version[14] = 0x55;
	expect_dropped(test::build_raw(test::test_pool(), bad_version), ClassifyDrop::malformed);
	Bytes bad_udp_len = good;
	store_be16(&bad_udp_len[14 + 20 + 4], 2000);
	expect_dropped(test::build_raw(test::test_pool(), bad_udp_len), ClassifyDrop::malformed);
	Bytes fragment = good;
	fragment[14 + 6] = 0x20;  // more fragments
	expect_dropped(test::build_raw(test::test_pool(), fragment), ClassifyDrop::fragment);
	Bytes tcp = good;
	tcp[14 + 9] = 6;
	tcp[14 + 20 + 12] = 0x50;  // a 20-byte TCP header: well formed, only not ours
	expect_dropped(test::build_raw(test::test_pool(), tcp), ClassifyDrop::not_for_us);
	Bytes vlan = good;
	vlan[12] = 0x81;
	vlan[13] = 0x00;
	expect_dropped(test::build_raw(test::test_pool(), vlan), ClassifyDrop::not_for_us);
	expect_dropped(test::build_raw(test::test_pool(), Bytes(10, 0)), ClassifyDrop::malformed);
}

TEST_F(WorkerTest, PuntsControlTraffic)
{
	bind(1, a4_, b4_);
	// Geneve control bit: the bind handshake.
	Frame ctrl = frame(a4_, 1);
	ctrl.payload[1] = 0x80;
	expect_punted(test::build_udp(test::test_pool(), ctrl), PuntReason::relay_control);
	// Control traffic for a VNI nobody has is still the control thread's
	// to count.
	Frame ctrl_unknown = frame(a4_, 5);
	ctrl_unknown.payload[1] = 0x80;
	expect_punted(test::build_udp(test::test_pool(), ctrl_unknown), PuntReason::relay_control);

	Frame stun = frame(a4_, 1);
	stun.payload = *from_hex("00010000" "2112a442" "0102030405060708090a0b0c");
	expect_punted(test::build_udp(test::test_pool(), stun), PuntReason::stun);

	Frame disco = frame(a4_, 1);
	disco.payload = *from_hex("5453f09f92ac");
	disco.payload.resize(148, 0x11);
	expect_punted(test::build_udp(test::test_pool(), disco), PuntReason::disco);

	// ARP, and ICMP to our address.
	Bytes arp(42, 0);
	arp[12] = 0x08;
	arp[13] = 0x06;
	expect_punted(test::build_raw(test::test_pool(), arp), PuntReason::neighbour);
	Bytes icmp = test::mbuf_bytes(test::build_udp(test::test_pool(), frame(a4_, 1)));
	icmp[14 + 9] = 1;
	expect_punted(test::build_raw(test::test_pool(), icmp), PuntReason::neighbour);

	// A leg whose next hop is not resolved yet.
	RelayEntry e = *table_->lookup(1);
	e.egress[1].neighbour = 9;
	table_->publish(e);
	expect_punted(test::build_udp(test::test_pool(), frame(a4_, 1)), PuntReason::unresolved);
}

TEST_F(WorkerTest, FullPuntRingDropsAndCounts)
{
	Frame ctrl = frame(a4_, 1);
	ctrl.payload[1] = 0x80;
	rte_mbuf *pkts[32];
	for (auto &m : pkts)
		m = test::build_udp(test::test_pool(), ctrl);
	worker_->process(pkts, 32);
	worker_->process(pkts, 0);
	for (int i = 0; i < 32; i++)
		pkts[i] = test::build_udp(test::test_pool(), ctrl);
	worker_->process(pkts, 32);
	// The ring holds 63; the other 1 of 64 is dropped and counted.
	EXPECT_EQ(rte_ring_count(punt_), 63u);
	EXPECT_EQ(drops(OutputDrop::ring_full), 1u);
}

TEST_F(WorkerTest, EraseThenReclaimAfterQuiescence)
{
	qsbr_->register_worker(0);
	bind(1, a4_, b4_);
	bind(1, a4_, addr("10.0.0.3:2001"));
	table_->erase(1);
	expect_dropped(frame(a4_, 1), RelayDrop::unknown_vni);
	EXPECT_EQ(table_->size(), 0u);
	EXPECT_EQ(table_->memory_bytes(), 0u);
	// The entry page and its activity page are unlinked, but nothing may
	// be freed until the worker reports a quiescent state.
	size_t retired = table_->retired();
	EXPECT_EQ(retired, 2u);
	table_->reclaim();
	EXPECT_EQ(table_->retired(), retired);
	qsbr_->quiescent(0);
	table_->reclaim();
	EXPECT_EQ(table_->retired(), 0u);
	qsbr_->unregister_worker(0);
}

TEST_F(WorkerTest, TableMemoryFollowsLiveEndpoints)
{
	for (uint32_t vni = 1; vni <= 10000; vni++)
		bind(vni, a4_, b4_);
	size_t ten_thousand = table_->memory_bytes();
	EXPECT_EQ(table_->size(), 10000u);
	// 10,000 sequential VNIs fill 3 pages of 4096, not the 2^24 space.
	EXPECT_LT(ten_thousand, 10000 * 1024u);
	for (uint32_t vni = 1; vni <= 10000; vni++)
		table_->erase(vni);
	EXPECT_EQ(table_->size(), 0u);
}

TEST_F(WorkerTest, VectorsLongerThanABurstAreAllHandled)
{
	bind(1, a4_, b4_);
	rte_mbuf *pkts[80];
	for (auto &m : pkts) {
		m = test::build_udp(test::test_pool(), frame(a4_, 1));
		m->port = port_.port_id;
	}
	worker_->process(pkts, 80);
	auto out = port_.sent();
	EXPECT_EQ(out.size(), 80u);
	for (rte_mbuf *m : out)
		rte_pktmbuf_free(m);
	EXPECT_EQ(worker_->counters().rx_packets.get(), 80u);
}

TEST_F(WorkerTest, MixedBurst)
{
	bind(1, a4_, b4_);
	bind(2, a6_, b6_);
	rte_mbuf *pkts[32];
	for (int i = 0; i < 32; i++) {
		switch (i % 4) {
		case 0: pkts[i] = test::build_udp(test::test_pool(), frame(a4_, 1)); break;
		case 1: pkts[i] = test::build_udp(test::test_pool(), frame(b6_, 2)); break;
		case 2: pkts[i] = test::build_udp(test::test_pool(), frame(a4_, 77)); break;
		default: pkts[i] = test::build_udp(test::test_pool(), frame(addr("10.0.0.99:5"), 1)); break;
		}
		pkts[i]->port = port_.port_id;
	}
	worker_->process(pkts, 32);
	auto out = port_.sent();
	EXPECT_EQ(out.size(), 16u);
	for (rte_mbuf *m : out) {
		Received r;
		ASSERT_TRUE(test::read_udp(m, r));
		EXPECT_TRUE(r.dst == b4_ || r.dst == a6_) << r.dst.to_string();
		EXPECT_TRUE(r.checksums_ok);
		rte_pktmbuf_free(m);
	}
	EXPECT_EQ(drops(RelayDrop::unknown_vni), 8u);
	EXPECT_EQ(drops(RelayDrop::source_mismatch), 8u);
	EXPECT_EQ(worker_->counters().rx_packets.get(), 32u);
}

} // namespace
} // namespace wayport
