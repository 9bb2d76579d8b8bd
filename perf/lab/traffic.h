// Synthetic relay traffic for the perf lab: frame templates and the
// per-packet stamp that turns any mbuf of the pool into a valid packet from
// a bound client.
//
// The lab's world: port 0 faces the "A" clients, port 1 the "B" clients.
// Endpoint i (VNI i + 1) has leg 0 = A client i and leg 1 = B client i, so
// the relay forwards what arrives on port 0 out of port 1 and back. A
// forwarded packet is re-stamped (a 58-byte template copy and a few field
// writes) as the next packet of a client on the side it left by, so mbufs
// circulate without allocation and every lookup can hit another endpoint.
//
// Only the first 58 bytes of a frame are ever written after the pool is
// zeroed, so the rest of the payload stays zero and the UDP checksum can
// be summed over the header fields alone.
#pragma once

#include <cstdint>
#include <vector>

#include <rte_mbuf.h>

#include "dataplane/wire/addr.h"

namespace wayport::perf {

inline constexpr uint16_t kRelayPort = 7777;
inline constexpr uint16_t kClientPort = 41641;
inline constexpr unsigned kSides = 2;
// Ethernet + IPv4 + UDP, then the Geneve header, then the TSC stamp in the
// first WireGuard bytes: the relay forwards both unchanged.
inline constexpr uint16_t kPayloadOffset = 14 + 20 + 8;
inline constexpr uint16_t kStampOffset = kPayloadOffset + 8;
inline constexpr uint16_t kHeaderBytes = kStampOffset + 8;
// The frame sizes the options name include the 4-byte FCS a NIC adds.
inline constexpr uint16_t kFcs = 4;

// What one generated packet is. Everything but data and handshake is
// garbage the worker must drop, each for a different reason.
enum class Kind : uint8_t {
	data,
	handshake,      // Geneve control bit: punted to the control thread
	malformed,      // IPv4 total length past the frame
	short_payload,  // UDP payload shorter than a Geneve header
	unknown_vni,    // a VNI no endpoint has
	wrong_source,   // a bound VNI from a port that is not its leg
	wrong_port,     // UDP to another port of the relay's address
};

struct Addressing {
	uint8_t relay_mac[kSides][6];   // the ports' own MACs
	uint8_t router_mac[kSides][6];  // the clients' next hop, in NeighbourSlots
	uint8_t relay_ip[kSides][4];    // the ports' own IPv4 addresses
};

// Documentation prefixes and locally administered MACs.
Addressing default_addressing();

// Client i's IPv4 address on a side, host byte order.
inline uint32_t client_ip(unsigned side, uint32_t endpoint)
{
	return (side ? 0x0a800000u : 0x0a400000u) + endpoint;
}
AddrPort client_leg(unsigned side, uint32_t endpoint);

class Traffic {
public:
	// frame_sizes: the sizes (with FCS) to cycle through, e.g. {64} or
	// IMIX; endpoints: VNIs 1..endpoints are bound; mix: kinds of a 1024
	// packet cycle, built by make_mix().
	Traffic(const Addressing &a, std::vector<uint16_t> frame_sizes, uint32_t endpoints, std::vector<Kind> mix,
		uint64_t seed);

	// Makes m the next packet of a client on side, into port port_id,
	// stamped with tsc. Returns its length.
	uint16_t stamp(rte_mbuf *m, unsigned side, uint16_t port_id, uint64_t tsc)
	{
		Kind k = mix_[mix_pos_++ & (mix_.size() - 1)];
		// No division per packet: the size cycle is short.
		if (++size_pos_ == sizes_.size())
			size_pos_ = 0;
		uint16_t len = sizes_[size_pos_];
		m->data_off = RTE_PKTMBUF_HEADROOM;
		write(rte_pktmbuf_mtod(m, uint8_t *), tmpl(side, size_pos_), next_endpoint(), k, tsc);
		m->data_len = len;
		m->pkt_len = len;
		m->ol_flags = 0;
		m->port = port_id;
		return len;
	}

	static uint64_t read_stamp(const rte_mbuf *m);

private:
	uint32_t next_endpoint()
	{
		// xorshift32, scaled to [0, endpoints) without a division.
		rng_ ^= rng_ << 13;
		rng_ ^= rng_ >> 17;
		rng_ ^= rng_ << 5;
		return static_cast<uint32_t>((uint64_t{rng_} * endpoints_) >> 32);
	}
	struct Template {
		alignas(64) uint8_t bytes[kHeaderBytes];
		uint32_t ip_sum;   // IPv4 header words but the source address
		uint32_t udp_sum;  // pseudo-header and UDP words that never change
		unsigned side;
	};
	void write(uint8_t *d, const Template &t, uint32_t endpoint, Kind k, uint64_t tsc) const;

	Template &tmpl(unsigned side, unsigned size_index) { return templates_[size_index * kSides + side]; }

	std::vector<uint16_t> sizes_;  // frame lengths without FCS
	std::vector<Template> templates_;
	std::vector<Kind> mix_;        // power-of-two length
	uint32_t endpoints_;
	uint32_t rng_;
	uint32_t mix_pos_ = 0;
	size_t size_pos_ = 0;
};

// A shuffled 1024-packet cycle: share of the packets (0..1) are of the
// given kinds in turn, the rest data.
std::vector<Kind> make_mix(double share, const std::vector<Kind> &kinds, uint64_t seed);
std::vector<Kind> garbage_kinds();

// Zeroes the data room of every mbuf in the pool, once, so frames need
// only their headers written.
void zero_pool(rte_mempool *pool);

} // namespace wayport::perf
