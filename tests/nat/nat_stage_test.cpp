// The NAT stages on mbufs: what nat_out and nat_in make of each packet
// (translated, handed off, or dropped by reason), with the checksums of
// what they let through verified afresh by DPDK.
#include <gtest/gtest.h>

#include <rte_ip.h>
#include <rte_ring.h>

#include <cstring>
#include <memory>
#include <string>

#include "dataplane/stages/nat.h"
#include "dataplane/wire/bytes.h"
#include "tests/dataplane/wg_packets.h"
#include "tests/dpdk/packet_builder.h"
#include "tests/dpdk/ring_port.h"

namespace wayport {
namespace {

using test::ip4;
using test::ip6;

constexpr uint32_t kPeers = 4;
constexpr uint32_t kAllowed = 1, kRefused = 2;
constexpr uint64_t kSecond = 1'000'000'000ull;
constexpr uint64_t kNow = 1000 * kSecond;
constexpr uint16_t kMss4 = 1380;

const AddrPort kSnat4 = ip4(203, 0, 113, 1);
const AddrPort kClient = ip4(10, 99, 0, 2, 40000);
const AddrPort kServer = ip4(198, 51, 100, 7, 53);

// The IPv4 UDP checksum of p set as a sender sets it.
Bytes with_udp_checksum(Bytes p)
{
	p[26] = p[27] = 0;
	uint16_t c = rte_ipv4_udptcp_cksum(reinterpret_cast<const rte_ipv4_hdr *>(p.data()), &p[20]);
	std::memcpy(&p[26], &c, 2);
	return p;
}

Bytes udp4(const AddrPort &src, const AddrPort &dst)
{
	return with_udp_checksum(test::inner_udp(src, dst, 24));
}

// A TCP SYN with an MSS option of mss.
Bytes syn4(const AddrPort &src, const AddrPort &dst, uint16_t mss)
{
	Bytes p(20 + 24, 0);
	p[0] = 0x45;
	store_be16(&p[2], static_cast<uint16_t>(p.size()));
	p[8] = 64;
	p[9] = IPPROTO_TCP;
	std::memcpy(&p[12], src.ip4(), 4);
	std::memcpy(&p[16], dst.ip4(), 4);
	test::set_ipv4_checksum(p);
	store_be16(&p[20], src.port);
	store_be16(&p[22], dst.port);
	p[32] = 6 << 4;  // 24-byte header
	p[33] = 0x02;    // SYN
	store_be16(&p[34], 65535);
	p[40] = 2;
	p[41] = 4;
	store_be16(&p[42], mss);
	uint16_t c = rte_ipv4_udptcp_cksum(reinterpret_cast<const rte_ipv4_hdr *>(p.data()), &p[20]);
	std::memcpy(&p[36], &c, 2);
	return p;
}

// An ICMP destination unreachable (port) from `from` quoting `quoted`.
Bytes port_unreachable4(const AddrPort &from, const AddrPort &to, const Bytes &quoted)
{
	const size_t quote = std::min<size_t>(quoted.size(), 28);
	Bytes p(20 + 8 + quote, 0);
	p[0] = 0x45;
	store_be16(&p[2], static_cast<uint16_t>(p.size()));
	p[8] = 64;
	p[9] = IPPROTO_ICMP;
	std::memcpy(&p[12], from.ip4(), 4);
	std::memcpy(&p[16], to.ip4(), 4);
	test::set_ipv4_checksum(p);
	p[20] = 3;
	p[21] = 3;
	std::memcpy(&p[28], quoted.data(), quote);
	uint16_t c = static_cast<uint16_t>(~rte_raw_cksum(&p[20], p.size() - 20));
	std::memcpy(&p[22], &c, 2);
	return p;
}

bool ipv4_checksums_ok(const Bytes &p)
{
	if (static_cast<uint16_t>(~rte_raw_cksum(p.data(), 20)) != 0)
		return false;
	if (p[9] == IPPROTO_ICMP)
		return static_cast<uint16_t>(~rte_raw_cksum(&p[20], p.size() - 20)) == 0;
	// TCP's or UDP's, computed afresh over a copy with the field zeroed.
	Bytes copy = p;
	const size_t check = 20 + (p[9] == IPPROTO_TCP ? 16 : 6);
	copy[check] = copy[check + 1] = 0;
	uint16_t want = rte_ipv4_udptcp_cksum(reinterpret_cast<const rte_ipv4_hdr *>(copy.data()), &copy[20]);
	return std::memcmp(&p[check], &want, 2) == 0;
}

AddrPort source4(const Bytes &p, size_t l3 = 0)
{
	return ip4(p[l3 + 12], p[l3 + 13], p[l3 + 14], p[l3 + 15], load_be16(&p[l3 + 20]));
}

AddrPort destination4(const Bytes &p, size_t l3 = 0)
{
	return ip4(p[l3 + 16], p[l3 + 17], p[l3 + 18], p[l3 + 19], load_be16(&p[l3 + 22]));
}

class NatStageTest : public testing::Test {
protected:
	void SetUp() override
	{
		nat_ = std::make_unique<nat::NatShared>(1024, 65535, 1000);
		for (uint32_t s = 0; s < kPeers; s++)
			allowed_[s].store(s == kAllowed ? 1 : 0);
		shared_.nat = nat_.get();
		nat::SessionTableConfig table;
		table.capacity = 256;
		table.max_per_peer = 100;
		table.peers = kPeers;
		table.filtering = nat::Filtering::address_dependent;
		table.timeouts = {300 * kSecond, 7440 * kSecond, 240 * kSecond, 6 * kSecond, 60 * kSecond, 120 * kSecond};
		shared_.peers = kPeers;
		shared_.has_snat4 = true;
		shared_.snat4 = kSnat4;
		shared_.mss4 = kMss4;
		shared_.exit_allowed = allowed_;
		std::string error;
		for (unsigned w = 0; w < 2; w++) {
			table.worker = static_cast<uint8_t>(w);
			tables_[w] = nat::SessionTable::create(table, *nat_, error);
			ASSERT_NE(tables_[w], nullptr) << error;
			shared_.tables.push_back(tables_[w].get());
		}
		for (unsigned w = 0; w < 2; w++)
			stage_[w] = std::make_unique<NatStage>(shared_, w, 32);
		punt_ = rte_ring_create(("natst_punt" + std::to_string(serial_++)).c_str(), 64, SOCKET_ID_ANY,
					RING_F_SP_ENQ | RING_F_SC_DEQ);
		ASSERT_NE(punt_, nullptr);
		output_ = std::make_unique<Output>(counters_, 0, 1, 0, punt_, 32);
	}

