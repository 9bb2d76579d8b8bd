// The NAT's view of an IP packet and the rewrites nat_out and nat_in make
// of it: an address and port (ICMP echo identifier) replaced in place with
// every checksum it is part of updated incrementally (RFC 1624), and TCP's
// MSS clamped on SYNs to fit the tunnel.
//
// What parse() takes, at l3 with the IP header first:
//   IPv4 or IPv6 with TCP, UDP, ICMP/ICMPv6 echo request or reply, or an
//   ICMP/ICMPv6 error (destination unreachable, time exceeded, parameter
//   problem, packet too big), whole and not a fragment.
// Anything else is refused with the reason, for the stage to count:
//   truncated          a header runs past the packet, or a length field lies
//   fragment           IPv4 MF or offset, IPv6 fragment header (REQ-14: later)
//   ipv6_extension     an IPv6 extension header before the transport header
//   unsupported_protocol  not TCP, UDP or ICMP
//   unsupported_icmp   an ICMP type that is neither a query nor an error
//
// Checksums: TCP's and UDP's cover the pseudo-header (addresses) in both
// families, ICMPv6's too, ICMPv4's only the message. An IPv4 UDP checksum
// of 0 (none) stays 0. Fast-path safe: no allocation, no DPDK calls.
#pragma once

#include <cstdint>

#include "dataplane/nat/session_table.h"
#include "dataplane/wire/addr.h"

namespace wayport::nat {

enum class ParseDrop : uint8_t {
	truncated,
	fragment,
	ipv6_extension,
	unsupported_protocol,
	unsupported_icmp,
	count
};
const char *to_string(ParseDrop d);

enum class IcmpKind : uint8_t { none, echo_request, echo_reply, error };

struct NatPacket {
	uint8_t *l3 = nullptr;
	uint8_t *l4 = nullptr;
	uint16_t l3_len = 0;  // the whole IP packet, from its header's length
	uint16_t l4_len = 0;
	bool v4 = false;
	NatProto proto = NatProto::udp;
	IcmpKind icmp = IcmpKind::none;
	uint8_t tcp_flags = 0;
	// The identifier of an echo is the port of the side that chose it:
	// src.port for a request, dst.port for a reply; the other is 0.
	AddrPort src, dst;
};

// false, with why, when the packet is none the NAT translates. len: the
// bytes at l3 (the IP header's length may be shorter: link padding).
bool parse(uint8_t *l3, uint16_t len, NatPacket &p, ParseDrop &why);

// The source (address and port or identifier) now `to`, of p's family.
void rewrite_source(NatPacket &p, const AddrPort &to);
void rewrite_destination(NatPacket &p, const AddrPort &to);

// A TCP SYN's MSS option lowered to mss when above it; true when changed.
bool clamp_mss(NatPacket &p, uint16_t mss);

// What an ICMP error quotes (RFC 792, RFC 4443): the header of a packet
// the flow sent the other way and at least 8 bytes of its transport
// header, so the ports (echo identifier) and, for UDP, the checksum.
// RFC 5508: IPv4 options in the quote are skipped (REQ-3b); the quoted
// transport checksum is never checked (REQ-3c), only kept right where it
// was quoted; RFC 4884 extensions after the quote (its length field set)
// are carried as they are.
struct Quoted {
	uint8_t *l3 = nullptr;
	uint8_t *l4 = nullptr;
	uint16_t l4_len = 0;     // what the error quotes of it, from l4 on
	uint16_t quote_len = 0;  // the whole quote, from l3 on (up to RFC 4884's extensions)
	bool v4 = false;
	NatProto proto = NatProto::udp;
	IcmpKind icmp = IcmpKind::none;
	AddrPort src, dst;     // echo identifiers as NatPacket's
};

// The quote of error (parse() said IcmpKind::error), of the error's family;
// refused as truncated, fragment or unsupported_*.
bool parse_quoted(const NatPacket &error, Quoted &q, ParseDrop &why);
// The quote's source (or destination) now `to`: its address and port or
// identifier, its IPv4 header checksum, its transport checksum where
// quoted, and the error's own ICMP checksum over all of that.
void rewrite_quoted(NatPacket &error, Quoted &q, bool source, const AddrPort &to);
// The ICMP (ICMPv6: with its pseudo-header) checksum of p verifies
// (RFC 5508 REQ-3: errors with a bad one are dropped).
bool icmp_checksum_ok(const NatPacket &p);
// The quote's IPv4 header checksum verifies (REQ-3a); true for IPv6.
bool quoted_header_ok(const Quoted &q);

} // namespace wayport::nat
