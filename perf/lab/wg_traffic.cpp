#include "perf/lab/wg_traffic.h"

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include <cstring>

#include "dataplane/packet/outer_udp.h"
#include "dataplane/wire/bytes.h"
#include "perf/lab/wg_world.h"

namespace wayport::perf::wg {

namespace {

constexpr uint16_t kEth = sizeof(rte_ether_hdr);
constexpr uint16_t kIp = sizeof(rte_ipv4_hdr);
constexpr uint16_t kUdp = sizeof(rte_udp_hdr);
constexpr uint16_t kWgHeader = 16;  // type, reserved, receiver, counter
constexpr uint16_t kTag = 16;
constexpr uint16_t kInnerSrcPort = 3000;
constexpr uint16_t kInnerDstPort = 4000;

void write_eth(uint8_t *d, const uint8_t *dst, const uint8_t *src)
{
	std::memcpy(d, dst, 6);
	std::memcpy(d + 6, src, 6);
	store_be16(d + 12, RTE_ETHER_TYPE_IPV4);
}

// IPv4 (as the node sends its own: outer_udp.h) and UDP, total bytes of IP
// in all, the IPv4 checksum computed and the UDP one left out (RFC 768
// allows it over IPv4).
void write_ipv4_udp(uint8_t *ip, uint16_t total, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport)
{
	uint8_t from[4], to[4];
	store_be32(from, src);
	store_be32(to, dst);
	write_ip_udp(ip, from, AddrPort::v4(to, dport), sport, static_cast<uint16_t>(total - kIp));
	auto *h = reinterpret_cast<rte_ipv4_hdr *>(ip);
	h->hdr_checksum = rte_ipv4_cksum(h);
}

void set_len(rte_mbuf *m, uint16_t len, uint16_t port_id)
{
	m->data_len = len;
	m->pkt_len = len;
	m->nb_segs = 1;
	m->next = nullptr;
	m->ol_flags = 0;
	m->port = port_id;
}

} // namespace

WgTraffic::WgTraffic(std::vector<uint32_t> peers, uint16_t inner_len, uint64_t seed)
	: peers_(std::move(peers)), counter_(peers_.size(), 0), inner_len_(inner_len),
	  sealed_len_(sealed_len(inner_len)), rng_(static_cast<uint32_t>(seed | 1))
{
	for (uint32_t p : peers_)
		keys_.push_back(receive_key(p));
}

uint16_t WgTraffic::peer_frame_len() const
{
	return static_cast<uint16_t>(kEth + kIp + kUdp + kWgHeader + sealed_len_ + kTag);
}

uint16_t WgTraffic::lan_frame_len() const
{
	return static_cast<uint16_t>(kEth + inner_len_);
}

void WgTraffic::write_inner(uint8_t *ip, uint32_t src, uint32_t dst) const
{
	write_ipv4_udp(ip, inner_len_, src, dst, kInnerSrcPort, kInnerDstPort);
	std::memset(ip + inner_len_, 0, sealed_len_ - inner_len_);
}

uint64_t WgTraffic::from_peers(rte_mbuf **pkts, unsigned n, uint16_t port_id)
{
	const uint16_t len = peer_frame_len();
	aead_.clear();
	for (unsigned i = 0; i < n; i++) {
		rte_mbuf *m = pkts[i];
		uint32_t k = next();
		uint32_t peer = peers_[k];
		uint64_t counter = counter_[k]++;
		m->data_off = RTE_PKTMBUF_HEADROOM;
		uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
		write_eth(d, kPortMac[kWan], kGatewayMac);
		write_ipv4_udp(d + kEth, static_cast<uint16_t>(len - kEth), endpoint_ip(peer), load_be32(kPortIp[kWan]),
			     kListenPort, kListenPort);
		uint8_t *msg = d + kEth + kIp + kUdp;
		store_le32(msg, 4);  // type 4 and three reserved zero bytes
		store_le32(msg + 4, kIndexBase + peer);
		store_le64(msg + 8, counter);
		uint8_t *plain = msg + kWgHeader;
		write_inner(plain, tunnel_ip(peer), lan_host_ip(peer % kLanHosts));
		aead_.add_encrypt(keys_[k].data(), counter, plain, sealed_len_, plain + sealed_len_);
		set_len(m, len, port_id);
	}
	aead_.run();
	return uint64_t{len} * n;
}

uint64_t WgTraffic::from_lan(rte_mbuf **pkts, unsigned n, uint16_t port_id)
{
	const uint16_t len = lan_frame_len();
	for (unsigned i = 0; i < n; i++) {
		rte_mbuf *m = pkts[i];
		uint32_t peer = peers_[next()];
		uint32_t host = peer % kLanHosts;
		m->data_off = RTE_PKTMBUF_HEADROOM;
		uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
		write_eth(d, kPortMac[kLan], lan_host_mac(host).data());
		write_ipv4_udp(d + kEth, inner_len_, lan_host_ip(host), tunnel_ip(peer), kInnerSrcPort, kInnerDstPort);
		set_len(m, len, port_id);
	}
	return uint64_t{len} * n;
}

} // namespace wayport::perf::wg
