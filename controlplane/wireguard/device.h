// One WireGuard interface's protocol engine on the slow path: handshakes
// both ways, cookies under load, keypair rotation, the five timers, and a
// reference data path (one packet at a time over libsodium) that the
// tests and the real-peer interop test drive over kernel sockets. With
// DeviceOptions::external_data_path the workers' batched data path (issue
// 12) seals and opens transport data instead, and the Device tells them
// about keypairs and learns what they did (data_path_events.h).
//
// No sockets and no clock of its own: every call takes `now` and returns
// what to send in an Output, so it runs on virtual time in tests and on a
// handshake thread pool in wayportd (handshake_pool.h).
//
// Threads: every call may run on several threads at once. Immutable after
// construction: identity_, options_. peers_mu_ guards peers_, next_id_ and by_key_:
// add_peer() and remove_peer() hold it exclusively, every other call
// shared for its whole length (a handshake's X25519 work included, so a
// removal waits for the messages of that peer in flight). Each Peer is
// guarded by its own mutex (peer.h); the index table, the cookie checker
// and the rate limiter by theirs; under-load and the counters are atomics.
// Locks taken: peers_mu_, then one peer's at most, then possibly the index
// table's or the checker's inside it, never two peers'.
#pragma once

#include <array>
#include <atomic>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <span>
#include <unordered_map>
#include <vector>

#include "controlplane/wireguard/cookie_checker.h"
#include "controlplane/wireguard/data_path_events.h"
#include "controlplane/wireguard/handshake.h"
#include "controlplane/wireguard/index_table.h"
#include "controlplane/wireguard/peer.h"
#include "controlplane/wireguard/ratelimiter.h"
#include "controlplane/wireguard/timers.h"
#include "dataplane/wire/addr.h"
#include "dataplane/wire/bytes.h"

namespace wayport::wireguard {

// Why a datagram or a packet went nowhere. Every drop is counted by one.
enum class WgDrop : uint8_t {
	not_wireguard,        // no WireGuard message type fits its first bytes and size
	bad_mac1,             // mac1 wrong: not for this device's key, or altered
	ratelimited,          // under load, its source's handshake bucket is empty
	handshake_failed,     // a handshake message that does not decrypt or verify
	unknown_peer,         // an initiation from a static key that is no peer's
	replayed_initiation,  // its timestamp is not newer than the peer's last
	initiation_flood,     // within 20 ms of the peer's last accepted initiation
	unknown_index,        // no handshake or keypair of ours has its receiver index
	bad_cookie_reply,     // not for an unanswered mac1 of ours, or does not open
	keypair_expired,      // data under a keypair older than REJECT_AFTER_TIME
	decrypt_failed,       // data whose tag does not verify
	replayed_data,        // a counter seen before, or too far behind the window
	bad_inner_packet,     // decrypted, but not an IPv4/IPv6 packet of the length it says
	staged_overflow,      // the oldest staged packet, pushed out by the 129th
	handshake_gave_up,    // staged packets dropped after REKEY_ATTEMPT_TIME of retries
	no_endpoint,          // something to send to a peer whose address is unknown
	unknown_peer_id,      // send() to a PeerId this device never gave out
	data_for_workers,     // transport data given to a device whose workers open it (external data path)
	count
};

// What went right, counted the same way.
enum class WgEvent : uint8_t {
	initiation_sent,
	initiation_received,  // and answered with a response
	response_received,    // our handshake completed
	cookie_sent,          // under load, instead of a response
	cookie_received,
	data_sent,            // external data path: handed to the workers to seal
	keepalive_sent,       // likewise
	data_received,
	keepalive_received,
	keypair_confirmed,    // a responder's next keypair became current
	count
};

struct PublicKeyHash {
	size_t operator()(const PublicKey &k) const
	{
		size_t h;
		std::memcpy(&h, k.bytes.data(), sizeof h);  // keys are uniformly random
		return h;
	}
};

const char *to_string(WgDrop d);
const char *to_string(WgEvent e);

// A datagram for the network, and a decrypted inner packet for the host.
struct Datagram {
	AddrPort to;
	Bytes bytes;
};
struct InnerPacket {
	PeerId peer = 0;
	Bytes bytes;
};

// What a call produced. Callers send and deliver it after the call, with
// no device lock held.
struct Output {
	std::vector<Datagram> datagrams;
	std::vector<InnerPacket> packets;
	// External data path only: what the workers must learn, in the order it
	// happened, and what they must seal (data_path_events.h).
	std::vector<PeerEvent> events;
	std::vector<ToSeal> to_seal;

