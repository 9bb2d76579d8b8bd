// The relay stage: Tailscale peer relay data forwarding (spec §3.8) over a
// vector of UDP packets classify sent to the relay port.
//
// One forwarding routine for every relay packet: those just received and
// those the control thread held while their next hop resolved and hands
// back over the worker's inject ring (PacketMeta::flags has `injected`).
//
//   STUN binding request          -> control (stun)
//   naked disco                   -> control (disco)
//   Geneve with the control bit   -> control (relay_control)
//   Geneve data, both legs bound, from one of them, next hop known
//                                 -> tx, outer headers rewritten toward the other leg
//   next hop not resolved yet     -> control (unresolved; aux = neighbour slot),
//                                    or drop (no_neighbour) if it already came back once
//   anything else                 -> drop, with its RelayDrop reason
#pragma once

#include <cstdint>
#include <vector>

#include <rte_mbuf.h>

#include "dataplane/packet/meta.h"
#include "dataplane/packet/udp_view.h"
#include "dataplane/packet/rewrite.h"
#include "dataplane/tables/neighbour_slots.h"
#include "dataplane/tables/relay_table.h"

namespace wayport {

enum class RelayDrop : uint8_t {
	short_payload,    // UDP payload shorter than a Geneve header, and not STUN or disco
	unknown_vni,      // no endpoint has this VNI
	entry_busy,       // the control thread was rewriting the endpoint's entry
	not_bound,        // the endpoint does not have both legs bound
	source_mismatch,  // the source is neither bound leg
	no_route,         // the egress port has no address of the leg's family, or no headroom
	no_neighbour,     // held for its next hop, handed back, and still unresolved
	count
};

const char *to_string(RelayDrop r);

// What the relay stage reads; shared by every worker, read-only to them.
struct RelayShared {
	RelayTable *table = nullptr;
	const NeighbourSlots *neighbours = nullptr;
	const std::vector<EgressPort> *ports = nullptr;  // indexed by DPDK port id
	uint16_t udp_port = 0;                            // the relay's source port on egress
};

class Output;
struct WorkerCounters;

// One worker's relay stage; its scratch holds one burst.
class RelayStage {
public:
	RelayStage(const RelayShared &shared, unsigned worker, uint16_t capacity);

	// Forwards, punts or drops every packet of pkts[0, n), n <= capacity,
	// in three passes: classify the payload and prefetch each data
	// packet's entry and activity line; copy the entries; forward.
	void run(rte_mbuf *const *pkts, uint16_t n, Output &out, WorkerCounters &c);

private:
	void forward(rte_mbuf *m, const ParsedUdp &in, EntryRead found, const RelayEntry &e, uint64_t tsc, Output &out,
		     WorkerCounters &c);

	const RelayShared &shared_;
	unsigned worker_;
	// Per-burst scratch, by data packet.
	std::vector<rte_mbuf *> data_;
	std::vector<ParsedUdp> view_;
	std::vector<uint32_t> vni_;
	std::vector<EntryRead> found_;
	std::vector<RelayEntry> entry_;  // copies, valid where found_ says so
};

// The relay stage's view of a packet, rebuilt from PacketMeta and the IP
// header: both addresses with ports, as leg matching and the rewrite need.
// Written in place: a ParsedUdp returned by value is stored field by field
// and then copied in wide loads, which stall on store forwarding (measured:
// a quarter of the relay stage's cycles).
inline void relay_view(const rte_mbuf *m, const PacketMeta &pm, ParsedUdp &v)
{
	read_addrs(m, pm, v.src, v.dst);
	v.l3_offset = pm.l3_offset;
	v.payload_offset = pm.payload_offset;
	v.payload_len = pm.payload_len;
	v.udp_checksum = pm.l4_checksum;
}

} // namespace wayport
