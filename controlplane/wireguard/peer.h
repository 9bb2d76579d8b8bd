// One WireGuard peer's protocol state on the slow path (the kernel's
// struct wg_peer with its handshake, keypairs and timers). The Device
// owns peers and is the only code that touches them; this header states
// who may touch which field.
#pragma once

#include <chrono>
#include <deque>
#include <mutex>
#include <optional>

#include "controlplane/wireguard/cookie_checker.h"
#include "controlplane/wireguard/handshake.h"
#include "controlplane/wireguard/index_table.h"
#include "controlplane/wireguard/keypair.h"
#include "controlplane/wireguard/tai64n.h"
#include "controlplane/wireguard/timers.h"
#include "dataplane/wire/addr.h"
#include "dataplane/wire/bytes.h"

namespace wayport::wireguard {

struct PeerConfig {
	PublicKey public_key;
	Key32 preshared_key{};  // all zero: none (Noise then mixes in zeros)
	std::optional<AddrPort> endpoint;
	std::chrono::seconds persistent_keepalive{0};  // 0: off
	// false: the endpoint stays what config or Device::set_endpoint says;
	// authenticated packets from elsewhere do not move it (a peer with no
	// endpoint still learns its first).
	bool roaming = true;
};

// The peer's timers: each is a deadline, or nothing when not armed. The
// kernel's five timer_list objects, as values a tick() compares with now.
struct PeerTimers {
	std::optional<Clock::time_point> retransmit_handshake;  // no response to our initiation
	std::optional<Clock::time_point> send_keepalive;        // passive keepalive owed
	std::optional<Clock::time_point> new_handshake;         // sent data, heard nothing back
	std::optional<Clock::time_point> zero_key_material;     // keys unused for 3 × REJECT_AFTER_TIME
	std::optional<Clock::time_point> persistent_keepalive;
	bool need_another_keepalive = false;
	bool sent_lastminute_handshake = false;
	int handshake_attempts = 0;
};

struct Peer {
	Peer(PeerId id, const PeerConfig &config, const PrecomputedStatic &static_shared,
	     Clock::time_point now)
		: id(id), public_key(config.public_key), preshared_key(config.preshared_key),
		  roaming(config.roaming), static_shared(static_shared),
		  persistent_keepalive(config.persistent_keepalive),
		  cookies(config.public_key),
		  endpoint(config.endpoint),
		  // So that the first initiation is not held back by the
		  // REKEY_TIMEOUT limit, as the kernel starts it.
		  last_sent_handshake(now - kRekeyTimeout - 1s),
		  last_initiation_consumed(now - 1s) {}
	~Peer();
	Peer(const Peer &) = delete;
	Peer &operator=(const Peer &) = delete;

	// Immutable after construction.
	const PeerId id;
	const PublicKey public_key;
	const Key32 preshared_key;  // zeroed by the destructor
	const bool roaming;
	// DH(our static, theirs): the handshakes' "ss", computed once.
	const PrecomputedStatic static_shared;

	// Guards every member below. Held for a whole message's processing,
	// including the X25519 work of a response (the kernel holds its
	// handshake lock as long), so two handshake threads never interleave
	// one peer's steps while they run different peers in parallel.
	std::mutex mu;

	std::chrono::seconds persistent_keepalive;  // 0: off
	CookieJar cookies;
	std::optional<AddrPort> endpoint;  // follows the latest authenticated packet

	// Our initiation in flight, and the index it holds in the device's
	// index table (pending->sender_index).
	std::optional<PendingInitiation> pending;
	// The newest initiation timestamp accepted from this peer: replays of
	// older ones are refused.
	std::optional<Tai64n> latest_timestamp;
	Clock::time_point last_sent_handshake;
	Clock::time_point last_initiation_consumed;

	Keypairs keypairs;
	PeerTimers timers;
	std::deque<Bytes> staged;  // inner packets waiting for a keypair, at most kMaxStagedPackets

	uint64_t event_seq = 0;  // the last PeerEvent::seq given out (external data path)

	std::optional<WallTime> last_handshake;  // wall time of the latest completed handshake
	uint64_t rx_bytes = 0;                   // datagram bytes, as `wg show` counts them
	uint64_t tx_bytes = 0;
};

} // namespace wayport::wireguard