	bool empty() const { return datagrams.empty() && packets.empty() && events.empty() && to_seal.empty(); }
	void clear()
	{
		datagrams.clear();
		packets.clear();
		events.clear();
		to_seal.clear();
	}
};

// How full the handshake queue is that this message came through: a
// quarter of the kernel's rule, "under load" when at least 1/8 full, is
// the queue's business, the other three (sticky 1 s, mac2, cookies) the
// device's. {0, 0}: never under load (a caller with no queue).
struct QueueLoad {
	size_t queued = 0;
	size_t capacity = 0;
};

struct DeviceOptions {
	WallClock wall_clock = system_wall_time;   // TAI64N timestamps, last handshake times
	std::function<uint32_t()> random32;         // indexes, jitter; default: libsodium
	std::function<void(std::span<uint8_t>)> random_bytes;  // cookie secrets and nonces; default: libsodium
	// The workers seal and open transport data: the Device never does, and
	// reports keypairs in Output::events and packets to seal in
	// Output::to_seal instead; its timers run on what the workers did
	// (data_path_activity). PeerStatus rx_bytes/tx_bytes then count
	// handshake messages only: the workers count the rest (DataPeer).
	bool external_data_path = false;
};

struct PeerStatus {
	PublicKey public_key;
	std::optional<AddrPort> endpoint;
	std::optional<WallTime> last_handshake;
	uint64_t rx_bytes = 0;
	uint64_t tx_bytes = 0;
	std::chrono::seconds persistent_keepalive{0};
	// Local indexes of the keypairs in the three slots.
	std::optional<uint32_t> previous, current, next;
	bool handshake_pending = false;
	int handshake_attempts = 0;
	size_t staged = 0;
	PeerTimers timers;
};

class Device {
public:
	explicit Device(const PrivateKey &key, DeviceOptions options = {});
	~Device();
	Device(const Device &) = delete;
	Device &operator=(const Device &) = delete;

	const Identity &identity() const { return identity_; }

	// Any time. An error names what is wrong (a duplicate or zero key, our
	// own key). Ids are dense from 0 and never reused: a removed peer's id
	// stays unused, and adding its key again gives a new one.
	Parsed<PeerId> add_peer(const PeerConfig &config, Clock::time_point now);
	// The peer's keypairs retired (KeypairRetired in out on the external
	// data path), its handshake and staged packets dropped, its key freed
	// for a new add_peer. false when id names no peer (now).
	bool remove_peer(PeerId id, Output &out);
	// `wg set … persistent-keepalive`: 0 turns it off; otherwise a
	// keepalive is due at once, then every interval, as wg does.
	void set_persistent_keepalive(PeerId id, std::chrono::seconds interval, Clock::time_point now);
	std::optional<PeerId> find_peer(const PublicKey &key) const;
	// Ids given out so far, removed peers' included.
	size_t peer_count() const;
	bool has_peer(PeerId id) const;

	// A datagram from the network, from `from`.
	void receive(ByteSpan datagram, const AddrPort &from, Clock::time_point now, Output &out,
		     QueueLoad load = {});
	// An inner packet (an IPv4 or IPv6 packet, or empty for a keepalive)
	// for peer: encrypted and sent under its current keypair, or staged
	// while a handshake is started.
	void send(PeerId peer, ByteSpan packet, Clock::time_point now, Output &out);
	// Starts a handshake now (rate-limited to one per REKEY_TIMEOUT).
	void initiate(PeerId peer, Clock::time_point now, Output &out);
	// Runs every timer due at now.
	void tick(Clock::time_point now, Output &out);

	// External data path: what the workers did for peer since the last
	// call. Runs the timers' events the reference data path runs for the
	// same packets (in time order, receipts first at equal times), the
	// responder's confirmation and the initiator's last-minute handshake.
	void data_path_activity(PeerId peer, const DataActivity &activity, Clock::time_point now, Output &out);
	// The peer's endpoint, from a worker that saw it roam or from
	// `wg set … endpoint`. Emits no EndpointLearned.
	void set_endpoint(PeerId peer, const AddrPort &endpoint);
	// The earliest armed timer over all peers, if any.
	std::optional<Clock::time_point> next_deadline();

