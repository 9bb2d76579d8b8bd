// What a Device in external data-path mode (DeviceOptions::
// external_data_path, issue 12) tells the code that drives the workers, and
// what it is told back. The workers seal and open transport data; the
// Device keeps handshakes, slots, staging and timers, so the two exchange:
//
//   Device -> caller   PeerEvent (keypairs entering and leaving the slots,
//                      a responder's keypair confirmed, an endpoint learned
//                      from a handshake, a handshake started) and ToSeal
//                      (inner packets and keepalives for the peer's home
//                      worker to seal, in Output::to_seal).
//   caller -> Device   DataActivity (what the workers did for a peer since
//                      the last report: Device::data_path_activity) and
//                      endpoints the workers roamed to (Device::set_endpoint).
//
// Thread contract: all of it is plain values. Events are made under the
// peer's mutex, each with the next number of the peer's own sequence, and
// returned in an Output after the call. Calls on several handshake threads
// may hand their Outputs on out of order, so the consumer (one thread: the
// control thread) applies a peer's events in `seq` order, not arrival order.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <variant>

#include "controlplane/wireguard/index_table.h"
#include "controlplane/wireguard/keypair.h"
#include "dataplane/wire/addr.h"
#include "dataplane/wire/bytes.h"

namespace wayport::wireguard {

enum class KeypairSlot : uint8_t {
	current,  // the initiator's keypair: send under it at once
	next,     // the responder's: receive only, until it is confirmed
};

// A handshake completed and its keypair entered the peer's slots. The
// keypair is shared, not copied: its keys zero themselves when the last
// holder lets go, so a consumer copies them only into memory that is
// zeroed when retired (the workers' KeypairTable). An added `current`
// also ends the peer's unconfirmed `next`, if any: it moves to previous
// (still receives, never sends), as Keypairs::add says.
struct KeypairAdded {
	std::shared_ptr<const Keypair> keypair;
	uint32_t local_index = 0;
	uint32_t remote_index = 0;
	bool i_am_initiator = false;
	Clock::time_point birth;
	KeypairSlot slot = KeypairSlot::current;
};

// A keypair left the slots (rotation, the zero-key-material timer): nothing
// may send or receive under it any more.
struct KeypairRetired {
	uint32_t local_index = 0;
};

// A responder's `next` became `current`: the initiator sent under it, so it
// may be sent under now.
struct KeypairConfirmed {
	uint32_t local_index = 0;
};

// A handshake message moved the peer's endpoint (never for a peer with
// roaming off). Device::set_endpoint does not emit one: its caller knows.
struct EndpointLearned {
	AddrPort endpoint;
};

// An initiation went out: a new handshake attempt (or its retry) began.
struct HandshakeStarted {};

struct PeerEvent {
	PeerId peer = 0;
	uint64_t seq = 0;  // 1, 2, 3 ... per peer, in the order they happened
	std::variant<KeypairAdded, KeypairRetired, KeypairConfirmed, EndpointLearned, HandshakeStarted> what;
};

// An inner packet (empty: a keepalive) the peer's home worker is to seal
// under the peer's send keypair, instead of the Device.
struct ToSeal {
	PeerId peer = 0;
	Bytes inner;
};

// What the workers did for one peer since the last report: for each kind,
// the latest time it happened, or nothing. Latest, not first: between two
// reports the Device's timers may run up to one report interval late.
struct DataActivity {
	std::optional<Clock::time_point> received;       // any authenticated packet, keepalives too
	std::optional<Clock::time_point> data_received;  // one with a payload
	std::optional<Clock::time_point> sent;           // any packet sealed, keepalives too
	std::optional<Clock::time_point> data_sent;      // one with a payload
	// A keypair that has authenticated at least one packet: when it is the
	// peer's `next`, that confirms it (KeypairConfirmed).
	std::optional<uint32_t> received_under;
};

} // namespace wayport::wireguard
