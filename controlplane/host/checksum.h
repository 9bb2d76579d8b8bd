// Internet checksum checks for the host stack's ICMP and ICMPv6.
#pragma once

#include <rte_ip.h>

#include "dataplane/packet/checksum.h"

namespace wayport {

// True when an ICMPv6 message (after ip, payload_len bytes) sums to zero
// with its pseudo-header.
inline bool icmp6_checksum_ok(const rte_ipv6_hdr *ip, const void *l4)
{
	uint32_t sum = rte_raw_cksum(l4, rte_be_to_cpu_16(ip->payload_len));
	sum += rte_ipv6_phdr_cksum(ip, 0);
	return fold_sum(sum) == 0xffff;
}

} // namespace wayport
