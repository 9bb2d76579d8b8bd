// One hop counted in an IP header: TTL or hop limit minus one, and for
// IPv4 the header checksum updated to match (RFC 1624), so forwarding
// costs the same whatever the header's options.
#pragma once

#include <rte_byteorder.h>
#include <rte_ip.h>

#include "dataplane/packet/checksum.h"

namespace wayport {

// The caller checked time_to_live > 1: a packet that would leave with 0
// is answered with ICMP Time Exceeded instead (RFC 1812 5.3.1).
inline void ipv4_count_hop(rte_ipv4_hdr &ip)
{
	// TTL and protocol share one 16-bit word of the checksum.
	const uint16_t before = static_cast<uint16_t>(ip.time_to_live << 8 | ip.next_proto_id);
	ip.time_to_live = static_cast<uint8_t>(ip.time_to_live - 1);
	const uint16_t after = static_cast<uint16_t>(ip.time_to_live << 8 | ip.next_proto_id);
	ip.hdr_checksum =
		rte_cpu_to_be_16(incremental_checksum(rte_be_to_cpu_16(ip.hdr_checksum), before, after));
}

// IPv6 has no header checksum.
inline void ipv6_count_hop(rte_ipv6_hdr &ip)
{
	ip.hop_limits = static_cast<uint8_t>(ip.hop_limits - 1);
}

} // namespace wayport
