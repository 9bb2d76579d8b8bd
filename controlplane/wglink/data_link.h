// The control thread's link between a Device in external data-path mode
// and the workers' tables (issue 12): it applies the Device's events to the
// KeypairTable and the DataPeerTable, and turns what the workers did
// (DataPeer's flags, counters and times) back into Device calls.
//
//   Device event        -> tables
//   KeypairAdded        -> a DataKeypair published (keys copied, deadlines
//                          in TSC); an initiator's is the send keypair at once
//   KeypairConfirmed    -> the responder's keypair becomes the send keypair
//   KeypairRetired      -> send keypair cleared first if it is that one, then
//                          retired from the table (zeroed after the grace period)
//   EndpointLearned     -> DataPeer::endpoint
//   HandshakeStarted    -> DataPeer::staged_in_flight = 0 (data_peer.h says why)
//
//   workers (poll)      -> Device
//   wants_handshake     -> initiate()
//   counters and times  -> data_path_activity(), a next keypair that has
//                          received confirming it
//   a roamed endpoint   -> set_endpoint()
//
// Peer slots: the caller gives each peer its slot (tunnel/slot_pool.h) and
// the link maps the Device's PeerIds, which are never reused, to it; home
// worker = slot % workers. Events and activity of a PeerId the link no
// longer has (a peer removed while a handshake thread worked on it) find no
// slot and are dropped, so a reused slot never sees its last peer's.
//
// Thread contract: one thread (the control thread) makes every call; it is
// the KeypairTable's one writer and the writer of DataPeer's control-side
// fields, per data_peer.h. Outputs made on other threads (the handshake
// pool) are handed to apply() on this thread; their events may come out of
// order across Outputs, so each peer's are applied in `seq` order and any
// that arrive early wait here for the ones before them.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include "controlplane/wglink/tsc_clock.h"
#include "controlplane/wireguard/device.h"
#include "dataplane/wireguard/data_peer.h"
#include "dataplane/wireguard/keypair_table.h"

namespace wayport::wireguard {

// Why an event or a peer went nowhere. Every one is counted.
enum class LinkDrop : uint8_t {
	unknown_peer,       // an event for a PeerId the link does not have (never added, or removed)
	publish_failed,     // the KeypairTable refused a keypair (full, duplicate): its data goes unanswered
	unknown_keypair,    // confirmed or retired: an index this link never published
	count
};

const char *to_string(LinkDrop d);

class DataLink {
public:
	// Every reference must outlive the link. workers > 0.
	DataLink(Device &device, DataPeerTable &peers, KeypairTable &keypairs, const TscClock &clock,
		 uint16_t workers);

	// The peer takes slot: its DataPeer starts afresh (counters and times
	// zero, the configured endpoint or none, roaming, home worker) and its
	// generation becomes odd. false when slot is outside the table or held,
	// or id is added already. The slot must have passed its quarantine.
	bool add_peer(PeerId id, uint32_t slot, const std::optional<AddrPort> &endpoint, bool roaming);

	// After Device::remove_peer and apply() of its Output: every keypair
	// still published for the peer retired, its send keypair, handshake
	// request and staging count cleared, its generation made even, and
	// events still to come for it dropped (counted unknown_peer). false
	// when id was not added.
	bool remove_peer(PeerId id);
	// `wg set … endpoint`: the workers send there from now on (the caller
	// tells the Device too).
	void set_endpoint(PeerId id, const AddrPort &endpoint);
	// The slot a peer holds.
	std::optional<uint32_t> slot_of(PeerId id) const;

	// A Device Output made anywhere: its events applied (and removed from
	// out); the datagrams, packets and to_seal are left for the caller.
	void apply(Output &out);

	// Once per control-loop turn: each added peer's roamed endpoint,
	// handshake request and activity taken to the Device, then the freed
	// keypairs reclaimed. What the Device produced is in out, its events
	// applied already.
	void poll(Clock::time_point now, Output &out);

	uint64_t drops(LinkDrop d) const { return drops_[static_cast<size_t>(d)]; }
	// Keypairs published and not yet retired.
	size_t published() const { return published_.size(); }

private:
	// What the link last saw of a peer's DataPeer, to tell what changed.
	struct Seen {
		uint64_t rx_packets = 0;
		uint64_t data_packets = 0;  // rx_packets - keepalives_received
		uint64_t tx_packets = 0;
		uint64_t last_data_tx_tsc = 0;
	};
	struct LinkPeer {
		bool added = false;
		PeerId id = 0;
		uint64_t applied_seq = 0;                // the last event applied
		std::map<uint64_t, PeerEvent> early;     // events waiting for an earlier one
		std::optional<uint32_t> next;            // a responder's keypair awaiting confirmation
		std::optional<AddrPort> endpoint;        // the last one both sides agreed on
		Seen seen;
	};

	void apply(const PeerEvent &e, uint32_t slot, LinkPeer &lp);
	void added(uint32_t slot, LinkPeer &lp, const KeypairAdded &k);
	void send_under(uint32_t slot, DataKeypair *kp);
	void retired(uint32_t slot, LinkPeer &lp, uint32_t index);
	DataActivity activity(const DataPeer &dp, LinkPeer &lp);
	void count(LinkDrop d) { drops_[static_cast<size_t>(d)]++; }

	Device &device_;
	DataPeerTable &peers_;
	KeypairTable &keypairs_;
	const TscClock clock_;
	const uint16_t workers_;
	std::vector<LinkPeer> link_;                             // by slot
	std::unordered_map<PeerId, uint32_t> slot_of_;           // the added peers' slots
	std::unordered_map<uint32_t, DataKeypair *> published_;  // by local index; the table owns them
	std::array<uint64_t, static_cast<size_t>(LinkDrop::count)> drops_{};
};

} // namespace wayport::wireguard
