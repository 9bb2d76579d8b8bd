// The ip_out stage on its own, table-driven as wg_input_test is: IP
// packets with no link-layer header (what wg_input forwards, what
// wg_output builds) run through a real Fib, NeighbourIndex and
// NeighbourSlots, one per finish() and then all in one vector, each
// landing where its case says: sent on the right port in the right
// Ethernet frame with its TTL counted, punted with its reason and
// metadata, or dropped and counted by reason.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dataplane/packet/ttl.h"
#include "dataplane/stages/ip_out.h"
#include "dataplane/stages/output.h"
#include "dataplane/tables/fib.h"
#include "dataplane/tables/neighbour_index.h"
#include "dataplane/tables/neighbour_slots.h"
#include "dataplane/tables/rcu.h"
#include "dataplane/wire/bytes.h"
#include "dataplane/worker/counters.h"
#include "tests/dpdk/packet_builder.h"
#include "tests/dpdk/ring_port.h"

namespace wayport {
namespace {

constexpr unsigned kWorker = 0;
constexpr uint32_t kPeerSlot = 77;     // what wg_input leaves in aux
constexpr uint16_t kIngress = 9;
constexpr uint8_t kPortMac[2][6] = {{0x02, 0, 0, 0, 0x10, 0x00}, {0x02, 0, 0, 0, 0x11, 0x00}};

AddrPort ip(const std::string &text)
{
	uint8_t b[16] = {};
	if (text.find(':') == std::string::npos) {
		EXPECT_EQ(inet_pton(AF_INET, text.c_str(), b), 1) << text;
		return AddrPort::v4(b, 0);
	}
	EXPECT_EQ(inet_pton(AF_INET6, text.c_str(), b), 1) << text;
	return AddrPort::v6(b, 0);
}

Prefix pfx(const std::string &text)
{
	auto slash = text.find('/');
	AddrPort a = ip(text.substr(0, slash));
	auto len = static_cast<uint8_t>(std::stoi(text.substr(slash + 1)));
	return Prefix::of(a, len);
}

// The Internet checksum written out, not DPDK's: the reference the
// stage's incremental update is held to.
uint16_t full_checksum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	for (size_t i = 0; i < n; i += 2)
		sum += uint32_t{p[i]} << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return static_cast<uint16_t>(~sum);
}

// An IP packet from the IP header on: UDP, a payload, the header checksum
// computed whole.
Bytes packet(const std::string &src, const std::string &dst, uint8_t ttl, size_t payload = 20)
{
	AddrPort s = ip(src), d = ip(dst);
	Bytes p;
	size_t l4 = 8 + payload;
	if (s.is_v4) {
		p.resize(20 + l4);
		p[0] = 0x45;
		store_be16(&p[2], static_cast<uint16_t>(p.size()));
		store_be16(&p[4], 0x1234);
		p[8] = ttl;
		p[9] = IPPROTO_UDP;
		std::copy_n(s.ip4(), 4, &p[12]);
		std::copy_n(d.ip4(), 4, &p[16]);
		store_be16(&p[10], full_checksum(p.data(), 20));
	} else {
		p.resize(40 + l4);
		p[0] = 0x60;
		store_be16(&p[4], static_cast<uint16_t>(l4));
		p[6] = IPPROTO_UDP;
		p[7] = ttl;
		std::copy_n(s.ip.data(), 16, &p[8]);
		std::copy_n(d.ip.data(), 16, &p[24]);
	}
	size_t u = p.size() - l4;
	store_be16(&p[u], 4000);
	store_be16(&p[u + 2], 53);
	store_be16(&p[u + 4], static_cast<uint16_t>(l4));
	for (size_t i = 0; i < payload; i++)
		p[u + 8 + i] = static_cast<uint8_t>(i * 3);
	return p;
}

enum class Fate { sent, punted, dropped };

const char *name(Fate f)
{
	switch (f) {
	case Fate::sent: return "sent";
	case Fate::punted: return "punted";
	case Fate::dropped: return "dropped";
	}
	return "?";
}

// Neighbour MACs, by slot.
std::array<uint8_t, 6> hop_mac(uint32_t slot)
{
	return {0x0a, 0, 0, 0, 0, static_cast<uint8_t>(slot)};
}

// The fixture's neighbours: slot, port index, address, resolved.
struct Neighbour {
	uint32_t slot;
	int port;
	const char *ip;
	bool resolved;
};
const Neighbour kNeighbours[] = {
	{1, 0, "10.1.2.3", true},
	{2, 0, "10.1.0.254", true},        // port 0's gateway4: the default route
	{3, 1, "192.168.5.9", true},       // the gateway of 172.16.0.0/12
	{4, 0, "2001:db8:1::77", true},
	{5, 0, "2001:db8:1::fffe", true},  // the gateway of 2001:db8:99::/48
	{6, 0, "10.1.9.9", false},         // being resolved
	{8, 1, "10.1.2.3", true},          // the same address behind the other port
};

struct Case {
	const char *name = "";
	Bytes in;
	Fate fate = Fate::sent;
	Bytes out;                         // the IP packet as sent or punted
	int port = 0;                      // sent, or punted unresolved: the egress port's index
	uint32_t slot = 0;                 // sent: whose MAC; punted unresolved: aux
	PuntReason punt = PuntReason::count;
	std::optional<IpOutDrop> drop;
	bool injected = false;
	bool no_headroom = false;
	std::optional<std::string> local_to;  // admit_local, with the Fib's id for this address
};

Case sent(const char *name, Bytes in, Bytes out, int port, uint32_t slot)
{
	Case c;
	c.name = name;
	c.in = std::move(in);
	c.out = std::move(out);
	c.port = port;
	c.slot = slot;
	return c;
}

Case punted(const char *name, Bytes in, Bytes out, PuntReason why, uint32_t aux, int port = 0)
{
	Case c = sent(name, std::move(in), std::move(out), port, aux);
	c.fate = Fate::punted;
	c.punt = why;
	return c;
}

Case dropped(const char *name, Bytes in, IpOutDrop why)
{
	Case c;
	c.name = name;
	c.in = std::move(in);
	c.fate = Fate::dropped;
	c.drop = why;
	return c;
}

Case injected(Case c)
{
	c.injected = true;
	return c;
}

Case local(Case c, const char *to)
{
	c.local_to = to;
	return c;
}

std::vector<Case> fate_table()
{
	const char *peer = "10.99.0.2", *peer6 = "fd99::2";
	return {
		sent("IPv4 on-link", packet(peer, "10.1.2.3", 64), packet(peer, "10.1.2.3", 63), 0, 1),
		sent("IPv4 by the default route", packet(peer, "8.8.8.8", 64), packet(peer, "8.8.8.8", 63), 0, 2),
		sent("IPv4 by a static route's gateway", packet(peer, "172.16.1.1", 64),
		     packet(peer, "172.16.1.1", 63), 1, 3),
		sent("IPv4 by a static route inside the connected /16", packet(peer, "10.1.7.5", 64, 3),
		     packet(peer, "10.1.7.5", 63, 3), 1, 3),
		sent("IPv4 on-link on the other port", packet(peer, "192.168.5.9", 2),
		     packet(peer, "192.168.5.9", 1), 1, 3),
		sent("IPv6 on-link", packet(peer6, "2001:db8:1::77", 64), packet(peer6, "2001:db8:1::77", 63), 0, 4),
		sent("IPv6 by a static route's gateway", packet(peer6, "2001:db8:99::1", 255),
		     packet(peer6, "2001:db8:99::1", 254), 0, 5),
		punted("IPv4 TTL 1", packet(peer, "10.1.2.3", 1), packet(peer, "10.1.2.3", 1), PuntReason::ttl_exceeded,
		       kPeerSlot),
		punted("IPv4 TTL 0", packet(peer, "10.1.2.3", 0), packet(peer, "10.1.2.3", 0), PuntReason::ttl_exceeded,
		       kPeerSlot),
		punted("IPv6 hop limit 1", packet(peer6, "2001:db8:1::77", 1), packet(peer6, "2001:db8:1::77", 1),
		       PuntReason::ttl_exceeded, kPeerSlot),
		punted("IPv6 hop limit 0, no route either", packet(peer6, "2001:4860::1", 0),
		       packet(peer6, "2001:4860::1", 0), PuntReason::ttl_exceeded, kPeerSlot),
		dropped("IPv6 with no route", packet(peer6, "2001:4860::1", 64), IpOutDrop::no_route),
		punted("neighbour being resolved", packet(peer, "10.1.9.9", 64), packet(peer, "10.1.9.9", 63),
		       PuntReason::ip_unresolved, 6),
		punted("neighbour unknown", packet(peer, "10.1.9.10", 64), packet(peer, "10.1.9.10", 63),
		       PuntReason::ip_unresolved, IpOutStage::kUnknownSlot),
		punted("IPv6 neighbour unknown", packet(peer6, "fd00:2::5", 64), packet(peer6, "fd00:2::5", 63),
		       PuntReason::ip_unresolved, IpOutStage::kUnknownSlot, 1),
		injected(dropped("handed back, still unresolved", packet(peer, "10.1.9.9", 63), IpOutDrop::no_neighbour)),
		injected(dropped("handed back, still unknown", packet(peer, "10.1.9.10", 63), IpOutDrop::no_neighbour)),
		injected(sent("handed back, resolved: its TTL was counted before the punt",
			      packet(peer, "10.1.2.3", 63), packet(peer, "10.1.2.3", 63), 0, 1)),
		[&] {
			Case c = dropped("no headroom for Ethernet", packet(peer, "10.1.2.3", 64), IpOutDrop::no_headroom);
			c.no_headroom = true;
			return c;
		}(),
		local(sent("built here: TTL kept", packet("192.168.5.1", "8.8.4.4", 64),
			   packet("192.168.5.1", "8.8.4.4", 64), 0, 2),
		      "8.8.4.4"),
		local(sent("built here, TTL 1: still sent", packet("10.1.2.1", "10.1.2.3", 1),
			   packet("10.1.2.1", "10.1.2.3", 1), 0, 1),
		      "10.1.2.3"),
		local(sent("built here, IPv6", packet("2001:db8:1::1", "2001:db8:99::9", 64),
			   packet("2001:db8:1::1", "2001:db8:99::9", 64), 0, 5),
		      "2001:db8:99::9"),
		local(punted("built here, neighbour unknown", packet("10.1.2.1", "10.1.5.5", 64),
			     packet("10.1.2.1", "10.1.5.5", 64), PuntReason::ip_unresolved, IpOutStage::kUnknownSlot),
		      "10.1.5.5"),
		local(dropped("built here, no route", packet("2001:db8:1::1", "2001:4860::1", 64), IpOutDrop::no_route),
		      "2001:4860::1"),
	};
}

class IpOutTest : public testing::Test {
protected:
	void SetUp() override
	{
		static int serial = 0;
		std::string name = "ipo" + std::to_string(serial++);
		for (int i = 0; i < 2; i++)
			port_[i] = test::RingPort::create(name + "p" + std::to_string(i), test::test_pool(), 2048);
		punt_ = rte_ring_create((name + "_punt").c_str(), 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		ASSERT_NE(punt_, nullptr);

		Port p0;
		p0.port_id = port_[0].port_id;
		std::copy_n(kPortMac[0], 6, p0.mac.addr_bytes);
		p0.ipv4 = ip("10.1.2.1");
		p0.ipv4_prefix = 16;
		p0.ipv6 = ip("2001:db8:1::1");
		p0.ipv6_prefix = 64;
		p0.gateway4 = ip("10.1.0.254");
		Port p1;
		p1.port_id = port_[1].port_id;
		std::copy_n(kPortMac[1], 6, p1.mac.addr_bytes);
		p1.ipv4 = ip("192.168.5.1");
		p1.ipv4_prefix = 24;
		p1.ipv6 = ip("fd00:2::1");
		p1.ipv6_prefix = 64;
		ports_ = {p0, p1};
		egress_ = egress_view(ports_);

		FibConfig small;
		small.next_hops = 64;
		small.prefixes.max_rules4 = small.prefixes.max_rules6 = 64;
		small.prefixes.tbl8_groups4 = small.prefixes.tbl8_groups6 = 16;
		fib_ = std::make_unique<Fib>(qsbr_, small);
		std::vector<FibRoute> routes = {
			{pfx("172.16.0.0/12"), ip("192.168.5.9"), p1.port_id},
			{pfx("10.1.7.0/24"), ip("192.168.5.9"), p1.port_id},
			{pfx("2001:db8:99::/48"), ip("2001:db8:1::fffe"), p0.port_id},
		};
		ASSERT_EQ(fib_->build(ports_, routes), FibResult::ok);

		std::string error;
		neighbours_ = NeighbourIndex::create(qsbr_, 16, error);
		ASSERT_TRUE(neighbours_) << error;
		for (const Neighbour &n : kNeighbours) {
			ASSERT_EQ(neighbours_->add(port_[n.port].port_id, ip(n.ip), n.slot), NeighbourIndexResult::ok);
			if (n.resolved)
				slots_.set(n.slot, hop_mac(n.slot).data());
		}
		shared_ = {fib_.get(), neighbours_.get(), &slots_, &egress_};
	}

	void TearDown() override
	{
		rte_ring_free(punt_);
		for (test::RingPort &p : port_)
			p.destroy();
	}

	uint16_t port_count() const { return static_cast<uint16_t>(egress_.size()); }

	rte_mbuf *mbuf(const Case &c)
	{
		rte_mbuf *m = rte_pktmbuf_alloc(test::test_pool());
		EXPECT_NE(m, nullptr);
		if (c.no_headroom)
			m->data_off = 0;
		char *p = rte_pktmbuf_append(m, static_cast<uint16_t>(c.in.size()));
		std::copy(c.in.begin(), c.in.end(), p);
		PacketMeta &pm = meta(m);
		pm = PacketMeta{};
		pm.l3 = (c.in[0] >> 4) == 4 ? L3::ipv4 : L3::ipv6;
		pm.ingress_port = kIngress;
		pm.aux = kPeerSlot;
		if (c.injected)
			pm.flags |= meta_flags::injected;
		return m;
	}

	uint32_t local_hop(const Case &c)
	{
		AddrPort to = ip(*c.local_to);
		return to.is_v4 ? fib_->lookup4(to.ip4()) : fib_->lookup6(to.ip.data());
	}

	// Runs the cases through one stage in vectors of per_finish packets
	// and checks each one where it landed, then the counters.
	void run(const std::vector<Case> &cases, size_t per_finish)
	{
		WorkerCounters c;
		IpOutStage stage(shared_, kWorker, 512);
		Output out(c, kWorker, port_count(), 0, punt_, 512);
		unsigned in_use = rte_mempool_in_use_count(test::test_pool());
		std::vector<rte_mbuf *> pkts;
		for (const Case &k : cases)
			pkts.push_back(mbuf(k));
		for (size_t base = 0; base < pkts.size(); base += per_finish) {
			size_t n = std::min(per_finish, pkts.size() - base);
			for (size_t i = base; i < base + n; i++) {
				if (cases[i].local_to)
					stage.admit_local(pkts[i], local_hop(cases[i]));
				else
					stage.admit(pkts[i]);
			}
			stage.finish(out, c);
			out.flush();
		}

		std::map<rte_mbuf *, int> sent_on;
		for (int p = 0; p < 2; p++)
			for (rte_mbuf *m : port_[p].sent())
				sent_on[m] = p;
		std::set<rte_mbuf *> punted;
		void *obj;
		while (rte_ring_dequeue(punt_, &obj) == 0)
			punted.insert(static_cast<rte_mbuf *>(obj));

		for (size_t i = 0; i < cases.size(); i++) {
			const Case &k = cases[i];
			rte_mbuf *m = pkts[i];
			Fate got = sent_on.count(m) ? Fate::sent : punted.count(m) ? Fate::punted : Fate::dropped;
			EXPECT_STREQ(name(got), name(k.fate)) << k.name;
			if (got != k.fate)
				continue;
			if (got == Fate::sent)
				check_sent(k, m, sent_on[m]);
			else if (got == Fate::punted)
				check_punted(k, m);
		}
		for (auto &[m, p] : sent_on)
			rte_pktmbuf_free(m);
		for (rte_mbuf *m : punted)
			rte_pktmbuf_free(m);

		for (size_t r = 0; r < kIpOutDrops; r++) {
			auto why = static_cast<IpOutDrop>(r);
			auto want = std::count_if(cases.begin(), cases.end(), [&](const Case &k) { return k.drop == why; });
			EXPECT_EQ(c.dropped(why), static_cast<uint64_t>(want)) << to_string(why);
		}
		for (PuntReason why : {PuntReason::ttl_exceeded, PuntReason::ip_unresolved}) {
			auto want = std::count_if(cases.begin(), cases.end(),
						  [&](const Case &k) { return k.fate == Fate::punted && k.punt == why; });
			EXPECT_EQ(c.punts(why), static_cast<uint64_t>(want)) << to_string(why);
		}
		EXPECT_EQ(c.tx_packets.get(), static_cast<uint64_t>(sent_on.size()));
		EXPECT_EQ(c.stage_packets[static_cast<size_t>(CountedStage::ip_out)].get(), cases.size());
		EXPECT_EQ(rte_mempool_in_use_count(test::test_pool()), in_use) << "a packet was lost or leaked";
	}

	void check_sent(const Case &k, rte_mbuf *m, int port)
	{
		EXPECT_EQ(port, k.port) << k.name;
		Bytes frame(6 + 6 + 2);
		auto mac = hop_mac(k.slot);
		std::copy(mac.begin(), mac.end(), frame.begin());
		std::copy_n(kPortMac[k.port], 6, frame.begin() + 6);
		store_be16(&frame[12], (k.out[0] >> 4) == 4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
		frame.insert(frame.end(), k.out.begin(), k.out.end());
		EXPECT_EQ(test::mbuf_bytes(m), frame) << k.name << ": the Ethernet frame, exactly";
		const PacketMeta &pm = meta(m);
		EXPECT_EQ(pm.tx_port, port_[k.port].port_id) << k.name;
		EXPECT_EQ(pm.next, Stage::tx) << k.name;
		EXPECT_EQ(pm.l3_offset, RTE_ETHER_HDR_LEN) << k.name << ": the metadata follows the new header";
	}

	void check_punted(const Case &k, rte_mbuf *m)
	{
		const PacketMeta &pm = meta(m);
		EXPECT_EQ(static_cast<PuntReason>(pm.reason), k.punt) << k.name;
		EXPECT_EQ(pm.next, Stage::control) << k.name;
		EXPECT_EQ(pm.worker, kWorker) << k.name;
		EXPECT_EQ(pm.aux, k.slot) << k.name;
		EXPECT_EQ(pm.ingress_port, kIngress) << k.name;
		EXPECT_EQ(pm.l3_offset, 0) << k.name << ": punted with no Ethernet header";
		if (k.punt == PuntReason::ip_unresolved) {
			EXPECT_EQ(pm.tx_port, port_[k.port].port_id) << k.name;
		}
		EXPECT_EQ(test::mbuf_bytes(m), k.out) << k.name;
	}

	Qsbr qsbr_{1};
	test::RingPort port_[2];
	rte_ring *punt_ = nullptr;
	std::vector<Port> ports_;
	std::vector<EgressPort> egress_;
	std::unique_ptr<Fib> fib_;
	std::unique_ptr<NeighbourIndex> neighbours_;
	NeighbourSlots slots_{16};
	IpOutShared shared_;
};

TEST_F(IpOutTest, EachPacketLandsWhereItsCaseSaysOneAtATime)
{
	run(fate_table(), 1);
}

TEST_F(IpOutTest, EachPacketLandsWhereItsCaseSaysInOneVector)
{
	run(fate_table(), 512);
}

// Many packets of every fate in one finish(): the bulk lookups' gather
// and scatter keep each packet's own route.
TEST_F(IpOutTest, ManyPacketsInOneVector)
{
	std::vector<Case> cases;
	const std::vector<Case> table = fate_table();
	while (cases.size() + table.size() <= 480)
		cases.insert(cases.end(), table.begin(), table.end());
	run(cases, 512);
}

TEST_F(IpOutTest, ANextHopWithNoEgressIsNoRoute)
{
	Case k = local(dropped("an id no build made", packet("10.1.2.1", "10.1.2.3", 64), IpOutDrop::no_route),
		       "10.1.2.3");
	WorkerCounters c;
	IpOutStage stage(shared_, kWorker, 4);
	Output out(c, kWorker, port_count(), 0, punt_, 4);
	stage.admit_local(mbuf(k), Fib::kNoMatch);
	stage.admit_local(mbuf(k), fib_->capacity());
	stage.finish(out, c);
	out.flush();
	EXPECT_EQ(c.dropped(IpOutDrop::no_route), 2u);
}

// RFC 1624's update against the whole header summed again, over every
// value of the identification field (so every checksum value, 0x0000
// included) at a few TTLs and protocols.
TEST(IpOutTtl, IncrementalChecksumMatchesAFullRecompute)
{
	Bytes base = packet("10.99.0.2", "198.51.100.7", 64);
	for (uint8_t ttl : {2, 3, 64, 128, 255}) {
		for (uint8_t proto : {1, 6, 17}) {
			for (uint32_t id = 0; id <= 0xffff; id++) {
				Bytes h(base.begin(), base.begin() + 20);
				h[8] = ttl;
				h[9] = proto;
				store_be16(&h[4], static_cast<uint16_t>(id));
				store_be16(&h[10], 0);
				store_be16(&h[10], full_checksum(h.data(), 20));
				ipv4_count_hop(*reinterpret_cast<rte_ipv4_hdr *>(h.data()));
				ASSERT_EQ(h[8], ttl - 1);
				uint16_t got = load_be16(&h[10]);
				store_be16(&h[10], 0);
				ASSERT_EQ(got, full_checksum(h.data(), 20))
					<< "ttl " << int(ttl) << " proto " << int(proto) << " id " << id;
			}
		}
	}
}

TEST(IpOutDrops, ReasonNamesAreUniqueOverAllStages)
{
	std::set<std::string> names;
	for (size_t i = 0; i < kDropCount; i++) {
		DropName n = drop_name(i);
		EXPECT_TRUE(names.insert(n.reason).second) << n.stage << "/" << n.reason << " is named twice";
		EXPECT_STRNE(n.reason, "unknown") << i;
	}
	EXPECT_STREQ(drop_name(drop_index(IpOutDrop::no_route)).stage, "ip_out");
	EXPECT_STREQ(to_string(PuntReason::ttl_exceeded), "ttl_exceeded");
}

} // namespace
} // namespace wayport
