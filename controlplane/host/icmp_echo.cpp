#include "controlplane/host/icmp_echo.h"

#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include <cstring>
#include <functional>

#include "controlplane/host/checksum.h"

namespace wayport {

namespace {

constexpr uint8_t kIcmpV6 = 58;
constexpr uint8_t kEcho6Request = 128;
constexpr uint8_t kEcho6Reply = 129;
constexpr uint8_t kTtl = 64;

HostResult echo4(uint8_t *l3, size_t len, const std::function<bool(const AddrPort &)> &ours, size_t &reply_len)
{
	if (len < sizeof(rte_ipv4_hdr))
		return HostResult::malformed;
	auto *ip = reinterpret_cast<rte_ipv4_hdr *>(l3);
	size_t ihl = (ip->version_ihl & 0x0f) * 4u;
	size_t total = rte_be_to_cpu_16(ip->total_length);
	if (ihl < sizeof(rte_ipv4_hdr) || total < ihl + sizeof(rte_icmp_hdr) || total > len)
		return HostResult::malformed;
	if (!ours(AddrPort::v4(reinterpret_cast<const uint8_t *>(&ip->dst_addr), 0)))
		return HostResult::not_ours;
	if (ip->next_proto_id != IPPROTO_ICMP)
		return HostResult::unsupported;
	auto *icmp = reinterpret_cast<rte_icmp_hdr *>(l3 + ihl);
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0)
		return HostResult::unsupported;
	if (fold_sum(rte_raw_cksum(icmp, total - ihl)) != 0xffff)
		return HostResult::malformed;

	uint32_t src = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = src;
	ip->time_to_live = kTtl;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = static_cast<uint16_t>(~fold_sum(rte_raw_cksum(icmp, total - ihl)));
	reply_len = total;
	return HostResult::reply;
}

HostResult echo6(uint8_t *l3, size_t len, const std::function<bool(const AddrPort &)> &ours, size_t &reply_len)
{
	auto *ip = reinterpret_cast<rte_ipv6_hdr *>(l3);
	if (len < sizeof(rte_ipv6_hdr) + sizeof(rte_icmp_hdr))
		return HostResult::malformed;
	size_t payload = rte_be_to_cpu_16(ip->payload_len);
	if (ip->proto != kIcmpV6 || payload < sizeof(rte_icmp_hdr) || payload > len - sizeof(rte_ipv6_hdr))
		return HostResult::malformed;
	if (!ours(AddrPort::v6(ip->dst_addr, 0)))
		return HostResult::not_ours;
	auto *icmp = reinterpret_cast<rte_icmp_hdr *>(ip + 1);
	if (icmp->icmp_type != kEcho6Request || icmp->icmp_code != 0)
		return HostResult::unsupported;
	if (!icmp6_checksum_ok(ip, icmp))
		return HostResult::malformed;

	uint8_t tmp[16];
	std::memcpy(tmp, ip->src_addr, 16);
	std::memcpy(ip->src_addr, ip->dst_addr, 16);
	std::memcpy(ip->dst_addr, tmp, 16);
	ip->hop_limits = kTtl;
	icmp->icmp_type = kEcho6Reply;
	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = rte_ipv6_udptcp_cksum(ip, icmp);
	reply_len = sizeof(rte_ipv6_hdr) + payload;
	return HostResult::reply;
}

} // namespace

HostResult icmp_echo_reply(uint8_t *ip, size_t len, const std::function<bool(const AddrPort &)> &ours,
			   size_t &reply_len)
{
	if (len < 1)
		return HostResult::malformed;
	switch (ip[0] >> 4) {
	case 4:
		return echo4(ip, len, ours, reply_len);
	case 6:
		return echo6(ip, len, ours, reply_len);
	default:
		return HostResult::malformed;
	}
}

HostResult icmp_echo_input(rte_mbuf *m, const Port &port)
{
	size_t len = rte_pktmbuf_data_len(m);
	if (len < sizeof(rte_ether_hdr))
		return HostResult::malformed;
	auto *eth = rte_pktmbuf_mtod(m, rte_ether_hdr *);
	uint16_t type = rte_be_to_cpu_16(eth->ether_type);
	if (type != RTE_ETHER_TYPE_IPV4 && type != RTE_ETHER_TYPE_IPV6)
		return HostResult::unsupported;
	size_t reply_len = 0;
	HostResult r = icmp_echo_reply(reinterpret_cast<uint8_t *>(eth + 1), len - sizeof(rte_ether_hdr),
				       [&](const AddrPort &a) { return port.is_ours(a); }, reply_len);
	if (r != HostResult::reply)
		return r;
	rte_pktmbuf_trim(m, static_cast<uint16_t>(len - sizeof(rte_ether_hdr) - reply_len));
	eth->dst_addr = eth->src_addr;
	eth->src_addr = port.mac;
	return HostResult::reply;
}

} // namespace wayport
