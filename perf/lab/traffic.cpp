#include "perf/lab/traffic.h"

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mempool.h>

#include <algorithm>
#include <cstring>
#include <random>

namespace wayport::perf {

namespace {

constexpr uint16_t kIpOffset = 14;
constexpr uint16_t kSrcIpOffset = kIpOffset + 12;
constexpr uint16_t kUdpOffset = kIpOffset + 20;
constexpr uint16_t kGeneveFlagsOffset = kPayloadOffset + 1;
constexpr uint16_t kVniOffset = kPayloadOffset + 4;

// One's complement sum of native 16-bit words: the byte order of the words
// does not matter as long as the result is stored the same way (RFC 1071).
uint32_t sum16(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < len; i += 2) {
		uint16_t w;
		std::memcpy(&w, p + i, 2);
		sum += w;
	}
	return sum;
}

uint16_t fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return static_cast<uint16_t>(sum);
}

void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = static_cast<uint8_t>(v >> 8);
	p[1] = static_cast<uint8_t>(v);
}

void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, static_cast<uint16_t>(v >> 16));
	put_be16(p + 2, static_cast<uint16_t>(v));
}

} // namespace

Addressing default_addressing()
{
	return {
		.relay_mac = {{0x02, 0x77, 0, 0, 0, 0x00}, {0x02, 0x77, 0, 0, 0, 0x01}},
		.router_mac = {{0x02, 0x0a, 0, 0, 0, 0x01}, {0x02, 0x0b, 0, 0, 0, 0x01}},
		.relay_ip = {{192, 0, 2, 1}, {198, 51, 100, 1}},
	};
}

AddrPort client_leg(unsigned side, uint32_t endpoint)
{
	uint8_t ip[4];
	put_be32(ip, client_ip(side, endpoint));
	return AddrPort::v4(ip, kClientPort);
}

Traffic::Traffic(const Addressing &a, std::vector<uint16_t> frame_sizes, uint32_t endpoints, std::vector<Kind> mix,
		 uint64_t seed)
	: mix_(std::move(mix)), endpoints_(endpoints), rng_(static_cast<uint32_t>(seed | 1))
{
	for (uint16_t size : frame_sizes)
		sizes_.push_back(static_cast<uint16_t>(size - kFcs));
	templates_.resize(sizes_.size() * kSides);
	for (size_t s = 0; s < sizes_.size(); s++) {
		uint16_t udp_len = static_cast<uint16_t>(sizes_[s] - kUdpOffset);
		for (unsigned side = 0; side < kSides; side++) {
			Template &t = tmpl(side, static_cast<unsigned>(s));
			t.side = side;
			uint8_t *d = t.bytes;
			std::memset(d, 0, sizeof(t.bytes));
			std::memcpy(d, a.relay_mac[side], 6);
			std::memcpy(d + 6, a.router_mac[side], 6);
			put_be16(d + 12, RTE_ETHER_TYPE_IPV4);
			uint8_t *ip = d + kIpOffset;
			ip[0] = 0x45;
			put_be16(ip + 2, static_cast<uint16_t>(20 + udp_len));
			put_be16(ip + 6, 0x4000);  // DF, as WireGuard sends
			ip[8] = 64;
			ip[9] = IPPROTO_UDP;
			std::memcpy(ip + 16, a.relay_ip[side], 4);
			t.ip_sum = sum16(ip, 20);
			uint8_t *udp = d + kUdpOffset;
			put_be16(udp + 2, kRelayPort);
			put_be16(udp + 4, udp_len);
			uint8_t pseudo[8] = {};
			std::memcpy(pseudo, a.relay_ip[side], 4);
			pseudo[5] = IPPROTO_UDP;
			put_be16(pseudo + 6, udp_len);
			t.udp_sum = sum16(pseudo, sizeof(pseudo)) + sum16(udp, 8);
			uint8_t *geneve = d + kPayloadOffset;
			put_be16(geneve + 2, 0x7a12);  // data, WireGuard
		}
	}
	if (mix_.empty())
		mix_.assign(1, Kind::data);
}

void Traffic::write(uint8_t *d, const Template &t, uint32_t endpoint, Kind k, uint64_t tsc) const
{
	std::memcpy(d, t.bytes, kHeaderBytes);
	uint32_t vni = endpoint + 1;
	uint16_t sport = kClientPort;
	switch (k) {
	case Kind::data:
	case Kind::malformed:
	case Kind::short_payload:
		break;
	case Kind::handshake:
		d[kGeneveFlagsOffset] = 0x80;
		put_be16(d + kPayloadOffset + 2, 0x7a11);  // disco
		break;
	case Kind::unknown_vni:
		vni = endpoints_ + 1;
		break;
	case Kind::wrong_source:
		sport = kClientPort + 1;
		break;
	case Kind::wrong_port:
		put_be16(d + kUdpOffset + 2, kRelayPort + 1);
		break;
	}
	put_be32(d + kSrcIpOffset, client_ip(t.side, endpoint));
	put_be16(d + kUdpOffset, sport);
	put_be32(d + kVniOffset, vni << 8);
	std::memcpy(d + kStampOffset, &tsc, sizeof(tsc));

	uint16_t ip_check = static_cast<uint16_t>(~fold(t.ip_sum + sum16(d + kSrcIpOffset, 4)));
	std::memcpy(d + kIpOffset + 10, &ip_check, 2);
	uint32_t udp = t.udp_sum + sum16(d + kSrcIpOffset, 4) + sum16(d + kUdpOffset, 2) +
		       sum16(d + kPayloadOffset, kHeaderBytes - kPayloadOffset);
	uint16_t udp_check = static_cast<uint16_t>(~fold(udp));
	if (udp_check == 0)
		udp_check = 0xffff;
	std::memcpy(d + kUdpOffset + 6, &udp_check, 2);

	// Garbage after the checksums: the worker drops these before looking
	// at them, and a real sender of such packets would not fix them up.
	if (k == Kind::malformed)
		put_be16(d + kIpOffset + 2, 0xfff0);
	else if (k == Kind::short_payload)
		put_be16(d + kUdpOffset + 4, 8 + 4);
}

uint64_t Traffic::read_stamp(const rte_mbuf *m)
{
	uint64_t tsc;
	std::memcpy(&tsc, rte_pktmbuf_mtod_offset(m, const uint8_t *, kStampOffset), sizeof(tsc));
	return tsc;
}

std::vector<Kind> make_mix(double share, const std::vector<Kind> &kinds, uint64_t seed)
{
	constexpr size_t kCycle = 1024;
	std::vector<Kind> mix(kCycle, Kind::data);
	size_t odd = kinds.empty() ? 0 : static_cast<size_t>(share * kCycle + 0.5);
	for (size_t i = 0; i < odd; i++)
		mix[i] = kinds[i % kinds.size()];
	std::mt19937_64 rng(seed);
	std::shuffle(mix.begin(), mix.end(), rng);
	return mix;
}

std::vector<Kind> garbage_kinds()
{
	return {Kind::malformed, Kind::short_payload, Kind::unknown_vni, Kind::wrong_source, Kind::wrong_port};
}

void zero_pool(rte_mempool *pool)
{
	rte_mempool_obj_iter(
		pool,
		[](rte_mempool *, void *, void *obj, unsigned) {
			auto *m = static_cast<rte_mbuf *>(obj);
			std::memset(static_cast<uint8_t *>(m->buf_addr) + m->data_off, 0, m->buf_len - m->data_off);
		},
		nullptr);
}

} // namespace wayport::perf
