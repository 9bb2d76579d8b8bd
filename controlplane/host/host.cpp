#include "controlplane/host/host.h"

#include <rte_ether.h>
#include <rte_ip.h>

#include "controlplane/host/arp.h"
#include "controlplane/host/icmp_echo.h"
#include "controlplane/host/ndp.h"

namespace wayport {

namespace {

constexpr uint8_t kIcmpV6 = 58;
constexpr uint8_t kNeighbourSolicitation = 135;
constexpr uint8_t kNeighbourAdvertisement = 136;

} // namespace

Host::Host(std::vector<Port> ports, NeighbourSlots &slots, HostIo &io, NeighbourConfig cfg)
	: ports_(std::move(ports)), io_(io), neighbours_(slots, ports_, io, cfg)
{
}

const Port *Host::port(uint16_t port_id) const
{
	for (const auto &p : ports_)
		if (p.port_id == port_id)
			return &p;
	return nullptr;
}

HostResult Host::dispatch(rte_mbuf *m, const Port &port, int64_t now)
{
	size_t len = rte_pktmbuf_data_len(m);
	if (len < sizeof(rte_ether_hdr))
		return HostResult::malformed;
	auto *eth = rte_pktmbuf_mtod(m, rte_ether_hdr *);
	switch (rte_be_to_cpu_16(eth->ether_type)) {
	case RTE_ETHER_TYPE_ARP: {
		HostResult r = arp_input(m, port, neighbours_, now);
		if (r == HostResult::reply)
			counters_.arp_replies++;
		return r;
	}
	case RTE_ETHER_TYPE_IPV4: {
		HostResult r = icmp_echo_input(m, port);
		if (r == HostResult::reply)
			counters_.echo_replies++;
		return r;
	}
	case RTE_ETHER_TYPE_IPV6: {
		size_t icmp_at = sizeof(rte_ether_hdr) + sizeof(rte_ipv6_hdr);
		if (len < icmp_at + 1)
			return HostResult::malformed;
		auto *ip = reinterpret_cast<const rte_ipv6_hdr *>(eth + 1);
		if (ip->proto != kIcmpV6)
			return HostResult::unsupported;
		uint8_t type = rte_pktmbuf_mtod_offset(m, const uint8_t *, icmp_at)[0];
		if (type == kNeighbourSolicitation || type == kNeighbourAdvertisement) {
			HostResult r = ndp_input(m, port, neighbours_, now);
			if (r == HostResult::reply)
				counters_.neighbour_advertisements++;
			return r;
		}
		HostResult r = icmp_echo_input(m, port);
		if (r == HostResult::reply)
			counters_.echo_replies++;
		return r;
	}
	default:
		return HostResult::unsupported;
	}
}

void Host::input(rte_mbuf *m, int64_t now)
{
	const Port *p = port(m->port);
	if (!p) {
		counters_.unknown_port++;
		rte_pktmbuf_free(m);
		return;
	}
	switch (dispatch(m, *p, now)) {
	case HostResult::reply:
		io_.send(*p, m);
		return;
	case HostResult::absorbed:
		counters_.absorbed++;
		break;
	case HostResult::malformed:
		counters_.malformed++;
		break;
	case HostResult::not_ours:
		counters_.not_ours++;
		break;
	case HostResult::unsupported:
		counters_.unsupported++;
		break;
	}
	rte_pktmbuf_free(m);
}

} // namespace wayport
