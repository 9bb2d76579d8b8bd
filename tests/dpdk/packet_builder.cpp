#include "tests/dpdk/packet_builder.h"

#include "dataplane/stages/classify.h"
#include "dataplane/stages/relay.h"

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include <cstring>
#include <type_traits>

namespace wayport::test {

rte_mbuf *build_raw(rte_mempool *pool, const Bytes &bytes, uint16_t port)
{
	rte_mbuf *m = rte_pktmbuf_alloc(pool);
	if (!m)
		return nullptr;
	char *p = rte_pktmbuf_append(m, static_cast<uint16_t>(bytes.size()));
	std::memcpy(p, bytes.data(), bytes.size());
	m->port = port;
	return m;
}

rte_mbuf *build_udp(rte_mempool *pool, const Frame &f)
{
	bool v4 = f.src.is_v4;
	size_t l3 = v4 ? sizeof(rte_ipv4_hdr) : sizeof(rte_ipv6_hdr);
	size_t udp_len = sizeof(rte_udp_hdr) + f.payload.size();
	Bytes b(sizeof(rte_ether_hdr) + l3 + udp_len);
	auto *eth = reinterpret_cast<rte_ether_hdr *>(b.data());
	std::memcpy(&eth->dst_addr, f.dst_mac, 6);
	std::memcpy(&eth->src_addr, f.src_mac, 6);
	eth->ether_type = rte_cpu_to_be_16(v4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
	uint8_t *ip = b.data() + sizeof(rte_ether_hdr);
	auto *udp = reinterpret_cast<rte_udp_hdr *>(ip + l3);
	udp->src_port = rte_cpu_to_be_16(f.src.port);
	udp->dst_port = rte_cpu_to_be_16(f.dst.port);
	udp->dgram_len = rte_cpu_to_be_16(static_cast<uint16_t>(udp_len));
	std::memcpy(udp + 1, f.payload.data(), f.payload.size());
	if (v4) {
		auto *h = reinterpret_cast<rte_ipv4_hdr *>(ip);
		h->version_ihl = RTE_IPV4_VHL_DEF;
		h->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(l3 + udp_len));
		h->time_to_live = 64;
		h->next_proto_id = IPPROTO_UDP;
		std::memcpy(&h->src_addr, f.src.ip4(), 4);
		std::memcpy(&h->dst_addr, f.dst.ip4(), 4);
		h->hdr_checksum = rte_ipv4_cksum(h);
		udp->dgram_cksum = f.zero_udp_checksum ? 0 : rte_ipv4_udptcp_cksum(h, udp);
	} else {
		auto *h = reinterpret_cast<rte_ipv6_hdr *>(ip);
		h->vtc_flow = rte_cpu_to_be_32(6u << 28);
		h->payload_len = rte_cpu_to_be_16(static_cast<uint16_t>(udp_len));
		h->proto = IPPROTO_UDP;
		h->hop_limits = 64;
		std::memcpy(h->src_addr, f.src.ip.data(), 16);
		std::memcpy(h->dst_addr, f.dst.ip.data(), 16);
		udp->dgram_cksum = rte_ipv6_udptcp_cksum(h, udp);
	}
	return build_raw(pool, b);
}

Bytes mbuf_bytes(const rte_mbuf *m)
{
	const auto *p = rte_pktmbuf_mtod(m, const uint8_t *);
	return Bytes(p, p + rte_pktmbuf_data_len(m));
}

// Recomputes the UDP checksum from scratch and compares it with the one sent.
template <typename IpHeader>
bool udp_checksum_matches(const IpHeader *ip, rte_udp_hdr *udp)
{
	uint16_t sent = udp->dgram_cksum;
	udp->dgram_cksum = 0;
	uint16_t want;
	if constexpr (std::is_same_v<IpHeader, rte_ipv4_hdr>)
		want = rte_ipv4_udptcp_cksum(ip, udp);
	else
		want = rte_ipv6_udptcp_cksum(ip, udp);
	udp->dgram_cksum = sent;
	return sent == want;
}

bool read_udp(const rte_mbuf *m, Received &out)
{
	Bytes b = mbuf_bytes(m);
	if (b.size() < sizeof(rte_ether_hdr))
		return false;
	auto *eth = reinterpret_cast<rte_ether_hdr *>(b.data());
	std::memcpy(out.dst_mac, &eth->dst_addr, 6);
	std::memcpy(out.src_mac, &eth->src_addr, 6);
	uint8_t *ip = b.data() + sizeof(rte_ether_hdr);
	rte_udp_hdr *udp;
	size_t l3;
	if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
		auto *h = reinterpret_cast<rte_ipv4_hdr *>(ip);
		l3 = sizeof(*h);
		if (b.size() < sizeof(rte_ether_hdr) + l3 + sizeof(rte_udp_hdr) || h->next_proto_id != IPPROTO_UDP)
			return false;
		udp = reinterpret_cast<rte_udp_hdr *>(ip + l3);
		out.src = AddrPort::v4(reinterpret_cast<const uint8_t *>(&h->src_addr), rte_be_to_cpu_16(udp->src_port));
		out.dst = AddrPort::v4(reinterpret_cast<const uint8_t *>(&h->dst_addr), rte_be_to_cpu_16(udp->dst_port));
		out.checksums_ok = rte_raw_cksum(h, sizeof(*h)) == 0xffff &&
				   (udp->dgram_cksum == 0 || udp_checksum_matches(h, udp));
	} else if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6)) {
		auto *h = reinterpret_cast<rte_ipv6_hdr *>(ip);
		l3 = sizeof(*h);
		if (b.size() < sizeof(rte_ether_hdr) + l3 + sizeof(rte_udp_hdr) || h->proto != IPPROTO_UDP)
			return false;
		udp = reinterpret_cast<rte_udp_hdr *>(ip + l3);
		out.src = AddrPort::v6(h->src_addr, rte_be_to_cpu_16(udp->src_port));
		out.dst = AddrPort::v6(h->dst_addr, rte_be_to_cpu_16(udp->dst_port));
		out.checksums_ok = udp->dgram_cksum != 0 && udp_checksum_matches(h, udp);
	} else {
		return false;
	}
	out.udp_checksum = udp->dgram_cksum;
	size_t udp_len = rte_be_to_cpu_16(udp->dgram_len);
	const auto *payload = reinterpret_cast<const uint8_t *>(udp + 1);
	if (udp_len < sizeof(rte_udp_hdr) || payload + (udp_len - sizeof(rte_udp_hdr)) > b.data() + b.size())
		return false;
	out.payload.assign(payload, payload + udp_len - sizeof(rte_udp_hdr));
	return true;
}

bool parse_relay_udp(rte_mbuf *m, const PortAddrs &ours, ParsedUdp &out)
{
	Received r;
	if (!read_udp(m, r))
		return false;
	Destinations d;
	d.ports.resize(m->port + 1u);
	d.ports[m->port] = ours;
	d.relay_port = r.dst.port;
	if (classify(m, d, meta(m)) != Stage::relay)
		return false;
	relay_view(m, meta(m), out);
	return true;
}

} // namespace wayport::test
