// The wg_input stage on its own, table-driven in the manner of the kernel
// WireGuard selftests: transport messages built with libsodium's reference
// AEAD (the peer's side), classified by the real classify stage, run
// through wg_input one per finish() and then all in one vector, each
// landing where its case says: forwarded or to the host as the exact
// inner packet, handed off to its home worker untouched, consumed as a
// keepalive, or dropped by its reason. Both AEAD engines, the same fates.
#include <gtest/gtest.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/crypto/aead.h"
#include "dataplane/stages/classify.h"
#include "dataplane/stages/output.h"
#include "dataplane/stages/wg_input.h"
#include "dataplane/tables/prefix_table.h"
#include "dataplane/tables/rcu.h"
#include "dataplane/wire/bytes.h"
#include "dataplane/wireguard/data_peer.h"
#include "dataplane/wireguard/keypair_table.h"
#include "dataplane/worker/counters.h"
#include "tests/dataplane/wg_packets.h"
#include "tests/dpdk/packet_builder.h"
#include "tests/dpdk/ring_port.h"

namespace wayport {
namespace {

using test::inner_udp;
using test::ip4;
using test::ip6;
using wireguard::DataKeypair;
using wireguard::EndpointCell;

constexpr unsigned kWorker = 0;
constexpr uint64_t kNow = 1'000'000;
constexpr uint16_t kListenPort = 51820;

// Receiver indexes of the fixture's keypairs.
constexpr uint32_t kPeer0 = 0x11111111;     // peer 0, homed here
constexpr uint32_t kPeer1 = 0x22222222;     // peer 1, homed here
constexpr uint32_t kElsewhere = 0x33333333; // peer 0, homed on worker 1
constexpr uint32_t kExpired = 0x44444444;   // peer 1, past REJECT_AFTER_TIME
constexpr uint32_t kUnknown = 0x55555555;

const AddrPort kNode = ip4(192, 0, 2, 1, kListenPort);
const AddrPort kPeerEndpoint = ip4(192, 0, 2, 10, 51820);

Bytes inner_echo4(const AddrPort &src, const AddrPort &dst)
{
	Bytes p(28);
	p[0] = 0x45;
	store_be16(&p[2], 28);
	p[8] = 64;
	p[9] = IPPROTO_ICMP;
	std::copy_n(src.ip4(), 4, &p[12]);
	std::copy_n(dst.ip4(), 4, &p[16]);
	p[20] = 8;  // echo request
	store_be16(&p[24], 0x4242);
	return p;
}

enum class Fate { forwarded, to_host, handoff, keepalive, dropped };

struct Case {
	const char *name = "";
	uint32_t receiver = 0;
	uint64_t counter = 0;
	Bytes inner;                        // empty: a keepalive
	Fate fate = Fate::forwarded;
	std::optional<WgInputDrop> reason;  // for Fate::dropped
	bool tamper = false;                // flip a ciphertext bit after sealing
	Bytes raw_plain;                    // when set, sealed instead of inner (bad inner packets)
};

Case delivered(const char *name, uint32_t receiver, uint64_t counter, Bytes inner, Fate fate)
{
	Case c;
	c.name = name;
	c.receiver = receiver;
	c.counter = counter;
	c.inner = std::move(inner);
	c.fate = fate;
	return c;
}

Case dropped(const char *name, uint32_t receiver, uint64_t counter, Bytes inner, WgInputDrop reason)
{
	Case c = delivered(name, receiver, counter, std::move(inner), Fate::dropped);
	c.reason = reason;
	return c;
}

Case tampered(Case c)
{
	c.tamper = true;
	return c;
}

// A plaintext that is not the inner packet a case expects.
Case sealing(Bytes plain, Case c)
{
	c.raw_plain = std::move(plain);
	return c;
}

class WgInputTest : public testing::TestWithParam<AeadEngine> {
protected:
	void SetUp() override
	{
		std::string error;
		keypairs_ = wireguard::KeypairTable::create(qsbr_, 64, error);
		ASSERT_TRUE(keypairs_) << error;
		PrefixTableConfig small;
		small.max_rules4 = small.max_rules6 = 64;
		small.tbl8_groups4 = small.tbl8_groups6 = 16;
		allowed_ = std::make_unique<PrefixTable>(qsbr_, reclaimer_, small);
		add_allowed(ip4(10, 99, 0, 2), 32, 0);
		add_allowed(ip6(0xfd99, 0, 2), 128, 0);
		add_allowed(ip4(10, 99, 1, 0), 24, 1);

		publish(kPeer0, 0, kWorker, kNow + 1);
		publish(kPeer1, 1, kWorker, kNow + 1);
		publish(kElsewhere, 0, kWorker + 1, kNow + 1);
		publish(kExpired, 1, kWorker, kNow);

		shared_.keypairs = keypairs_.get();
		shared_.allowed_ips = allowed_.get();
		shared_.peers = &peers_;
		shared_.tunnel.has_ipv4 = shared_.tunnel.has_ipv6 = true;
		std::copy_n(ip4(10, 99, 0, 1).ip4(), 4, shared_.tunnel.ipv4);
		std::copy_n(ip6(0xfd99, 0, 1).ip.data(), 16, shared_.tunnel.ipv6);
		dests_.ports.resize(1);
		dests_.ports[0].has_ipv4 = true;
		std::copy_n(kNode.ip4(), 4, dests_.ports[0].ipv4);

		punt_ = rte_ring_create(("wgin_punt" + std::to_string(serial_++)).c_str(), 64, SOCKET_ID_ANY,
					RING_F_SP_ENQ | RING_F_SC_DEQ);
		ASSERT_NE(punt_, nullptr);
	}

