// The wg_output stage on its own, table-driven like wg_input_test: LAN
// frames and inner packets, classified by the real classify, each landing
// where its case says. Sealed packets are opened the way the peer opens
// them: the outer IP and UDP headers parsed and their checksums checked,
// the transport header read, the ciphertext decrypted with libsodium's
// reference AEAD, the plaintext held to the inner packet plus its zero
// padding. Both AEAD engines, the same fates.
#include <gtest/gtest.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/crypto/aead.h"
#include "dataplane/stages/classify.h"
#include "dataplane/stages/output.h"
#include "dataplane/stages/wg_output.h"
#include "dataplane/tables/fib.h"
#include "dataplane/tables/prefix_table.h"
#include "dataplane/tables/rcu.h"
#include "dataplane/wire/bytes.h"
#include "dataplane/wireguard/data_peer.h"
#include "dataplane/wireguard/keypair_table.h"
#include "dataplane/wireguard/message_limits.h"
#include "dataplane/worker/counters.h"
#include "tests/dataplane/wg_packets.h"
#include "tests/dpdk/packet_builder.h"
#include "tests/dpdk/ring_port.h"

namespace wayport {
namespace {

using test::hop;
using test::ip4;
using test::ip6;
using test::set_ipv4_checksum;
using wireguard::DataKeypair;
using wireguard::DataPeer;

constexpr unsigned kWorker = 0;
constexpr uint64_t kNow = 1'000'000;
constexpr uint16_t kListenPort = 51820;
constexpr uint16_t kMtu = 1420;

// The node's one port: 192.0.2.1/24 with a default gateway, and
// 2001:db8::1/64 with none, so IPv6 beyond the link has no route.
const AddrPort kPort4 = ip4(192, 0, 2, 1);
const AddrPort kGateway4 = ip4(192, 0, 2, 254);
const AddrPort kPort6 = ip6(0x2001, 0xdb8, 1);
const AddrPort kLanHost = ip4(172, 16, 0, 9, 3000);
const AddrPort kLanHost6 = ip6(0xfd00, 0, 9, 3001);

// The peers, by slot.
enum PeerSlot : uint32_t {
	kV4Peer,        // endpoint on IPv4 beyond the gateway
	kV6Peer,        // endpoint on IPv6, on-link
	kElsewhere,     // homed on worker 1
	kNoKeypair,     // no handshake yet
	kExpired,       // keypair past REJECT_AFTER_TIME
	kExhausted,     // keypair at REJECT_AFTER_MESSAGES
	kNoEndpoint,    // keypair, no endpoint
	kUnroutable,    // endpoint nobody routes to
	kRekeyDue,      // keypair past its REKEY_AFTER_TIME
	kPeers
};

// Each peer's tunnel address: 10.99.0.(10 + slot), and fd99::(10 + slot).
AddrPort tunnel4(uint32_t slot, uint16_t port = 4000)
{
	return ip4(10, 99, 0, static_cast<uint8_t>(10 + slot), port);
}
AddrPort tunnel6(uint32_t slot, uint16_t port = 4000)
{
	return ip6(0xfd99, 0, static_cast<uint16_t>(10 + slot), port);
}

// An inner IPv4 or IPv6 UDP packet of exactly total_len bytes.
Bytes inner_udp(const AddrPort &src, const AddrPort &dst, size_t total_len)
{
	return test::inner_udp(src, dst, total_len - (src.is_v4 ? 20 : 40) - 8);
}

enum class Fate { sealed, handoff, staged, ttl_exceeded, dropped };

struct Case {
	const char *name = "";
	Bytes inner;                        // the IP packet
	bool from_lan = true;               // in an Ethernet frame from the port; else a bare inner packet
	Fate fate = Fate::sealed;
	std::optional<WgOutputDrop> reason;  // for Fate::dropped
	uint32_t peer = kV4Peer;             // sealed, staged: whose
	uint16_t tailroom = 0;               // non-zero: the mbuf has only this much room after the packet
	bool injected = false;               // handed back by the control thread after staging
};

Bytes with_ttl(Bytes p, uint8_t ttl)
{
	if (p[0] >> 4 == 4) {
		p[8] = ttl;
		set_ipv4_checksum(p);
	} else {
		p[7] = ttl;
	}
	return p;
}

Case injected(Case c)
{
	c.injected = true;
	c.from_lan = false;
	return c;
}

Case to_peer(const char *name, uint32_t peer, Bytes inner, Fate fate)
{
	Case c;
	c.name = name;
	c.peer = peer;
	c.inner = std::move(inner);
	c.fate = fate;
	return c;
}

Case dropped(const char *name, Bytes inner, WgOutputDrop reason)
{
	Case c = to_peer(name, kV4Peer, std::move(inner), Fate::dropped);
	c.reason = reason;
	return c;
}

Case bare(Case c)
{
	c.from_lan = false;
	return c;
}

// What a sealed packet says, read the peer's way.
struct Opened {
	AddrPort src, dst;
	bool checksums_ok = false;
	uint16_t udp_checksum = 0;
	uint32_t type = 0, receiver = 0;
	uint64_t counter = 0;
	Bytes plain;  // decrypted, padding included
	bool authentic = false;
};

class WgOutputTest : public testing::TestWithParam<AeadEngine> {
protected:
	void SetUp() override
	{
		PrefixTableConfig small;
		small.max_rules4 = small.max_rules6 = 64;
		small.tbl8_groups4 = 16;
		small.tbl8_groups6 = 256;  // a /128 takes 13
		allowed_ = std::make_unique<PrefixTable>(qsbr_, reclaimer_, small);
		for (uint32_t slot = 0; slot < kPeers; slot++) {
			ASSERT_EQ(allowed_->add(Prefix::v4(tunnel4(slot).ip4(), 32), slot), PrefixResult::ok);
			ASSERT_EQ(allowed_->add(Prefix::v6(tunnel6(slot).ip.data(), 128), slot), PrefixResult::ok);
		}

		FibConfig fib_config;
		fib_config.next_hops = 16;
		fib_config.prefixes = small;
		fib_ = std::make_unique<Fib>(qsbr_, fib_config);
		Port port;
		port.port_id = 0;
		port.ipv4 = kPort4;
		port.ipv4_prefix = 24;
		port.gateway4 = kGateway4;
		port.ipv6 = kPort6;
		port.ipv6_prefix = 64;
		ports_ = {port};
		ASSERT_EQ(fib_->build(ports_, {}), FibResult::ok);
		egress_ = egress_view(ports_);

		for (uint32_t slot = 0; slot < kPeers; slot++) {
			DataPeer &p = peers_[slot];
			p.home_worker.store(slot == kElsewhere ? kWorker + 1 : kWorker);
			if (slot == kNoKeypair)
				continue;
			auto kp = std::make_unique<DataKeypair>();
			kp->remote_index = 0xabc00000 | slot;
			kp->peer = slot;
			kp->home_worker = static_cast<uint16_t>(p.home_worker.load());
			kp->reject_after_tsc = slot == kExpired ? kNow : kNow + 1;
			if (slot == kRekeyDue)
				kp->rekey_after_tsc = kNow;
			if (slot == kExhausted)
				kp->send_counter = wireguard::kRejectAfterMessages;
			for (size_t i = 0; i < sizeof kp->send_key; i++)
				kp->send_key[i] = static_cast<uint8_t>(slot * 31 + i);
			p.send_keypair.store(kp.get());
			keypairs_.push_back(std::move(kp));
		}
		peers_[kV4Peer].endpoint.store(endpoint_of(kV4Peer));
		peers_[kV6Peer].endpoint.store(endpoint_of(kV6Peer));
		peers_[kNoKeypair].endpoint.store(ip4(203, 0, 113, 3, 51820));
		peers_[kExpired].endpoint.store(ip4(203, 0, 113, 4, 51820));
		peers_[kExhausted].endpoint.store(ip4(203, 0, 113, 5, 51820));
		peers_[kUnroutable].endpoint.store(endpoint_of(kUnroutable));
		peers_[kRekeyDue].endpoint.store(endpoint_of(kRekeyDue));

		shared_.allowed_ips = allowed_.get();
		shared_.peers = &peers_;
		shared_.fib = fib_.get();
		shared_.ports = &egress_;
		shared_.listen_port = kListenPort;
		shared_.mtu = kMtu;
		dests_.ports.resize(1);
		dests_.ports[0] = egress_[0].addrs;

		punt_ = rte_ring_create(("wgout_punt" + std::to_string(serial_++)).c_str(), 1024, SOCKET_ID_ANY,
					RING_F_SP_ENQ | RING_F_SC_DEQ);
		ASSERT_NE(punt_, nullptr);
	}

