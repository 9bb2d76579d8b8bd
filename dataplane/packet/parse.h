// Ingress parsing: Ethernet, then IPv4 or IPv6, then UDP, over one mbuf.
//
// The fast path reads headers in place and never copies a payload. What is
// not UDP to one of the port's own addresses is either a control packet for
// the control thread (ARP, ICMP, ICMPv6 to us) or not for us.
#pragma once

#include <cstdint>

#include <rte_mbuf.h>

#include "dataplane/wire/addr.h"

namespace wayport {

// The addresses of one port, as the fast path needs them.
struct PortAddrs {
	uint8_t ipv4[4] = {};
	uint8_t ipv6[16] = {};
	bool has_ipv4 = false;
	bool has_ipv6 = false;
};

enum class Ingress : uint8_t {
	udp,           // UDP to one of our addresses; see ParsedUdp
	control,       // ARP, or ICMP/ICMPv6 to us: the control thread's
	malformed,     // truncated or inconsistent headers
	fragment,      // IP fragments are not reassembled on the fast path
	not_for_us,    // another address, another protocol or ethertype
	multi_segment, // a chained mbuf: the fast path reads one segment
};

struct ParsedUdp {
	AddrPort src;
	AddrPort dst;
	uint16_t l3_offset;       // Ethernet header length
	uint16_t payload_offset;  // start of the UDP payload
	uint16_t payload_len;     // from the UDP length field
	uint16_t udp_checksum;    // as received, network byte order
};

Ingress parse_ingress(const rte_mbuf *m, const PortAddrs &ours, ParsedUdp &out);

} // namespace wayport
