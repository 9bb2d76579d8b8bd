// Replies built in place from a received frame, both families, payloads
// shorter and longer than the request's.
#include <gtest/gtest.h>

#include <cstring>

#include "controlplane/control/udp_reply.h"
#include "tests/dpdk/packet_builder.h"
#include "tests/dpdk/ring_port.h"

namespace wayport {
namespace {

constexpr uint8_t kOurMac[6] = {0x02, 0, 0, 0, 0, 0x01};

void expect_reply(const char *client, const char *relay, size_t request_len, size_t reply_len)
{
	test::Frame f;
	f.src = *AddrPort::parse(client);
	f.dst = *AddrPort::parse(relay);
	f.payload = Bytes(request_len, 0x5a);
	rte_mbuf *m = test::build_udp(test::test_pool(), f);
	PortAddrs ours;
	ours.has_ipv4 = ours.has_ipv6 = true;
	if (f.dst.is_v4)
		std::memcpy(ours.ipv4, f.dst.ip4(), 4);
	else
		std::memcpy(ours.ipv6, f.dst.ip.data(), 16);
	ParsedUdp in;
	ASSERT_TRUE(test::parse_relay_udp(m, ours, in));

	Bytes payload(reply_len);
	for (size_t i = 0; i < reply_len; i++)
		payload[i] = static_cast<uint8_t>(i);
	ASSERT_TRUE(udp_reply(m, in, kOurMac, payload));
	test::Received r;
	ASSERT_TRUE(test::read_udp(m, r));
	EXPECT_EQ(r.src, f.dst);
	EXPECT_EQ(r.dst, f.src);
	EXPECT_EQ(std::memcmp(r.dst_mac, f.src_mac, 6), 0);
	EXPECT_EQ(std::memcmp(r.src_mac, kOurMac, 6), 0);
	EXPECT_EQ(r.payload, payload);
	EXPECT_TRUE(r.checksums_ok);
	EXPECT_EQ(rte_pktmbuf_data_len(m), 14 + (f.src.is_v4 ? 20 : 40) + 8 + reply_len);
	rte_pktmbuf_free(m);
}

TEST(UdpReply, Ipv4ShorterAndLonger)
{
	expect_reply("192.0.2.10:41641", "192.0.2.1:7777", 160, 160);
	expect_reply("192.0.2.10:41641", "192.0.2.1:7777", 148, 226);
	expect_reply("192.0.2.10:41641", "192.0.2.1:7777", 48, 32);
}

TEST(UdpReply, Ipv6ShorterAndLonger)
{
	expect_reply("[2001:db8::10]:41641", "[2001:db8::1]:7777", 160, 160);
	expect_reply("[2001:db8::10]:41641", "[2001:db8::1]:7777", 20, 44);
	expect_reply("[2001:db8::10]:41641", "[2001:db8::1]:7777", 500, 10);
}

TEST(UdpReply, RefusesWhatDoesNotFit)
{
	test::Frame f;
	f.src = *AddrPort::parse("192.0.2.10:1");
	f.dst = *AddrPort::parse("192.0.2.1:7777");
	f.payload = Bytes(20, 0);
	rte_mbuf *m = test::build_udp(test::test_pool(), f);
	PortAddrs ours;
	ours.has_ipv4 = true;
	std::memcpy(ours.ipv4, f.dst.ip4(), 4);
	ParsedUdp in;
	ASSERT_TRUE(test::parse_relay_udp(m, ours, in));
	Bytes before = test::mbuf_bytes(m);
	EXPECT_FALSE(udp_reply(m, in, kOurMac, Bytes(4000, 1)));
	EXPECT_EQ(test::mbuf_bytes(m), before);
	rte_pktmbuf_free(m);
}

} // namespace
} // namespace wayport