	void TearDown() override
	{
		if (punt_)
			rte_ring_free(punt_);
	}

	void add_allowed(const AddrPort &a, uint8_t len, uint32_t peer)
	{
		Prefix p = Prefix::of(a, len);
		ASSERT_EQ(allowed_->add(p, peer), PrefixResult::ok);
	}

	void publish(uint32_t index, uint32_t peer, uint16_t home, uint64_t reject_after)
	{
		auto kp = std::make_unique<DataKeypair>();
		kp->local_index = index;
		kp->peer = peer;
		kp->home_worker = home;
		kp->reject_after_tsc = reject_after;
		for (size_t i = 0; i < sizeof kp->receive_key; i++)
			kp->receive_key[i] = static_cast<uint8_t>(index >> (i % 4 * 8)) ^ static_cast<uint8_t>(i);
		ASSERT_EQ(keypairs_->publish(std::move(kp)), wireguard::KeypairTableError::none);
	}

	// The key the peer of a receiver index seals with; any key for one
	// nobody has.
	const uint8_t *key_of(uint32_t receiver)
	{
		DataKeypair *kp = keypairs_->find(receiver);
		return kp ? kp->receive_key : keypairs_->find(kPeer0)->receive_key;
	}

	rte_mbuf *frame(const Case &c, const AddrPort &from = kPeerEndpoint)
	{
		const Bytes &plain = c.raw_plain.empty() ? c.inner : c.raw_plain;
		test::Frame f;
		f.src = from;
		f.dst = kNode;
		f.payload = test::seal_transport(key_of(c.receiver), c.receiver, c.counter, plain);
		if (c.tamper)
			f.payload[20] ^= 1;
		rte_mbuf *m = test::build_udp(test::test_pool(), f);
		PacketMeta &pm = meta(m);
		classify(m, dests_, pm);
		EXPECT_EQ(pm.dst_port, kListenPort);
		return m;
	}

	// Runs the cases through one stage in vectors of `per_finish` packets,
	// checks each fate, and frees what the stage handed on.
	void run(const std::vector<Case> &cases, uint16_t per_finish)
	{
		WorkerCounters c;
		WgInputStage stage(shared_, kWorker, 512, GetParam());
		Output out(c, kWorker, 1, 0, punt_, 512);
		unsigned in_use = rte_mempool_in_use_count(test::test_pool());
		uint64_t keepalives = peers_[0].keepalives_received.get() + peers_[1].keepalives_received.get();
		std::vector<rte_mbuf *> pkts;
		for (const auto &k : cases)
			pkts.push_back(frame(k));
		std::vector<Fate> fates;
		for (size_t base = 0; base < pkts.size(); base += per_finish) {
			size_t n = std::min<size_t>(per_finish, pkts.size() - base);
			for (size_t i = 0; i < n; i++)
				stage.admit(pkts[base + i]);
			stage.finish(kNow, out, c);
			for (size_t i = 0; i < n; i++)
				fates.push_back(fate_of(stage, pkts[base + i], cases[base + i]));
			for (auto list : {stage.forwarded(), stage.to_host(), stage.handoff()})
				for (rte_mbuf *m : list)
					rte_pktmbuf_free(m);
			out.flush();
		}
		for (size_t i = 0; i < cases.size(); i++)
			EXPECT_EQ(fates[i], cases[i].fate) << cases[i].name;
		for (size_t r = 0; r < kWgInputDrops; r++) {
			auto reason = static_cast<WgInputDrop>(r);
			size_t want = std::count_if(cases.begin(), cases.end(), [&](const Case &k) {
				return k.fate == Fate::dropped && k.reason == reason;
			});
			EXPECT_EQ(c.dropped(reason), want) << to_string(reason);
		}
		EXPECT_EQ(c.stage_packets[static_cast<size_t>(CountedStage::wg_input)].get(), cases.size());
		EXPECT_EQ(peers_[0].keepalives_received.get() + peers_[1].keepalives_received.get() - keepalives,
			  static_cast<uint64_t>(std::count_if(cases.begin(), cases.end(),
							      [](const Case &k) { return k.fate == Fate::keepalive; })));
		EXPECT_EQ(rte_mempool_in_use_count(test::test_pool()), in_use) << "a packet was lost or leaked";
	}

