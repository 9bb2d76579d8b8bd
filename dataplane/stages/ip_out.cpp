#include "dataplane/stages/ip_out.h"

#include <rte_byteorder.h>
#include <rte_ip.h>

#include <cstring>

#include "dataplane/packet/ttl.h"

namespace wayport {

namespace {

constexpr uint32_t kDst4Offset = offsetof(rte_ipv4_hdr, dst_addr);
constexpr uint32_t kDst6Offset = offsetof(rte_ipv6_hdr, dst_addr);

// The family by the version nibble: admit()'s packets were parsed by
// classify_inner, admit_local()'s were built here, so each is one of two.
bool is_v4(const uint8_t *ip)
{
	return ip[0] >> 4 == 4;
}

} // namespace

const char *to_string(IpOutDrop r)
{
	switch (r) {
	case IpOutDrop::no_route: return "no_fib_route";
	case IpOutDrop::no_neighbour: return "still_unresolved";
	case IpOutDrop::no_headroom: return "no_headroom";
	case IpOutDrop::count: break;
	}
	return "unknown";
}

IpOutStage::IpOutStage(const IpOutShared &shared, unsigned worker, uint16_t capacity)
	: shared_(shared), worker_(worker), in_(capacity), hop_(capacity), local_(capacity), dst4_(capacity),
	  at4_(capacity), dst6_(size_t{capacity} * 16), at6_(capacity), found_(capacity), to_nat_(capacity)
{
}

void IpOutStage::finish(Output &out, WorkerCounters &c)
{
	c.stage(CountedStage::ip_out, n_in_);
	n_to_nat_ = 0;
	count_hop(out);
	route();
	for (uint16_t i = 0; i < n_in_; i++)
		if (in_[i])
			send(in_[i], hop_[i], local_[i], out);
	n_in_ = 0;
}

// Pass 1: the hop counted for forwarded packets, and the destinations of
// every packet to route gathered by family.
void IpOutStage::count_hop(Output &out)
{
	uint16_t n4 = 0, n6 = 0;
	for (uint16_t i = 0; i < n_in_; i++) {
		if (local_[i])
			continue;
		rte_mbuf *m = in_[i];
		uint8_t *ip = rte_pktmbuf_mtod(m, uint8_t *);
		const bool v4 = is_v4(ip);
		if (!(meta(m).flags & (meta_flags::injected | meta_flags::translated))) {
			auto *h4 = reinterpret_cast<rte_ipv4_hdr *>(ip);
			auto *h6 = reinterpret_cast<rte_ipv6_hdr *>(ip);
			if ((v4 ? h4->time_to_live : h6->hop_limits) <= 1) {
				out.punt(m, PuntReason::ttl_exceeded);
				in_[i] = nullptr;
				continue;
			}
			if (v4)
				ipv4_count_hop(*h4);
			else
				ipv6_count_hop(*h6);
		}
		if (v4) {
			uint32_t dst;
			std::memcpy(&dst, ip + kDst4Offset, 4);
			dst4_[n4] = rte_be_to_cpu_32(dst);
			at4_[n4++] = i;
		} else {
			std::memcpy(&dst6_[size_t{n6} * 16], ip + kDst6Offset, 16);
			at6_[n6++] = i;
		}
	}
	n4_ = n4;
	n6_ = n6;
}

// Pass 2: the FIB in bulk, one call per family present (rte_lpm's bulk
// lookup sizes an array by n, which must not be 0).
void IpOutStage::route()
{
	const Fib &fib = *shared_.fib;
	if (n4_) {
		fib.lookup4_bulk(dst4_.data(), found_.data(), n4_);
		for (uint16_t k = 0; k < n4_; k++)
			hop_[at4_[k]] = found_[k];
	}
	if (n6_) {
		fib.lookup6_bulk(reinterpret_cast<const uint8_t (*)[16]>(dst6_.data()), found_.data(), n6_);
		for (uint16_t k = 0; k < n6_; k++)
			hop_[at6_[k]] = found_[k];
	}
}

// Pass 3: neighbour, MAC, Ethernet header, TX.
void IpOutStage::send(rte_mbuf *m, uint32_t hop, bool local, Output &out)
{
	const Fib &fib = *shared_.fib;
	if (!fib.valid(hop)) {
		out.drop(m, IpOutDrop::no_route);
		return;
	}
	const NextHop &next = fib.next_hop(hop);
	if (next.port >= shared_.ports->size() || next.port >= out.ports()) {
		out.drop(m, IpOutDrop::no_route);
		return;
	}
	PacketMeta &pm = meta(m);
	if (next.port == shared_.exit_port && !local &&
	    !(pm.flags & (meta_flags::injected | meta_flags::translated))) {
		to_nat_[n_to_nat_++] = m;
		return;
	}
	const uint8_t *ip = rte_pktmbuf_mtod(m, const uint8_t *);
	const bool v4 = is_v4(ip);
	NeighbourKey key = next.via_gateway ? NeighbourKey::of(next.port, next.gateway)
			   : v4		    ? NeighbourKey::v4(next.port, ip + kDst4Offset)
					    : NeighbourKey::v6(next.port, ip + kDst6Offset);
	const uint32_t slot = shared_.neighbours->find(key);
	uint8_t mac[RTE_ETHER_ADDR_LEN];
	if (slot == NeighbourIndex::kNone || !shared_.slots->get(slot, mac)) {
		if (pm.flags & meta_flags::injected) {
			out.drop(m, IpOutDrop::no_neighbour);
			return;
		}
		pm.aux = slot;
		pm.tx_port = next.port;
		out.punt(m, PuntReason::ip_unresolved);
		return;
	}
	auto *eth = reinterpret_cast<rte_ether_hdr *>(rte_pktmbuf_prepend(m, RTE_ETHER_HDR_LEN));
	if (!eth) {
		out.drop(m, IpOutDrop::no_headroom);
		return;
	}
	std::memcpy(eth->dst_addr.addr_bytes, mac, RTE_ETHER_ADDR_LEN);
	std::memcpy(eth->src_addr.addr_bytes, (*shared_.ports)[next.port].mac, RTE_ETHER_ADDR_LEN);
	eth->ether_type = rte_cpu_to_be_16(v4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
	// The metadata keeps describing the packet as it now is.
	pm.l3_offset = static_cast<uint16_t>(pm.l3_offset + RTE_ETHER_HDR_LEN);
	pm.l4_offset = static_cast<uint16_t>(pm.l4_offset + RTE_ETHER_HDR_LEN);
	pm.payload_offset = static_cast<uint16_t>(pm.payload_offset + RTE_ETHER_HDR_LEN);
	pm.next = Stage::tx;
	pm.tx_port = next.port;
	out.tx(m, next.port);
}

} // namespace wayport
