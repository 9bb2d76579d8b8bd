#include "controlplane/control/udp_reply.h"

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include <cstring>

namespace wayport {

bool udp_reply(rte_mbuf *m, const ParsedUdp &in, const uint8_t our_mac[6], ByteSpan payload)
{
	bool v4 = in.src.is_v4;
	uint16_t l3_len = v4 ? sizeof(rte_ipv4_hdr) : sizeof(rte_ipv6_hdr);
	uint16_t header_len = sizeof(rte_ether_hdr) + l3_len + sizeof(rte_udp_hdr);
	uint32_t want = header_len + static_cast<uint32_t>(payload.size());
	if (want > UINT16_MAX || payload.size() > UINT16_MAX - sizeof(rte_udp_hdr) - l3_len)
		return false;

	// Keep the Ethernet header where it is; the IP header is rebuilt at
	// its standard length, so IPv4 options disappear.
	uint32_t have = rte_pktmbuf_data_len(m);
	if (want > have) {
		if (!rte_pktmbuf_append(m, static_cast<uint16_t>(want - have)))
			return false;
	} else {
		rte_pktmbuf_trim(m, static_cast<uint16_t>(have - want));
	}
	auto *data = rte_pktmbuf_mtod(m, uint8_t *);
	std::memmove(data + header_len, payload.data(), payload.size());

	auto *eth = reinterpret_cast<rte_ether_hdr *>(data);
	eth->dst_addr = eth->src_addr;
	std::memcpy(&eth->src_addr, our_mac, RTE_ETHER_ADDR_LEN);
	eth->ether_type = rte_cpu_to_be_16(v4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);

	uint8_t *l3 = data + sizeof(rte_ether_hdr);
	auto *udp = reinterpret_cast<rte_udp_hdr *>(l3 + l3_len);
	uint16_t udp_len = static_cast<uint16_t>(sizeof(rte_udp_hdr) + payload.size());
	udp->src_port = rte_cpu_to_be_16(in.dst.port);
	udp->dst_port = rte_cpu_to_be_16(in.src.port);
	udp->dgram_len = rte_cpu_to_be_16(udp_len);
	udp->dgram_cksum = 0;
	m->ol_flags = 0;

	if (v4) {
		auto *ip = reinterpret_cast<rte_ipv4_hdr *>(l3);
		std::memset(ip, 0, sizeof(*ip));
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(l3_len + udp_len));
		ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		std::memcpy(&ip->src_addr, in.dst.ip4(), 4);
		std::memcpy(&ip->dst_addr, in.src.ip4(), 4);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	} else {
		auto *ip = reinterpret_cast<rte_ipv6_hdr *>(l3);
		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16(udp_len);
		ip->proto = IPPROTO_UDP;
		ip->hop_limits = 64;
		std::memcpy(ip->src_addr, in.dst.ip.data(), 16);
		std::memcpy(ip->dst_addr, in.src.ip.data(), 16);
		udp->dgram_cksum = rte_ipv6_udptcp_cksum(ip, udp);
	}
	return true;
}

} // namespace wayport
