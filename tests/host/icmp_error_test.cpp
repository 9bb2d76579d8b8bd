// ICMP Time Exceeded: one IPv4 and one IPv6 error compared byte for byte
// with packets written out here, their checksums summed again by this
// file's own code; the quote cut at 576 and 1280 bytes; every refusal.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <string>
#include <vector>

#include "controlplane/host/icmp_error.h"
#include "dataplane/wire/bytes.h"

namespace wayport {
namespace {

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

void append(Bytes &b, const AddrPort &a)
{
	if (a.is_v4)
		b.insert(b.end(), a.ip4(), a.ip4() + 4);
	else
		b.insert(b.end(), a.ip.begin(), a.ip.end());
}

uint32_t sum(const Bytes &b, size_t from, size_t to)
{
	uint32_t s = 0;
	for (size_t i = from; i < to; i += 2)
		s += uint32_t{b[i]} << 8 | (i + 1 < to ? b[i + 1] : 0);
	return s;
}

uint16_t fold_not(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return static_cast<uint16_t>(~s);
}

// An IPv4 packet: header (checksum right), then body.
Bytes v4(const std::string &src, const std::string &dst, uint8_t proto, const Bytes &body, uint16_t frag = 0)
{
	Bytes p = {0x45, 0x00, 0, 0, 0x12, 0x34, 0, 0, 1, proto, 0, 0};
	store_be16(&p[2], static_cast<uint16_t>(20 + body.size()));
	store_be16(&p[6], frag);
	append(p, ip(src));
	append(p, ip(dst));
	store_be16(&p[10], fold_not(sum(p, 0, 20)));
	p.insert(p.end(), body.begin(), body.end());
	return p;
}

Bytes v6(const std::string &src, const std::string &dst, uint8_t next, const Bytes &body)
{
	Bytes p = {0x60, 0, 0, 0, 0, 0, next, 1};
	store_be16(&p[4], static_cast<uint16_t>(body.size()));
	append(p, ip(src));
	append(p, ip(dst));
	p.insert(p.end(), body.begin(), body.end());
	return p;
}

// UDP 4000 -> 53 with n payload bytes (checksum left 0: nothing reads it).
Bytes udp(size_t n)
{
	Bytes u(8 + n);
	store_be16(&u[0], 4000);
	store_be16(&u[2], 53);
	store_be16(&u[4], static_cast<uint16_t>(u.size()));
	for (size_t i = 0; i < n; i++)
		u[8 + i] = static_cast<uint8_t>(0xa0 + i);
	return u;
}

Bytes icmp(uint8_t type)
{
	return {type, 0, 0, 0, 0, 0, 0, 0};
}

IcmpError build(const Bytes &original, const std::string &source, Bytes &out)
{
	out.assign(2000, 0xee);
	IcmpError e = build_time_exceeded(original, ip(source), out);
	if (e.result == IcmpErrorResult::ok)
		out.resize(e.len);
	return e;
}

TEST(IcmpError, Ipv4TimeExceededByteForByte)
{
	const Bytes original = v4("10.99.0.2", "198.51.100.7", 17, udp(8));
	ASSERT_EQ(original.size(), 36u);
	Bytes expect = {
		0x45, 0xc0, 0x00, 0x40,  // version 4, IHL 5, TOS internetwork control, 64 bytes
		0x00, 0x00, 0x00, 0x00,  // id 0, no flags
		0x40, 0x01, 0x00, 0x00,  // TTL 64, ICMP, checksum below
		192, 0, 2, 1,            // from the source given
		10, 99, 0, 2,            // to the original's source
		0x0b, 0x00, 0x00, 0x00,  // time exceeded, in transit; checksum below
		0x00, 0x00, 0x00, 0x00,  // unused
	};
	expect.insert(expect.end(), original.begin(), original.end());
	store_be16(&expect[10], fold_not(sum(expect, 0, 20)));
	store_be16(&expect[22], fold_not(sum(expect, 20, expect.size())));

	Bytes out;
	IcmpError e = build(original, "192.0.2.1", out);
	ASSERT_EQ(e.result, IcmpErrorResult::ok) << to_string(e.result);
	EXPECT_EQ(out, expect);
	EXPECT_EQ(fold_not(sum(out, 0, 20)), 0) << "IP header checksum";
	EXPECT_EQ(fold_not(sum(out, 20, out.size())), 0) << "ICMP checksum";
}

TEST(IcmpError, Ipv6TimeExceededByteForByte)
{
	const Bytes original = v6("fd99::2", "2001:db8:99::9", 17, udp(8));
	ASSERT_EQ(original.size(), 56u);
	Bytes expect = {
		0x60, 0x00, 0x00, 0x00,  // version 6, traffic class and flow 0
		0x00, 0x40, 0x3a, 0x40,  // 64 bytes of ICMPv6, hop limit 64
	};
	append(expect, ip("2001:db8:1::1"));
	append(expect, ip("fd99::2"));
	const Bytes head = {0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};  // time exceeded, in transit
	expect.insert(expect.end(), head.begin(), head.end());
	expect.insert(expect.end(), original.begin(), original.end());
	// Pseudo-header: both addresses, the ICMPv6 length, next header 58.
	uint32_t pseudo = sum(expect, 8, 40) + 64 + 58;
	store_be16(&expect[42], fold_not(pseudo + sum(expect, 40, expect.size())));

	Bytes out;
	IcmpError e = build(original, "2001:db8:1::1", out);
	ASSERT_EQ(e.result, IcmpErrorResult::ok) << to_string(e.result);
	EXPECT_EQ(out, expect);
	EXPECT_EQ(fold_not(sum(out, 8, 40) + (out.size() - 40) + 58 + sum(out, 40, out.size())), 0)
		<< "ICMPv6 checksum with its pseudo-header";
}

TEST(IcmpError, Ipv4QuoteKeepsTheErrorWithin576Bytes)
{
	for (size_t body : {8u + 520, 8u + 521, 8u + 980}) {  // originals of 548, 549 and 1008 bytes
		const Bytes original = v4("10.99.0.2", "198.51.100.7", 17, udp(body - 8));
		Bytes out;
		IcmpError e = build(original, "192.0.2.1", out);
		ASSERT_EQ(e.result, IcmpErrorResult::ok);
		size_t quote = std::min<size_t>(original.size(), 548);
		EXPECT_EQ(e.len, 28 + quote) << original.size();
		EXPECT_LE(e.len, 576u);
		EXPECT_EQ(load_be16(&out[2]), e.len);
		EXPECT_EQ(Bytes(out.begin() + 28, out.end()), Bytes(original.begin(), original.begin() + quote));
		EXPECT_EQ(fold_not(sum(out, 0, 20)), 0);
		EXPECT_EQ(fold_not(sum(out, 20, out.size())), 0) << "odd quote lengths sum right too";
	}
}

TEST(IcmpError, Ipv6QuoteKeepsTheErrorWithin1280Bytes)
{
	for (size_t body : {1232u - 40, 1233u - 40, 1500u - 40}) {
		const Bytes original = v6("fd99::2", "2001:db8:99::9", 17, udp(body - 8));
		Bytes out;
		IcmpError e = build(original, "2001:db8:1::1", out);
		ASSERT_EQ(e.result, IcmpErrorResult::ok);
		size_t quote = std::min<size_t>(original.size(), 1232);
		EXPECT_EQ(e.len, 48 + quote) << original.size();
		EXPECT_LE(e.len, 1280u);
		EXPECT_EQ(load_be16(&out[4]), e.len - 40);
		EXPECT_EQ(Bytes(out.begin() + 48, out.end()), Bytes(original.begin(), original.begin() + quote));
		EXPECT_EQ(fold_not(sum(out, 8, 40) + (out.size() - 40) + 58 + sum(out, 40, out.size())), 0);
	}
}

TEST(IcmpError, BytesPastTheOriginalsLengthAreNotQuoted)
{
	Bytes original = v4("10.99.0.2", "198.51.100.7", 17, udp(8));
	original.resize(original.size() + 10, 0x77);  // link-layer padding
	Bytes out;
	ASSERT_EQ(build(original, "192.0.2.1", out).len, 28u + 36);
}

struct Refusal {
	const char *name;
	Bytes original;
	const char *source;
	IcmpErrorResult why;
};

TEST(IcmpError, EveryRefusal)
{
	using R = IcmpErrorResult;
	const char *s4 = "192.0.2.1", *s6 = "2001:db8:1::1";
	Bytes ihl4 = v4("10.99.0.2", "198.51.100.7", 17, udp(8));
	ihl4[0] = 0x44;
	Bytes short_total = v4("10.99.0.2", "198.51.100.7", 17, udp(8));
	store_be16(&short_total[2], 19);
	Bytes header19 = v4("10.99.0.2", "198.51.100.7", 17, {});
	header19.resize(19);
	Bytes version5 = v4("10.99.0.2", "198.51.100.7", 17, udp(8));
	version5[0] = 0x55;
	// Hop-by-hop options (8 bytes, PadN) in front of the ICMPv6 header.
	auto hop_by_hop = [](uint8_t next, const Bytes &rest) {
		Bytes b = {next, 0, 1, 4, 0, 0, 0, 0};
		b.insert(b.end(), rest.begin(), rest.end());
		return b;
	};
	const std::vector<Refusal> refusals = {
		{"empty", {}, s4, R::too_short},
		{"19 bytes of IPv4", header19, s4, R::too_short},
		{"IHL below 5", ihl4, s4, R::too_short},
		{"total length below the header", short_total, s4, R::too_short},
		{"ICMP with no type byte", v4("10.99.0.2", "198.51.100.7", 1, {}), s4, R::too_short},
		{"39 bytes of IPv6", Bytes(39, 0x60), s6, R::too_short},
		{"ICMPv6 with no type byte", v6("fd99::2", "2001:db8:99::9", 58, {}), s6, R::too_short},
		{"an extension header cut short", v6("fd99::2", "2001:db8:99::9", 0, {58, 0, 1, 4}), s6, R::too_short},
		{"version 5", version5, s4, R::not_ip},
		{"IPv4 original, IPv6 source", v4("10.99.0.2", "198.51.100.7", 17, udp(8)), s6, R::wrong_family},
		{"IPv6 original, IPv4 source", v6("fd99::2", "2001:db8:99::9", 17, udp(8)), s4, R::wrong_family},
		{"destination unreachable", v4("10.99.0.2", "198.51.100.7", 1, icmp(3)), s4, R::is_icmp_error},
		{"source quench", v4("10.99.0.2", "198.51.100.7", 1, icmp(4)), s4, R::is_icmp_error},
		{"redirect", v4("10.99.0.2", "198.51.100.7", 1, icmp(5)), s4, R::is_icmp_error},
		{"time exceeded", v4("10.99.0.2", "198.51.100.7", 1, icmp(11)), s4, R::is_icmp_error},
		{"parameter problem", v4("10.99.0.2", "198.51.100.7", 1, icmp(12)), s4, R::is_icmp_error},
		{"an unknown ICMP type", v4("10.99.0.2", "198.51.100.7", 1, icmp(42)), s4, R::is_icmp_error},
		{"ICMPv6 destination unreachable", v6("fd99::2", "2001:db8:99::9", 58, icmp(1)), s6, R::is_icmp_error},
		{"ICMPv6 time exceeded", v6("fd99::2", "2001:db8:99::9", 58, icmp(3)), s6, R::is_icmp_error},
		{"ICMPv6 error behind hop-by-hop options", v6("fd99::2", "2001:db8:99::9", 0, hop_by_hop(58, icmp(2))), s6,
		 R::is_icmp_error},
		{"from 0.0.0.0", v4("0.0.0.0", "198.51.100.7", 17, udp(8)), s4, R::bad_source},
		{"from 255.255.255.255", v4("255.255.255.255", "198.51.100.7", 17, udp(8)), s4, R::bad_source},
		{"from multicast", v4("224.0.0.5", "198.51.100.7", 17, udp(8)), s4, R::bad_source},
		{"from ::", v6("::", "2001:db8:99::9", 17, udp(8)), s6, R::bad_source},
		{"from IPv6 multicast", v6("ff02::1", "2001:db8:99::9", 17, udp(8)), s6, R::bad_source},
		{"to 255.255.255.255", v4("10.99.0.2", "255.255.255.255", 17, udp(8)), s4, R::bad_destination},
		{"to multicast", v4("10.99.0.2", "239.1.2.3", 17, udp(8)), s4, R::bad_destination},
		{"to IPv6 multicast", v6("fd99::2", "ff0e::1", 17, udp(8)), s6, R::bad_destination},
		{"a later fragment", v4("10.99.0.2", "198.51.100.7", 17, udp(8), 0x0001), s4, R::not_first_fragment},
		{"a later fragment, more to come", v4("10.99.0.2", "198.51.100.7", 17, udp(8), 0x2010), s4,
		 R::not_first_fragment},
	};
	for (const Refusal &r : refusals) {
		Bytes out;
		IcmpError e = build(r.original, r.source, out);
		EXPECT_EQ(e.result, r.why) << r.name << ": got " << to_string(e.result);
		EXPECT_EQ(e.len, 0u) << r.name;
	}

	Bytes small(63);
	IcmpError e = build_time_exceeded(v4("10.99.0.2", "198.51.100.7", 17, udp(8)), ip(s4), small);
	EXPECT_EQ(e.result, R::buffer_too_small);
	Bytes exact(64);
	EXPECT_EQ(build_time_exceeded(v4("10.99.0.2", "198.51.100.7", 17, udp(8)), ip(s4), exact).result, R::ok);
}

TEST(IcmpError, AnsweredThoughNearTheRefusals)
{
	const std::vector<std::pair<const char *, Bytes>> answered = {
		{"echo request", v4("10.99.0.2", "198.51.100.7", 1, icmp(8))},
		{"the first fragment", v4("10.99.0.2", "198.51.100.7", 17, udp(8), 0x2000)},
		{"ICMPv6 echo request", v6("fd99::2", "2001:db8:99::9", 58, icmp(128))},
		{"ICMPv6 echo behind hop-by-hop options",
		 v6("fd99::2", "2001:db8:99::9", 0, Bytes{58, 0, 1, 4, 0, 0, 0, 0, 128, 0, 0, 0, 0, 0, 0, 0})},
		{"a later IPv6 fragment: no ICMPv6 header to read",
		 v6("fd99::2", "2001:db8:99::9", 44, Bytes{58, 0, 0x00, 0x08, 0, 0, 0, 1, 1, 0, 0, 0})},
	};
	for (const auto &[name, original] : answered) {
		Bytes out;
		const char *source = (original[0] >> 4) == 4 ? "192.0.2.1" : "2001:db8:1::1";
		EXPECT_EQ(build(original, source, out).result, IcmpErrorResult::ok) << name;
	}
}

} // namespace
} // namespace wayport
