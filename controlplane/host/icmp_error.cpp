#include "controlplane/host/icmp_error.h"

#include <algorithm>
#include <cstring>

#include "dataplane/packet/checksum.h"
#include "dataplane/wire/bytes.h"

namespace wayport {

namespace {

constexpr size_t kIp4Header = 20;
constexpr size_t kIp6Header = 40;
constexpr size_t kIcmpHeader = 8;  // type, code, checksum, 4 bytes unused
constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoIcmp6 = 58;
constexpr uint8_t kTimeExceeded4 = 11;
constexpr uint8_t kTimeExceeded6 = 3;
constexpr uint8_t kTosInternetControl = 0xc0;

// IPv6 extension headers the walk to the ICMPv6 header steps over.
constexpr uint8_t kHopByHop = 0;
constexpr uint8_t kRouting = 43;
constexpr uint8_t kFragment = 44;
constexpr uint8_t kAuth = 51;
constexpr uint8_t kDestOptions = 60;

// The sum of big-endian 16-bit words, an odd last byte padded with zero.
uint64_t sum16(const uint8_t *p, size_t n)
{
	uint64_t sum = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += load_be16(p + i);
	if (n & 1)
		sum += uint64_t{p[n - 1]} << 8;
	return sum;
}

uint16_t checksum(uint64_t sum)
{
	return static_cast<uint16_t>(~fold_sum(sum));
}

// ICMPv4 error types (RFC 1122 3.2.2): destination unreachable, source
// quench, redirect, time exceeded, parameter problem. Linux also keeps
// quiet for types it does not know (above 18), and so do we.
bool icmp4_is_error(uint8_t type)
{
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12 || type > 18;
}

bool v4_multicast(const uint8_t *ip)
{
	return (ip[0] & 0xf0) == 0xe0;
}

bool v4_all(const uint8_t *ip, uint8_t byte)
{
	return ip[0] == byte && ip[1] == byte && ip[2] == byte && ip[3] == byte;
}

bool v6_unspecified(const uint8_t *ip)
{
	return std::all_of(ip, ip + 16, [](uint8_t b) { return b == 0; });
}

IcmpError time_exceeded4(std::span<const uint8_t> orig, const AddrPort &source, std::span<uint8_t> out)
{
	const size_t ihl = (orig[0] & 0x0f) * 4u;
	if (orig.size() < kIp4Header || ihl < kIp4Header || orig.size() < ihl)
		return {IcmpErrorResult::too_short};
	const size_t total = load_be16(&orig[2]);
	if (total < ihl)
		return {IcmpErrorResult::too_short};
	const size_t len = std::min(total, orig.size());
	if (!source.is_v4)
		return {IcmpErrorResult::wrong_family};
	if (load_be16(&orig[6]) & 0x1fff)
		return {IcmpErrorResult::not_first_fragment};
	const uint8_t *src = &orig[12], *dst = &orig[16];
	if (v4_all(src, 0) || v4_all(src, 0xff) || v4_multicast(src))
		return {IcmpErrorResult::bad_source};
	if (v4_all(dst, 0xff) || v4_multicast(dst))
		return {IcmpErrorResult::bad_destination};
	if (orig[9] == kProtoIcmp) {
		if (len <= ihl)
			return {IcmpErrorResult::too_short};
		if (icmp4_is_error(orig[ihl]))
			return {IcmpErrorResult::is_icmp_error};
	}

	const size_t quote = std::min(len, kIcmp4ErrorMax - kIp4Header - kIcmpHeader);
	const size_t need = kIp4Header + kIcmpHeader + quote;
	if (out.size() < need)
		return {IcmpErrorResult::buffer_too_small};
	uint8_t *ip = out.data();
	std::memset(ip, 0, kIp4Header + kIcmpHeader);
	ip[0] = 0x45;
	ip[1] = kTosInternetControl;
	store_be16(ip + 2, static_cast<uint16_t>(need));
	ip[8] = kIcmpErrorTtl;
	ip[9] = kProtoIcmp;
	std::memcpy(ip + 12, source.ip4(), 4);
	std::memcpy(ip + 16, src, 4);
	store_be16(ip + 10, checksum(sum16(ip, kIp4Header)));
	uint8_t *icmp = ip + kIp4Header;
	icmp[0] = kTimeExceeded4;
	std::memcpy(icmp + kIcmpHeader, orig.data(), quote);
	store_be16(icmp + 2, checksum(sum16(icmp, kIcmpHeader + quote)));
	return {IcmpErrorResult::ok, need};
}

// Where the ICMPv6 header would be and its type, by the extension header
// walk; false when the type cannot be read (the packet is cut short).
// A fragment past the first has no upper-layer header: not ICMPv6 then.
bool icmp6_type(std::span<const uint8_t> p, size_t len, bool &is_icmp6, uint8_t &type)
{
	uint8_t next = p[6];
	size_t at = kIp6Header;
	is_icmp6 = false;
	for (;;) {
		if (next == kProtoIcmp6)
			break;
		if (next != kHopByHop && next != kRouting && next != kDestOptions && next != kFragment && next != kAuth)
			return true;
		if (at + 8 > len)
			return false;
		const uint8_t following = p[at];
		if (next == kFragment) {
			if (load_be16(&p[at + 2]) & 0xfff8)
				return true;
			at += 8;
		} else if (next == kAuth) {
			at += (p[at + 1] + 2u) * 4;
		} else {
			at += (p[at + 1] + 1u) * 8;
		}
		next = following;
	}
	if (at >= len)
		return false;
	is_icmp6 = true;
	type = p[at];
	return true;
}

IcmpError time_exceeded6(std::span<const uint8_t> orig, const AddrPort &source, std::span<uint8_t> out)
{
	if (orig.size() < kIp6Header)
		return {IcmpErrorResult::too_short};
	const size_t len = std::min(kIp6Header + load_be16(&orig[4]), orig.size());
	if (source.is_v4)
		return {IcmpErrorResult::wrong_family};
	const uint8_t *src = &orig[8], *dst = &orig[24];
	if (v6_unspecified(src) || src[0] == 0xff)
		return {IcmpErrorResult::bad_source};
	if (dst[0] == 0xff)
		return {IcmpErrorResult::bad_destination};
	bool is_icmp6 = false;
	uint8_t type = 0;
	if (!icmp6_type(orig, len, is_icmp6, type))
		return {IcmpErrorResult::too_short};
	// Types below 128 are errors (RFC 4443 2.1).
	if (is_icmp6 && type < 128)
		return {IcmpErrorResult::is_icmp_error};

	const size_t quote = std::min(len, kIcmp6ErrorMax - kIp6Header - kIcmpHeader);
	const size_t icmp_len = kIcmpHeader + quote;
	const size_t need = kIp6Header + icmp_len;
	if (out.size() < need)
		return {IcmpErrorResult::buffer_too_small};
	uint8_t *ip = out.data();
	std::memset(ip, 0, kIp6Header + kIcmpHeader);
	ip[0] = 0x60;
	store_be16(ip + 4, static_cast<uint16_t>(icmp_len));
	ip[6] = kProtoIcmp6;
	ip[7] = kIcmpErrorTtl;
	std::memcpy(ip + 8, source.ip.data(), 16);
	std::memcpy(ip + 24, src, 16);
	uint8_t *icmp = ip + kIp6Header;
	icmp[0] = kTimeExceeded6;
	std::memcpy(icmp + kIcmpHeader, orig.data(), quote);
	// The pseudo-header (RFC 8200 8.1): both addresses, the upper-layer
	// length and the next header.
	uint64_t sum = sum16(ip + 8, 32) + icmp_len + kProtoIcmp6;
	store_be16(icmp + 2, checksum(sum + sum16(icmp, icmp_len)));
	return {IcmpErrorResult::ok, need};
}

} // namespace

const char *to_string(IcmpErrorResult r)
{
	switch (r) {
	case IcmpErrorResult::ok: return "ok";
	case IcmpErrorResult::too_short: return "too_short";
	case IcmpErrorResult::not_ip: return "not_ip";
	case IcmpErrorResult::wrong_family: return "wrong_family";
	case IcmpErrorResult::is_icmp_error: return "is_icmp_error";
	case IcmpErrorResult::bad_source: return "bad_source";
	case IcmpErrorResult::bad_destination: return "bad_destination";
	case IcmpErrorResult::not_first_fragment: return "not_first_fragment";
	case IcmpErrorResult::buffer_too_small: return "buffer_too_small";
	}
	return "unknown";
}

IcmpError build_time_exceeded(std::span<const uint8_t> original, const AddrPort &source, std::span<uint8_t> out)
{
	if (original.empty())
		return {IcmpErrorResult::too_short};
	switch (original[0] >> 4) {
	case 4: return time_exceeded4(original, source, out);
	case 6: return time_exceeded6(original, source, out);
	default: return {IcmpErrorResult::not_ip};
	}
}

} // namespace wayport
