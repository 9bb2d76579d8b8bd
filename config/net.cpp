#include "config/net.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstdio>
#include <utility>

#include "dataplane/wire/bytes.h"

namespace wayport::config {

std::optional<AddrPort> parse_ip(std::string_view text, bool v4)
{
	// inet_pton wants a NUL-terminated string; an embedded NUL must not
	// cut the text short and pass.
	if (text.find('\0') != std::string_view::npos)
		return std::nullopt;
	std::string s(text);
	uint8_t buf[16];
	if (inet_pton(v4 ? AF_INET : AF_INET6, s.c_str(), buf) != 1)
		return std::nullopt;
	return v4 ? AddrPort::v4(buf, 0) : AddrPort::v6(buf, 0);
}

namespace {

// The same family and the same first len bits (of the address's own
// family: IPv4 counts from byte 12 of the v4-mapped form).
bool same_first_bits(const AddrPort &net, const AddrPort &ip, unsigned len)
{
	if (ip.is_v4 != net.is_v4)
		return false;
	unsigned first = net.is_v4 ? 96 : 0;
	for (unsigned bit = first; bit < first + len; bit++) {
		unsigned byte = bit / 8, mask = 0x80u >> (bit % 8);
		if ((ip.ip[byte] & mask) != (net.ip[byte] & mask))
			return false;
	}
	return true;
}

// "address/length" with length 0..32 or 0..128; the callers judge /0.
std::optional<std::pair<AddrPort, unsigned>> split_prefix(std::string_view text, bool v4)
{
	size_t slash = text.find('/');
	if (slash == std::string_view::npos)
		return std::nullopt;
	auto ip = parse_ip(text.substr(0, slash), v4);
	std::string_view len_text = text.substr(slash + 1);
	unsigned len = 0;
	const char *len_end = len_text.data() + len_text.size();
	auto [end, ec] = std::from_chars(len_text.data(), len_end, len);
	if (!ip || len_text.empty() || ec != std::errc() || end != len_end)
		return std::nullopt;
	if (len > (v4 ? 32u : 128u))
		return std::nullopt;
	return std::pair{*ip, len};
}

} // namespace

std::string ip_to_string(const AddrPort &ip)
{
	char buf[INET6_ADDRSTRLEN];
	const uint8_t *raw = ip.is_v4 ? ip.ip4() : ip.ip.data();
	inet_ntop(ip.is_v4 ? AF_INET : AF_INET6, raw, buf, sizeof(buf));
	return buf;
}

bool IpPrefix::contains(const AddrPort &ip) const
{
	return same_first_bits(addr, ip, len);
}

std::string IpPrefix::to_string() const
{
	return ip_to_string(addr) + "/" + std::to_string(len);
}

std::optional<IpPrefix> IpPrefix::parse(std::string_view text, bool v4)
{
	auto p = split_prefix(text, v4);
	if (!p || p->second < 1)
		return std::nullopt;
	IpPrefix out;
	out.addr = p->first;
	out.len = p->second;
	return out;
}

bool Prefix::contains(const AddrPort &ip) const
{
	return same_first_bits(addr, ip, len);
}

bool Prefix::overlaps(const Prefix &other) const
{
	return len <= other.len ? contains(other.addr) : other.contains(addr);
}

std::string Prefix::to_string() const
{
	return ip_to_string(addr) + "/" + std::to_string(len);
}

std::optional<Prefix> Prefix::parse(std::string_view text)
{
	// Host bits are set when masking changed the address written.
	auto p = parse_masked(text);
	if (!p || *parse_ip(text.substr(0, text.find('/')), p->addr.is_v4) != p->addr)
		return std::nullopt;
	return p;
}

std::optional<Prefix> Prefix::parse_masked(std::string_view text)
{
	bool v4 = text.find(':') == std::string_view::npos;
	auto p = split_prefix(text, v4);
	if (!p)
		return std::nullopt;
	Prefix out;
	out.addr = p->first;
	out.len = p->second;
	// The v4-mapped form's first 96 bits are fixed: count from there.
	unsigned first = v4 ? 96 : 0;
	for (unsigned bit = first + out.len; bit < 128; bit++)
		out.addr.ip[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
	return out;
}

bool is_ipv6_link_local(const AddrPort &ip)
{
	return !ip.is_v4 && ip.ip[0] == 0xfe && (ip.ip[1] & 0xc0) == 0x80;
}

std::optional<MacAddr> parse_unicast_mac(std::string_view text)
{
	// Six pairs of hex digits and five colons.
	if (text.size() != 17)
		return std::nullopt;
	MacAddr mac{};
	for (size_t i = 0; i < mac.size(); i++) {
		const char *p = text.data() + 3 * i;
		int hi = hex_value(p[0]), lo = hex_value(p[1]);
		if (hi < 0 || lo < 0 || (i < 5 && p[2] != ':'))
			return std::nullopt;
		mac[i] = static_cast<uint8_t>(hi << 4 | lo);
	}
	if ((mac[0] & 1) || mac == MacAddr{})
		return std::nullopt;
	return mac;
}

std::string mac_to_string(const MacAddr &mac)
{
	char buf[18];
	std::snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
		      mac[3], mac[4], mac[5]);
	return buf;
}

} // namespace wayport::config
