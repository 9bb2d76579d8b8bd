// The wg_input stage: WireGuard transport data to the listen port,
// decrypted in one batch per vector and turned back into the inner packet.
//
//   receiver index unknown                      -> drop unknown_index
//   keypair homed on another worker             -> handoff (untouched; aux = that worker)
//   keypair past REJECT_AFTER_TIME              -> drop keypair_expired
//   counter at REJECT_AFTER_MESSAGES or above   -> drop replayed
//   tag does not verify                         -> drop decrypt_failed
//   counter already seen or too old             -> drop replayed
//   --- authenticated: the peer's receive time, counters and (roaming) endpoint follow it
//   empty (a keepalive)                         -> consumed, counted per peer
//   not a whole IPv4/IPv6 packet                -> drop bad_inner_packet
//   inner source outside the peer's allowed IPs -> drop not_allowed_ip
//   to one of the node's tunnel addresses       -> to_host (inner packet)
//   anything else                               -> forwarded (inner packet)
//
// Inner packets leave with their outer headers and padding stripped (the
// mbuf's data starts at the inner IP header), a fresh PacketMeta from
// classify_inner (l3_offset 0), the ingress port kept and aux = the peer's
// slot, which the filter and NAT key on.
//
// The order of checks is the kernel's (receive.c): the replay window
// moves only for authenticated packets, and the endpoint follows any
// authenticated packet, even one whose inner source is then refused.
//
// Three passes, VPP's crypto shape: (1) read every receiver index and look
// them up in bulk; (2) one AEAD job per packet homed here, one run() for
// the vector; (3) check, count and strip. Vectors longer than the AEAD
// batch go in slices.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <rte_mbuf.h>

#include "dataplane/crypto/aead_batch.h"
#include "dataplane/packet/meta.h"
#include "dataplane/ports/port.h"
#include "dataplane/stages/output.h"
#include "dataplane/tables/prefix_table.h"
#include "dataplane/wireguard/data_peer.h"
#include "dataplane/wireguard/keypair_table.h"
#include "dataplane/worker/counters.h"

namespace wayport {

// What wg_input reads; shared by every worker.
struct WgInputShared {
	wireguard::KeypairTable *keypairs = nullptr;
	const PrefixTable *allowed_ips = nullptr;  // inner address -> peer slot
	wireguard::DataPeerTable *peers = nullptr;
	PortAddrs tunnel;                          // the node's own tunnel addresses
};

class WgInputStage {
public:
	// capacity: the most packets admitted between two finish() calls.
	WgInputStage(const WgInputShared &shared, unsigned worker, uint16_t capacity,
		     AeadEngine engine = AeadEngine::automatic);

	// A packet classify found to be transport data for the listen port
	// (payload at least a keepalive long), or one handed off to this worker.
	void admit(rte_mbuf *m) { in_[n_in_++] = m; }

	// The passes over what was admitted; now_tsc is the burst's time.
	void finish(uint64_t now_tsc, Output &out, WorkerCounters &c);

	// What finish() produced, valid until the next finish().
	std::span<rte_mbuf *const> forwarded() const { return {forwarded_.data(), n_forwarded_}; }
	std::span<rte_mbuf *const> to_host() const { return {to_host_.data(), n_to_host_}; }
	std::span<rte_mbuf *const> handoff() const { return {handoff_.data(), n_handoff_}; }

	AeadEngine engine() const { return aead_.engine(); }

private:
	void slice(rte_mbuf *const *pkts, uint16_t n, uint64_t now_tsc, Output &out);
	void deliver(rte_mbuf *m, wireguard::DataKeypair &kp, uint64_t now_tsc, Output &out);
	void roam(rte_mbuf *m, wireguard::DataPeer &peer);

	const WgInputShared &shared_;
	unsigned worker_;
	AeadBatch aead_;

	uint16_t n_in_ = 0;
	std::vector<rte_mbuf *> in_;
	// Per-slice scratch, by packet of the slice.
	std::vector<uint32_t> index_;
	std::vector<wireguard::DataKeypair *> keypair_;
	// By AEAD job: the packet and its counter.
	std::vector<rte_mbuf *> job_pkt_;
	std::vector<wireguard::DataKeypair *> job_keypair_;
	std::vector<uint64_t> job_counter_;

	std::vector<rte_mbuf *> forwarded_, to_host_, handoff_;
	uint16_t n_forwarded_ = 0, n_to_host_ = 0, n_handoff_ = 0;
};

} // namespace wayport
