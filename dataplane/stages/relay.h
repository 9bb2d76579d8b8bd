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
#include "dataplane/stages/drops.h"
#include "dataplane/stages/output.h"
#include "dataplane/tables/neighbour_slots.h"
#include "dataplane/tables/relay_table.h"
#include "dataplane/wire/classify.h"

namespace wayport {

// What the relay stage reads; shared by every worker, read-only to them.
struct RelayShared {
	RelayTable *table = nullptr;
	const NeighbourSlots *neighbours = nullptr;
	const std::vector<EgressPort> *ports = nullptr;  // indexed by DPDK port id
	uint16_t udp_port = 0;                            // the relay's source port on egress
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

// One worker's relay stage; its scratch holds one burst.
//
// Three passes over the stage's vector: (1) admit: classify the payload,
// send control packets on, and start fetching each data packet's table
// entry; (2) copy the entries and start fetching the activity lines;
// (3) forward. Pass 1 is per packet and needs nothing from the others, so
// the worker runs it inside classify's loop, packet by packet, while
// classify's own work spaces the entry prefetches apart; as a loop of its
// own it was little more than back-to-back prefetches, and a third of its
// samples waited on them (docs/PERFORMANCE.md). finish() runs passes 2-3.
class RelayStage {
public:
	RelayStage(const RelayShared &shared, unsigned worker, uint16_t capacity);

	// Pass 1 for one packet classify sent here (or one handed back with
	// next = relay). At most capacity packets between two finish() calls.
	void admit(rte_mbuf *m, Output &out)
	{
		n_admitted_++;
		const PacketMeta &pm = meta(m);
		ByteSpan payload(rte_pktmbuf_mtod_offset(m, const uint8_t *, pm.payload_offset), pm.payload_len);
		PayloadInfo info = classify_payload(payload);
		switch (info.relay) {
		case RelayView::stun_binding:
			out.punt(m, PuntReason::stun);
			return;
		case RelayView::disco:
			out.punt(m, PuntReason::disco);
			return;
		case RelayView::too_short:
			out.drop(m, RelayDrop::short_payload);
			return;
		case RelayView::geneve_control:
			out.punt(m, PuntReason::relay_control);
			return;
		case RelayView::geneve_data:
			break;
		}
		data_[nd_] = m;
		relay_view(m, pm, view_[nd_]);
		vni_[nd_] = info.geneve.vni;
		shared_.table->prefetch(info.geneve.vni);
		nd_++;
	}

	// Passes 2 and 3 over what was admitted since the last finish().
	void finish(Output &out, WorkerCounters &c);

	// The whole stage over pkts[0, n), n <= capacity: admit each, finish.
	void run(rte_mbuf *const *pkts, uint16_t n, Output &out, WorkerCounters &c)
	{
		for (uint16_t i = 0; i < n; i++)
			admit(pkts[i], out);
		finish(out, c);
	}

private:
	void forward(rte_mbuf *m, const ParsedUdp &in, EntryRead found, const RelayEntry &e, uint64_t tsc, Output &out,
		     WorkerCounters &c);

	const RelayShared &shared_;
	unsigned worker_;
	uint16_t n_admitted_ = 0;  // since the last finish(), for the stage counter
	uint16_t nd_ = 0;          // data packets admitted since the last finish()
	// Per-burst scratch, by data packet.
	std::vector<rte_mbuf *> data_;
	std::vector<ParsedUdp> view_;
	std::vector<uint32_t> vni_;
	std::vector<EntryRead> found_;
	std::vector<RelayEntry> entry_;  // copies, valid where found_ says so
};

} // namespace wayport