	// Where m went, checking what it looks like there.
	Fate fate_of(const WgInputStage &stage, rte_mbuf *m, const Case &c)
	{
		auto in = [m](std::span<rte_mbuf *const> v) { return std::find(v.begin(), v.end(), m) != v.end(); };
		if (in(stage.handoff())) {
			EXPECT_EQ(meta(m).aux, kWorker + 1) << c.name;
			return Fate::handoff;
		}
		bool fwd = in(stage.forwarded()), host = in(stage.to_host());
		if (fwd || host) {
			EXPECT_EQ(test::mbuf_bytes(m), c.inner) << c.name << ": the inner packet, exactly";
			EXPECT_EQ(meta(m).l3_offset, 0) << c.name;
			EXPECT_EQ(meta(m).aux, keypairs_->find(c.receiver)->peer) << c.name;
			return fwd ? Fate::forwarded : Fate::to_host;
		}
		// Freed by the output stage: a drop or a keepalive, told apart by the
		// case's expectation here and held to it by the counters run() checks.
		return c.fate == Fate::keepalive ? Fate::keepalive : Fate::dropped;
	}

	Qsbr qsbr_{1};
	Reclaimer reclaimer_{qsbr_};
	std::unique_ptr<wireguard::KeypairTable> keypairs_;
	std::unique_ptr<PrefixTable> allowed_;
	wireguard::DataPeerTable peers_{4};
	WgInputShared shared_;
	Destinations dests_;
	rte_ring *punt_ = nullptr;
	static inline unsigned serial_ = 0;
};

std::vector<Case> fate_table()
{
	const AddrPort p0 = ip4(10, 99, 0, 2, 4000), p0v6 = ip6(0xfd99, 0, 2, 4001);
	const AddrPort p1 = ip4(10, 99, 1, 7, 4002);
	const AddrPort far = ip4(198, 18, 0, 5, 53), far6 = ip6(0x2001, 0xdb8, 9, 53);
	const AddrPort node = ip4(10, 99, 0, 1);
	Bytes garbage(16, 0x55);
	Bytes too_long = inner_udp(p0, far, 10);
	store_be16(&too_long[2], static_cast<uint16_t>(too_long.size() + 16));
	return {
		delivered("IPv4 UDP to a far network", kPeer0, 0, inner_udp(p0, far, 100), Fate::forwarded),
		delivered("IPv6 UDP to a far network", kPeer0, 1, inner_udp(p0v6, far6, 3), Fate::forwarded),
		delivered("a peer's /24", kPeer1, 0, inner_udp(p1, far, 1), Fate::forwarded),
		delivered("an echo to the node's tunnel address", kPeer0, 2, inner_echo4(p0, node), Fate::to_host),
		delivered("UDP to the node's tunnel address", kPeer0, 3, inner_udp(p0, ip4(10, 99, 0, 1, 53), 4),
			  Fate::to_host),
		delivered("a keepalive", kPeer0, 4, {}, Fate::keepalive),
		dropped("no keypair has the index", kUnknown, 0, inner_udp(p0, far, 1), WgInputDrop::unknown_index),
		delivered("homed on worker 1", kElsewhere, 0, inner_udp(p0, far, 1), Fate::handoff),
		dropped("keypair too old", kExpired, 0, inner_udp(p1, far, 1), WgInputDrop::keypair_expired),
		tampered(dropped("tag does not verify", kPeer0, 5, inner_udp(p0, far, 1), WgInputDrop::decrypt_failed)),
		dropped("counter replayed", kPeer0, 0, inner_udp(p0, far, 100), WgInputDrop::replayed),
		dropped("counter at REJECT_AFTER_MESSAGES", kPeer0, wireguard::ReplayWindow::kRejectAfterMessages,
			inner_udp(p0, far, 1), WgInputDrop::replayed),
		dropped("another peer's source", kPeer0, 6, inner_udp(p1, far, 1), WgInputDrop::not_allowed_ip),
		dropped("a source nobody is allowed", kPeer1, 1, inner_udp(ip4(8, 8, 8, 8), far, 1),
			WgInputDrop::not_allowed_ip),
		sealing(garbage, dropped("not an IP packet", kPeer0, 7, {}, WgInputDrop::bad_inner_packet)),
		sealing(too_long, dropped("IPv4 length past the plaintext", kPeer0, 8, {}, WgInputDrop::bad_inner_packet)),
	};
}

TEST_P(WgInputTest, EachPacketLandsWhereItsCaseSaysOneAtATime)
{
	run(fate_table(), 1);
}

TEST_P(WgInputTest, EachPacketLandsWhereItsCaseSaysInOneVector)
{
	run(fate_table(), 512);
}

TEST_P(WgInputTest, VectorsLongerThanTheAeadBatchGoInSlices)
{
	std::vector<Case> cases;
	for (uint64_t i = 0; i < 300; i++)
		cases.push_back(delivered("one of many", kPeer0, i,
					  inner_udp(ip4(10, 99, 0, 2, 1), ip4(198, 18, 0, 5, 2), i % 50), Fate::forwarded));
	run(cases, 300);
}

TEST_P(WgInputTest, PeerCountersFollowAuthenticatedPackets)
{
	Bytes inner = inner_udp(ip4(10, 99, 0, 2, 1), ip4(198, 18, 0, 5, 2), 10);
	run({delivered("data", kPeer0, 0, inner, Fate::forwarded), delivered("keepalive", kPeer0, 1, {}, Fate::keepalive),
	     tampered(dropped("forged", kPeer0, 2, inner, WgInputDrop::decrypt_failed))},
	    512);
	const auto &peer = peers_[0];
	EXPECT_EQ(peer.rx_packets.get(), 2u);
	EXPECT_EQ(peer.keepalives_received.get(), 1u);
	EXPECT_EQ(peer.rx_bytes.get(), (16 + 48 + 16) + (16 + 16u)) << "whole messages, the forged one not";
	EXPECT_EQ(peer.last_rx_tsc.get(), kNow);
	EXPECT_EQ(peer.last_data_rx_tsc.get(), kNow);
	EXPECT_EQ(keypairs_->find(kPeer0)->rx_packets.get(), 2u);
	EXPECT_EQ(peers_[1].rx_packets.get(), 0u);
}

// The endpoint follows the latest authenticated packet's source; a forged
// one moves nothing, and roaming off keeps the configured endpoint.
TEST_P(WgInputTest, EndpointRoamsWithAuthenticatedPacketsOnly)
{
	WorkerCounters c;
	WgInputStage stage(shared_, kWorker, 16, GetParam());
	Output out(c, kWorker, 1, 0, punt_, 16);
	auto send = [&](uint64_t counter, const AddrPort &from, bool tamper) {
		Case k = delivered("roam", kPeer0, counter, inner_udp(ip4(10, 99, 0, 2, 1), ip4(198, 18, 0, 5, 2), 1),
				   Fate::forwarded);
		k.tamper = tamper;
		stage.admit(frame(k, from));
		stage.finish(kNow, out, c);
		for (rte_mbuf *m : stage.forwarded())
			rte_pktmbuf_free(m);
		out.flush();
	};
	auto endpoint = [&] {
		AddrPort a;
		return peers_[0].endpoint.load(a) == EndpointCell::Read::found ? std::optional<AddrPort>(a)
									     : std::nullopt;
	};
	EXPECT_EQ(endpoint(), std::nullopt);
	send(0, kPeerEndpoint, false);
	EXPECT_EQ(endpoint(), kPeerEndpoint);
	const AddrPort moved = ip4(203, 0, 113, 9, 40000);
	send(1, moved, true);
	EXPECT_EQ(endpoint(), kPeerEndpoint) << "a forged packet must not move the endpoint";
	send(2, moved, false);
	EXPECT_EQ(endpoint(), moved);
	EXPECT_EQ(peers_[0].roamed.get(), 2u);

	peers_[0].roaming.store(false);
	peers_[0].endpoint.store(kPeerEndpoint);
	send(3, ip4(203, 0, 113, 10, 1), false);
	EXPECT_EQ(endpoint(), kPeerEndpoint) << "roaming is off";
	EXPECT_EQ(c.dropped(WgInputDrop::decrypt_failed), 1u);
}

INSTANTIATE_TEST_SUITE_P(Engines, WgInputTest, testing::Values(AeadEngine::automatic, AeadEngine::sodium),
			 [](const testing::TestParamInfo<AeadEngine> &i) { return std::string(aead_engine_name(i.param)); });

} // namespace
} // namespace wayport