	PeerStatus status(PeerId peer);
	// Whether a handshake queue was seen at least 1/8 full within the last
	// second: handshakes without mac2 get cookie replies meanwhile.
	bool under_load_at(Clock::time_point now) const;
	uint64_t drops(WgDrop d) const { return drops_[static_cast<size_t>(d)].load(std::memory_order_relaxed); }
	uint64_t events(WgEvent e) const { return events_[static_cast<size_t>(e)].load(std::memory_order_relaxed); }
	const IndexTable &index_table() const { return index_; }

private:
	bool under_load(QueueLoad load, Clock::time_point now);
	void receive_initiation(ByteSpan msg, const AddrPort &from, Clock::time_point now, Output &out);
	void receive_response(ByteSpan msg, const AddrPort &from, Clock::time_point now, Output &out);
	void receive_cookie_reply(ByteSpan msg, Clock::time_point now);
	void receive_transport(ByteSpan msg, const AddrPort &from, Clock::time_point now, Output &out);

	// The rest run with peer.mu held.
	void send_initiation(Peer &peer, bool is_retry, Clock::time_point now, Output &out);
	void send_staged(Peer &peer, Clock::time_point now, Output &out);
	void send_keepalive(Peer &peer, Clock::time_point now, Output &out);
	void emit(Peer &peer, Bytes bytes, Output &out);
	// A handshake completed with keypair: into the slots.
	void add_keypair(Peer &peer, std::shared_ptr<Keypair> keypair, Output &out);
	// Authenticated data under kp: confirms it if it is the peer's next.
	void received_with(Peer &peer, const Keypair *kp, Clock::time_point now, Output &out);
	// The receive side of the kernel's keep_key_fresh.
	void keep_key_fresh_on_receive(Peer &peer, Clock::time_point now, Output &out);
	void learn_endpoint(Peer &peer, const AddrPort &from, Output &out);
	void retire(Peer &peer, const Keypairs::Retired &retired, Output &out);
	void drop_pending(Peer &peer);
	void zero_key_material(Peer &peer, Output &out);
	// External data path only: appends to out.events.
	void emit_event(Peer &peer, decltype(PeerEvent::what) what, Output &out);
	void run_timers(Peer &peer, Clock::time_point now, Output &out);
	Clock::duration jitter();

	// The kernel's timers_* events, named as there.
	void timers_data_sent(Peer &peer, Clock::time_point now);
	void timers_data_received(Peer &peer, Clock::time_point now);
	void timers_any_authenticated_packet_sent(Peer &peer);
	void timers_any_authenticated_packet_received(Peer &peer);
	void timers_any_authenticated_packet_traversal(Peer &peer, Clock::time_point now);
	void timers_handshake_initiated(Peer &peer, Clock::time_point now);
	void timers_handshake_complete(Peer &peer);
	void timers_session_derived(Peer &peer, Clock::time_point now);

	// With peers_mu_ held: the live peer of id, or null; peer_at() also
	// counts a miss as unknown_peer_id.
	Peer *live_peer(PeerId id) const;
	Peer *peer_at(PeerId id);
	std::optional<PeerId> find_locked(const PublicKey &key) const;

	void count(WgDrop d, uint64_t n = 1) { drops_[static_cast<size_t>(d)].fetch_add(n, std::memory_order_relaxed); }
	void count(WgEvent e) { events_[static_cast<size_t>(e)].fetch_add(1, std::memory_order_relaxed); }

	const Identity identity_;
	const DeviceOptions options_;

	mutable std::shared_mutex peers_mu_;
	// Live peers by id: a removed peer's entry goes, so memory and the
	// timers' walk follow the peers there are, not the adds ever made.
	std::map<PeerId, std::unique_ptr<Peer>> peers_;
	PeerId next_id_ = 0;
	std::unordered_map<PublicKey, PeerId, PublicKeyHash> by_key_;
	IndexTable index_;
	CookieChecker checker_;
	Ratelimiter limiter_;
	// When the queue was last seen at least 1/8 full, as Clock ticks since
	// its epoch; min() when never.
	std::atomic<Clock::rep> last_under_load_;

	std::array<std::atomic<uint64_t>, static_cast<size_t>(WgDrop::count)> drops_{};
	std::array<std::atomic<uint64_t>, static_cast<size_t>(WgEvent::count)> events_{};
};

} // namespace wayport::wireguard
