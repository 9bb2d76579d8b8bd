// The ip_out stage: IP packets with no link-layer header leave by the FIB's
// port toward its next hop, in an Ethernet frame.
//
// Two ways in, both with the mbuf's data at the IP header:
// - admit(): a packet forwarded out of the tunnel (wg_input's forwarded
//   vector: PacketMeta from classify_inner, l3_offset 0, aux = peer slot).
//   It is routed here, and its TTL / hop limit counts the hop.
// - admit_local(): a packet this node built (wg_output's outer UDP),
//   whose next hop the caller looked up already. No TTL change.
// A packet nat_out translated comes back through admit() with
// meta_flags::translated: routed again, its hop not counted twice.
//
//   TTL / hop limit <= 1 (forwarded only)   -> control, PuntReason::ttl_exceeded
//   no route (or an invalid next-hop id)    -> drop no_route
//   forwarded out of the exit port, and neither translated nor injected
//                                           -> to_nat (nat_out; aux still the peer slot)
//   neighbour unknown or not resolved       -> control, PuntReason::ip_unresolved
//   ... and it came back from the control thread already (injected)
//                                           -> drop no_neighbour
//   no headroom for the Ethernet header     -> drop no_headroom
//   anything else                           -> tx on the next hop's port
//
// What the control thread gets:
// - ttl_exceeded: the packet as it arrived (no Ethernet header, TTL not
//   decremented), aux still the peer slot. It answers with ICMP Time
//   Exceeded (controlplane/host/icmp_error.h) back into the tunnel.
// - ip_unresolved: the packet with its TTL already decremented (no Ethernet
//   header), tx_port = the egress port, aux = the neighbour slot, or
//   kUnknownSlot when the NeighbourIndex has no entry for the neighbour
//   yet. The control thread finds the neighbour's address again (the
//   destination, or the gateway of the Fib's next hop for it: it is the
//   Fib's writer), creates the neighbour if it has none (a slot, a
//   NeighbourIndex entry, a probe), holds the packet, and once resolved
//   hands it back through the worker's inject ring to admit() with
//   meta_flags::injected set. admit() skips the TTL step for injected
//   packets: every packet ip_out punts as unresolved has had its TTL
//   counted, or (admit_local) needs none. So the packet is routed again,
//   and if its neighbour is still unresolved it is dropped, never punted
//   twice.
//
// Not done: the egress MTU. A packet longer than the port's MTU is handed
// to the NIC as it is (no fragmentation, no ICMP Packet Too Big).
//
// One pass per step over the vector, with no locks, allocation, system
// calls or exceptions: (1) TTL, and every destination gathered for (2)
// the FIB's bulk lookups by family; (3) neighbour, MAC, Ethernet header,
// TX.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "dataplane/ports/port.h"
#include "dataplane/stages/output.h"
#include "dataplane/tables/fib.h"
#include "dataplane/tables/neighbour_index.h"
#include "dataplane/tables/neighbour_slots.h"
#include "dataplane/worker/counters.h"

namespace wayport {

// What ip_out reads; shared by every worker, the same tables' thread
// contracts (fib.h, neighbour_index.h, neighbour_slots.h).
struct IpOutShared {
	const Fib *fib = nullptr;
	const NeighbourIndex *neighbours = nullptr;
	const NeighbourSlots *slots = nullptr;
	const std::vector<EgressPort> *ports = nullptr;  // by DPDK port id: the source MAC
	// The exit's port: what the tunnel sends out of it goes through the
	// NAT first. UINT16_MAX: no exit.
	uint16_t exit_port = UINT16_MAX;
};

class IpOutStage {
public:
	// PacketMeta::aux of an unresolved punt whose neighbour has no slot yet.
	static constexpr uint32_t kUnknownSlot = NeighbourIndex::kNone;

	// capacity: the most packets admitted between two finish() calls.
	IpOutStage(const IpOutShared &shared, unsigned worker, uint16_t capacity);

	// The IP header and the line the Ethernet header goes into are fetched
	// while the caller admits the rest of the vector.
	void admit(rte_mbuf *m) { add(m, kRouteHere, false); }
	// next_hop: the Fib id the caller looked up for m's destination.
	void admit_local(rte_mbuf *m, uint32_t next_hop) { add(m, next_hop, true); }

	// The passes over what was admitted; every packet leaves through out,
	// or through to_nat().
	void finish(Output &out, WorkerCounters &c);
	// What finish() kept for nat_out, valid until the next finish().
	std::span<rte_mbuf *const> to_nat() const { return {to_nat_.data(), n_to_nat_}; }

	unsigned worker() const { return worker_; }

private:
	// hop_ of an admitted packet before its lookup (local_ tells the two
	// ways in apart, so no id is taken from admit_local's range).
	static constexpr uint32_t kRouteHere = Fib::kNoMatch;

	void add(rte_mbuf *m, uint32_t hop, bool local)
	{
		auto *ip = rte_pktmbuf_mtod(m, const uint8_t *);
		rte_prefetch0(ip);
		rte_prefetch0(ip - RTE_ETHER_HDR_LEN);
		in_[n_in_] = m;
		hop_[n_in_] = hop;
		local_[n_in_++] = local;
	}
	void count_hop(Output &out);
	void route();
	void send(rte_mbuf *m, uint32_t hop, bool local, Output &out);

	const IpOutShared &shared_;
	unsigned worker_;

	uint16_t n_in_ = 0;
	std::vector<rte_mbuf *> in_;   // null once punted by the TTL pass
	std::vector<uint32_t> hop_;    // by packet: its next-hop id, or kRouteHere
	std::vector<uint8_t> local_;   // by packet: 1 when admitted by admit_local
	// Destinations of the packets to route, by family (IPv4 in host order,
	// as rte_lpm takes them), where each one's packet is in in_, and the
	// ids found.
	std::vector<uint32_t> dst4_;
	std::vector<uint16_t> at4_;
	std::vector<uint8_t> dst6_;  // 16 bytes a packet
	std::vector<uint16_t> at6_;
	std::vector<uint32_t> found_;
	uint16_t n4_ = 0, n6_ = 0;
	std::vector<rte_mbuf *> to_nat_;
	uint16_t n_to_nat_ = 0;
};

} // namespace wayport
