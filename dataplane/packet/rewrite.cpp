#include "dataplane/packet/rewrite.h"

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include <cstring>

#include "dataplane/packet/checksum.h"

namespace wayport {

namespace {

constexpr uint16_t kIpv4Len = sizeof(rte_ipv4_hdr);
constexpr uint16_t kIpv6Len = sizeof(rte_ipv6_hdr);
constexpr uint8_t kTtl = 64;

// Sums of 32-bit words: half the additions of 16-bit ones, and fold_sum
// gives the same one's-complement result.
uint64_t address_sum(const AddrPort &a)
{
	uint32_t w[4];
	if (a.is_v4) {
		std::memcpy(w, a.ip4(), 4);
		return w[0];
	}
	std::memcpy(w, a.ip.data(), 16);
	return uint64_t{w[0]} + w[1] + w[2] + w[3];
}

// The sum of what a UDP checksum covers and a relay changes: both
// addresses and both ports. Length and protocol stay the same.
uint64_t changing_fields_sum(const AddrPort &src, const AddrPort &dst)
{
	return address_sum(src) + address_sum(dst) + rte_cpu_to_be_16(src.port) +
	       (uint64_t{rte_cpu_to_be_16(dst.port)} << 16);
}

// The header checksum of the IPv4 header rewrite_udp writes, from the
// values rather than read back from the packet: a read of what was just
// stored field by field stalls on store forwarding.
uint16_t ipv4_header_checksum(uint16_t total_length, const uint8_t src[4], const uint8_t dst[4])
{
	uint64_t sum = (RTE_IPV4_VHL_DEF << 8) + total_length + RTE_IPV4_HDR_DF_FLAG + (kTtl << 8) + IPPROTO_UDP;
	for (const uint8_t *a : {src, dst})
		sum += (a[0] << 8 | a[1]) + (a[2] << 8 | a[3]);
	return rte_cpu_to_be_16(static_cast<uint16_t>(~fold_sum(sum)));
}

} // namespace

bool rewrite_udp(rte_mbuf *m, const ParsedUdp &in, const EgressPort &port, const uint8_t next_hop_mac[6],
		 uint16_t src_port, const AddrPort &dst)
{
	bool v4 = dst.is_v4;
	if (v4 ? !port.addrs.has_ipv4 : !port.addrs.has_ipv6)
		return false;
	AddrPort src = v4 ? AddrPort::v4(port.addrs.ipv4, src_port) : AddrPort::v6(port.addrs.ipv6, src_port);

	uint16_t l3_len = v4 ? kIpv4Len : kIpv6Len;
	uint16_t header_len = sizeof(rte_ether_hdr) + l3_len + sizeof(rte_udp_hdr);
	uint16_t udp_len = static_cast<uint16_t>(in.payload_len + sizeof(rte_udp_hdr));

	// Drop anything past the UDP datagram (Ethernet padding), then move the
	// start of the packet so the new headers end where the payload begins.
	uint32_t end = in.payload_offset + in.payload_len;
	if (in.payload_offset < header_len && rte_pktmbuf_headroom(m) < header_len - in.payload_offset)
		return false;
	// Parse took single-segment mbufs only, so the lengths can be set
	// without walking the chain (which would touch a second cache line).
	m->data_len = static_cast<uint16_t>(end);
	m->pkt_len = end;
	if (in.payload_offset > header_len)
		rte_pktmbuf_adj(m, static_cast<uint16_t>(in.payload_offset - header_len));
	else if (in.payload_offset < header_len)
		rte_pktmbuf_prepend(m, static_cast<uint16_t>(header_len - in.payload_offset));

	auto *data = rte_pktmbuf_mtod(m, uint8_t *);
	auto *eth = reinterpret_cast<rte_ether_hdr *>(data);
	std::memcpy(&eth->dst_addr, next_hop_mac, RTE_ETHER_ADDR_LEN);
	std::memcpy(&eth->src_addr, port.mac, RTE_ETHER_ADDR_LEN);
	eth->ether_type = rte_cpu_to_be_16(v4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);

	uint8_t *l3 = data + sizeof(rte_ether_hdr);
	auto *udp = reinterpret_cast<rte_udp_hdr *>(l3 + l3_len);
	udp->src_port = rte_cpu_to_be_16(src.port);
	udp->dst_port = rte_cpu_to_be_16(dst.port);
	udp->dgram_len = rte_cpu_to_be_16(udp_len);

	m->l2_len = sizeof(rte_ether_hdr);
	m->l3_len = l3_len;
	m->ol_flags &= ~(RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK);

	if (v4) {
		auto *ip = reinterpret_cast<rte_ipv4_hdr *>(l3);
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->type_of_service = 0;
		uint16_t total_length = static_cast<uint16_t>(kIpv4Len + udp_len);
		ip->total_length = rte_cpu_to_be_16(total_length);
		ip->packet_id = 0;
		ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = kTtl;
		ip->next_proto_id = IPPROTO_UDP;
		std::memcpy(&ip->src_addr, src.ip4(), 4);
		std::memcpy(&ip->dst_addr, dst.ip4(), 4);
		ip->hdr_checksum = 0;
		m->ol_flags |= RTE_MBUF_F_TX_IPV4;
		if (port.offload_ipv4_cksum)
			m->ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
		else
			ip->hdr_checksum = ipv4_header_checksum(total_length, src.ip4(), dst.ip4());
	} else {
		auto *ip = reinterpret_cast<rte_ipv6_hdr *>(l3);
		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16(udp_len);
		ip->proto = IPPROTO_UDP;
		ip->hop_limits = kTtl;
		std::memcpy(ip->src_addr, src.ip.data(), 16);
		std::memcpy(ip->dst_addr, dst.ip.data(), 16);
		m->ol_flags |= RTE_MBUF_F_TX_IPV6;
	}

	if (port.offload_udp_cksum) {
		m->ol_flags |= RTE_MBUF_F_TX_UDP_CKSUM;
		udp->dgram_cksum = v4 ? rte_ipv4_phdr_cksum(reinterpret_cast<rte_ipv4_hdr *>(l3), m->ol_flags)
				      : rte_ipv6_phdr_cksum(reinterpret_cast<rte_ipv6_hdr *>(l3), m->ol_flags);
	} else if (in.udp_checksum != 0) {
		udp->dgram_cksum = udp_nonzero(incremental_checksum(in.udp_checksum, changing_fields_sum(in.src, in.dst),
								    changing_fields_sum(src, dst)));
	} else if (v4) {
		udp->dgram_cksum = 0;  // IPv4 in, IPv4 out: the sender chose no checksum
	} else {
		// IPv6 requires a checksum the IPv4 sender did not provide.
		udp->dgram_cksum = 0;
		udp->dgram_cksum = rte_ipv6_udptcp_cksum(reinterpret_cast<rte_ipv6_hdr *>(l3), udp);
	}
	return true;
}

} // namespace wayport
