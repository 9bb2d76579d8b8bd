#include "controlplane/host/arp.h"

#include <rte_arp.h>
#include <rte_ether.h>

#include <cstring>

namespace wayport {

namespace {

constexpr size_t kArpFrameLen = sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr);

void fill_header(rte_arp_hdr *arp, uint16_t op)
{
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(op);
}

} // namespace

bool build_arp_request(rte_mbuf *m, const Port &port, const AddrPort &target)
{
	if (!port.ipv4 || !rte_pktmbuf_append(m, kArpFrameLen))
		return false;
	auto *eth = rte_pktmbuf_mtod(m, rte_ether_hdr *);
	std::memset(&eth->dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
	eth->src_addr = port.mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	auto *arp = reinterpret_cast<rte_arp_hdr *>(eth + 1);
	fill_header(arp, RTE_ARP_OP_REQUEST);
	arp->arp_data.arp_sha = port.mac;
	std::memcpy(&arp->arp_data.arp_sip, port.ipv4->ip4(), 4);
	std::memset(&arp->arp_data.arp_tha, 0, RTE_ETHER_ADDR_LEN);
	std::memcpy(&arp->arp_data.arp_tip, target.ip4(), 4);
	return true;
}

HostResult arp_input(rte_mbuf *m, const Port &port, NeighbourTable &neighbours, int64_t now)
{
	if (rte_pktmbuf_data_len(m) < kArpFrameLen)
		return HostResult::malformed;
	auto *eth = rte_pktmbuf_mtod(m, rte_ether_hdr *);
	auto *arp = reinterpret_cast<rte_arp_hdr *>(eth + 1);
	if (arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) || arp->arp_hlen != RTE_ETHER_ADDR_LEN ||
	    arp->arp_plen != 4)
		return HostResult::malformed;
	if (!port.ipv4)
		return HostResult::not_ours;

	AddrPort sender = AddrPort::v4(reinterpret_cast<const uint8_t *>(&arp->arp_data.arp_sip), 0);
	AddrPort target = AddrPort::v4(reinterpret_cast<const uint8_t *>(&arp->arp_data.arp_tip), 0);
	uint16_t op = rte_be_to_cpu_16(arp->arp_opcode);
	if (rte_is_unicast_ether_addr(&arp->arp_data.arp_sha))
		neighbours.learn(port.port_id, sender, arp->arp_data.arp_sha, now);

	if (op == RTE_ARP_OP_REPLY)
		return HostResult::absorbed;
	if (op != RTE_ARP_OP_REQUEST)
		return HostResult::unsupported;
	if (!port.is_ours(target))
		return HostResult::not_ours;

	// The reply goes back to the asker; the frame is reused in place.
	rte_pktmbuf_trim(m, static_cast<uint16_t>(rte_pktmbuf_data_len(m) - kArpFrameLen));
	eth->dst_addr = arp->arp_data.arp_sha;
	eth->src_addr = port.mac;
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	arp->arp_data.arp_tha = arp->arp_data.arp_sha;
	arp->arp_data.arp_tip = arp->arp_data.arp_sip;
	arp->arp_data.arp_sha = port.mac;
	std::memcpy(&arp->arp_data.arp_sip, port.ipv4->ip4(), 4);
	return HostResult::reply;
}

} // namespace wayport
