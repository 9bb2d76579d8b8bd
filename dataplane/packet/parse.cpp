#include "parse.h"

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include <cstring>

namespace wayport {

namespace {

constexpr uint8_t kIcmpV6 = 58;
constexpr uint8_t kIpv6Fragment = 44;

Ingress parse_udp(const uint8_t *l4, uint32_t l4_len, ParsedUdp &out)
{
	if (l4_len < sizeof(rte_udp_hdr))
		return Ingress::malformed;
	const auto *udp = reinterpret_cast<const rte_udp_hdr *>(l4);
	uint16_t udp_len = rte_be_to_cpu_16(udp->dgram_len);
	if (udp_len < sizeof(rte_udp_hdr) || udp_len > l4_len)
		return Ingress::malformed;
	out.src.port = rte_be_to_cpu_16(udp->src_port);
	out.dst.port = rte_be_to_cpu_16(udp->dst_port);
	out.payload_len = static_cast<uint16_t>(udp_len - sizeof(rte_udp_hdr));
	out.udp_checksum = udp->dgram_cksum;
	return Ingress::udp;
}

Ingress parse_ipv4(const uint8_t *l3, uint32_t len, const PortAddrs &ours, ParsedUdp &out)
{
	if (len < sizeof(rte_ipv4_hdr))
		return Ingress::malformed;
	const auto *ip = reinterpret_cast<const rte_ipv4_hdr *>(l3);
	uint32_t ihl = (ip->version_ihl & 0x0f) * 4u;
	uint32_t total = rte_be_to_cpu_16(ip->total_length);
	if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(rte_ipv4_hdr) || total < ihl || total > len)
		return Ingress::malformed;
	if (!ours.has_ipv4 || std::memcmp(&ip->dst_addr, ours.ipv4, 4) != 0)
		return Ingress::not_for_us;
	if (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
		return Ingress::fragment;
	if (ip->next_proto_id == IPPROTO_ICMP)
		return Ingress::control;
	if (ip->next_proto_id != IPPROTO_UDP)
		return Ingress::not_for_us;
	out.src.set_v4(reinterpret_cast<const uint8_t *>(&ip->src_addr), 0);
	out.dst.set_v4(reinterpret_cast<const uint8_t *>(&ip->dst_addr), 0);
	out.payload_offset = static_cast<uint16_t>(out.l3_offset + ihl + sizeof(rte_udp_hdr));
	return parse_udp(l3 + ihl, total - ihl, out);
}

Ingress parse_ipv6(const uint8_t *l3, uint32_t len, const PortAddrs &ours, ParsedUdp &out)
{
	if (len < sizeof(rte_ipv6_hdr))
		return Ingress::malformed;
	const auto *ip = reinterpret_cast<const rte_ipv6_hdr *>(l3);
	uint32_t payload = rte_be_to_cpu_16(ip->payload_len);
	if ((rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6 || payload > len - sizeof(rte_ipv6_hdr))
		return Ingress::malformed;
	// Neighbour discovery goes to our unicast address or to a multicast
	// group (solicited-node, all-nodes): both are the control thread's.
	bool multicast = ip->dst_addr[0] == 0xff;
	if (multicast)
		return ip->proto == kIcmpV6 ? Ingress::control : Ingress::not_for_us;
	if (!ours.has_ipv6 || std::memcmp(ip->dst_addr, ours.ipv6, 16) != 0)
		return Ingress::not_for_us;
	if (ip->proto == kIpv6Fragment)
		return Ingress::fragment;
	if (ip->proto == kIcmpV6)
		return Ingress::control;
	// Extension headers other than a fragment header are not for the
	// relay: clients send plain UDP.
	if (ip->proto != IPPROTO_UDP)
		return Ingress::not_for_us;
	out.src.set_v6(ip->src_addr, 0);
	out.dst.set_v6(ip->dst_addr, 0);
	out.payload_offset = static_cast<uint16_t>(out.l3_offset + sizeof(rte_ipv6_hdr) + sizeof(rte_udp_hdr));
	return parse_udp(l3 + sizeof(rte_ipv6_hdr), payload, out);
}

} // namespace

Ingress parse_ingress(const rte_mbuf *m, const PortAddrs &ours, ParsedUdp &out)
{
	if (!rte_pktmbuf_is_contiguous(m))
		return Ingress::multi_segment;
	const auto *data = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m);
	if (len < sizeof(rte_ether_hdr))
		return Ingress::malformed;
	const auto *eth = reinterpret_cast<const rte_ether_hdr *>(data);
	out.l3_offset = sizeof(rte_ether_hdr);
	const uint8_t *l3 = data + sizeof(rte_ether_hdr);
	uint32_t l3_len = len - sizeof(rte_ether_hdr);
	switch (rte_be_to_cpu_16(eth->ether_type)) {
	case RTE_ETHER_TYPE_IPV4:
		return parse_ipv4(l3, l3_len, ours, out);
	case RTE_ETHER_TYPE_IPV6:
		return parse_ipv6(l3, l3_len, ours, out);
	case RTE_ETHER_TYPE_ARP:
		return Ingress::control;
	default:
		return Ingress::not_for_us;
	}
}

} // namespace wayport
