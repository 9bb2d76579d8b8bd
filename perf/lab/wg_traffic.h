// Synthetic WireGuard traffic for wayport-perf --mode wg (the world is
// wg_world.h): any mbuf of the pool made into the next packet of a peer's
// tunnel, or of a LAN host to a peer.
//
// Transport packets are sealed here, one AEAD batch per call, each under a
// fresh counter of its peer: the worker decrypts in place, and its replay
// window refuses a counter it has seen, so a packet cannot be sent twice.
// The generator runs outside the forwarding lcore's busy cycles, so this
// costs the measured rate nothing; it halves what the lcore can offer in
// wall-clock time when the generator shares it (--generator inline).
//
// A queue's traffic names only the peers homed on its worker (peer p on
// worker p mod workers), as a NIC's flow steering by the outer addresses
// would bring them, so no packet is handed off between workers.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include <rte_mbuf.h>

#include "dataplane/crypto/aead_batch.h"

namespace wayport::perf::wg {

class WgTraffic {
public:
	// peers: the peers this queue's packets come from or go to; inner_len:
	// bytes of the inner IPv4/UDP packet, 28 to kMtu.
	WgTraffic(std::vector<uint32_t> peers, uint16_t inner_len, uint64_t seed);

	// pkts[0, n) become transport data from random peers' endpoints to the
	// WAN port's listen port, sealed; n <= AeadBatch::max_capacity.
	// Returns the frames' bytes.
	uint64_t from_peers(rte_mbuf **pkts, unsigned n, uint16_t port_id);
	// pkts[0, n) become frames from LAN hosts to random peers' tunnel
	// addresses, into the LAN port. Returns the frames' bytes.
	uint64_t from_lan(rte_mbuf **pkts, unsigned n, uint16_t port_id);

	uint16_t inner_len() const { return inner_len_; }
	// Frame lengths of the two directions' packets as generated.
	uint16_t peer_frame_len() const;
	uint16_t lan_frame_len() const;
	AeadEngine engine() const { return aead_.engine(); }

private:
	// An index into peers_, uniformly: xorshift32 scaled without a division.
	uint32_t next()
	{
		rng_ ^= rng_ << 13;
		rng_ ^= rng_ >> 17;
		rng_ ^= rng_ << 5;
		return static_cast<uint32_t>((uint64_t{rng_} * peers_.size()) >> 32);
	}
	// The inner IPv4/UDP header (and the zero padding) at ip.
	void write_inner(uint8_t *ip, uint32_t src, uint32_t dst) const;

	std::vector<uint32_t> peers_;
	std::vector<uint64_t> counter_;  // by index into peers_: the next send counter
	uint16_t inner_len_;
	uint16_t sealed_len_;
	uint32_t rng_;
	AeadBatch aead_;
	std::vector<std::array<uint8_t, 32>> keys_;  // by index into peers_: what it seals with
};

} // namespace wayport::perf::wg
