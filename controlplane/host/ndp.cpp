#include "controlplane/host/ndp.h"

#include <rte_ether.h>
#include <rte_ip.h>

#include <cstring>
#include <optional>

#include "controlplane/host/checksum.h"

namespace wayport {

namespace {

constexpr uint8_t kIcmpV6 = 58;
constexpr uint8_t kNeighbourSolicitation = 135;
constexpr uint8_t kNeighbourAdvertisement = 136;
constexpr uint8_t kOptSourceLinkAddr = 1;
constexpr uint8_t kOptTargetLinkAddr = 2;
constexpr uint8_t kNdHopLimit = 255;  // proves the sender is on-link
constexpr uint32_t kFlagSolicited = 0x40000000;
constexpr uint32_t kFlagOverride = 0x20000000;

// ICMPv6 NS/NA body: type, code, checksum, flags/reserved, target.
struct NdMessage {
	uint8_t type;
	uint8_t code;
	uint16_t checksum;
	uint32_t flags;
	uint8_t target[16];
} __attribute__((packed));

struct LinkAddrOption {
	uint8_t type;
	uint8_t len;  // in units of 8 bytes
	uint8_t mac[RTE_ETHER_ADDR_LEN];
};

constexpr size_t kFrameLen =
	sizeof(rte_ether_hdr) + sizeof(rte_ipv6_hdr) + sizeof(NdMessage) + sizeof(LinkAddrOption);

void solicited_node(const uint8_t target[16], uint8_t group[16])
{
	static constexpr uint8_t prefix[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};
	std::memcpy(group, prefix, sizeof(prefix));
	std::memcpy(group + 13, target + 13, 3);
}

// Writes IPv6 + NS/NA + link-address option after eth, with the checksum.
void fill(rte_ether_hdr *eth, const Port &port, const uint8_t dst[16], uint8_t type, uint32_t flags,
	  const uint8_t target[16], uint8_t option)
{
	eth->src_addr = port.mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	auto *ip = reinterpret_cast<rte_ipv6_hdr *>(eth + 1);
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16(sizeof(NdMessage) + sizeof(LinkAddrOption));
	ip->proto = kIcmpV6;
	ip->hop_limits = kNdHopLimit;
	std::memcpy(ip->src_addr, port.ipv6->ip.data(), 16);
	std::memmove(ip->dst_addr, dst, 16);
	auto *nd = reinterpret_cast<NdMessage *>(ip + 1);
	nd->type = type;
	nd->code = 0;
	nd->flags = rte_cpu_to_be_32(flags);
	std::memmove(nd->target, target, 16);
	auto *opt = reinterpret_cast<LinkAddrOption *>(nd + 1);
	opt->type = option;
	opt->len = 1;
	std::memcpy(opt->mac, port.mac.addr_bytes, RTE_ETHER_ADDR_LEN);
	nd->checksum = 0;
	nd->checksum = rte_ipv6_udptcp_cksum(ip, nd);
}

// The link-layer address option of the given type, if present and sane.
std::optional<rte_ether_addr> find_link_addr(const uint8_t *opts, size_t len, uint8_t type)
{
	while (len >= 2) {
		size_t opt_len = opts[1] * 8u;
		if (opt_len == 0 || opt_len > len)
			return std::nullopt;
		if (opts[0] == type && opt_len >= sizeof(LinkAddrOption)) {
			rte_ether_addr mac;
			std::memcpy(mac.addr_bytes, reinterpret_cast<const LinkAddrOption *>(opts)->mac, RTE_ETHER_ADDR_LEN);
			return mac;
		}
		opts += opt_len;
		len -= opt_len;
	}
	return std::nullopt;
}

} // namespace

bool build_neighbour_solicitation(rte_mbuf *m, const Port &port, const AddrPort &target)
{
	if (!port.ipv6 || !rte_pktmbuf_append(m, kFrameLen))
		return false;
	auto *eth = rte_pktmbuf_mtod(m, rte_ether_hdr *);
	uint8_t group[16];
	solicited_node(target.ip.data(), group);
	uint8_t mac[6] = {0x33, 0x33, group[12], group[13], group[14], group[15]};
	std::memcpy(&eth->dst_addr, mac, 6);
	fill(eth, port, group, kNeighbourSolicitation, 0, target.ip.data(), kOptSourceLinkAddr);
	return true;
}

HostResult ndp_input(rte_mbuf *m, const Port &port, NeighbourTable &neighbours, int64_t now)
{
	size_t len = rte_pktmbuf_data_len(m);
	if (len < sizeof(rte_ether_hdr) + sizeof(rte_ipv6_hdr) + sizeof(NdMessage))
		return HostResult::malformed;
	auto *eth = rte_pktmbuf_mtod(m, rte_ether_hdr *);
	auto *ip = reinterpret_cast<rte_ipv6_hdr *>(eth + 1);
	size_t payload = rte_be_to_cpu_16(ip->payload_len);
	if (payload < sizeof(NdMessage) || payload > len - sizeof(rte_ether_hdr) - sizeof(rte_ipv6_hdr))
		return HostResult::malformed;
	auto *nd = reinterpret_cast<NdMessage *>(ip + 1);
	if (nd->type != kNeighbourSolicitation && nd->type != kNeighbourAdvertisement)
		return HostResult::unsupported;
	// RFC 4861 §7.1: hop limit 255, code 0, valid checksum.
	if (ip->hop_limits != kNdHopLimit || nd->code != 0 || !icmp6_checksum_ok(ip, nd))
		return HostResult::malformed;
	if (!port.ipv6)
		return HostResult::not_ours;

	const uint8_t *opts = reinterpret_cast<const uint8_t *>(nd + 1);
	size_t opts_len = payload - sizeof(NdMessage);
	AddrPort target = AddrPort::v6(nd->target, 0);

	if (nd->type == kNeighbourAdvertisement) {
		auto mac = find_link_addr(opts, opts_len, kOptTargetLinkAddr);
		neighbours.learn(port.port_id, target, mac.value_or(eth->src_addr), now);
		return HostResult::absorbed;
	}

	AddrPort source = AddrPort::v6(ip->src_addr, 0);
	bool unspecified = source.ip == std::array<uint8_t, 16>{};
	auto source_mac = find_link_addr(opts, opts_len, kOptSourceLinkAddr);
	if (source_mac && !unspecified)
		neighbours.learn(port.port_id, source, *source_mac, now);
	if (!port.is_ours(target))
		return HostResult::not_ours;

	// Duplicate address detection (unspecified source) is answered to
	// all-nodes, unsolicited; a normal solicitation to its sender.
	static constexpr uint8_t all_nodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
	uint8_t dst[16];
	std::memcpy(dst, unspecified ? all_nodes : ip->src_addr, 16);
	if (unspecified) {
		uint8_t mac[6] = {0x33, 0x33, 0, 0, 0, 0x01};
		std::memcpy(&eth->dst_addr, mac, 6);
	} else {
		eth->dst_addr = source_mac.value_or(eth->src_addr);
	}
	uint8_t our_target[16];
	std::memcpy(our_target, nd->target, 16);
	if (len < kFrameLen && !rte_pktmbuf_append(m, static_cast<uint16_t>(kFrameLen - len)))
		return HostResult::malformed;
	if (len > kFrameLen)
		rte_pktmbuf_trim(m, static_cast<uint16_t>(len - kFrameLen));
	fill(eth, port, dst, kNeighbourAdvertisement, (unspecified ? 0 : kFlagSolicited) | kFlagOverride,
	     our_target, kOptTargetLinkAddr);
	return HostResult::reply;
}

} // namespace wayport
