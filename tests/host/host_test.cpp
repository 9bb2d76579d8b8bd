// ARP, neighbour discovery and echo on real mbufs: requests built as a
// peer would send them, replies checked field by field.
#include <gtest/gtest.h>

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include <cstring>
#include <memory>

#include "controlplane/host/host.h"
#include "tests/dpdk/packet_builder.h"
#include "tests/host/recording_io.h"

namespace wayport {
namespace {

using test::RecordingIo;

constexpr rte_ether_addr kOurMac = {{0x02, 0, 0, 0, 0, 0x01}};
constexpr rte_ether_addr kPeerMac = {{0x02, 0, 0, 0, 0, 0xaa}};

AddrPort ip(const char *s)
{
	std::string text = s;
	return *AddrPort::parse(text.find(':') != std::string::npos ? "[" + text + "]:0" : text + ":0");
}

Port make_port()
{
	Port p;
	p.port_id = 0;
	p.mac = kOurMac;
	p.ipv4 = ip("10.0.0.1");
	p.ipv4_prefix = 24;
	p.ipv6 = ip("fd00::1");
	p.ipv6_prefix = 64;
	p.gateway4 = ip("10.0.0.254");
	return p;
}

Bytes arp_frame(uint16_t op, const AddrPort &sender, const AddrPort &target)
{
	Bytes b(sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr));
	auto *eth = reinterpret_cast<rte_ether_hdr *>(b.data());
	std::memset(&eth->dst_addr, 0xff, 6);
	eth->src_addr = kPeerMac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	auto *arp = reinterpret_cast<rte_arp_hdr *>(eth + 1);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = 6;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(op);
	arp->arp_data.arp_sha = kPeerMac;
	std::memcpy(&arp->arp_data.arp_sip, sender.ip4(), 4);
	std::memcpy(&arp->arp_data.arp_tip, target.ip4(), 4);
	return b;
}

// An IPv6 frame with an ICMPv6 body whose checksum is filled in.
Bytes icmp6_frame(const AddrPort &src, const AddrPort &dst, Bytes body, uint8_t hop_limit = 255)
{
	Bytes b(sizeof(rte_ether_hdr) + sizeof(rte_ipv6_hdr) + body.size());
	std::copy(body.begin(), body.end(), b.end() - static_cast<long>(body.size()));
	auto *eth = reinterpret_cast<rte_ether_hdr *>(b.data());
	eth->dst_addr = kOurMac;
	eth->src_addr = kPeerMac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	auto *h = reinterpret_cast<rte_ipv6_hdr *>(eth + 1);
	h->vtc_flow = rte_cpu_to_be_32(6u << 28);
	h->payload_len = rte_cpu_to_be_16(static_cast<uint16_t>(body.size()));
	h->proto = 58;
	h->hop_limits = hop_limit;
	std::memcpy(h->src_addr, src.ip.data(), 16);
	std::memcpy(h->dst_addr, dst.ip.data(), 16);
	uint8_t *icmp = reinterpret_cast<uint8_t *>(h + 1);
	uint16_t sum = rte_ipv6_udptcp_cksum(h, icmp);
	std::memcpy(icmp + 2, &sum, 2);
	return b;
}

Bytes neighbour_solicitation(const AddrPort &target, bool with_source_option = true)
{
	Bytes body = {135, 0, 0, 0, 0, 0, 0, 0};
	body.insert(body.end(), target.ip.begin(), target.ip.end());
	if (with_source_option) {
		Bytes opt = {1, 1};
		opt.insert(opt.end(), kPeerMac.addr_bytes, kPeerMac.addr_bytes + 6);
		body.insert(body.end(), opt.begin(), opt.end());
	}
	return body;
}

class HostTest : public testing::Test {
protected:
	HostTest() : slots_(64), host_({make_port()}, slots_, io_, NeighbourConfig{}) {}

	rte_mbuf *mbuf(const Bytes &b) { return test::build_raw(test::test_pool(), b, 0); }