	void TearDown() override
	{
		if (punt_) {
			rte_mbuf *m;
			while (rte_ring_sc_dequeue(punt_, reinterpret_cast<void **>(&m)) == 0)
				rte_pktmbuf_free(m);
			rte_ring_free(punt_);
		}
	}

	static AddrPort endpoint_of(uint32_t slot)
	{
		switch (slot) {
		case kV6Peer: return ip6(0x2001, 0xdb8, 0x10, 51821);
		case kUnroutable: return ip6(0x2001, 0xdb9, 0x10, 51820);
		default: return ip4(198, 51, 100, static_cast<uint8_t>(slot), 51820);
		}
	}

	rte_mbuf *packet(const Case &c)
	{
		rte_mbuf *m;
		if (c.from_lan) {
			Bytes frame(sizeof(rte_ether_hdr));
			store_be16(&frame[12], c.inner[0] >> 4 == 4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
			frame.insert(frame.end(), c.inner.begin(), c.inner.end());
			m = test::build_raw(test::test_pool(), frame);
			PacketMeta &pm = meta(m);
			classify(m, dests_, pm);
			EXPECT_EQ(pm.l3_offset, sizeof(rte_ether_hdr)) << c.name;
		} else {
			m = test::build_raw(test::test_pool(), c.inner);
			PacketMeta &pm = meta(m);
			pm = PacketMeta{};
			classify_inner(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m), PortAddrs{}, pm);
			EXPECT_EQ(pm.l3_offset, 0) << c.name;
			if (c.injected)
				pm.flags |= meta_flags::injected;
		}
		if (c.tailroom) {
			// Move the data to the end of the buffer, leaving only `tailroom`.
			uint16_t len = rte_pktmbuf_data_len(m);
			uint16_t off = static_cast<uint16_t>(m->buf_len - len - c.tailroom);
			std::memmove(static_cast<uint8_t *>(m->buf_addr) + off, rte_pktmbuf_mtod(m, void *), len);
			m->data_off = off;
		}
		return m;
	}