	void TearDown() override
	{
		output_.reset();
		rte_ring_free(punt_);
	}

	// A packet out of peer's tunnel, as wg_input forwards it.
	rte_mbuf *from_peer(const Bytes &p, uint32_t peer)
	{
		rte_mbuf *m = test::build_raw(test::test_pool(), p);
		PacketMeta &pm = meta(m);
		pm = PacketMeta{};
		pm.l3 = p[0] >> 4 == 4 ? L3::ipv4 : L3::ipv6;
		pm.aux = peer;
		return m;
	}

	// A frame from the internet on the exit port, as classify leaves it.
	rte_mbuf *from_wan(const Bytes &p)
	{
		Bytes frame(14, 0);
		store_be16(&frame[12], p[0] >> 4 == 4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
		frame.insert(frame.end(), p.begin(), p.end());
		rte_mbuf *m = test::build_raw(test::test_pool(), frame);
		PacketMeta &pm = meta(m);
		pm = PacketMeta{};
		pm.l3 = p[0] >> 4 == 4 ? L3::ipv4 : L3::ipv6;
		pm.l3_offset = 14;
		return m;
	}

	// Runs stage w over one packet; the translated packet's bytes (freed),
	// or empty when it was dropped or handed off.
	Bytes run(unsigned w, rte_mbuf *m, bool outbound, uint64_t now = kNow)
	{
		if (outbound)
			stage_[w]->admit_out(m);
		else
			stage_[w]->admit_in(m);
		stage_[w]->finish(now, *output_, counters_);
		output_->flush();
		auto got = outbound ? stage_[w]->out() : stage_[w]->in();
		for (rte_mbuf *h : stage_[w]->handoff()) {
			handed_to_ = meta(h).aux;
			rte_pktmbuf_free(h);
		}
		if (got.empty())
			return {};
		Bytes b = test::mbuf_bytes(got[0]);
		rte_pktmbuf_free(got[0]);
		return b;
	}

	uint64_t dropped(NatStageDrop r) const { return counters_.dropped(r); }

	static inline unsigned serial_ = 0;
	std::unique_ptr<nat::NatShared> nat_;
	std::atomic<uint8_t> allowed_[kPeers];
	NatStageShared shared_;
	std::unique_ptr<nat::SessionTable> tables_[2];
	std::unique_ptr<NatStage> stage_[2];
	WorkerCounters counters_;
	rte_ring *punt_ = nullptr;
	std::unique_ptr<Output> output_;
	uint32_t handed_to_ = ~0u;
};

TEST_F(NatStageTest, UdpGoesOutFromTheSnatAddressAndItsAnswerComesBack)
{
	Bytes out = run(0, from_peer(udp4(kClient, kServer), kAllowed), true);
	ASSERT_FALSE(out.empty());
	AddrPort external = kSnat4;
	external.port = kClient.port;  // preserved: it was free
	EXPECT_EQ(source4(out), external);
	EXPECT_EQ(destination4(out), kServer);
	EXPECT_TRUE(ipv4_checksums_ok(out));

	Bytes back = run(0, from_wan(udp4(kServer, external)), false);
	ASSERT_FALSE(back.empty());
	EXPECT_EQ(source4(back), kServer);
	EXPECT_EQ(destination4(back), kClient);
	EXPECT_TRUE(ipv4_checksums_ok(back));
	EXPECT_EQ(counters_.stage_packets[static_cast<size_t>(CountedStage::nat)].get(), 2u);
}

TEST_F(NatStageTest, DropsAreCountedByReason)
{
	const AddrPort external = ip4(203, 0, 113, 1, kClient.port);
	EXPECT_TRUE(run(0, from_peer(udp4(kClient, kServer), kRefused), true).empty());
	EXPECT_EQ(dropped(NatStageDrop::not_exit_peer), 1u);
	EXPECT_TRUE(run(0, from_peer(udp4(kClient, kServer), kPeers + 7), true).empty());
	EXPECT_EQ(dropped(NatStageDrop::not_exit_peer), 2u);

	EXPECT_TRUE(run(0, from_wan(udp4(kServer, external)), false).empty());
	EXPECT_EQ(dropped(NatStageDrop::no_mapping), 1u);

	ASSERT_FALSE(run(0, from_peer(udp4(kClient, kServer), kAllowed), true).empty());
	EXPECT_TRUE(run(0, from_wan(udp4(ip4(192, 0, 2, 99, 53), external)), false).empty());
	EXPECT_EQ(dropped(NatStageDrop::filtered), 1u);

	const AddrPort client6 = ip6(0xfd99, 0, 2, 40000), server6 = ip6(0x2001, 0xdb8, 7, 53);
	EXPECT_TRUE(run(0, from_peer(test::inner_udp(client6, server6, 8), kAllowed), true).empty());
	EXPECT_EQ(dropped(NatStageDrop::no_snat_address), 1u);

	Bytes fragment = udp4(kClient, kServer);
	store_be16(&fragment[6], 0x2000);  // MF
	test::set_ipv4_checksum(fragment);
	EXPECT_TRUE(run(0, from_peer(fragment, kAllowed), true).empty());
	EXPECT_EQ(dropped(NatStageDrop::untranslatable), 1u);
	EXPECT_EQ(stage_[0]->parse_drops(nat::ParseDrop::fragment), 1u);
}

TEST_F(NatStageTest, AnIcmpErrorForAMappedFlowReachesTheClientWithItsQuoteTurnedBack)
{
	Bytes out = run(0, from_peer(udp4(kClient, kServer), kAllowed), true);
	ASSERT_FALSE(out.empty());
	Bytes back = run(0, from_wan(port_unreachable4(kServer, kSnat4, out)), false);
	ASSERT_FALSE(back.empty());
	EXPECT_TRUE(ipv4_checksums_ok(back));
	EXPECT_EQ(std::memcmp(&back[16], kClient.ip4(), 4), 0);
	// The quote is what the client sent, as it sent it.
	Bytes sent = udp4(kClient, kServer);
	ASSERT_GE(back.size(), 28u + 28u);
	EXPECT_EQ(source4(back, 28), kClient);
	EXPECT_EQ(destination4(back, 28), kServer);
	EXPECT_EQ(std::memcmp(&back[28 + 10], &sent[10], 2), 0) << "quoted IPv4 header checksum";
	EXPECT_EQ(std::memcmp(&back[28 + 26], &sent[26], 2), 0) << "quoted UDP checksum";

	Bytes bad = port_unreachable4(kServer, kSnat4, out);
	bad[22] ^= 0xff;
	EXPECT_TRUE(run(0, from_wan(bad), false).empty());
	EXPECT_EQ(dropped(NatStageDrop::bad_icmp_checksum), 1u);

	Bytes stranger = udp4(ip4(203, 0, 113, 1, 999), kServer);
	EXPECT_TRUE(run(0, from_wan(port_unreachable4(kServer, kSnat4, stranger)), false).empty());
	EXPECT_EQ(dropped(NatStageDrop::unknown_flow), 1u);
}

TEST_F(NatStageTest, SynsHaveTheirMssClampedBothWays)
{
	const AddrPort client = ip4(10, 99, 0, 2, 50000), web = ip4(198, 51, 100, 7, 443);
	Bytes out = run(0, from_peer(syn4(client, web, 1460), kAllowed), true);
	ASSERT_FALSE(out.empty());
	EXPECT_EQ(load_be16(&out[42]), kMss4);
	EXPECT_TRUE(ipv4_checksums_ok(out));

	Bytes syn_ack = syn4(web, source4(out), 1460);
	syn_ack[33] = 0x12;  // SYN+ACK
	syn_ack[36] = syn_ack[37] = 0;
	uint16_t c = rte_ipv4_udptcp_cksum(reinterpret_cast<const rte_ipv4_hdr *>(syn_ack.data()), &syn_ack[20]);
	std::memcpy(&syn_ack[36], &c, 2);
	Bytes back = run(0, from_wan(syn_ack), false);
	ASSERT_FALSE(back.empty());
	EXPECT_EQ(load_be16(&back[42]), kMss4);
	EXPECT_EQ(destination4(back), client);
	EXPECT_TRUE(ipv4_checksums_ok(back));
}

TEST_F(NatStageTest, AnAnswerArrivingOnAnotherWorkerIsHandedToThePortsOwner)
{
	Bytes out = run(1, from_peer(udp4(kClient, kServer), kAllowed), true);
	ASSERT_FALSE(out.empty());
	EXPECT_TRUE(run(0, from_wan(udp4(kServer, source4(out))), false).empty());
	EXPECT_EQ(handed_to_, 1u);
	EXPECT_EQ(dropped(NatStageDrop::no_mapping), 0u);
}

TEST_F(NatStageTest, TwoClientsWithOneInsidePortGetDistinctMappings)
{
	const AddrPort other = ip4(10, 99, 0, 3, kClient.port);
	Bytes a = run(0, from_peer(udp4(kClient, kServer), kAllowed), true);
	Bytes b = run(0, from_peer(udp4(other, kServer), kAllowed), true);
	ASSERT_FALSE(a.empty());
	ASSERT_FALSE(b.empty());
	EXPECT_NE(source4(a).port, source4(b).port);
	EXPECT_EQ(source4(b).port % 2, kClient.port % 2) << "parity kept (RFC 4787 REQ-4)";
}

} // namespace
} // namespace wayport
