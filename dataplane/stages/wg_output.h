// The wg_output stage: inner IP packets for a WireGuard peer, encrypted in
// one batch per vector and sent to the peer's endpoint in outer IPv4 or
// IPv6 + UDP from the listen port.
//
//   destination in no peer's allowed IPs        -> drop no_peer
//   (admit_if_peer: not admitted, for the caller to route elsewhere)
//   handed back for a peer since removed        -> drop removed_peer (admit_for_peer:
//                                                  the slot's generation moved on)
//   the peer is homed on another worker         -> handoff (untouched; aux = that worker)
//   longer than the tunnel MTU                  -> drop too_big
//   TTL / hop limit <= 1                        -> control (ttl_exceeded), as bare IP
//   --- the hop counted: TTL / hop limit minus one (not again for an injected packet)
//   no usable send keypair (none, past REJECT_AFTER_TIME or REJECT_AFTER_MESSAGES)
//   ... for a keepalive                         -> drop keepalive_unkeyed
//                                               -> control (wg_staged; aux = peer slot,
//                                                  peer_gen = its generation), a
//                                                  handshake asked for; or drop staging_full
//                                                  when kMaxStaged are on their way already
//   no endpoint known                           -> drop no_endpoint
//   the endpoint is being rewritten             -> drop endpoint_busy
//   no route to the endpoint                    -> drop no_endpoint_route
//   no headroom or tailroom for the headers,
//   padding and tag                             -> drop no_room
//   --- sent: a nonce taken from the keypair's counter, padded, sealed
//   sent under a keypair due for a rekey        -> also asks for a handshake
//   sealed                                      -> sealed (outer packet; aux = next hop)
//
// Staged and ttl_exceeded punts carry the bare inner packet (l3_offset 0,
// aux = the peer slot). The control thread hands staged packets back
// through the worker's inject ring with meta_flags::injected set once the
// peer has a keypair; their hop was counted before they were staged.
//
// Keepalives: the control thread asks for one (passive, persistent, or an
// initiator's first after its handshake) by handing back an empty mbuf
// (l3 none, data length 0) through admit_for_peer. It is sealed as an
// empty plaintext under the current keypair, which takes its nonce from
// the same counter as data, and counts as sent but not as data sent.
//
// Sealed packets leave with data at the outer IP header (no Ethernet: ip_out
// adds it for the next hop in aux) and the TX offload fields set for it.
//
// Nonces. A keypair's send counter has one writer, the worker named by the
// peer's home_worker, which is the keypair's home worker too (the control
// thread makes them agree); packets for the peer that arrive elsewhere are
// handed off to it. So no counter is ever used twice, with no atomics on
// the per-packet path.
//
// Padding. The plaintext is padded with zeros to a multiple of 16, but
// never past the MTU (whitepaper §5.4.6; the kernel's
// calculate_skb_padding). A packet above the MTU is dropped here rather
// than fragmented inside the tunnel.
//
// UDP checksums: offloaded when the port can; otherwise zero for IPv4
// (RFC 768 lets a sender omit it, and the AEAD tag already covers the
// payload) and computed in software for IPv6, which requires one.
//
// Three passes, as wg_input: (1) admit: the allowed-IPs lookup per packet;
// (2) per packet, the peer's keypair and endpoint, the headers and one
// AEAD job, then one run() for the vector; (3) the UDP checksums that
// need the ciphertext, the peer's counters. Vectors longer than the AEAD
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
#include "dataplane/tables/fib.h"
#include "dataplane/tables/prefix_table.h"
#include "dataplane/wireguard/data_peer.h"
#include "dataplane/wireguard/keypair_table.h"
#include "dataplane/worker/counters.h"

namespace wayport {

// What wg_output reads; shared by every worker.
struct WgOutputShared {
	const PrefixTable *allowed_ips = nullptr;  // inner address -> peer slot
	wireguard::DataPeerTable *peers = nullptr;
	const Fib *fib = nullptr;                   // the endpoint's route
	const std::vector<EgressPort> *ports = nullptr;  // by DPDK port id: the outer source address
	uint16_t listen_port = 0;
	uint16_t mtu = 1420;                        // the tunnel's inner MTU
};

class WgOutputStage {
public:
	// capacity: the most packets admitted between two finish() calls.
	WgOutputStage(const WgOutputShared &shared, unsigned worker, uint16_t capacity,
		      AeadEngine engine = AeadEngine::automatic);

	// An IPv4/IPv6 packet classify (or wg_input) parsed, with pm.l3_offset
	// at its IP header; anything before that (Ethernet) is stripped here.
	// Packets handed off from another worker come through here too, and
	// are looked up again by their destination (the control thread injects
	// staged packets and keepalives to the peer's home worker, so only a
	// peer's change of home sends one of those elsewhere: a keepalive then
	// drops as no_peer).
	void admit(rte_mbuf *m);
	// The same, when the destination is in some peer's allowed IPs; false
	// (and nothing done) when it is in none.
	bool admit_if_peer(rte_mbuf *m);
	// A packet for a peer known already: one the control thread staged, or
	// a keepalive, handed back with aux = the peer slot and peer_gen its
	// generation; dropped as removed_peer when the slot has moved on since.
	void admit_for_peer(rte_mbuf *m, uint32_t slot, Output &out);

	// The passes over what was admitted; now_tsc is the burst's time.
	void finish(uint64_t now_tsc, Output &out, WorkerCounters &c);

	// What finish() produced, valid until the next finish().
	std::span<rte_mbuf *const> sealed() const { return {sealed_.data(), n_sealed_}; }
	std::span<rte_mbuf *const> handoff() const { return {handoff_.data(), n_handoff_}; }

	AeadEngine engine() const { return aead_.engine(); }

private:
	void slice(rte_mbuf *const *pkts, uint16_t n, uint64_t now_tsc, Output &out);
	// Pass 2 for one packet: false when it was dropped, punted or handed off.
	bool seal(rte_mbuf *m, uint64_t now_tsc, Output &out);
	void stage(rte_mbuf *m, wireguard::DataPeer &peer, Output &out);
	// The peer slot whose allowed IPs hold m's destination, or kNoMatch.
	uint32_t owner(const rte_mbuf *m) const;
	void add(rte_mbuf *m, uint32_t slot);

	const WgOutputShared &shared_;
	unsigned worker_;
	AeadBatch aead_;

	uint16_t n_in_ = 0;
	std::vector<rte_mbuf *> in_;
	std::vector<uint32_t> peer_of_;  // by admitted packet: its peer slot, or kNoMatch
	// By AEAD job.
	std::vector<rte_mbuf *> job_pkt_;
	std::vector<uint32_t> job_peer_;

	std::vector<rte_mbuf *> sealed_, handoff_;
	uint16_t n_sealed_ = 0, n_handoff_ = 0;
};

} // namespace wayport