	Opened open(rte_mbuf *m)
	{
		Bytes frame(sizeof(rte_ether_hdr));
		Bytes ip = test::mbuf_bytes(m);
		store_be16(&frame[12], ip[0] >> 4 == 4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
		frame.insert(frame.end(), ip.begin(), ip.end());
		rte_mbuf *copy = test::build_raw(test::test_pool(), frame);
		test::Received r;
		bool parsed = test::read_udp(copy, r);
		rte_pktmbuf_free(copy);
		Opened o;
		EXPECT_TRUE(parsed);
		if (!parsed || r.payload.size() < 32)
			return o;
		o.src = r.src;
		o.dst = r.dst;
		o.checksums_ok = r.checksums_ok;
		o.udp_checksum = r.udp_checksum;
		o.type = load_le32(&r.payload[0]);
		o.receiver = load_le32(&r.payload[4]);
		o.counter = load_le64(&r.payload[8]);
		size_t len = r.payload.size() - 32;
		o.plain.assign(r.payload.begin() + 16, r.payload.begin() + 16 + len);
		const DataKeypair *kp = nullptr;
		for (const auto &k : keypairs_)
			if (k->remote_index == o.receiver)
				kp = k.get();
		if (kp)
			o.authentic = sodium_wg_decrypt(kp->send_key, o.counter, o.plain.data(), len,
							&r.payload[16 + len]) == AeadStatus::ok;
		return o;
	}

	// Runs the cases through one stage in vectors of `per_finish` packets
	// and checks each fate; returns the sealed packets' openings in order.
	std::vector<Opened> run(const std::vector<Case> &cases, uint16_t per_finish)
	{
		WorkerCounters c;
		WgOutputStage stage(shared_, kWorker, 512, GetParam());
		Output out(c, kWorker, 1, 0, punt_, 512);
		unsigned in_use = rte_mempool_in_use_count(test::test_pool());
		std::vector<rte_mbuf *> pkts;
		for (const auto &k : cases)
			pkts.push_back(packet(k));
		std::vector<Opened> opened;
		std::vector<Fate> fates;
		for (size_t base = 0; base < pkts.size(); base += per_finish) {
			size_t n = std::min<size_t>(per_finish, pkts.size() - base);
			for (size_t i = 0; i < n; i++)
				stage.admit(pkts[base + i]);
			stage.finish(kNow, out, c);
			out.flush();
			for (size_t i = 0; i < n; i++)
				fates.push_back(fate_of(stage, pkts[base + i], cases[base + i], opened));
			for (auto list : {stage.sealed(), stage.handoff()})
				for (rte_mbuf *m : list)
					rte_pktmbuf_free(m);
		}
		for (size_t i = 0; i < cases.size(); i++)
			EXPECT_EQ(fates[i], cases[i].fate) << cases[i].name;
		for (size_t r = 0; r < kWgOutputDrops; r++) {
			auto reason = static_cast<WgOutputDrop>(r);
			size_t want = std::count_if(cases.begin(), cases.end(), [&](const Case &k) {
				return k.fate == Fate::dropped && k.reason == reason;
			});
			EXPECT_EQ(c.dropped(reason), want) << to_string(reason);
		}
		auto count = [&](Fate f) {
			return static_cast<size_t>(
				std::count_if(cases.begin(), cases.end(), [f](const Case &k) { return k.fate == f; }));
		};
		EXPECT_EQ(c.punts(PuntReason::wg_staged), count(Fate::staged));
		EXPECT_EQ(c.punts(PuntReason::ttl_exceeded), count(Fate::ttl_exceeded));
		size_t staged = count(Fate::staged) + count(Fate::ttl_exceeded);
		EXPECT_EQ(rte_ring_count(punt_), staged);
		EXPECT_EQ(c.stage_packets[static_cast<size_t>(CountedStage::wg_output)].get(), cases.size());
		// The staged packets wait on the ring; the rest is back in the pool.
		EXPECT_EQ(rte_mempool_in_use_count(test::test_pool()), in_use + staged) << "a packet was lost or leaked";
		return opened;
	}

	Fate fate_of(const WgOutputStage &stage, rte_mbuf *m, const Case &c, std::vector<Opened> &opened)
	{
		auto in = [m](std::span<rte_mbuf *const> v) { return std::find(v.begin(), v.end(), m) != v.end(); };
		if (in(stage.handoff())) {
			EXPECT_EQ(meta(m).aux, kWorker + 1) << c.name;
			EXPECT_EQ(rte_pktmbuf_data_len(m), c.inner.size() + (c.from_lan ? sizeof(rte_ether_hdr) : 0))
				<< c.name << ": handed off untouched";
			return Fate::handoff;
		}
		if (in(stage.sealed())) {
			check_sealed(m, c, opened);
			return Fate::sealed;
		}
		rte_mbuf *staged[1024];
		unsigned n = rte_ring_count(punt_);
		rte_ring_sc_dequeue_bulk(punt_, reinterpret_cast<void **>(staged), n, nullptr);
		bool found = std::find(staged, staged + n, m) != staged + n;
		rte_ring_sp_enqueue_bulk(punt_, reinterpret_cast<void **>(staged), n, nullptr);
		if (found) {
			EXPECT_EQ(meta(m).aux, c.peer) << c.name;
			EXPECT_EQ(meta(m).l3_offset, 0) << c.name;
			if (meta(m).reason == static_cast<uint8_t>(PuntReason::ttl_exceeded)) {
				EXPECT_EQ(test::mbuf_bytes(m), c.inner) << c.name << ": as it came, bare";
				return Fate::ttl_exceeded;
			}
			EXPECT_EQ(meta(m).reason, static_cast<uint8_t>(PuntReason::wg_staged)) << c.name;
			EXPECT_EQ(test::mbuf_bytes(m), hop(c.inner)) << c.name << ": staged bare, its hop counted";
			return Fate::staged;
		}
		return Fate::dropped;
	}

	void check_sealed(rte_mbuf *m, const Case &c, std::vector<Opened> &opened)
	{
		Opened o = open(m);
		const AddrPort ep = endpoint_of(c.peer);
		EXPECT_EQ(o.dst, ep) << c.name;
		EXPECT_EQ(o.src, ep.is_v4 ? ip4(192, 0, 2, 1, kListenPort) : ip6(0x2001, 0xdb8, 1, kListenPort))
			<< c.name;
		EXPECT_TRUE(o.checksums_ok) << c.name;
		if (ep.is_v4) {
			EXPECT_EQ(o.udp_checksum, 0) << c.name << ": IPv4 sends no UDP checksum in software";
		}
		EXPECT_EQ(o.type, 4u) << c.name;
		EXPECT_EQ(o.receiver, 0xabc00000 | c.peer) << c.name;
		EXPECT_TRUE(o.authentic) << c.name;
		size_t padded = std::min<size_t>(wg_padded_len(c.inner.size()), kMtu);
		padded = std::max(padded, c.inner.size());
		EXPECT_EQ(o.plain.size(), padded) << c.name;
		Bytes want = c.injected ? c.inner : hop(c.inner);
		want.resize(padded, 0);
		EXPECT_EQ(o.plain, want) << c.name << ": the inner packet and zero padding";
		uint32_t hop = meta(m).aux;
		EXPECT_TRUE(fib_->valid(hop)) << c.name;
		if (fib_->valid(hop)) {
			EXPECT_EQ(fib_->next_hop(hop).port, 0) << c.name;
			EXPECT_EQ(fib_->next_hop(hop).via_gateway, ep.is_v4) << c.name;
		}
		EXPECT_EQ(m->l3_len, ep.is_v4 ? sizeof(rte_ipv4_hdr) : sizeof(rte_ipv6_hdr)) << c.name;
		EXPECT_TRUE(m->ol_flags & (ep.is_v4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6)) << c.name;
		opened.push_back(std::move(o));
	}

	Qsbr qsbr_{1};
	Reclaimer reclaimer_{qsbr_};
	std::unique_ptr<PrefixTable> allowed_;
	std::unique_ptr<Fib> fib_;
	std::vector<Port> ports_;
	std::vector<EgressPort> egress_;
	std::vector<std::unique_ptr<DataKeypair>> keypairs_;
	wireguard::DataPeerTable peers_{kPeers};
	WgOutputShared shared_;
	Destinations dests_;
	rte_ring *punt_ = nullptr;
	static inline unsigned serial_ = 0;
};

std::vector<Case> fate_table()
{
	const AddrPort lan = kLanHost, lan6 = kLanHost6;
	Case tight = dropped("no tailroom for the padding and tag", inner_udp(lan, tunnel4(kV4Peer), 61),
			     WgOutputDrop::no_room);
	tight.tailroom = 16;
	return {
		to_peer("IPv4 from the LAN, IPv4 endpoint", kV4Peer, inner_udp(lan, tunnel4(kV4Peer), 100), Fate::sealed),
		to_peer("IPv6 from the LAN, IPv4 endpoint", kV4Peer, inner_udp(lan6, tunnel6(kV4Peer), 77), Fate::sealed),
		to_peer("IPv4 to the IPv6 endpoint", kV6Peer, inner_udp(lan, tunnel4(kV6Peer), 64), Fate::sealed),
		bare(to_peer("a peer's packet for another peer", kV6Peer, inner_udp(tunnel6(kV4Peer), tunnel6(kV6Peer), 48),
			     Fate::sealed)),
		to_peer("exactly the MTU: no padding past it", kV4Peer, inner_udp(lan, tunnel4(kV4Peer), kMtu), Fate::sealed),
		to_peer("padding stops at the MTU", kV4Peer, inner_udp(lan, tunnel4(kV4Peer), kMtu - 3), Fate::sealed),
		dropped("one byte past the MTU", inner_udp(lan, tunnel4(kV4Peer), kMtu + 1), WgOutputDrop::too_big),
		dropped("in no peer's allowed IPs", inner_udp(lan, ip4(10, 99, 5, 5, 1), 40), WgOutputDrop::no_peer),
		to_peer("homed on worker 1", kElsewhere, inner_udp(lan, tunnel4(kElsewhere), 40), Fate::handoff),
		to_peer("no keypair yet", kNoKeypair, inner_udp(lan, tunnel4(kNoKeypair), 40), Fate::staged),
		to_peer("keypair too old", kExpired, inner_udp(lan6, tunnel6(kExpired), 60), Fate::staged),
		to_peer("keypair out of nonces", kExhausted, inner_udp(lan, tunnel4(kExhausted), 40), Fate::staged),
		dropped("no endpoint", inner_udp(lan, tunnel4(kNoEndpoint), 40), WgOutputDrop::no_endpoint),
		dropped("no route to the endpoint", inner_udp(lan, tunnel4(kUnroutable), 40),
			WgOutputDrop::no_endpoint_route),
		to_peer("due for a rekey, still sent", kRekeyDue, inner_udp(lan, tunnel4(kRekeyDue), 40), Fate::sealed),
		tight,
		to_peer("TTL 1", kV4Peer, with_ttl(inner_udp(lan, tunnel4(kV4Peer), 40), 1), Fate::ttl_exceeded),
		to_peer("TTL 0", kV4Peer, with_ttl(inner_udp(lan, tunnel4(kV4Peer), 40), 0), Fate::ttl_exceeded),
		to_peer("hop limit 1", kV4Peer, with_ttl(inner_udp(lan6, tunnel6(kV4Peer), 60), 1), Fate::ttl_exceeded),
		to_peer("TTL 2 goes, with 1", kV4Peer, with_ttl(inner_udp(lan, tunnel4(kV4Peer), 40), 2), Fate::sealed),
		injected(to_peer("handed back after staging: its hop was counted", kV4Peer,
				 with_ttl(inner_udp(lan, tunnel4(kV4Peer), 40), 1), Fate::sealed)),
	};
}

TEST_P(WgOutputTest, EachPacketLandsWhereItsCaseSaysOneAtATime)
{
	run(fate_table(), 1);
}

TEST_P(WgOutputTest, EachPacketLandsWhereItsCaseSaysInOneVector)
{
	run(fate_table(), 512);
}

// Every packet takes the next nonce of its keypair, across slices longer
// than the AEAD batch: none is used twice, none skipped.
TEST_P(WgOutputTest, NoncesCountUpAcrossSlices)
{
	std::vector<Case> cases;
	for (size_t i = 0; i < 300; i++)
		cases.push_back(to_peer("one of many", i % 3 ? kV4Peer : kV6Peer,
					inner_udp(kLanHost, tunnel4(i % 3 ? kV4Peer : kV6Peer), 28 + i % 64), Fate::sealed));
	std::vector<Opened> opened = run(cases, 300);
	ASSERT_EQ(opened.size(), cases.size());
	uint64_t next[2] = {0, 0};
	for (size_t i = 0; i < opened.size(); i++) {
		uint64_t &want = next[cases[i].peer == kV6Peer];
		EXPECT_EQ(opened[i].counter, want++) << i;
	}
	EXPECT_EQ(keypairs_[kV4Peer]->send_counter, next[0]);
	EXPECT_EQ(keypairs_[kV6Peer]->send_counter, next[1]);
}

TEST_P(WgOutputTest, PeerCountersAndHandshakeRequests)
{
	run({to_peer("data", kV4Peer, inner_udp(kLanHost, tunnel4(kV4Peer), 100), Fate::sealed),
	     to_peer("more", kV4Peer, inner_udp(kLanHost, tunnel4(kV4Peer), 33), Fate::sealed),
	     to_peer("staged", kNoKeypair, inner_udp(kLanHost, tunnel4(kNoKeypair), 33), Fate::staged),
	     to_peer("rekey", kRekeyDue, inner_udp(kLanHost, tunnel4(kRekeyDue), 33), Fate::sealed)},
	    512);
	const DataPeer &p = peers_[kV4Peer];
	EXPECT_EQ(p.tx_packets.get(), 2u);
	EXPECT_EQ(p.tx_bytes.get(), (16 + 112 + 16) + (16 + 48 + 16u)) << "whole messages: header, padded, tag";
	EXPECT_EQ(p.last_tx_tsc.get(), kNow);
	EXPECT_EQ(p.last_data_tx_tsc.get(), kNow);
	EXPECT_FALSE(p.wants_handshake.load()) << "a fresh keypair asks for nothing";
	EXPECT_TRUE(peers_[kNoKeypair].wants_handshake.load());
	EXPECT_EQ(peers_[kNoKeypair].staged_in_flight.load(), 1);
	EXPECT_EQ(peers_[kNoKeypair].tx_packets.get(), 0u);
	EXPECT_TRUE(peers_[kRekeyDue].wants_handshake.load());
	EXPECT_EQ(peers_[kRekeyDue].tx_packets.get(), 1u);
}

// At most kMaxStaged packets per peer are on their way to the control
// thread; the rest are dropped and counted, and a reset lets more through.
TEST_P(WgOutputTest, StagingStopsAtTheLimitInFlight)
{
	peers_[kNoKeypair].staged_in_flight.store(wireguard::kMaxStaged - 1);
	Bytes inner = inner_udp(kLanHost, tunnel4(kNoKeypair), 40);
	Case full = to_peer("over the limit", kNoKeypair, inner, Fate::dropped);
	full.reason = WgOutputDrop::staging_full;
	run({to_peer("the last one allowed", kNoKeypair, inner, Fate::staged), full, full}, 512);
	EXPECT_EQ(peers_[kNoKeypair].staged_in_flight.load(), wireguard::kMaxStaged);
	peers_[kNoKeypair].staged_in_flight.store(0);
	TearDown();
	punt_ = rte_ring_create(("wgout_punt" + std::to_string(serial_++)).c_str(), 1024, SOCKET_ID_ANY,
				RING_F_SP_ENQ | RING_F_SC_DEQ);
	run({to_peer("after the control thread's reset", kNoKeypair, inner, Fate::staged)}, 512);
}

// A port that checksums UDP gets the pseudo-header sum and the offload flag
// instead of a software checksum.
TEST_P(WgOutputTest, UdpChecksumOffloadSetsTheFlags)
{
	egress_[0].offload_udp_cksum = true;
	egress_[0].offload_ipv4_cksum = true;
	WorkerCounters c;
	WgOutputStage stage(shared_, kWorker, 8, GetParam());
	Output out(c, kWorker, 1, 0, punt_, 8);
	for (uint32_t peer : {kV4Peer, kV6Peer})
		stage.admit(packet(to_peer("offload", peer, inner_udp(kLanHost, tunnel4(peer), 60), Fate::sealed)));
	stage.finish(kNow, out, c);
	ASSERT_EQ(stage.sealed().size(), 2u);
	for (rte_mbuf *m : stage.sealed()) {
		EXPECT_TRUE(m->ol_flags & RTE_MBUF_F_TX_UDP_CKSUM);
		auto *l3 = rte_pktmbuf_mtod(m, uint8_t *);
		if ((l3[0] >> 4) == 4) {
			EXPECT_TRUE(m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM);
			auto *ip = reinterpret_cast<rte_ipv4_hdr *>(l3);
			EXPECT_EQ(ip->hdr_checksum, 0) << "left to the NIC";
			auto *udp = reinterpret_cast<rte_udp_hdr *>(l3 + sizeof *ip);
			EXPECT_EQ(udp->dgram_cksum, rte_ipv4_phdr_cksum(ip, m->ol_flags));
		} else {
			auto *ip = reinterpret_cast<rte_ipv6_hdr *>(l3);
			auto *udp = reinterpret_cast<rte_udp_hdr *>(l3 + sizeof *ip);
			EXPECT_EQ(udp->dgram_cksum, rte_ipv6_phdr_cksum(ip, m->ol_flags));
		}
		rte_pktmbuf_free(m);
	}
	out.flush();
}

INSTANTIATE_TEST_SUITE_P(Engines, WgOutputTest, testing::Values(AeadEngine::automatic, AeadEngine::sodium),
			 [](const testing::TestParamInfo<AeadEngine> &p) { return std::string(aead_engine_name(p.param)); });

} // namespace
} // namespace wayport
