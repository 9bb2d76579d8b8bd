// rewrite_udp over random addresses, ports and payload lengths in every
// family crossing: the incremental UDP checksum and the computed IPv4
// header checksum must verify as if computed from scratch.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "dataplane/packet/udp_view.h"
#include "dataplane/packet/rewrite.h"
#include "tests/dpdk/packet_builder.h"
#include "tests/dpdk/ring_port.h"

namespace wayport {
namespace {

constexpr uint16_t kRelayPort = 7777;
constexpr uint8_t kNextHop[6] = {0x02, 0, 0, 0, 0, 0xbb};

class RewriteTest : public testing::Test {
protected:
	void SetUp() override
	{
		std::memcpy(port_.mac, "\x02\x00\x00\x00\x00\x01", 6);
		port_.addrs.has_ipv4 = port_.addrs.has_ipv6 = true;
		random_bytes(port_.addrs.ipv4, 4);
		random_bytes(port_.addrs.ipv6, 16);
		port_.addrs.ipv6[0] = 0xfd;  // not multicast
	}

	void random_bytes(uint8_t *p, size_t n)
	{
		for (size_t i = 0; i < n; i++)
			p[i] = static_cast<uint8_t>(rng_());
	}

	AddrPort random_addr(bool v4)
	{
		uint8_t ip[16];
		random_bytes(ip, 16);
		ip[0] = v4 ? ip[0] : 0x20;
		auto port = static_cast<uint16_t>(rng_());
		return v4 ? AddrPort::v4(ip, port) : AddrPort::v6(ip, port);
	}

	AddrPort ours(bool v4) const
	{
		return v4 ? AddrPort::v4(port_.addrs.ipv4, kRelayPort) : AddrPort::v6(port_.addrs.ipv6, kRelayPort);
	}

	// Rewrites one random packet from a client of family in_v4 to one of
	// family out_v4, and checks what leaves.
	void check_one(bool in_v4, bool out_v4, bool zero_checksum)
	{
		test::Frame f;
		f.src = random_addr(in_v4);
		f.dst = ours(in_v4);
		f.payload.resize(8 + rng_() % 1400);  // odd lengths too
		random_bytes(f.payload.data(), f.payload.size());
		f.zero_udp_checksum = zero_checksum;
		rte_mbuf *m = test::build_udp(test::test_pool(), f);
		ASSERT_NE(m, nullptr);
		ParsedUdp in;
		ASSERT_TRUE(test::parse_relay_udp(m, port_.addrs, in));

		AddrPort dst = random_addr(out_v4);
		ASSERT_TRUE(rewrite_udp(m, in, port_, kNextHop, kRelayPort, dst));
		test::Received r;
		ASSERT_TRUE(test::read_udp(m, r));
		EXPECT_EQ(r.src, ours(out_v4)) << r.src.to_string();
		EXPECT_EQ(r.dst, dst) << dst.to_string();
		EXPECT_EQ(r.payload, f.payload);
		EXPECT_TRUE(r.checksums_ok) << f.src.to_string() << " -> " << dst.to_string() << ", "
					    << f.payload.size() << " bytes";
		if (zero_checksum && out_v4) {
			EXPECT_EQ(r.udp_checksum, 0);
		}
		rte_pktmbuf_free(m);
	}

	EgressPort port_;
	std::mt19937 rng_{20261122};
};

TEST_F(RewriteTest, ChecksumsVerifyInEveryFamilyCrossing)
{
	for (bool in_v4 : {true, false})
		for (bool out_v4 : {true, false})
			for (int i = 0; i < 500; i++) {
				SCOPED_TRACE(testing::Message() << (in_v4 ? "v4" : "v6") << " -> " << (out_v4 ? "v4" : "v6"));
				check_one(in_v4, out_v4, false);
				if (HasFatalFailure())
					return;
			}
}

// Every destination port once: among them are the packets whose checksum
// sums to zero and must be sent as 0xffff (0 means "none" in UDP).
TEST_F(RewriteTest, EveryDestinationPortChecksums)
{
	test::Frame f;
	f.src = random_addr(true);
	f.dst = ours(true);
	f.payload.assign(40, 0x5a);
	rte_mbuf *m = test::build_udp(test::test_pool(), f);
	ASSERT_NE(m, nullptr);
	ParsedUdp in;
	ASSERT_TRUE(test::parse_relay_udp(m, port_.addrs, in));
	AddrPort dst = random_addr(true);
	int all_ones = 0;
	for (uint32_t port = 0; port <= 0xffff; port++) {
		dst.port = static_cast<uint16_t>(port);
		// Rewriting in place is idempotent for the headers: in still
		// describes the packet's payload, which rewrite never moves.
		ASSERT_TRUE(rewrite_udp(m, in, port_, kNextHop, kRelayPort, dst));
		test::Received r;
		ASSERT_TRUE(test::read_udp(m, r));
		ASSERT_TRUE(r.checksums_ok) << port;
		ASSERT_NE(r.udp_checksum, 0) << port;
		all_ones += r.udp_checksum == 0xffff;
	}
	EXPECT_GE(all_ones, 1);
	rte_pktmbuf_free(m);
}

TEST_F(RewriteTest, IPv4SendersWithoutAChecksum)
{
	// IPv4 out keeps "no checksum"; IPv6 out gets one computed.
	for (bool out_v4 : {true, false})
		for (int i = 0; i < 200; i++)
			check_one(true, out_v4, true);
}

} // namespace
} // namespace wayport
