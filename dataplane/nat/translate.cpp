#include "dataplane/nat/translate.h"

#include <cstring>

#include "dataplane/packet/checksum.h"
#include "dataplane/wire/bytes.h"

namespace wayport::nat {

namespace {

constexpr uint8_t kTcp = 6, kUdp = 17, kIcmp = 1, kIcmp6 = 58;
// IPv6 extension headers (RFC 8200 §4, and 4.5's fragment header).
constexpr uint8_t kHopByHop = 0, kRouting = 43, kFragment = 44, kDestOpts = 60, kAh = 51, kEsp = 50,
		  kMobility = 135;

// The in-memory 16-bit words of n bytes (n even), summed as the checksum
// does: byte order does not matter as long as both sums use the same.
uint64_t sum_words(const uint8_t *p, size_t n)
{
	uint64_t s = 0;
	for (size_t i = 0; i < n; i += 2) {
		uint16_t w;
		std::memcpy(&w, p + i, 2);
		s += w;
	}
	return s;
}

// The same over any length: an odd last byte is the high byte of a word
// (network order) whose low byte is zero.
uint64_t sum_bytes(const uint8_t *p, size_t n)
{
	uint64_t s = sum_words(p, n & ~size_t{1});
	if (n & 1) {
		const uint8_t last[2] = {p[n - 1], 0};
		s += sum_words(last, 2);
	}
	return s;
}

uint16_t load16(const uint8_t *p)
{
	uint16_t v;
	std::memcpy(&v, p, 2);
	return v;
}

void store16(uint8_t *p, uint16_t v)
{
	std::memcpy(p, &v, 2);
}

// old -> new over a field of n bytes in the checksum at check; an IPv4 UDP
// checksum of 0 means none and is left alone.
void update(uint8_t *check, uint64_t old_sum, uint64_t new_sum, bool zero_is_none)
{
	const uint16_t c = load16(check);
	if (zero_is_none && c == 0)
		return;
	uint16_t next = incremental_checksum(c, old_sum, new_sum);
	if (zero_is_none)
		next = udp_nonzero(next);
	store16(check, next);
}

bool parse_icmp(NatPacket &p, ParseDrop &why)
{
	if (p.l4_len < 8) {
		why = ParseDrop::truncated;
		return false;
	}
	const uint8_t type = p.l4[0];
	const uint16_t id = load_be16(p.l4 + 4);
	const bool request = p.v4 ? type == 8 : type == 128;
	const bool reply = p.v4 ? type == 0 : type == 129;
	const bool error = p.v4 ? (type == 3 || type == 11 || type == 12) : (type >= 1 && type <= 4);
	if (request) {
		p.icmp = IcmpKind::echo_request;
		p.src.port = id;
	} else if (reply) {
		p.icmp = IcmpKind::echo_reply;
		p.dst.port = id;
	} else if (error) {
		p.icmp = IcmpKind::error;
	} else {
		why = ParseDrop::unsupported_icmp;
		return false;
	}
	return true;
}

bool parse_l4(NatPacket &p, uint8_t proto, ParseDrop &why)
{
	switch (proto) {
	case kTcp: {
		p.proto = NatProto::tcp;
		if (p.l4_len < 20 || (p.l4[12] >> 4) * 4u < 20 || (p.l4[12] >> 4) * 4u > p.l4_len) {
			why = ParseDrop::truncated;
			return false;
		}
		p.tcp_flags = p.l4[13];
		p.src.port = load_be16(p.l4);
		p.dst.port = load_be16(p.l4 + 2);
		return true;
	}
	case kUdp:
		p.proto = NatProto::udp;
		if (p.l4_len < 8 || load_be16(p.l4 + 4) != p.l4_len) {
			why = ParseDrop::truncated;
			return false;
		}
		p.src.port = load_be16(p.l4);
		p.dst.port = load_be16(p.l4 + 2);
		return true;
	case kIcmp:
	case kIcmp6:
		if ((proto == kIcmp) != p.v4) {
			why = ParseDrop::unsupported_protocol;
			return false;
		}
		p.proto = NatProto::icmp;
		return parse_icmp(p, why);
	case kHopByHop:
	case kRouting:
	case kDestOpts:
	case kAh:
	case kEsp:
	case kMobility:
		if (!p.v4) {
			why = ParseDrop::ipv6_extension;
			return false;
		}
		break;
	case kFragment:
		if (!p.v4) {
			why = ParseDrop::fragment;
			return false;
		}
		break;
	default:
		break;
	}
	why = ParseDrop::unsupported_protocol;
	return false;
}

// Which of the two endpoints, source or destination.
void rewrite(NatPacket &p, const AddrPort &to, bool source)
{
	const size_t ip_len = p.v4 ? 4 : 16;
	uint8_t *ip = p.l3 + (p.v4 ? (source ? 12 : 16) : (source ? 8 : 24));
	const uint8_t *to_ip = p.v4 ? to.ip4() : to.ip.data();
	// Where the port or identifier is, and the L4 checksum.
	uint8_t *port = nullptr;
	uint8_t *check = nullptr;
	bool pseudo = true;
	switch (p.proto) {
	case NatProto::tcp:
		port = p.l4 + (source ? 0 : 2);
		check = p.l4 + 16;
		break;
	case NatProto::udp:
		port = p.l4 + (source ? 0 : 2);
		check = p.l4 + 6;
		break;
	case NatProto::icmp:
		if ((source && p.icmp == IcmpKind::echo_request) || (!source && p.icmp == IcmpKind::echo_reply))
			port = p.l4 + 4;
		check = p.l4 + 2;
		pseudo = !p.v4;
		break;
	case NatProto::count:
		return;
	}

	uint8_t new_port[2];
	store_be16(new_port, to.port);
	const uint64_t old_ip_sum = sum_words(ip, ip_len), new_ip_sum = sum_words(to_ip, ip_len);
	uint64_t old_l4 = 0, new_l4 = 0;
	if (pseudo) {
		old_l4 += old_ip_sum;
		new_l4 += new_ip_sum;
	}
	if (port) {
		old_l4 += load16(port);
		new_l4 += load16(new_port);
	}
	update(check, old_l4, new_l4, p.v4 && p.proto == NatProto::udp);
	if (p.v4)
		update(p.l3 + 10, old_ip_sum, new_ip_sum, false);
	std::memcpy(ip, to_ip, ip_len);
	if (port)
		std::memcpy(port, new_port, 2);
	AddrPort &end = source ? p.src : p.dst;
	const uint16_t kept = port ? to.port : end.port;
	end = to;
	end.port = kept;
}

// The transport header's fields the NAT reads, from the bytes there are:
// TCP and UDP ports need 4, ICMP's identifier 6.
bool quoted_l4(Quoted &q, uint8_t proto, ParseDrop &why)
{
	why = ParseDrop::truncated;
	if (q.l4_len < 8)
		return false;
	switch (proto) {
	case kTcp:
	case kUdp:
		q.proto = proto == kTcp ? NatProto::tcp : NatProto::udp;
		q.src.port = load_be16(q.l4);
		q.dst.port = load_be16(q.l4 + 2);
		return true;
	case kIcmp:
	case kIcmp6: {
		if ((proto == kIcmp) != q.v4)
			break;
		q.proto = NatProto::icmp;
		const uint8_t type = q.l4[0];
		const uint16_t id = load_be16(q.l4 + 4);
		if (type == (q.v4 ? 8 : 128)) {
			q.icmp = IcmpKind::echo_request;
			q.src.port = id;
		} else if (type == (q.v4 ? 0 : 129)) {
			q.icmp = IcmpKind::echo_reply;
			q.dst.port = id;
		} else {
			// An error about an error is never sent (RFC 1122 3.2.2).
			why = ParseDrop::unsupported_icmp;
			return false;
		}
		return true;
	}
	case kFragment:
		if (!q.v4) {
			why = ParseDrop::fragment;
			return false;
		}
		break;
	default:
		break;
	}
	why = ParseDrop::unsupported_protocol;
	return false;
}

} // namespace

bool parse_quoted(const NatPacket &error, Quoted &q, ParseDrop &why)
{
	q = Quoted{};
	why = ParseDrop::truncated;
	if (error.icmp != IcmpKind::error || error.l4_len < 8)
		return false;
	q.l3 = error.l4 + 8;
	size_t len = error.l4_len - 8u;
	// RFC 4884: with extensions, a length field says where the quote ends
	// (ICMPv4 destination unreachable, time exceeded, parameter problem:
	// byte 5, in 32-bit words; ICMPv6 destination unreachable and time
	// exceeded: byte 4, in 64-bit words). 0: the quote runs to the end.
	const uint8_t type = error.l4[0];
	size_t quoted = 0;
	if (error.v4 && (type == 3 || type == 11 || type == 12))
		quoted = error.l4[5] * 4u;
	else if (!error.v4 && (type == 1 || type == 3))
		quoted = error.l4[4] * 8u;
	if (quoted && quoted < len)
		len = quoted;
	q.quote_len = static_cast<uint16_t>(len);
	uint8_t proto = 0;
	size_t header = 0;
	q.v4 = error.v4;
	if (q.v4) {
		if (len < 20 || q.l3[0] >> 4 != 4)
			return false;
		header = (q.l3[0] & 0x0f) * 4u;
		if (header < 20 || header > len)
			return false;
		if (load_be16(q.l3 + 6) & 0x1fff) {  // a later fragment: no ports in it
			why = ParseDrop::fragment;
			return false;
		}
		proto = q.l3[9];
		q.src.set_v4(q.l3 + 12, 0);
		q.dst.set_v4(q.l3 + 16, 0);
	} else {
		if (len < 40 || q.l3[0] >> 4 != 6)
			return false;
		header = 40;
		proto = q.l3[6];
		q.src.set_v6(q.l3 + 8, 0);
		q.dst.set_v6(q.l3 + 24, 0);
	}
	q.l4 = q.l3 + header;
	// Past the quoted datagram's own length is RFC 4884's zero padding.
	const size_t datagram = q.v4 ? load_be16(q.l3 + 2) : 40u + load_be16(q.l3 + 4);
	q.l4_len = static_cast<uint16_t>((datagram > header && datagram < len ? datagram : len) - header);
	return quoted_l4(q, proto, why);
}

void rewrite_quoted(NatPacket &error, Quoted &q, bool source, const AddrPort &to)
{
	// The error's checksum covers the whole quote: its sum before and
	// after every change below.
	uint8_t *quote = error.l4 + 8;
	const size_t quote_len = q.quote_len;
	const uint64_t before = sum_bytes(quote, quote_len);

	const size_t ip_len = q.v4 ? 4 : 16;
	uint8_t *ip = q.l3 + (q.v4 ? (source ? 12 : 16) : (source ? 8 : 24));
	const uint8_t *to_ip = q.v4 ? to.ip4() : to.ip.data();
	uint8_t *port = nullptr, *check = nullptr;
	bool pseudo = true;
	switch (q.proto) {
	case NatProto::tcp:
		port = q.l4 + (source ? 0 : 2);
		if (q.l4_len >= 18)
			check = q.l4 + 16;
		break;
	case NatProto::udp:
		port = q.l4 + (source ? 0 : 2);
		check = q.l4 + 6;
		break;
	case NatProto::icmp:
		if ((source && q.icmp == IcmpKind::echo_request) || (!source && q.icmp == IcmpKind::echo_reply))
			port = q.l4 + 4;
		check = q.l4 + 2;
		pseudo = !q.v4;
		break;
	case NatProto::count:
		return;
	}
	uint8_t new_port[2];
	store_be16(new_port, to.port);
	const uint64_t old_ip = sum_words(ip, ip_len), new_ip = sum_words(to_ip, ip_len);
	if (check) {
		uint64_t old_l4 = pseudo ? old_ip : 0, new_l4 = pseudo ? new_ip : 0;
		if (port) {
			old_l4 += load16(port);
			new_l4 += load16(new_port);
		}
		update(check, old_l4, new_l4, q.v4 && q.proto == NatProto::udp);
	}
	if (q.v4)
		update(q.l3 + 10, old_ip, new_ip, false);
	std::memcpy(ip, to_ip, ip_len);
	if (port)
		std::memcpy(port, new_port, 2);

	update(error.l4 + 2, before, sum_bytes(quote, quote_len), false);
	AddrPort &end = source ? q.src : q.dst;
	const uint16_t kept = port ? to.port : end.port;
	end = to;
	end.port = kept;
}

bool icmp_checksum_ok(const NatPacket &p)
{
	if (p.proto != NatProto::icmp)
		return false;
	uint64_t sum = sum_bytes(p.l4, p.l4_len);
	if (!p.v4) {
		// RFC 4443 §2.3: source, destination, length, next header.
		uint8_t tail[8] = {};
		store_be32(tail, p.l4_len);
		tail[7] = kIcmp6;
		sum += sum_words(p.l3 + 8, 32) + sum_words(tail, 8);
	}
	return fold_sum(sum) == 0xffff;
}

bool quoted_header_ok(const Quoted &q)
{
	return !q.v4 || fold_sum(sum_words(q.l3, static_cast<size_t>(q.l4 - q.l3))) == 0xffff;
}

const char *to_string(ParseDrop d)
{
	switch (d) {
	case ParseDrop::truncated: return "truncated";
	case ParseDrop::fragment: return "fragment";
	case ParseDrop::ipv6_extension: return "ipv6_extension";
	case ParseDrop::unsupported_protocol: return "unsupported_protocol";
	case ParseDrop::unsupported_icmp: return "unsupported_icmp";
	case ParseDrop::count: break;
	}
	return "?";
}

bool parse(uint8_t *l3, uint16_t len, NatPacket &p, ParseDrop &why)
{
	p = NatPacket{};
	p.l3 = l3;
	why = ParseDrop::truncated;
	if (len < 1)
		return false;
	uint8_t proto = 0;
	size_t header = 0;
	if (l3[0] >> 4 == 4) {
		p.v4 = true;
		header = (l3[0] & 0x0f) * 4u;
		const uint16_t total = load_be16(l3 + 2);
		if (len < 20 || header < 20 || total < header || total > len)
			return false;
		if (load_be16(l3 + 6) & 0x3fff) {  // MF or a fragment offset
			why = ParseDrop::fragment;
			return false;
		}
		p.l3_len = total;
		proto = l3[9];
		p.src.set_v4(l3 + 12, 0);
		p.dst.set_v4(l3 + 16, 0);
	} else if (l3[0] >> 4 == 6) {
		header = 40;
		if (len < 40 || 40u + load_be16(l3 + 4) > len)
			return false;
		p.l3_len = static_cast<uint16_t>(40 + load_be16(l3 + 4));
		proto = l3[6];
		p.src.set_v6(l3 + 8, 0);
		p.dst.set_v6(l3 + 24, 0);
	} else {
		return false;
	}
	p.l4 = l3 + header;
	p.l4_len = static_cast<uint16_t>(p.l3_len - header);
	return parse_l4(p, proto, why);
}

void rewrite_source(NatPacket &p, const AddrPort &to)
{
	rewrite(p, to, true);
}

void rewrite_destination(NatPacket &p, const AddrPort &to)
{
	rewrite(p, to, false);
}

bool clamp_mss(NatPacket &p, uint16_t mss)
{
	if (p.proto != NatProto::tcp || !(p.tcp_flags & tcp_flags::syn))
		return false;
	const size_t end = (p.l4[12] >> 4) * 4u;
	size_t i = 20;
	while (i < end) {
		const uint8_t kind = p.l4[i];
		if (kind == 0)  // end of options
			return false;
		if (kind == 1) {  // no-op
			i++;
			continue;
		}
		if (i + 1 >= end || p.l4[i + 1] < 2 || i + p.l4[i + 1] > end)
			return false;  // malformed: leave it to the host
		if (kind == 2 && p.l4[i + 1] == 4) {
			uint8_t *value = p.l4 + i + 2;
			if (load_be16(value) <= mss)
				return false;
			// The checksum's words start at even offsets; an MSS at an
			// odd one straddles two of them, so sum the words around it.
			const size_t first = (i + 2) & ~size_t{1}, n = (i + 2) % 2 ? 4 : 2;
			const uint64_t old_sum = sum_words(p.l4 + first, n);
			store_be16(value, mss);
			update(p.l4 + 16, old_sum, sum_words(p.l4 + first, n), false);
			return true;
		}
		i += p.l4[i + 1];
	}
	return false;
}

} // namespace wayport::nat
