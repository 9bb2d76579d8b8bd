// The NAT's packet view and rewrites: what parse() takes and refuses (case
// table), and every rewrite checked against checksums computed afresh by
// DPDK, for TCP, UDP and ICMP echo in both families, with IPv4 options,
// the IPv4 UDP "no checksum", and MSS clamping at both alignments.
#include <gtest/gtest.h>

#include <rte_ip.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "dataplane/nat/translate.h"
#include "dataplane/wire/bytes.h"
#include "tests/dataplane/wg_packets.h"

namespace wayport::nat {
namespace {

using test::ip4;
using test::ip6;

constexpr uint8_t kTcp = 6, kUdp = 17;

// An IP header of src's family for l4 (transport header and payload) of
// protocol proto; ipv4_options extra bytes of IPv4 options (a multiple of 4).
Bytes ip_packet(const AddrPort &src, const AddrPort &dst, uint8_t proto, const Bytes &l4, size_t ipv4_options = 0)
{
	Bytes p;
	if (src.is_v4) {
		const size_t header = 20 + ipv4_options;
		p.assign(header, 0);
		p[0] = static_cast<uint8_t>(0x40 | header / 4);
		store_be16(&p[2], static_cast<uint16_t>(header + l4.size()));
		store_be16(&p[6], 0x4000);  // DF
		p[8] = 64;
		p[9] = proto;
		std::memcpy(&p[12], src.ip4(), 4);
		std::memcpy(&p[16], dst.ip4(), 4);
		for (size_t i = 20; i < header; i++)
			p[i] = 1;  // no-op options
		uint16_t c = static_cast<uint16_t>(~rte_raw_cksum(p.data(), header));
		std::memcpy(&p[10], &c, 2);
	} else {
		p.assign(40, 0);
		p[0] = 0x60;
		store_be16(&p[4], static_cast<uint16_t>(l4.size()));
		p[6] = proto;
		p[7] = 64;
		std::memcpy(&p[8], src.ip.data(), 16);
		std::memcpy(&p[24], dst.ip.data(), 16);
	}
	p.insert(p.end(), l4.begin(), l4.end());
	return p;
}

size_t header_len(const Bytes &p)
{
	return p[0] >> 4 == 4 ? (p[0] & 0xf) * 4u : 40;
}

// The transport checksum as a sender computes it, stored at offset check.
void checksum(Bytes &p, size_t check, bool icmp4 = false)
{
	const size_t h = header_len(p);
	p[h + check] = p[h + check + 1] = 0;
	uint16_t c;
	if (icmp4)
		c = static_cast<uint16_t>(~rte_raw_cksum(&p[h], p.size() - h));
	else if (p[0] >> 4 == 4)
		c = rte_ipv4_udptcp_cksum(reinterpret_cast<const rte_ipv4_hdr *>(p.data()), &p[h]);
	else
		c = rte_ipv6_udptcp_cksum(reinterpret_cast<const rte_ipv6_hdr *>(p.data()), &p[h]);
	std::memcpy(&p[h + check], &c, 2);
}

Bytes tcp(const AddrPort &src, const AddrPort &dst, uint8_t flags, const Bytes &options = {}, size_t ipv4_options = 0)
{
	Bytes l4(20 + options.size(), 0);
	store_be16(&l4[0], src.port);
	store_be16(&l4[2], dst.port);
	store_be32(&l4[4], 0x01020304);
	l4[12] = static_cast<uint8_t>((20 + options.size()) / 4 << 4);
	l4[13] = flags;
	store_be16(&l4[14], 65535);
	std::copy(options.begin(), options.end(), l4.begin() + 20);
	for (int i = 0; i < 11; i++)
		l4.push_back(static_cast<uint8_t>(0xa0 + i));  // an odd payload
	Bytes p = ip_packet(src, dst, kTcp, l4, ipv4_options);
	checksum(p, 16);
	return p;
}

Bytes udp(const AddrPort &src, const AddrPort &dst, bool no_checksum = false)
{
	Bytes l4(8 + 13, 0x5a);
	store_be16(&l4[0], src.port);
	store_be16(&l4[2], dst.port);
	store_be16(&l4[4], static_cast<uint16_t>(l4.size()));
	Bytes p = ip_packet(src, dst, kUdp, l4);
	if (no_checksum) {
		const size_t h = header_len(p);
		p[h + 6] = p[h + 7] = 0;
	} else {
		checksum(p, 6);
	}
	return p;
}

Bytes echo(const AddrPort &src, const AddrPort &dst, bool request, uint16_t id)
{
	Bytes l4(8 + 24, 0x33);
	l4[0] = src.is_v4 ? (request ? 8 : 0) : (request ? 128 : 129);
	l4[1] = 0;
	store_be16(&l4[4], id);
	store_be16(&l4[6], 7);
	Bytes p = ip_packet(src, dst, src.is_v4 ? 1 : 58, l4);
	checksum(p, 2, src.is_v4);
	return p;
}

// Every checksum in the packet verifies: each sum, its checksum field
// included, comes to all ones.
void expect_valid(Bytes &p, const char *what)
{
	const size_t h = header_len(p);
	const uint8_t proto = p[0] >> 4 == 4 ? p[9] : p[6];
	uint32_t pseudo = 0;
	if (p[0] >> 4 == 4) {
		EXPECT_EQ(rte_raw_cksum(p.data(), h), 0xffff) << what << ": IPv4 header";
		if (proto != 1)
			pseudo = rte_ipv4_phdr_cksum(reinterpret_cast<const rte_ipv4_hdr *>(p.data()), 0);
	} else {
		pseudo = rte_ipv6_phdr_cksum(reinterpret_cast<const rte_ipv6_hdr *>(p.data()), 0);
	}
	if (proto == 17 && p[0] >> 4 == 4 && load_be16(&p[h + 6]) == 0)
		return;  // no checksum
	uint32_t sum = pseudo + rte_raw_cksum(&p[h], p.size() - h);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	EXPECT_EQ(sum, 0xffffu) << what << ": transport";
}

NatPacket parsed(Bytes &p)
{
	NatPacket np;
	ParseDrop why{};
	EXPECT_TRUE(parse(p.data(), static_cast<uint16_t>(p.size()), np, why)) << to_string(why);
	return np;
}

const AddrPort kIn4 = ip4(10, 66, 0, 2, 5000), kRemote4 = ip4(203, 0, 113, 10, 443), kSnat4 = ip4(198, 51, 100, 1, 61000);
const AddrPort kIn6 = ip6(0xfd66, 0, 2, 5000), kRemote6 = ip6(0x2001, 0xdb8, 0x10, 443), kSnat6 = ip6(0x2001, 0xdb8, 1, 61000);

TEST(NatTranslate, ParseReadsTheFlowOfEachProtocol)
{
	struct Case {
		const char *what;
		Bytes packet;
		NatProto proto;
		IcmpKind icmp;
		AddrPort src, dst;
		uint8_t flags;
	};
	std::vector<Case> cases = {
		{"tcp4", tcp(kIn4, kRemote4, tcp_flags::syn), NatProto::tcp, IcmpKind::none, kIn4, kRemote4, tcp_flags::syn},
		{"tcp4 options", tcp(kIn4, kRemote4, tcp_flags::ack, {}, 8), NatProto::tcp, IcmpKind::none, kIn4, kRemote4, tcp_flags::ack},
		{"udp6", udp(kIn6, kRemote6), NatProto::udp, IcmpKind::none, kIn6, kRemote6, 0},
		{"echo request 4", echo(ip4(10, 66, 0, 2), ip4(203, 0, 113, 10), true, 77), NatProto::icmp,
		 IcmpKind::echo_request, ip4(10, 66, 0, 2, 77), ip4(203, 0, 113, 10, 0), 0},
		{"echo reply 6", echo(ip6(0x2001, 0xdb8, 0x10), ip6(0x2001, 0xdb8, 1), false, 78), NatProto::icmp,
		 IcmpKind::echo_reply, ip6(0x2001, 0xdb8, 0x10, 0), ip6(0x2001, 0xdb8, 1, 78), 0},
	};
	for (Case &c : cases) {
		NatPacket p = parsed(c.packet);
		EXPECT_EQ(p.proto, c.proto) << c.what;
		EXPECT_EQ(p.icmp, c.icmp) << c.what;
		EXPECT_EQ(p.src, c.src) << c.what << ": " << p.src.to_string();
		EXPECT_EQ(p.dst, c.dst) << c.what << ": " << p.dst.to_string();
		EXPECT_EQ(p.tcp_flags, c.flags) << c.what;
		EXPECT_EQ(p.l3_len, c.packet.size()) << c.what;
		EXPECT_EQ(p.l4, c.packet.data() + header_len(c.packet)) << c.what;
	}
}

TEST(NatTranslate, ParseRefusesWhatItCannotTranslateAndSaysWhy)
{
	auto with = [](Bytes p, size_t at, uint8_t v) {
		p[at] = v;
		return p;
	};
	auto cut = [](Bytes p, size_t n) {
		p.resize(n);
		return p;
	};
	Bytes error4 = echo(kRemote4, kIn4, true, 1);
	error4[20] = 3;  // destination unreachable
	struct Case {
		const char *what;
		Bytes packet;
		ParseDrop why;
	};
	const Bytes t4 = tcp(kIn4, kRemote4, tcp_flags::ack);
	const Bytes u6 = udp(kIn6, kRemote6);
	std::vector<Case> cases = {
		{"empty", {}, ParseDrop::truncated},
		{"ipv4 header cut", cut(t4, 19), ParseDrop::truncated},
		{"ipv4 total length past the end", cut(t4, t4.size() - 1), ParseDrop::truncated},
		{"ipv4 ihl below 5", with(t4, 0, 0x44), ParseDrop::truncated},
		{"tcp data offset below 5", with(t4, 32, 0x40), ParseDrop::truncated},
		{"tcp data offset past the end", with(t4, 32, 0xf0), ParseDrop::truncated},
		{"more fragments", with(t4, 6, 0x20), ParseDrop::fragment},
		{"fragment offset", with(t4, 7, 0x01), ParseDrop::fragment},
		{"gre", with(t4, 9, 47), ParseDrop::unsupported_protocol},
		{"icmpv6 in ipv4", with(t4, 9, 58), ParseDrop::unsupported_protocol},
		{"ipv6 header cut", cut(u6, 39), ParseDrop::truncated},
		{"ipv6 payload length past the end", cut(u6, u6.size() - 1), ParseDrop::truncated},
		{"udp length lies", with(u6, 45, 0xff), ParseDrop::truncated},
		{"ipv6 hop-by-hop", with(u6, 6, 0), ParseDrop::ipv6_extension},
		{"ipv6 fragment header", with(u6, 6, 44), ParseDrop::fragment},
		{"icmp timestamp", with(echo(kIn4, kRemote4, true, 1), 20, 13), ParseDrop::unsupported_icmp},
		{"icmpv6 router advertisement", with(echo(kIn6, kRemote6, true, 1), 40, 134), ParseDrop::unsupported_icmp},
		{"version 5", with(t4, 0, 0x55), ParseDrop::truncated},
	};
	for (Case &c : cases) {
		NatPacket p;
		ParseDrop why = ParseDrop::count;
		EXPECT_FALSE(parse(c.packet.data(), static_cast<uint16_t>(c.packet.size()), p, why)) << c.what;
		EXPECT_EQ(why, c.why) << c.what << ": " << to_string(why);
	}
	NatPacket p = parsed(error4);
	EXPECT_EQ(p.icmp, IcmpKind::error) << "errors are parsed, for their own path";
}

TEST(NatTranslate, LinkPaddingAfterThePacketIsNotPartOfIt)
{
	Bytes p = udp(kIn4, kRemote4);
	const size_t len = p.size();
	p.resize(len + 6, 0);
	NatPacket np = parsed(p);
	EXPECT_EQ(np.l3_len, len);
	EXPECT_EQ(np.l4_len, len - 20);
}

TEST(NatTranslate, SourceAndDestinationRewritesKeepEveryChecksumValid)
{
	struct Case {
		const char *what;
		Bytes packet;
		AddrPort to;
		bool source;
	};
	std::vector<Case> cases = {
		{"tcp4 out", tcp(kIn4, kRemote4, tcp_flags::syn), kSnat4, true},
		{"tcp4 options in", tcp(kRemote4, kSnat4, tcp_flags::ack, {}, 12), kIn4, false},
		{"udp4 out", udp(kIn4, kRemote4), kSnat4, true},
		{"udp4 in", udp(kRemote4, kSnat4), kIn4, false},
		{"tcp6 out", tcp(kIn6, kRemote6, tcp_flags::syn | tcp_flags::ack), kSnat6, true},
		{"udp6 in", udp(kRemote6, kSnat6), kIn6, false},
		{"echo request 4 out", echo(ip4(10, 66, 0, 2), ip4(203, 0, 113, 10), true, 77), ip4(198, 51, 100, 1, 9001), true},
		{"echo reply 4 in", echo(ip4(203, 0, 113, 10), ip4(198, 51, 100, 1), false, 9001), ip4(10, 66, 0, 2, 77), false},
		{"echo request 6 out", echo(ip6(0xfd66, 0, 2), ip6(0x2001, 0xdb8, 0x10), true, 77), ip6(0x2001, 0xdb8, 1, 9001), true},
		{"echo reply 6 in", echo(ip6(0x2001, 0xdb8, 0x10), ip6(0x2001, 0xdb8, 1), false, 9001), ip6(0xfd66, 0, 2, 77), false},
	};
	for (Case &c : cases) {
		NatPacket p = parsed(c.packet);
		const AddrPort other = c.source ? p.dst : p.src;
		const Bytes before = c.packet;
		if (c.source)
			rewrite_source(p, c.to);
		else
			rewrite_destination(p, c.to);
		expect_valid(c.packet, c.what);
		NatPacket again = parsed(c.packet);
		EXPECT_EQ(c.source ? again.src : again.dst, c.to) << c.what;
		EXPECT_EQ(c.source ? again.dst : again.src, other) << c.what << ": the other end is untouched";
		EXPECT_EQ(c.source ? p.src : p.dst, c.to) << c.what << ": the view follows";
		EXPECT_EQ(c.packet[0] >> 4 == 4 ? c.packet[8] : c.packet[7], 64) << "TTL is ip_out's";
		EXPECT_TRUE(std::equal(c.packet.end() - 8, c.packet.end(), before.end() - 8)) << "payload";
	}
}

TEST(NatTranslate, AnIpv4UdpPacketWithNoChecksumKeepsNone)
{
	Bytes p = udp(kIn4, kRemote4, true);
	NatPacket np = parsed(p);
	rewrite_source(np, kSnat4);
	EXPECT_EQ(load_be16(&p[26]), 0);
	EXPECT_EQ(rte_raw_cksum(p.data(), 20), 0xffff);
}

TEST(NatTranslate, AnIpv4UdpChecksumThatComesToZeroIsSentAsAllOnes)
{
	// Search for a source port whose rewrite makes the sum come to 0.
	for (uint32_t port = 1; port < 65536; port++) {
		Bytes p = udp(kIn4, kRemote4);
		NatPacket np = parsed(p);
		rewrite_source(np, ip4(198, 51, 100, 1, static_cast<uint16_t>(port)));
		const uint16_t c = load_be16(&p[26]);
		ASSERT_NE(c, 0) << "0 would mean no checksum";
		if (c == 0xffff) {
			expect_valid(p, "all ones");
			return;
		}
	}
	FAIL() << "no port gave a zero sum";
}

TEST(NatTranslate, MssIsClampedOnSynsAtEitherAlignment)
{
	const Bytes mss_even = {2, 4, 0x05, 0xb4, 1, 1, 1, 0};        // MSS 1460 at offset 20
	const Bytes mss_odd = {1, 2, 4, 0x05, 0xb4, 1, 1, 0};         // MSS 1460 at offset 21
	const Bytes small = {2, 4, 0x04, 0x00, 0, 0, 0, 0};           // MSS 1024
	const Bytes after_ts = {1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 2, 4, 0x05, 0xb4};  // timestamps first
	struct Case {
		const char *what;
		Bytes packet;
		bool clamped;
		uint16_t mss_at;  // offset of the MSS value in the TCP header, 0: none
	};
	std::vector<Case> cases = {
		{"even v4", tcp(kIn4, kRemote4, tcp_flags::syn, mss_even), true, 22},
		{"odd v4", tcp(kIn4, kRemote4, tcp_flags::syn, mss_odd), true, 23},
		{"odd v6 syn-ack", tcp(kRemote6, kIn6, tcp_flags::syn | tcp_flags::ack, mss_odd), true, 23},
		{"after timestamps", tcp(kIn4, kRemote4, tcp_flags::syn, after_ts), true, 34},
		{"already small", tcp(kIn4, kRemote4, tcp_flags::syn, small), false, 22},
		{"not a syn", tcp(kIn4, kRemote4, tcp_flags::ack, mss_even), false, 22},
		{"no options", tcp(kIn4, kRemote4, tcp_flags::syn), false, 0},
	};
	for (Case &c : cases) {
		NatPacket p = parsed(c.packet);
		const uint16_t before = c.mss_at ? load_be16(p.l4 + c.mss_at) : 0;
		EXPECT_EQ(clamp_mss(p, 1380), c.clamped) << c.what;
		if (c.mss_at) {
			EXPECT_EQ(load_be16(p.l4 + c.mss_at), c.clamped ? 1380 : before) << c.what;
		}
		expect_valid(c.packet, c.what);
	}
}

TEST(NatTranslate, MalformedTcpOptionsAreLeftAlone)
{
	const Bytes zero_length = {2, 0, 0x05, 0xb4};
	const Bytes runs_past = {1, 1, 1, 2, 8, 0, 0, 0};
	for (const Bytes &options : {zero_length, runs_past}) {
		Bytes pkt = tcp(kIn4, kRemote4, tcp_flags::syn, options);
		const Bytes before = pkt;
		NatPacket p = parsed(pkt);
		EXPECT_FALSE(clamp_mss(p, 1380));
		EXPECT_EQ(pkt, before);
	}
}

// An ICMP error of type/code from `from` to `to`, quoting the first
// `quote` bytes of packet (all of it when 0), with extension bytes after
// the quote (RFC 4884) when given.
Bytes icmp_error(const AddrPort &from, const AddrPort &to, uint8_t type, uint8_t code, const Bytes &packet,
		 size_t quote = 0, const Bytes &extension = {})
{
	Bytes l4(8, 0);
	l4[0] = type;
	l4[1] = code;
	if (type == 3 && code == 4)
		store_be16(&l4[6], 1400);  // next-hop MTU
	const size_t n = quote ? quote : packet.size();
	l4.insert(l4.end(), packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(n));
	if (!extension.empty()) {
		// RFC 4884 §4/§5: the quote zero-padded to 128 bytes, its length
		// in 32-bit words (ICMPv6: 64-bit) in the header.
		l4.resize(8 + std::max<size_t>(128, (n + 7) / 8 * 8), 0);
		l4[from.is_v4 ? 5 : 4] = static_cast<uint8_t>((l4.size() - 8) / (from.is_v4 ? 4 : 8));
		l4.insert(l4.end(), extension.begin(), extension.end());
	}
	Bytes p = ip_packet(from, to, from.is_v4 ? 1 : 58, l4);
	checksum(p, 2, from.is_v4);
	return p;
}

// The quote of an error, whole, as a packet of its own.
Bytes quote_of(const Bytes &error, size_t len)
{
	const size_t h = header_len(error);
	return Bytes(error.begin() + static_cast<std::ptrdiff_t>(h + 8),
		     error.begin() + static_cast<std::ptrdiff_t>(h + 8 + len));
}

TEST(NatTranslateIcmpError, AnInboundErrorIsTurnedBackToTheInsideFlowByteForByte)
{
	struct Case {
		const char *what;
		Bytes sent;        // what the flow sent, as it left the NAT
		AddrPort outside;  // the error's source
		uint8_t type, code;
		size_t quote;      // 0: all
		AddrPort inside;   // the quote's source after translation
	};
	const Bytes ext = {0x20, 0, 0, 0, 0, 8, 1, 1, 1, 2, 3, 4};  // an RFC 4884 object
	std::vector<Case> cases = {
		{"udp4 port unreachable, whole", udp(kSnat4, kRemote4), kRemote4, 3, 3, 0, kIn4},
		{"tcp4 frag needed, 28 bytes", tcp(kSnat4, kRemote4, tcp_flags::syn), ip4(203, 0, 113, 30), 3, 4, 28, kIn4},
		{"tcp4 with options, 8 bytes of tcp", tcp(kSnat4, kRemote4, tcp_flags::ack, {}, 8), kRemote4, 11, 0, 36, kIn4},
		{"echo4 time exceeded", echo(ip4(198, 51, 100, 1), ip4(203, 0, 113, 10), true, 9001), ip4(203, 0, 113, 30), 11,
		 0, 0, ip4(10, 66, 0, 2, 77)},
		{"udp6 port unreachable", udp(kSnat6, kRemote6), kRemote6, 1, 4, 0, kIn6},
		{"tcp6 packet too big", tcp(kSnat6, kRemote6, tcp_flags::ack), ip6(0x2001, 0xdb8, 0x30), 2, 0, 0, kIn6},
		{"echo6 unreachable", echo(ip6(0x2001, 0xdb8, 1), ip6(0x2001, 0xdb8, 0x10), true, 9001), kRemote6, 1, 0, 0,
		 ip6(0xfd66, 0, 2, 77)},
	};
	for (Case &c : cases) {
		const size_t quote = c.quote ? c.quote : c.sent.size();
		const AddrPort error_to = c.sent[0] >> 4 == 4 ? ip4(198, 51, 100, 1) : ip6(0x2001, 0xdb8, 1);
		Bytes error = icmp_error(c.outside, error_to, c.type, c.code, c.sent, c.quote,
					 c.type == 2 || c.quote ? Bytes{} : ext);  // none on Packet Too Big; after whole quotes
		NatPacket p = parsed(error);
		ASSERT_EQ(p.icmp, IcmpKind::error) << c.what;
		ASSERT_TRUE(icmp_checksum_ok(p)) << c.what;
		Quoted q;
		ParseDrop why{};
		ASSERT_TRUE(parse_quoted(p, q, why)) << c.what << ": " << to_string(why);
		EXPECT_TRUE(quoted_header_ok(q)) << c.what;
		NatPacket sent_view = parsed(c.sent);
		EXPECT_EQ(q.src, sent_view.src) << c.what << ": " << q.src.to_string();
		EXPECT_EQ(q.dst, sent_view.dst) << c.what;

		rewrite_quoted(p, q, true, c.inside);
		AddrPort inside_host = c.inside;
		inside_host.port = 0;
		rewrite_destination(p, inside_host);

		// What the inside host sent, before the NAT, is what it must see quoted.
		Bytes original = c.sent;
		NatPacket op = parsed(original);
		rewrite_source(op, c.inside);
		EXPECT_EQ(quote_of(error, quote), Bytes(original.begin(), original.begin() + static_cast<std::ptrdiff_t>(quote)))
			<< c.what << ": the quote, checksums included";
		NatPacket after = parsed(error);
		EXPECT_TRUE(icmp_checksum_ok(after)) << c.what;
		EXPECT_EQ(after.dst, inside_host) << c.what;
		EXPECT_EQ(after.src, c.outside.is_v4 ? ip4(c.outside.ip4()[0], c.outside.ip4()[1], c.outside.ip4()[2],
								   c.outside.ip4()[3])
						    : AddrPort::v6(c.outside.ip.data(), 0))
			<< c.what;
		EXPECT_EQ(error[header_len(error)], c.type) << c.what << ": type kept";
		EXPECT_EQ(error[header_len(error) + 1], c.code) << c.what << ": code kept";
		if (c.type != 2 && !c.quote) {
			const size_t h = header_len(error);
			EXPECT_TRUE(std::all_of(error.begin() + static_cast<std::ptrdiff_t>(h + 8 + quote),
						error.end() - static_cast<std::ptrdiff_t>(ext.size()), [](uint8_t b) { return b == 0; }))
				<< c.what << ": padding untouched";
			EXPECT_TRUE(std::equal(ext.begin(), ext.end(), error.end() - static_cast<std::ptrdiff_t>(ext.size())))
				<< c.what << ": extension intact";
		}
		if (c.type == 3 && c.code == 4) {
			EXPECT_EQ(load_be16(&error[header_len(error) + 6]), 1400) << "next-hop MTU kept";
		}
	}
}

TEST(NatTranslateIcmpError, AnOutboundErrorTranslatesTheQuotedDestination)
{
	// The inside host's kernel answers an inbound datagram with port
	// unreachable: the quote's destination is the inside endpoint, which
	// the remote knows as the SNAT address and port (RFC 5508 REQ-5).
	Bytes received = udp(kRemote4, kIn4);  // as the inside host got it
	Bytes error = icmp_error(ip4(10, 66, 0, 2), ip4(203, 0, 113, 10), 3, 3, received);
	NatPacket p = parsed(error);
	Quoted q;
	ParseDrop why{};
	ASSERT_TRUE(parse_quoted(p, q, why));
	EXPECT_EQ(q.dst, kIn4);
	rewrite_quoted(p, q, false, kSnat4);
	AddrPort snat_host = kSnat4;
	snat_host.port = 0;
	rewrite_source(p, snat_host);
	Bytes as_sent = udp(kRemote4, kIn4);
	NatPacket sp = parsed(as_sent);
	rewrite_destination(sp, kSnat4);
	EXPECT_EQ(quote_of(error, as_sent.size()), as_sent);
	EXPECT_TRUE(icmp_checksum_ok(parsed(error)));
	EXPECT_EQ(parsed(error).src, snat_host);
}

TEST(NatTranslateIcmpError, BadChecksumsAndUnusableQuotesAreTold)
{
	Bytes error = icmp_error(kRemote4, ip4(198, 51, 100, 1), 3, 3, udp(kSnat4, kRemote4));
	Bytes bad_icmp = error;
	bad_icmp[22] ^= 1;
	EXPECT_FALSE(icmp_checksum_ok(parsed(bad_icmp))) << "REQ-3";
	Bytes bad_quote = error;
	bad_quote[28 + 10] ^= 1;  // the quoted IPv4 header checksum
	{
		NatPacket p = parsed(bad_quote);
		Quoted q;
		ParseDrop why{};
		ASSERT_TRUE(parse_quoted(p, q, why));
		EXPECT_FALSE(quoted_header_ok(q)) << "REQ-3a";
	}
	Bytes error6 = icmp_error(kRemote6, ip6(0x2001, 0xdb8, 1), 1, 4, udp(kSnat6, kRemote6));
	EXPECT_TRUE(icmp_checksum_ok(parsed(error6)));
	error6[50] ^= 0x80;
	EXPECT_FALSE(icmp_checksum_ok(parsed(error6)));

	auto refused = [](Bytes e) {
		NatPacket p = parsed(e);
		Quoted q;
		ParseDrop why = ParseDrop::count;
		EXPECT_FALSE(parse_quoted(p, q, why));
		return why;
	};
	const Bytes u4 = udp(kSnat4, kRemote4);
	EXPECT_EQ(refused(icmp_error(kRemote4, kIn4, 3, 3, u4, 27)), ParseDrop::truncated) << "under 8 bytes of UDP";
	Bytes later_fragment = u4;
	store_be16(&later_fragment[6], 0x0010);
	EXPECT_EQ(refused(icmp_error(kRemote4, kIn4, 3, 3, later_fragment)), ParseDrop::fragment);
	Bytes about_error = icmp_error(kSnat4, kRemote4, 3, 3, u4);
	EXPECT_EQ(refused(icmp_error(kRemote4, kIn4, 3, 3, about_error)), ParseDrop::unsupported_icmp);
	EXPECT_EQ(refused(icmp_error(kRemote4, kIn4, 3, 3, udp(kSnat6, kRemote6))), ParseDrop::truncated)
		<< "an IPv6 quote in an ICMPv4 error";
}

} // namespace
} // namespace wayport::nat
