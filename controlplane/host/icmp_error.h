// ICMP Time Exceeded for a packet ip_out punted (PuntReason::ttl_exceeded):
// the error is built as an IP packet with no link-layer header, to go back
// the way the original came (into the tunnel).
//
// ICMPv4 type 11 code 0 (RFC 792) quotes as much of the original datagram
// as keeps the error within 576 bytes (RFC 1812 4.3.2.3, Linux's rule);
// ICMPv6 type 3 code 0 (RFC 4443 3.3) as much as keeps it within 1280
// bytes, IPv6's minimum MTU (RFC 4443 2.4(c)).
//
// Never in answer to (RFC 1122 3.2.2, RFC 1812 4.3.2.7, RFC 4443 2.4(e)):
// an ICMP error; a packet from an unspecified, broadcast or multicast
// source; a packet to a broadcast or multicast destination; an IPv4
// fragment other than the first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "dataplane/wire/addr.h"

namespace wayport {

enum class IcmpErrorResult : uint8_t {
	ok,
	too_short,           // shorter than an IP header, or than its own header says
	not_ip,              // the version is neither 4 nor 6
	wrong_family,        // the source given is not of the original's family
	is_icmp_error,       // the original is itself an ICMP/ICMPv6 error (or an unknown ICMP type)
	bad_source,          // the original's source is unspecified, broadcast or multicast
	bad_destination,     // the original went to a broadcast or multicast address
	not_first_fragment,  // an IPv4 fragment past the first: the first one's error says it all
	buffer_too_small,    // the caller's buffer cannot hold the error
};
const char *to_string(IcmpErrorResult r);

struct IcmpError {
	IcmpErrorResult result = IcmpErrorResult::ok;
	size_t len = 0;  // bytes of out used, when ok
};

inline constexpr size_t kIcmp4ErrorMax = 576;
inline constexpr size_t kIcmp6ErrorMax = 1280;
inline constexpr uint8_t kIcmpErrorTtl = 64;

// original: the packet from its IP header on (trailing bytes past its
// length are ignored). source: the address the error comes from (the
// node's, of the original's family), port unused. The error goes to the
// original's source, TTL / hop limit kIcmpErrorTtl; IPv4 with type of
// service 0xc0 (internetwork control, as Linux sends errors), no DF, id 0.
IcmpError build_time_exceeded(std::span<const uint8_t> original, const AddrPort &source, std::span<uint8_t> out);

} // namespace wayport
