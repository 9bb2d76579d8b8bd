// The relay stage on its own, in the manner of the kernel WireGuard
// selftests: one table of packets and where each must land (sent on which
// port and rewritten how, punted with which reason, or dropped with which),
// run one packet per run() and then all of them in one vector.
//
// Packets are classified by the real classify stage and leave through the
// real output stage, onto net_ring ports and a punt ring the test drains.
#include <gtest/gtest.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dataplane/packet/meta.h"
#include "dataplane/packet/rewrite.h"
#include "dataplane/stages/classify.h"
#include "dataplane/stages/output.h"
#include "dataplane/stages/punt.h"
#include "dataplane/stages/relay.h"
#include "dataplane/tables/neighbour_slots.h"
#include "dataplane/tables/rcu.h"
#include "dataplane/tables/relay_table.h"
#include "dataplane/wire/bytes.h"
#include "dataplane/wire/disco_frame.h"
#include "dataplane/wire/geneve.h"
#include "dataplane/worker/counters.h"
#include "tests/dataplane/counter_names.h"
#include "tests/dpdk/packet_builder.h"
#include "tests/dpdk/ring_port.h"

namespace wayport {
namespace {

using test::Received;
using test::CounterMap;
using test::counter_map;
using test::expect_counters;
using test::drop_key;
using test::punt_key;
using test::forwarded_key;

constexpr uint16_t kRelayPort = 7777;
// Not 0, so a punt that does not say which worker it came from shows.
constexpr unsigned kWorker = 2;
constexpr unsigned kWorkers = 3;
constexpr uint16_t kCapacity = 64;

// The fixture's two ports, by index: P0 has both families, P1 IPv4 only.
constexpr int kP0 = 0;
constexpr int kP1 = 1;
constexpr int kPorts = 2;
constexpr uint16_t kNoSuchPort = 1000;

const AddrPort kOurs4[kPorts] = {*AddrPort::parse("10.0.0.1:7777"), *AddrPort::parse("10.1.0.1:7777")};
const AddrPort kOurs6 = *AddrPort::parse("[fd00::1]:7777");  // P0's
constexpr uint8_t kPortMac[kPorts][6] = {{0x02, 0, 0, 0, 0, 0x01}, {0x02, 0, 0, 0, 0, 0x02}};

// Neighbour slots; kUnresolved never gets a MAC.
constexpr uint32_t kHopA = 1;
constexpr uint32_t kHopB = 2;
constexpr uint32_t kHopC = 3;
constexpr uint32_t kUnresolved = 9;

const AddrPort kA4 = *AddrPort::parse("10.0.0.2:1000");
const AddrPort kB4 = *AddrPort::parse("10.0.0.3:2000");
const AddrPort kC4 = *AddrPort::parse("10.0.0.4:4000");
const AddrPort kD6 = *AddrPort::parse("[fd00::4]:4001");
const AddrPort kA6 = *AddrPort::parse("[fd00::2]:1000");
const AddrPort kB6 = *AddrPort::parse("[fd00::3]:3000");

// The endpoints the fixture binds (leg 0 <-> leg 1, each with how it is
// reached), and one nobody has.
constexpr uint32_t kVni44 = 1;          // kA4 (P1, hop A) <-> kB4 (P0, hop B)
constexpr uint32_t kVni46 = 2;          // kC4 (P0, hop A) <-> kD6 (P0, hop C)
constexpr uint32_t kVni66 = 3;          // kA6 (P0, hop B) <-> kB6 (P0, hop C)
constexpr uint32_t kVniHalf = 4;        // as kVni44, only leg 0 bound
constexpr uint32_t kVniNoPort = 5;      // as kVni44, kB4 behind a port that does not exist
constexpr uint32_t kVniNoFamily = 6;    // kA4 <-> kB6, kB6 behind P1, which has no IPv6
constexpr uint32_t kVniUnresolved = 7;  // as kVni44, kB4 behind the unresolved slot
constexpr uint32_t kVniNone = 99;

std::array<uint8_t, 6> hop_mac(uint32_t slot)
{
	return {0x02, 0, 0, 0, 0xbb, static_cast<uint8_t>(slot)};
}

enum class Payload { data, control, header_only, short7, stun, disco };

Bytes payload(Payload kind, uint32_t vni)
{
	// Geneve, protocol WireGuard, then a transport-shaped WireGuard message.
	Bytes data = *from_hex("00007a1200000000" "04000000" "78563412" "0000000000000000"
			       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	store_be32(&data[4], vni << 8);
	switch (kind) {
	case Payload::data:
		return data;
	case Payload::control:
		data[1] = 0x80;
		return data;
	case Payload::header_only:
		data.resize(kGeneveHeaderLen);
		return data;
	case Payload::short7:
		data.resize(kGeneveHeaderLen - 1);
		return data;
	case Payload::stun:
		return *from_hex("00010000" "2112a442" "0102030405060708090a0b0c");
	case Payload::disco: {
		Bytes b(kDiscoMagic, kDiscoMagic + kDiscoMagicLen);
		b.resize(148, 0x11);
		return b;
	}
	}
	return {};
}

// What arrives: a UDP packet from src to the relay port of in_port's
// address of src's family.
struct Sent {
	AddrPort src;
	uint32_t vni = 0;
	Payload payload = Payload::data;
	int in_port = kP0;
	bool zero_checksum = false;  // IPv4 only: the sender's "no checksum"
	bool injected = false;       // handed back by the control thread
	uint16_t frame_len = 0;      // nonzero: Ethernet padding up to this length
};

enum class Fate { sent, punted, dropped, lost };

struct Want {
	Fate fate;
	uint8_t reason = 0;  // punted: a PuntReason; dropped: a RelayDrop
	int port = 0;        // sent: on which of the fixture's ports
	AddrPort to = {};    // sent: the leg it goes to
	uint32_t slot = 0;   // sent: whose MAC is the next hop; punted unresolved: PacketMeta::aux
};

Want sent(int port, const AddrPort &to, uint32_t slot)
{
	return {Fate::sent, 0, port, to, slot};
}

Want punted(PuntReason r, uint32_t slot = 0)
{
	return {Fate::punted, static_cast<uint8_t>(r), 0, {}, slot};
}

Want dropped(RelayDrop r)
{
	return {Fate::dropped, static_cast<uint8_t>(r)};
}

struct Case {
	const char *name;
	Sent in;
	Want want;
};

const Case kCases[] = {
	// The control thread's.
	{"stun binding request", {.src = kA4, .payload = Payload::stun}, punted(PuntReason::stun)},
	{"naked disco", {.src = kA4, .payload = Payload::disco}, punted(PuntReason::disco)},
	{"geneve control bit", {.src = kA4, .vni = kVni44, .payload = Payload::control},
	 punted(PuntReason::relay_control)},
	{"geneve control bit for a vni nobody has", {.src = kA4, .vni = kVniNone, .payload = Payload::control},
	 punted(PuntReason::relay_control)},
	{"next hop unresolved", {.src = kA4, .vni = kVniUnresolved}, punted(PuntReason::unresolved, kUnresolved)},

	// Dropped, by reason.
	{"payload of 7 bytes", {.src = kA4, .vni = kVni44, .payload = Payload::short7},
	 dropped(RelayDrop::short_payload)},
	{"unknown vni", {.src = kA4, .vni = kVniNone}, dropped(RelayDrop::unknown_vni)},
	{"one leg bound", {.src = kA4, .vni = kVniHalf}, dropped(RelayDrop::not_bound)},
	{"source address of neither leg", {.src = *AddrPort::parse("10.0.0.9:1000"), .vni = kVni44},
	 dropped(RelayDrop::source_mismatch)},
	{"source port of neither leg", {.src = *AddrPort::parse("10.0.0.2:1001"), .vni = kVni44},
	 dropped(RelayDrop::source_mismatch)},
	{"v4-mapped ipv6 source of an ipv4 leg", {.src = *AddrPort::parse("[::ffff:10.0.0.2]:1000"), .vni = kVni44},
	 dropped(RelayDrop::source_mismatch)},
	{"egress port out of range", {.src = kA4, .vni = kVniNoPort}, dropped(RelayDrop::no_route)},
	{"egress port without the leg's family", {.src = kA4, .vni = kVniNoFamily}, dropped(RelayDrop::no_route)},
	{"next hop unresolved, already held once", {.src = kA4, .vni = kVniUnresolved, .injected = true},
	 dropped(RelayDrop::no_neighbour)},

	// Forwarded.
	{"v4 to v4", {.src = kA4, .vni = kVni44}, sent(kP0, kB4, kHopB)},
	{"v4 to v4 by the other port", {.src = kB4, .vni = kVni44}, sent(kP1, kA4, kHopA)},
	{"v4 to v4 arriving on the other port", {.src = kA4, .vni = kVni44, .in_port = kP1}, sent(kP0, kB4, kHopB)},
	{"v4 to v6", {.src = kC4, .vni = kVni46}, sent(kP0, kD6, kHopC)},
	{"v6 to v4", {.src = kD6, .vni = kVni46}, sent(kP0, kC4, kHopA)},
	{"v6 to v6", {.src = kA6, .vni = kVni66}, sent(kP0, kB6, kHopC)},
	{"v6 to v6 the other way", {.src = kB6, .vni = kVni66}, sent(kP0, kA6, kHopB)},
	{"zero udp checksum, v4 to v6: computed", {.src = kC4, .vni = kVni46, .zero_checksum = true},
	 sent(kP0, kD6, kHopC)},
	{"zero udp checksum, v4 to v4: stays none", {.src = kA4, .vni = kVni44, .zero_checksum = true},
	 sent(kP0, kB4, kHopB)},
	{"geneve header alone", {.src = kA4, .vni = kVni44, .payload = Payload::header_only}, sent(kP0, kB4, kHopB)},
	{"ethernet padding after the datagram", {.src = kA4, .vni = kVni44, .payload = Payload::header_only,
						  .frame_len = 60},
	 sent(kP0, kB4, kHopB)},
	{"held once, next hop resolved since", {.src = kA4, .vni = kVni44, .injected = true}, sent(kP0, kB4, kHopB)},
};

size_t frame_len(const AddrPort &to, size_t payload_len)
{
	return 14 + (to.is_v4 ? 20 : 40) + 8 + payload_len;
}

std::string mac_hex(const uint8_t *mac)
{
	return to_hex(ByteSpan(mac, 6));
}

struct Packet {
	const Case *c;
	rte_mbuf *m;
	Bytes before;  // the frame as classified
	Fate landed = Fate::lost;
	int port = -1;  // sent: which of the fixture's ports
};

std::string where(Fate f, uint8_t reason, int port)
{
	switch (f) {
	case Fate::sent: return "sent on port " + std::to_string(port);
	case Fate::punted: return std::string("punted ") + to_string(static_cast<PuntReason>(reason));
	case Fate::dropped: return "dropped";  // the reason is in the counters
	case Fate::lost: break;
	}
	return "lost: neither sent, punted nor freed";
}

class RelayStageTest : public testing::Test {
protected:
	void SetUp() override
	{
		static int n = 0;
		std::string name = "rst" + std::to_string(n++);
		for (int i = 0; i < kPorts; i++)
			port_[i] = test::RingPort::create(name + "p" + std::to_string(i), test::test_pool());
		punt_ = rte_ring_create((name + "_punt").c_str(), 128, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		ASSERT_NE(punt_, nullptr);
		qsbr_ = std::make_unique<Qsbr>(kWorkers);
		table_ = std::make_unique<RelayTable>(*qsbr_, kWorkers);
		neighbours_ = std::make_unique<NeighbourSlots>(16);
		for (uint32_t slot : {kHopA, kHopB, kHopC})
			neighbours_->set(slot, hop_mac(slot).data());

		egress_.resize(std::max(port_[kP0].port_id, port_[kP1].port_id) + 1u);
		for (int i = 0; i < kPorts; i++) {
			EgressPort &p = egress(i);
			std::memcpy(p.mac, kPortMac[i], 6);
			p.addrs.has_ipv4 = true;
			std::memcpy(p.addrs.ipv4, kOurs4[i].ip4(), 4);
		}
		egress(kP0).addrs.has_ipv6 = true;
		std::memcpy(egress(kP0).addrs.ipv6, kOurs6.ip.data(), 16);
		for (const EgressPort &p : egress_)
			destinations_.ports.push_back(p.addrs);
		destinations_.relay_port = kRelayPort;
		relay_shared_ = {table_.get(), neighbours_.get(), &egress_, kRelayPort};

		bind(kVni44, kA4, via(kP1, kHopA), kB4, via(kP0, kHopB));
		bind(kVni46, kC4, via(kP0, kHopA), kD6, via(kP0, kHopC));
		bind(kVni66, kA6, via(kP0, kHopB), kB6, via(kP0, kHopC));
		bind(kVniHalf, kA4, via(kP1, kHopA), kB4, via(kP0, kHopB), 1);
		bind(kVniNoPort, kA4, via(kP1, kHopA), kB4, {kNoSuchPort, kHopB});
		bind(kVniNoFamily, kA4, via(kP1, kHopA), kB6, via(kP1, kHopB));
		bind(kVniUnresolved, kA4, via(kP1, kHopA), kB4, via(kP0, kUnresolved));
	}

	void TearDown() override
	{
		void *m;
		while (punt_ && rte_ring_dequeue(punt_, &m) == 0)
			rte_pktmbuf_free(static_cast<rte_mbuf *>(m));
		rte_ring_free(punt_);
		table_.reset();
		for (test::RingPort &p : port_)
			p.destroy();
	}

	EgressPort &egress(int port) { return egress_[port_[port].port_id]; }
	Egress via(int port, uint32_t slot) const { return {port_[port].port_id, slot}; }

	void bind(uint32_t vni, const AddrPort &a, Egress via_a, const AddrPort &b, Egress via_b,
		  uint8_t bound = RelayEntry::kBothBound)
	{
		RelayEntry e;
		e.vni = vni;
		e.leg[0] = a;
		e.leg[1] = b;
		e.egress[0] = via_a;
		e.egress[1] = via_b;
		e.bound = bound;
		ASSERT_TRUE(table_->publish(e));
	}

	// Builds c's packet and classifies it as the worker would.
	void add(const Case &c, std::vector<Packet> &pkts)
	{
		const Sent &s = c.in;
		test::Frame f;
		f.src = s.src;
		f.dst = s.src.is_v4 ? kOurs4[s.in_port] : kOurs6;
		f.payload = payload(s.payload, s.vni);
		f.zero_udp_checksum = s.zero_checksum;
		rte_mbuf *m = test::build_udp(test::test_pool(), f);
		ASSERT_NE(m, nullptr);
		if (s.frame_len) {
			Bytes b = test::mbuf_bytes(m);
			rte_pktmbuf_free(m);
			b.resize(s.frame_len, 0);
			m = test::build_raw(test::test_pool(), b);
			ASSERT_NE(m, nullptr);
		}
		m->port = port_[s.in_port].port_id;
		pkts.push_back({&c, m, test::mbuf_bytes(m)});
		ASSERT_EQ(classify(m, destinations_, meta(m)), Stage::relay);
		if (s.injected)
			meta(m).flags |= meta_flags::injected;
	}

	// A packet for every case, all run as one vector, each checked to have
	// landed where its case says; the caller releases them.
	std::vector<Packet> run_all(std::span<const Case> cases, WorkerCounters &counters)
	{
		std::vector<Packet> pkts;
		for (const Case &c : cases) {
			add(c, pkts);
			if (HasFatalFailure()) {
				ADD_FAILURE() << "building " << c.name;
				return pkts;
			}
		}
		run(pkts, counters);
		for (const Packet &p : pkts) {
			SCOPED_TRACE(p.c->name);
			expect_landed(p);
		}
		return pkts;
	}

	// One run() over pkts and a flush, then where each packet went: on a
	// port's TX ring, on the punt ring, or freed.
	void run(std::vector<Packet> &pkts, WorkerCounters &c)
	{
		std::vector<rte_mbuf *> v;
		for (Packet &p : pkts) {
			// A second reference keeps a dropped packet out of the pool, so
			// its refcount says the stage freed it and no packet built
			// later can take its address.
			rte_mbuf_refcnt_update(p.m, 1);
			v.push_back(p.m);
		}
		Output out(c, static_cast<uint8_t>(kWorker), static_cast<uint16_t>(egress_.size()), 0, punt_, kCapacity);
		RelayStage stage(relay_shared_, kWorker, kCapacity);
		stage.run(v.data(), static_cast<uint16_t>(v.size()), out, c);
		out.flush();

		auto land = [&](rte_mbuf *m, Fate f, int port) {
			auto it = std::find_if(pkts.begin(), pkts.end(), [m](const Packet &p) { return p.m == m; });
			if (it == pkts.end()) {
				ADD_FAILURE() << "an mbuf the test did not hand to the stage";
				rte_pktmbuf_free(m);
				return;
			}
			if (it->landed != Fate::lost) {
				ADD_FAILURE() << it->c->name << ": landed twice";
				return;
			}
			it->landed = f;
			it->port = port;
		};
		for (int i = 0; i < kPorts; i++)
			for (rte_mbuf *m : port_[i].sent())
				land(m, Fate::sent, i);
		void *m;
		while (rte_ring_dequeue(punt_, &m) == 0)
			land(static_cast<rte_mbuf *>(m), Fate::punted, -1);
		for (Packet &p : pkts)
			if (p.landed == Fate::lost && rte_mbuf_refcnt_read(p.m) == 1)
				p.landed = Fate::dropped;
	}

	void release(std::vector<Packet> &pkts)
	{
		for (Packet &p : pkts) {
			if (p.landed == Fate::sent || p.landed == Fate::punted)
				rte_pktmbuf_free(p.m);  // the ring's reference
			rte_pktmbuf_free(p.m);
		}
	}

	void expect_landed(const Packet &p)
	{
		const Want &w = p.c->want;
		uint8_t reason = p.landed == Fate::punted ? meta(p.m).reason : 0;
		std::string got = where(p.landed, reason, p.port), expected = where(w.fate, w.reason, w.port);
		EXPECT_EQ(got, expected);
		if (got != expected)
			return;
		if (w.fate == Fate::sent)
			expect_sent(p);
		else if (w.fate == Fate::punted)
			expect_punted(p);
	}

	void expect_sent(const Packet &p)
	{
		const Sent &in = p.c->in;
		const Want &w = p.c->want;
		const EgressPort &port = egress(w.port);
		Bytes data = payload(in.payload, in.vni);
		Received r;
		if (!test::read_udp(p.m, r)) {
			ADD_FAILURE() << "not an Ethernet/IP/UDP frame: " << to_hex(test::mbuf_bytes(p.m));
			return;
		}
		EXPECT_EQ(mac_hex(r.dst_mac), mac_hex(hop_mac(w.slot).data())) << "next hop";
		EXPECT_EQ(mac_hex(r.src_mac), mac_hex(port.mac)) << "source MAC";
		AddrPort from = w.to.is_v4 ? AddrPort::v4(port.addrs.ipv4, kRelayPort)
					   : AddrPort::v6(port.addrs.ipv6, kRelayPort);
		// As text, so a failure reads; the text tells the families apart as == does.
		EXPECT_EQ(r.src.to_string(), from.to_string());
		EXPECT_EQ(r.dst.to_string(), w.to.to_string());
		EXPECT_EQ(to_hex(r.payload), to_hex(data));
		EXPECT_TRUE(r.checksums_ok);
		if (in.zero_checksum && w.to.is_v4) {
			EXPECT_EQ(r.udp_checksum, 0) << "IPv4 to IPv4 keeps the sender's no checksum";
		}
		EXPECT_EQ(rte_pktmbuf_pkt_len(p.m), frame_len(w.to, data.size()));
	}

	void expect_punted(const Packet &p)
	{
		const PacketMeta &pm = meta(p.m);
		EXPECT_EQ(pm.next, Stage::control);
		EXPECT_EQ(pm.worker, kWorker);
		if (static_cast<PuntReason>(pm.reason) == PuntReason::unresolved) {
			EXPECT_EQ(pm.aux, p.c->want.slot) << "the neighbour slot it waits for";
		}
		EXPECT_EQ(to_hex(test::mbuf_bytes(p.m)), to_hex(p.before)) << "the control thread gets it as received";
	}

	// What the counters must say after one run() over pkts.
	CounterMap want_totals(const std::vector<Packet> &pkts)
	{
		WorkerCounters zero;
		auto t = counter_map(zero);
		t["stage relay"] = pkts.size();
		t["stage output"] = pkts.size();
		for (const Packet &p : pkts) {
			const Want &w = p.c->want;
			size_t len = payload(p.c->in.payload, p.c->in.vni).size();
			switch (w.fate) {
			case Fate::sent:
				t["tx_packets"]++;
				t["tx_bytes"] += frame_len(w.to, len);
				t["forwarded packets " + forwarded_key(!p.c->in.src.is_v4, !w.to.is_v4)]++;
				t["forwarded bytes " + forwarded_key(!p.c->in.src.is_v4, !w.to.is_v4)] += len;
				break;
			case Fate::punted:
				t[punt_key(static_cast<PuntReason>(w.reason))]++;
				break;
			case Fate::dropped:
				t[drop_key(drop_index(static_cast<RelayDrop>(w.reason)))]++;
				break;
			case Fate::lost:
				break;
			}
		}
		return t;
	}

	test::RingPort port_[kPorts];
	rte_ring *punt_ = nullptr;
	std::unique_ptr<Qsbr> qsbr_;
	std::unique_ptr<RelayTable> table_;
	std::unique_ptr<NeighbourSlots> neighbours_;
	std::vector<EgressPort> egress_;
	Destinations destinations_;
	RelayShared relay_shared_;
};

TEST_F(RelayStageTest, Cases)
{
	for (const Case &c : kCases) {
		SCOPED_TRACE(c.name);
		unsigned in_use = rte_mempool_in_use_count(test::test_pool());
		std::vector<Packet> pkts;
		add(c, pkts);
		ASSERT_FALSE(HasFatalFailure());
		WorkerCounters counters;
		run(pkts, counters);
		expect_landed(pkts[0]);
		expect_counters(counter_map(counters), want_totals(pkts));
		release(pkts);
		EXPECT_EQ(rte_mempool_in_use_count(test::test_pool()), in_use);
	}
}

TEST_F(RelayStageTest, AllCasesInOneVector)
{
	unsigned in_use = rte_mempool_in_use_count(test::test_pool());
	WorkerCounters counters;
	std::vector<Packet> pkts = run_all(kCases, counters);
	ASSERT_FALSE(HasFatalFailure());
	expect_counters(counter_map(counters), want_totals(pkts));
	release(pkts);
	EXPECT_EQ(rte_mempool_in_use_count(test::test_pool()), in_use);
}

TEST_F(RelayStageTest, LegActivityCountsForwardedPacketsAndBytes)
{
	const Case cases[] = {
		{"a4 to b4", {.src = kA4, .vni = kVni44}, sent(kP0, kB4, kHopB)},
		{"a4 to b4 again", {.src = kA4, .vni = kVni44}, sent(kP0, kB4, kHopB)},
		{"a4 to b4 a third time", {.src = kA4, .vni = kVni44}, sent(kP0, kB4, kHopB)},
		{"b4 to a4, header alone", {.src = kB4, .vni = kVni44, .payload = Payload::header_only},
		 sent(kP1, kA4, kHopA)},
		{"a6 to b6", {.src = kA6, .vni = kVni66}, sent(kP0, kB6, kHopC)},
		{"a6 to b6 again", {.src = kA6, .vni = kVni66}, sent(kP0, kB6, kHopC)},
		{"neither leg", {.src = *AddrPort::parse("10.0.0.2:1001"), .vni = kVni44},
		 dropped(RelayDrop::source_mismatch)},
		{"one leg bound", {.src = kA4, .vni = kVniHalf}, dropped(RelayDrop::not_bound)},
		{"next hop unresolved", {.src = kA4, .vni = kVniUnresolved}, punted(PuntReason::unresolved, kUnresolved)},
	};
	WorkerCounters counters;
	std::vector<Packet> pkts = run_all(cases, counters);
	ASSERT_FALSE(HasFatalFailure());
	release(pkts);

	uint64_t data = payload(Payload::data, 0).size(), header = kGeneveHeaderLen;
	struct Activity {
		const char *name;
		uint32_t vni;
		int leg;
		uint64_t packets, bytes;
	};
	const Activity want[] = {
		{"kVni44 from a4", kVni44, 0, 3, 3 * data},
		{"kVni44 from b4", kVni44, 1, 1, header},
		{"kVni66 from a6", kVni66, 0, 2, 2 * data},
		{"kVni66 from b6", kVni66, 1, 0, 0},
		{"one leg bound", kVniHalf, 0, 0, 0},
		// Counted when it is forwarded after the control thread hands
		// it back; counting the punt too would count it twice.
		{"next hop unresolved", kVniUnresolved, 0, 0, 0},
	};
	for (const Activity &a : want) {
		SCOPED_TRACE(a.name);
		const EndpointActivity *mine = table_->activity(kWorker, a.vni);
		ASSERT_NE(mine, nullptr);
		const LegCounters &leg = mine->leg[a.leg];
		EXPECT_EQ(leg.packets.get(), a.packets);
		EXPECT_EQ(leg.bytes.get(), a.bytes);
		EXPECT_EQ(leg.last_tsc.get() != 0, a.packets != 0) << "last_tsc " << leg.last_tsc.get();
		// Each worker counts in its own lines.
		const EndpointActivity *other = table_->activity(0, a.vni);
		ASSERT_NE(other, nullptr);
		EXPECT_EQ(other->leg[a.leg].packets.get(), 0u);
	}
}

// A packet the rewrite refuses (no_route) is not the leg's activity: the
// core would count it as relayed and the leg as alive.
TEST_F(RelayStageTest, NoRouteIsNotLegActivity)
{
	const Case cases[] = {
		{"egress port out of range", {.src = kA4, .vni = kVniNoPort}, dropped(RelayDrop::no_route)},
		{"egress port without the leg's family", {.src = kA4, .vni = kVniNoFamily},
		 dropped(RelayDrop::no_route)},
	};
	WorkerCounters counters;
	std::vector<Packet> pkts = run_all(cases, counters);
	ASSERT_FALSE(HasFatalFailure());
	for (const Packet &p : pkts) {
		SCOPED_TRACE(p.c->name);
		const EndpointActivity *a = table_->activity(kWorker, p.c->in.vni);
		ASSERT_NE(a, nullptr);
		EXPECT_EQ(a->leg[0].packets.get(), 0u);
		EXPECT_EQ(a->leg[0].bytes.get(), 0u);
	}
	release(pkts);
}

} // namespace
} // namespace wayport
