// The IPv4 or IPv6 and UDP headers of a datagram the node sends from one of
// its own addresses: WireGuard's outer packets, sealed by the workers
// (wg_output) or built by the control thread (handshake messages). DF set,
// IPv4 id 0, TTL / hop limit 64, as the kernel sends WireGuard's.
#pragma once

#include <rte_ip.h>
#include <rte_udp.h>

#include <cstdint>
#include <cstring>

#include "dataplane/wire/addr.h"

namespace wayport {

inline constexpr uint8_t kOuterTtl = 64;

// The IP header at l3 (20 or 40 bytes, by dst's family) from src (4 or 16
// bytes, the same family) and the UDP header after it, udp_len bytes of
// UDP in all. Both checksums are left 0: the caller computes them or hands
// them to the NIC. Returns the IP header's length.
inline uint16_t write_ip_udp(uint8_t *l3, const uint8_t *src, const AddrPort &dst, uint16_t src_port,
			     uint16_t udp_len)
{
	uint16_t l3_len;
	if (dst.is_v4) {
		auto *ip = reinterpret_cast<rte_ipv4_hdr *>(l3);
		l3_len = sizeof(rte_ipv4_hdr);
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->type_of_service = 0;
		ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(l3_len + udp_len));
		ip->packet_id = 0;
		ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = kOuterTtl;
		ip->next_proto_id = IPPROTO_UDP;
		std::memcpy(&ip->src_addr, src, 4);
		std::memcpy(&ip->dst_addr, dst.ip4(), 4);
		ip->hdr_checksum = 0;
	} else {
		auto *ip = reinterpret_cast<rte_ipv6_hdr *>(l3);
		l3_len = sizeof(rte_ipv6_hdr);
		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16(udp_len);
		ip->proto = IPPROTO_UDP;
		ip->hop_limits = kOuterTtl;
		std::memcpy(ip->src_addr, src, 16);
		std::memcpy(ip->dst_addr, dst.ip.data(), 16);
	}
	auto *udp = reinterpret_cast<rte_udp_hdr *>(l3 + l3_len);
	udp->src_port = rte_cpu_to_be_16(src_port);
	udp->dst_port = rte_cpu_to_be_16(dst.port);
	udp->dgram_len = rte_cpu_to_be_16(udp_len);
	udp->dgram_cksum = 0;
	return l3_len;
}

} // namespace wayport
