// The exit node's NAT stages (docs/NAT.md): nat_out translates what a
// peer sends to the internet to the SNAT address, nat_in brings the
// answers back to the peer's inner address. One NatStage per worker holds
// both, over that worker's SessionTable.
//
// nat_out: an inner packet wg_input forwarded (data at the IP header,
// l3_offset 0, aux = the peer slot) whose destination is no peer's and
// not the node's.
//   the peer may not use the exit (exit.allow)          -> drop not_exit_peer
//   no SNAT address of the packet's family              -> drop no_snat_address
//   not a packet the NAT takes (translate.h's parse())  -> drop untranslatable
//   an ICMP error (from the inside, about an inbound flow):
//     its checksum or the quote's header checksum fails -> drop bad_icmp_checksum
//     quoting no live session                           -> drop unknown_flow
//     else: source to the SNAT address, the quote's destination to the
//     mapping's external endpoint                       -> out
//   an echo reply (the inside answers no one here)      -> drop no_session
//   the session table refuses (caps, ports, a TCP packet opening nothing)
//                                                       -> drop by NatDrop
//   else: source to SNAT:external, MSS clamped on SYNs  -> out
//
// nat_in: a packet classify found addressed to a SNAT address on the exit
// port that is not for the WireGuard listen port (data at Ethernet,
// l3_offset set; stripped here).
//   not a packet the NAT takes                          -> drop untranslatable
//   the external port is another worker's (PortPool's owner)
//                                                       -> handoff (aux = that worker)
//   an ICMP error: checksum checks as above; quoting no live session
//                                                       -> drop unknown_flow
//     else: destination to the inside address, the quote's source to the
//     inside endpoint                                   -> in
//   the session table refuses (no mapping, filtered)    -> drop by NatDrop
//   else: destination to the inside endpoint, MSS clamped on SYNs -> in
//
// out() goes to ip_out, marked meta_flags::translated (routed again by the
// FIB: the exit port's default route), in() to wg_output (looked up by the
// inner destination). The two parse
// drops the stage sees most are counted apart by ParseDrop in
// parse_drops(), which status shows beside untranslatable.
//
// Thread contract: one worker calls everything; the SessionTable is its
// own; NatShared's pools are shared (port_pool.h); exit_allowed is written
// by the control thread before a slot's allowed IPs are published, so a
// packet of a slot is never seen before its flag.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

#include <rte_mbuf.h>

#include "dataplane/nat/session_table.h"
#include "dataplane/nat/translate.h"
#include "dataplane/packet/meta.h"
#include "dataplane/stages/output.h"
#include "dataplane/worker/counters.h"

namespace wayport {

// What the NAT stages read; shared by every worker.
struct NatStageShared {
	nat::NatShared *nat = nullptr;
	uint16_t exit_port = UINT16_MAX;     // DPDK port id of exit.port
	// By worker: its session table, which only that worker touches.
	std::vector<nat::SessionTable *> tables;
	uint32_t peers = 0;                  // peer slots: exit_allowed's length
	bool has_snat4 = false, has_snat6 = false;
	AddrPort snat4, snat6;               // port 0
	uint16_t mss4 = 0, mss6 = 0;         // the tunnel MTU less IP and TCP headers
	// By peer slot: nonzero when the peer may use the exit.
	const std::atomic<uint8_t> *exit_allowed = nullptr;
};

class NatStage {
public:
	// capacity: the most packets admitted each way between two finish()
	// calls. shared.tables[worker] is this stage's.
	NatStage(const NatStageShared &shared, unsigned worker, uint16_t capacity);
	NatStage(const NatStage &) = delete;
	NatStage &operator=(const NatStage &) = delete;

	void admit_out(rte_mbuf *m) { out_in_[n_out_in_++] = m; }
	void admit_in(rte_mbuf *m) { in_in_[n_in_in_++] = m; }

	// Both passes over what was admitted; now is the burst's time, in the
	// unit of the table's timeouts (TSC cycles on a worker).
	void finish(uint64_t now, Output &out, WorkerCounters &c);
	// Bounded expiry: budget entries looked at per call.
	size_t expire(uint64_t now, uint32_t budget) { return table_->expire(now, budget); }

	// What finish() produced, valid until the next finish().
	std::span<rte_mbuf *const> out() const { return {out_.data(), n_out_}; }
	std::span<rte_mbuf *const> in() const { return {in_.data(), n_in_}; }
	std::span<rte_mbuf *const> handoff() const { return {handoff_.data(), n_handoff_}; }

	const nat::SessionTable &table() const { return *table_; }
	uint64_t parse_drops(nat::ParseDrop d) const { return parse_drops_[static_cast<size_t>(d)]; }

private:
	void translate_out(rte_mbuf *m, uint64_t now, Output &out);
	void translate_in(rte_mbuf *m, uint64_t now, Output &out);
	bool parse_packet(rte_mbuf *m, nat::NatPacket &p, Output &out);
	const AddrPort *snat(bool v4) const;
	void emit_out(rte_mbuf *m);

	const NatStageShared &shared_;
	unsigned worker_;
	nat::SessionTable *table_;
	uint64_t parse_drops_[static_cast<size_t>(nat::ParseDrop::count)] = {};

	std::vector<rte_mbuf *> out_in_, in_in_;
	uint16_t n_out_in_ = 0, n_in_in_ = 0;
	std::vector<rte_mbuf *> out_, in_, handoff_;
	uint16_t n_out_ = 0, n_in_ = 0, n_handoff_ = 0;
};

} // namespace wayport