	RecordingIo io_;
	NeighbourSlots slots_;
	Host host_;
};

TEST_F(HostTest, AnswersArpForOurAddressOnly)
{
	host_.input(mbuf(arp_frame(RTE_ARP_OP_REQUEST, ip("10.0.0.2"), ip("10.0.0.1"))), 0);
	ASSERT_EQ(io_.sent.size(), 1u);
	Bytes reply = test::mbuf_bytes(io_.sent[0]);
	auto *eth = reinterpret_cast<rte_ether_hdr *>(reply.data());
	auto *arp = reinterpret_cast<rte_arp_hdr *>(eth + 1);
	EXPECT_TRUE(rte_is_same_ether_addr(&eth->dst_addr, &kPeerMac));
	EXPECT_TRUE(rte_is_same_ether_addr(&eth->src_addr, &kOurMac));
	EXPECT_EQ(rte_be_to_cpu_16(arp->arp_opcode), RTE_ARP_OP_REPLY);
	EXPECT_TRUE(rte_is_same_ether_addr(&arp->arp_data.arp_sha, &kOurMac));
	EXPECT_EQ(std::memcmp(&arp->arp_data.arp_sip, ip("10.0.0.1").ip4(), 4), 0);
	EXPECT_TRUE(rte_is_same_ether_addr(&arp->arp_data.arp_tha, &kPeerMac));
	EXPECT_EQ(std::memcmp(&arp->arp_data.arp_tip, ip("10.0.0.2").ip4(), 4), 0);
	EXPECT_EQ(host_.counters().arp_replies, 1u);

	host_.input(mbuf(arp_frame(RTE_ARP_OP_REQUEST, ip("10.0.0.2"), ip("10.0.0.9"))), 0);
	EXPECT_EQ(host_.counters().not_ours, 1u);
	Bytes bad = arp_frame(RTE_ARP_OP_REQUEST, ip("10.0.0.2"), ip("10.0.0.1"));
	bad[sizeof(rte_ether_hdr) + 4] = 16;  // hardware length
	host_.input(mbuf(bad), 0);
	host_.input(mbuf(Bytes(20, 0)), 0);
	EXPECT_EQ(host_.counters().malformed, 1u);
	EXPECT_EQ(io_.sent.size(), 1u);
}

TEST_F(HostTest, ResolvesThroughArpAndReleasesHeldPackets)
{
	auto slot = host_.neighbours().slot_for(0, ip("10.0.0.3"), 0);
	ASSERT_TRUE(slot);
	// The probe: a broadcast who-has 10.0.0.3 from us.
	ASSERT_EQ(io_.sent.size(), 1u);
	Bytes probe = test::mbuf_bytes(io_.sent[0]);
	auto *arp = reinterpret_cast<rte_arp_hdr *>(probe.data() + sizeof(rte_ether_hdr));
	EXPECT_EQ(rte_be_to_cpu_16(arp->arp_opcode), RTE_ARP_OP_REQUEST);
	EXPECT_EQ(std::memcmp(&arp->arp_data.arp_tip, ip("10.0.0.3").ip4(), 4), 0);

	uint8_t mac[6];
	EXPECT_FALSE(slots_.get(*slot, mac));
	host_.neighbours().hold(*slot, mbuf(Bytes(60, 1)));
	host_.input(mbuf(arp_frame(RTE_ARP_OP_REPLY, ip("10.0.0.3"), ip("10.0.0.1"))), 1);
	ASSERT_TRUE(slots_.get(*slot, mac));
	EXPECT_EQ(std::memcmp(mac, kPeerMac.addr_bytes, 6), 0);
	EXPECT_EQ(io_.ready.size(), 1u);
	EXPECT_EQ(host_.counters().absorbed, 1u);
	EXPECT_EQ(host_.neighbours().counters().resolved, 1u);
}

TEST_F(HostTest, UnsolicitedArpCreatesNothing)
{
	host_.input(mbuf(arp_frame(RTE_ARP_OP_REPLY, ip("10.0.0.77"), ip("10.0.0.1"))), 0);
	EXPECT_EQ(host_.neighbours().find(0, ip("10.0.0.77")), nullptr);
	EXPECT_TRUE(host_.neighbours().entries().empty());
}

TEST_F(HostTest, AnswersNeighbourSolicitation)
{
	host_.input(mbuf(icmp6_frame(ip("fd00::2"), ip("ff02::1:ff00:1"), neighbour_solicitation(ip("fd00::1")))), 0);
	ASSERT_EQ(io_.sent.size(), 1u);
	Bytes na = test::mbuf_bytes(io_.sent[0]);
	auto *eth = reinterpret_cast<rte_ether_hdr *>(na.data());
	auto *h = reinterpret_cast<rte_ipv6_hdr *>(eth + 1);
	uint8_t *icmp = reinterpret_cast<uint8_t *>(h + 1);
	EXPECT_TRUE(rte_is_same_ether_addr(&eth->dst_addr, &kPeerMac));
	EXPECT_EQ(h->hop_limits, 255);
	EXPECT_EQ(std::memcmp(h->src_addr, ip("fd00::1").ip.data(), 16), 0);
	EXPECT_EQ(std::memcmp(h->dst_addr, ip("fd00::2").ip.data(), 16), 0);
	EXPECT_EQ(icmp[0], 136);
	EXPECT_EQ(icmp[4], 0x60);  // solicited + override
	EXPECT_EQ(std::memcmp(icmp + 8, ip("fd00::1").ip.data(), 16), 0);
	EXPECT_EQ(icmp[24], 2);    // target link-layer address option
	EXPECT_EQ(std::memcmp(icmp + 26, kOurMac.addr_bytes, 6), 0);
	uint32_t sum = rte_raw_cksum(icmp, rte_be_to_cpu_16(h->payload_len)) + rte_ipv6_phdr_cksum(h, 0);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	EXPECT_EQ(sum, 0xffffu);
	EXPECT_EQ(host_.counters().neighbour_advertisements, 1u);
}

TEST_F(HostTest, RejectsBadNeighbourDiscovery)
{
	// Hop limit below 255: it may have crossed a router.
	host_.input(mbuf(icmp6_frame(ip("fd00::2"), ip("fd00::1"), neighbour_solicitation(ip("fd00::1")), 64)), 0);
	Bytes bad_sum = icmp6_frame(ip("fd00::2"), ip("fd00::1"), neighbour_solicitation(ip("fd00::1")));
	bad_sum.back() ^= 1;
	host_.input(mbuf(bad_sum), 0);
	EXPECT_EQ(host_.counters().malformed, 2u);
	host_.input(mbuf(icmp6_frame(ip("fd00::2"), ip("fd00::1"), neighbour_solicitation(ip("fd00::9")))), 0);
	EXPECT_EQ(host_.counters().not_ours, 1u);
	// An option with length 0 must not loop.
	Bytes looping = neighbour_solicitation(ip("fd00::1"), false);
	looping.insert(looping.end(), {1, 0, 0, 0, 0, 0, 0, 0});
	host_.input(mbuf(icmp6_frame(ip("fd00::2"), ip("fd00::1"), looping)), 0);
	EXPECT_EQ(io_.sent.size(), 1u);  // answered, to the frame's source MAC
}

TEST_F(HostTest, ResolvesThroughNeighbourAdvertisement)
{
	auto slot = host_.neighbours().slot_for(0, ip("fd00::5"), 0);
	ASSERT_TRUE(slot);
	ASSERT_EQ(io_.sent.size(), 1u);
	Bytes ns = test::mbuf_bytes(io_.sent[0]);
	auto *eth = reinterpret_cast<rte_ether_hdr *>(ns.data());
	const uint8_t solicited_mac[6] = {0x33, 0x33, 0xff, 0x00, 0x00, 0x05};
	EXPECT_EQ(std::memcmp(&eth->dst_addr, solicited_mac, 6), 0);

	Bytes body = {136, 0, 0, 0, 0x60, 0, 0, 0};
	AddrPort target = ip("fd00::5");
	body.insert(body.end(), target.ip.begin(), target.ip.end());
	body.insert(body.end(), {2, 1, 0x02, 0, 0, 0, 0, 0x55});
	host_.input(mbuf(icmp6_frame(target, ip("fd00::1"), body)), 1);
	uint8_t mac[6];
	ASSERT_TRUE(slots_.get(*slot, mac));
	EXPECT_EQ(mac[5], 0x55);
}

TEST_F(HostTest, EchoRepliesBothFamilies)
{
	test::Frame f;
	f.src = *AddrPort::parse("10.0.0.2:0");
	f.dst = *AddrPort::parse("10.0.0.1:0");
	f.payload = Bytes(8, 0);
	Bytes b = test::mbuf_bytes(test::build_udp(test::test_pool(), f));
	auto *h4 = reinterpret_cast<rte_ipv4_hdr *>(b.data() + sizeof(rte_ether_hdr));
	h4->next_proto_id = IPPROTO_ICMP;
	h4->hdr_checksum = 0;
	h4->hdr_checksum = rte_ipv4_cksum(h4);
	auto *icmp = reinterpret_cast<rte_icmp_hdr *>(h4 + 1);
	std::memset(icmp, 0, 16);
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	icmp->icmp_ident = 0x1234;
	icmp->icmp_cksum = static_cast<uint16_t>(~rte_raw_cksum(icmp, 16));
	host_.input(mbuf(b), 0);
	ASSERT_EQ(io_.sent.size(), 1u);
	Bytes r = test::mbuf_bytes(io_.sent[0]);
	auto *rh = reinterpret_cast<rte_ipv4_hdr *>(r.data() + sizeof(rte_ether_hdr));
	auto *ricmp = reinterpret_cast<rte_icmp_hdr *>(rh + 1);
	EXPECT_EQ(ricmp->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	EXPECT_EQ(ricmp->icmp_ident, 0x1234);
	EXPECT_EQ(std::memcmp(&rh->dst_addr, ip("10.0.0.2").ip4(), 4), 0);
	EXPECT_EQ(rte_raw_cksum(rh, sizeof(*rh)), 0xffff);
	EXPECT_EQ(rte_raw_cksum(ricmp, 16), 0xffff);

	Bytes echo6 = {128, 0, 0, 0, 0x12, 0x34, 0, 1, 'h', 'i'};
	host_.input(mbuf(icmp6_frame(ip("fd00::2"), ip("fd00::1"), echo6, 64)), 0);
	ASSERT_EQ(io_.sent.size(), 2u);
	Bytes r6 = test::mbuf_bytes(io_.sent[1]);
	auto *h6 = reinterpret_cast<rte_ipv6_hdr *>(r6.data() + sizeof(rte_ether_hdr));
	auto *i6 = reinterpret_cast<uint8_t *>(h6 + 1);
	EXPECT_EQ(i6[0], 129);
	EXPECT_EQ(std::memcmp(h6->dst_addr, ip("fd00::2").ip.data(), 16), 0);
	uint32_t sum = rte_raw_cksum(i6, 10) + rte_ipv6_phdr_cksum(h6, 0);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	EXPECT_EQ(sum, 0xffffu);
	EXPECT_EQ(host_.counters().echo_replies, 2u);
}

TEST(Port, NextHop)
{
	Port p = make_port();
	EXPECT_EQ(p.next_hop(*AddrPort::parse("10.0.0.7:99")), ip("10.0.0.7"));
	EXPECT_EQ(p.next_hop(*AddrPort::parse("192.0.2.1:99")), ip("10.0.0.254"));
	EXPECT_EQ(p.next_hop(*AddrPort::parse("[fd00::9]:1")), ip("fd00::9"));
	EXPECT_EQ(p.next_hop(*AddrPort::parse("[fe80::1]:1")), ip("fe80::1"));
	EXPECT_FALSE(p.next_hop(*AddrPort::parse("[2001:db8::1]:1")));  // no IPv6 gateway
	EXPECT_TRUE(p.is_ours(ip("10.0.0.1")));
	EXPECT_FALSE(p.is_ours(ip("10.0.0.2")));
	p.ipv4_prefix = 20;
	EXPECT_TRUE(p.on_link(ip("10.0.15.1")));
	EXPECT_FALSE(p.on_link(ip("10.0.16.1")));
}

} // namespace
} // namespace wayport
