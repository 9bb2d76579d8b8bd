#include "controlplane/wireguard/device.h"

#include <sodium.h>

#include <algorithm>
#include <limits>

#include "dataplane/crypto/aead.h"  // wg_padded_len

namespace wayport::wireguard {

namespace {

using wgmsg::Transport;

DeviceOptions with_defaults(DeviceOptions o)
{
	if (!o.random32)
		o.random32 = random_u32;
	if (!o.random_bytes)
		o.random_bytes = random_bytes;
	if (!o.wall_clock)
		o.wall_clock = system_wall_time;
	return o;
}

std::optional<uint32_t> index_of(const std::shared_ptr<Keypair> &kp)
{
	if (!kp)
		return std::nullopt;
	return kp->keys.local_index;
}

// The inner packet's own length, when the plaintext holds an IPv4 or IPv6
// packet that fits: what is left is WireGuard's zero padding.
std::optional<size_t> inner_length(ByteSpan p)
{
	if (p.empty())
		return std::nullopt;
	switch (p[0] >> 4) {
	case 4: {
		if (p.size() < 20)
			return std::nullopt;
		const size_t len = load_be16(p.data() + 2);
		if (len < 20 || len > p.size())
			return std::nullopt;
		return len;
	}
	case 6: {
		if (p.size() < 40)
			return std::nullopt;
		const size_t len = 40 + size_t{load_be16(p.data() + 4)};
		if (len > p.size())
			return std::nullopt;
		return len;
	}
	default:
		return std::nullopt;
	}
}

} // namespace

const char *to_string(WgDrop d)
{
	switch (d) {
	case WgDrop::not_wireguard: return "not_wireguard";
	case WgDrop::bad_mac1: return "bad_mac1";
	case WgDrop::ratelimited: return "ratelimited";
	case WgDrop::handshake_failed: return "handshake_failed";
	case WgDrop::unknown_peer: return "unknown_peer";
	case WgDrop::replayed_initiation: return "replayed_initiation";
	case WgDrop::initiation_flood: return "initiation_flood";
	case WgDrop::unknown_index: return "unknown_index";
	case WgDrop::bad_cookie_reply: return "bad_cookie_reply";
	case WgDrop::keypair_expired: return "keypair_expired";
	case WgDrop::decrypt_failed: return "decrypt_failed";
	case WgDrop::replayed_data: return "replayed_data";
	case WgDrop::bad_inner_packet: return "bad_inner_packet";
	case WgDrop::staged_overflow: return "staged_overflow";
	case WgDrop::handshake_gave_up: return "handshake_gave_up";
	case WgDrop::no_endpoint: return "no_endpoint";
	case WgDrop::unknown_peer_id: return "unknown_peer_id";
	case WgDrop::data_for_workers: return "data_for_workers";
	case WgDrop::count: break;
	}
	return "?";
}

const char *to_string(WgEvent e)
{
	switch (e) {
	case WgEvent::initiation_sent: return "initiation_sent";
	case WgEvent::initiation_received: return "initiation_received";
	case WgEvent::response_received: return "response_received";
	case WgEvent::cookie_sent: return "cookie_sent";
	case WgEvent::cookie_received: return "cookie_received";
	case WgEvent::data_sent: return "data_sent";
	case WgEvent::keepalive_sent: return "keepalive_sent";
	case WgEvent::data_received: return "data_received";
	case WgEvent::keepalive_received: return "keepalive_received";
	case WgEvent::keypair_confirmed: return "keypair_confirmed";
	case WgEvent::count: break;
	}
	return "?";
}

Peer::~Peer()
{
	sodium_memzero(const_cast<uint8_t *>(preshared_key.data()), preshared_key.size());
}

Device::Device(const PrivateKey &key, DeviceOptions options)
	: identity_(key), options_(with_defaults(std::move(options))), index_(options_.random32),
	  checker_(identity_, options_.random_bytes),
	  last_under_load_(std::numeric_limits<Clock::rep>::min())
{
}

Device::~Device() = default;

Parsed<PeerId> Device::add_peer(const PeerConfig &config, Clock::time_point now)
{
	if (config.public_key.is_zero())
		return {std::nullopt, "peer public key is all zero"};
	if (config.public_key == identity_.static_public)
		return {std::nullopt, "peer public key is this device's own"};
	// The X25519 work before the lock: handshakes go on meanwhile.
	const std::optional<PrecomputedStatic> ss = PrecomputedStatic::compute(identity_.static_key, config.public_key);
	if (!ss)
		return {std::nullopt, "peer public key " + config.public_key.to_base64() +
					      " is a low-order point: no handshake with it can succeed"};
	std::unique_lock lock(peers_mu_);
	if (by_key_.contains(config.public_key))
		return {std::nullopt, "peer " + config.public_key.to_base64() + " is configured twice"};
	const PeerId id = next_id_++;
	peers_.emplace(id, std::make_unique<Peer>(id, config, *ss, now));
	by_key_.emplace(config.public_key, id);
	return {id, {}};
}

bool Device::remove_peer(PeerId id, Output &out)
{
	std::unique_lock lock(peers_mu_);
	auto it = peers_.find(id);
	if (it == peers_.end())
		return false;
	std::unique_ptr<Peer> peer = std::move(it->second);
	peers_.erase(it);
	by_key_.erase(peer->public_key);
	std::lock_guard peer_lock(peer->mu);
	// Its index entries go with its keypairs and its handshake, so no
	// message still in the network finds the freed Peer.
	zero_key_material(*peer, out);
	peer->staged.clear();
	return true;
}

void Device::set_persistent_keepalive(PeerId id, std::chrono::seconds interval, Clock::time_point now)
{
	std::shared_lock lock(peers_mu_);
	Peer *p = peer_at(id);
	if (!p)
		return;
	std::lock_guard peer_lock(p->mu);
	p->persistent_keepalive = interval;
	if (interval.count() == 0)
		p->timers.persistent_keepalive.reset();
	else
		p->timers.persistent_keepalive = now;
}

std::optional<PeerId> Device::find_peer(const PublicKey &key) const
{
	std::shared_lock lock(peers_mu_);
	return find_locked(key);
}

std::optional<PeerId> Device::find_locked(const PublicKey &key) const
{
	auto it = by_key_.find(key);
	if (it == by_key_.end())
		return std::nullopt;
	return it->second;
}

size_t Device::peer_count() const
{
	std::shared_lock lock(peers_mu_);
	return next_id_;
}

bool Device::has_peer(PeerId id) const
{
	std::shared_lock lock(peers_mu_);
	return peers_.contains(id);
}

bool Device::under_load(QueueLoad load, Clock::time_point now)
{
	const Clock::rep t = now.time_since_epoch().count();
	if (load.capacity != 0 && load.queued >= load.capacity / 8) {
		last_under_load_.store(t, std::memory_order_relaxed);
		return true;
	}
	return under_load_at(now);
}

bool Device::under_load_at(Clock::time_point now) const
{
	const Clock::rep last = last_under_load_.load(std::memory_order_relaxed);
	if (last == std::numeric_limits<Clock::rep>::min())
		return false;
	return Clock::time_point(Clock::duration(last)) + kUnderLoadHold > now;
}

void Device::receive(ByteSpan datagram, const AddrPort &from, Clock::time_point now, Output &out,
		     QueueLoad load)
{
	const WireGuardType type = wireguard_type(datagram);
	if (type == WireGuardType::none) {
		count(WgDrop::not_wireguard);
		return;
	}
	std::shared_lock lock(peers_mu_);
	if (type == WireGuardType::transport) {
		receive_transport(datagram, from, now, out);
		return;
	}
	if (type == WireGuardType::cookie_reply) {
		receive_cookie_reply(datagram, now);
		return;
	}

	// Initiations and responses: mac1 first (no DH), and under load mac2
	// and the source's token bucket, exactly the kernel's decision table.
	const bool loaded = under_load(load, now);
	const MacState mac = checker_.validate(datagram, from, loaded, limiter_, now);
	if (mac == MacState::invalid_mac) {
		count(WgDrop::bad_mac1);
		return;
	}
	if (mac == MacState::valid_mac_with_cookie_but_ratelimited) {
		count(WgDrop::ratelimited);
		return;
	}
	if (loaded && mac == MacState::valid_mac_but_no_cookie) {
		Datagram reply{from, Bytes(kWireGuardCookieReplyLen)};
		checker_.create_reply(datagram, from, now,
				      std::span<uint8_t, kWireGuardCookieReplyLen>(reply.bytes));
		out.datagrams.push_back(std::move(reply));
		count(WgEvent::cookie_sent);
		return;
	}
	if (type == WireGuardType::initiation)
		receive_initiation(datagram, from, now, out);
	else
		receive_response(datagram, from, now, out);
}

void Device::receive_initiation(ByteSpan msg, const AddrPort &from, Clock::time_point now, Output &out)
{
	// The DH work outside any lock: decrypting the initiator's identity
	// needs only our static key.
	std::optional<ReceivedInitiation> received;
	auto precomputed = [this](const PublicKey &initiator) -> const PrecomputedStatic * {
		const std::optional<PeerId> id = find_locked(initiator);
		return id ? &peers_.at(*id)->static_shared : nullptr;
	};
	if (consume_initiation(identity_, msg, received, precomputed) != HandshakeError::ok) {
		count(WgDrop::handshake_failed);
		return;
	}
	const std::optional<PeerId> id = find_locked(received->initiator);
	if (!id) {
		count(WgDrop::unknown_peer);
		return;
	}
	Peer &peer = *peers_.at(*id);
	std::lock_guard lock(peer.mu);

	if (peer.latest_timestamp && received->timestamp <= *peer.latest_timestamp) {
		count(WgDrop::replayed_initiation);
		return;
	}
	if (now < peer.last_initiation_consumed + kMinInitiationInterval) {
		count(WgDrop::initiation_flood);
		return;
	}
	peer.latest_timestamp = received->timestamp;
	peer.last_initiation_consumed = now;

	// One handshake per peer, as in the kernel: answering theirs abandons
	// an initiation of ours still in flight.
	drop_pending(peer);
	ResponseParams params;
	params.psk = peer.preshared_key;
	params.sender_index = index_.insert_handshake(peer.id);
	params.ephemeral = PrivateKey::generate();
	Datagram response{from, Bytes(kWireGuardResponseLen)};
	TransportKeys keys;
	if (create_response(*received, params,
			    std::span<uint8_t, kWireGuardResponseLen>(response.bytes), keys) != HandshakeError::ok) {
		index_.remove(params.sender_index);
		count(WgDrop::handshake_failed);
		return;
	}
	peer.cookies.add_macs(response.bytes, now);

	add_keypair(peer, std::make_shared<Keypair>(keys, now, false), out);
	learn_endpoint(peer, from, out);
	count(WgEvent::initiation_received);

	timers_any_authenticated_packet_sent(peer);
	peer.last_sent_handshake = now;
	timers_session_derived(peer, now);
	timers_any_authenticated_packet_traversal(peer, now);
	timers_any_authenticated_packet_received(peer);
	peer.tx_bytes += response.bytes.size();
	peer.rx_bytes += msg.size();
	out.datagrams.push_back(std::move(response));
}

void Device::receive_response(ByteSpan msg, const AddrPort &from, Clock::time_point now, Output &out)
{
	const std::optional<IndexEntry> entry = index_.lookup(response_receiver_index(msg));
	if (!entry || entry->keypair) {
		count(WgDrop::unknown_index);
		return;
	}
	Peer *owner = live_peer(entry->peer);
	if (!owner) {
		count(WgDrop::unknown_index);
		return;
	}
	Peer &peer = *owner;
	std::lock_guard lock(peer.mu);
	if (!peer.pending || peer.pending->sender_index != response_receiver_index(msg)) {
		count(WgDrop::unknown_index);
		return;
	}
	TransportKeys keys;
	if (consume_response(identity_, *peer.pending, peer.preshared_key, msg, keys) != HandshakeError::ok) {
		count(WgDrop::handshake_failed);
		return;
	}
	peer.pending.reset();  // its index now names the keypair
	add_keypair(peer, std::make_shared<Keypair>(keys, now, true), out);
	learn_endpoint(peer, from, out);
	peer.rx_bytes += msg.size();
	count(WgEvent::response_received);

	timers_session_derived(peer, now);
	timers_handshake_complete(peer);
	// Confirms the keypair to the responder, which cannot send under it
	// until it hears from us; staged packets do the same job if any.
	send_keepalive(peer, now, out);
	timers_any_authenticated_packet_received(peer);
	timers_any_authenticated_packet_traversal(peer, now);
}

void Device::receive_cookie_reply(ByteSpan msg, Clock::time_point now)
{
	const uint32_t receiver = load_le32(msg.data() + wgmsg::CookieReply::receiver);
	const std::optional<IndexEntry> entry = index_.lookup(receiver);
	if (!entry) {
		count(WgDrop::unknown_index);
		return;
	}
	Peer *owner = live_peer(entry->peer);
	if (!owner) {
		count(WgDrop::unknown_index);
		return;
	}
	Peer &peer = *owner;
	std::lock_guard lock(peer.mu);
	if (peer.cookies.consume_reply(msg, now) != HandshakeError::ok) {
		count(WgDrop::bad_cookie_reply);
		return;
	}
	count(WgEvent::cookie_received);
}

void Device::receive_transport(ByteSpan msg, const AddrPort &from, Clock::time_point now, Output &out)
{
	if (options_.external_data_path) {
		count(WgDrop::data_for_workers);
		return;
	}
	const std::optional<IndexEntry> entry = index_.lookup(load_le32(msg.data() + Transport::receiver));
	if (!entry || !entry->keypair) {
		count(WgDrop::unknown_index);
		return;
	}
	Keypair &kp = *entry->keypair;
	if (!kp.can_receive(now)) {
		count(WgDrop::keypair_expired);
		return;
	}
	const uint64_t counter = load_le64(msg.data() + Transport::counter);
	const size_t len = msg.size() - kWireGuardTransportMinLen;
	Bytes plain(len);
	if (!aead_open(kp.keys.receive, counter, msg.subspan(Transport::data), {}, plain.data())) {
		count(WgDrop::decrypt_failed);
		return;
	}

	Peer *owner = live_peer(entry->peer);
	if (!owner) {
		count(WgDrop::unknown_index);
		return;
	}
	Peer &peer = *owner;
	std::lock_guard lock(peer.mu);
	if (!kp.receive_window.validate(counter)) {
		count(WgDrop::replayed_data);
		return;
	}
	learn_endpoint(peer, from, out);
	peer.rx_bytes += msg.size();
	received_with(peer, &kp, now, out);
	keep_key_fresh_on_receive(peer, now, out);
	timers_any_authenticated_packet_received(peer);
	timers_any_authenticated_packet_traversal(peer, now);

	if (len == 0) {
		count(WgEvent::keepalive_received);
		return;
	}
	timers_data_received(peer, now);
	const std::optional<size_t> inner = inner_length(plain);
	if (!inner) {
		count(WgDrop::bad_inner_packet);
		return;
	}
	plain.resize(*inner);
	count(WgEvent::data_received);
	out.packets.push_back({peer.id, std::move(plain)});
}

Peer *Device::live_peer(PeerId id) const
{
	auto it = peers_.find(id);
	return it == peers_.end() ? nullptr : it->second.get();
}

Peer *Device::peer_at(PeerId id)
{
	Peer *p = live_peer(id);
	if (!p)
		count(WgDrop::unknown_peer_id);
	return p;
}

void Device::send(PeerId id, ByteSpan packet, Clock::time_point now, Output &out)
{
	std::shared_lock peers_lock(peers_mu_);
	Peer *p = peer_at(id);
	if (!p)
		return;
	Peer &peer = *p;
	std::lock_guard lock(peer.mu);
	peer.staged.emplace_back(packet.begin(), packet.end());
	if (peer.staged.size() > kMaxStagedPackets) {
		peer.staged.pop_front();
		count(WgDrop::staged_overflow);
	}
	send_staged(peer, now, out);
}

void Device::initiate(PeerId id, Clock::time_point now, Output &out)
{
	std::shared_lock peers_lock(peers_mu_);
	Peer *peer = peer_at(id);
	if (!peer)
		return;
	std::lock_guard lock(peer->mu);
	send_initiation(*peer, false, now, out);
}

void Device::data_path_activity(PeerId id, const DataActivity &activity, Clock::time_point now, Output &out)
{
	std::shared_lock peers_lock(peers_mu_);
	Peer *p = peer_at(id);
	if (!p)
		return;
	Peer &peer = *p;
	std::lock_guard lock(peer.mu);
	// As receive_transport for the packets the workers opened: the
	// confirmation and the last-minute rule first, then the timers.
	const std::shared_ptr<Keypair> &next = peer.keypairs.next();
	if (activity.received_under && next && next->keys.local_index == *activity.received_under)
		received_with(peer, next.get(), now, out);
	if (activity.received)
		keep_key_fresh_on_receive(peer, now, out);

	// The four in the order they happened, so that (say) data sent after
	// the last receipt arms the new-handshake timer and data sent before it
	// does not. At equal times receipts go first: a reply follows what it
	// answers.
	enum Kind : uint8_t { received, data_received, sent, data_sent };
	struct Happened {
		Clock::time_point at;
		Kind kind;
	};
	Happened order[4];
	size_t n = 0;
	auto add = [&](const std::optional<Clock::time_point> &at, Kind kind) {
		if (at)
			order[n++] = {*at, kind};
	};
	add(activity.received, received);
	add(activity.data_received, data_received);
	add(activity.sent, sent);
	add(activity.data_sent, data_sent);
	std::stable_sort(order, order + n, [](const Happened &x, const Happened &y) { return x.at < y.at; });
	for (size_t i = 0; i < n; i++) {
		const Clock::time_point at = order[i].at;
		switch (order[i].kind) {
		case received:
			timers_any_authenticated_packet_received(peer);
			timers_any_authenticated_packet_traversal(peer, at);
			break;
		case data_received:
			timers_data_received(peer, at);
			break;
		case sent:
			timers_any_authenticated_packet_traversal(peer, at);
			timers_any_authenticated_packet_sent(peer);
			break;
		case data_sent:
			timers_data_sent(peer, at);
			break;
		}
	}
}

void Device::set_endpoint(PeerId id, const AddrPort &endpoint)
{
	std::shared_lock peers_lock(peers_mu_);
	Peer *peer = peer_at(id);
	if (!peer)
		return;
	std::lock_guard lock(peer->mu);
	peer->endpoint = endpoint;
}

void Device::send_keepalive(Peer &peer, Clock::time_point now, Output &out)
{
	if (peer.staged.empty())
		peer.staged.emplace_back();
	send_staged(peer, now, out);
}

void Device::send_staged(Peer &peer, Clock::time_point now, Output &out)
{
	if (peer.staged.empty())
		return;
	const std::shared_ptr<Keypair> &kp = peer.keypairs.current();
	while (!peer.staged.empty()) {
		if (!kp || !kp->can_send(now)) {
			// What is left waits for the handshake this starts (or one
			// already under way: send_initiation is rate-limited).
			send_initiation(peer, false, now, out);
			return;
		}
		if (options_.external_data_path) {
			// The home worker seals it; its timers run when the workers
			// report it sent (data_path_activity).
			count(peer.staged.front().empty() ? WgEvent::keepalive_sent : WgEvent::data_sent);
			out.to_seal.push_back({peer.id, std::move(peer.staged.front())});
			peer.staged.pop_front();
			continue;
		}
		const Bytes &inner = peer.staged.front();
		const bool keepalive = inner.empty();
		const size_t padded = wg_padded_len(inner.size());
		Bytes plain = inner;
		plain.resize(padded, 0);
		Bytes msg(Transport::header_len + padded + kTagLen);
		wgmsg::store_type(msg.data(), WireGuardType::transport);
		store_le32(msg.data() + Transport::receiver, kp->keys.remote_index);
		const uint64_t counter = kp->send_counter++;
		store_le64(msg.data() + Transport::counter, counter);
		aead_seal(kp->keys.send, counter, plain, {}, msg.data() + Transport::data);
		peer.staged.pop_front();

		timers_any_authenticated_packet_traversal(peer, now);
		timers_any_authenticated_packet_sent(peer);
		if (keepalive) {
			count(WgEvent::keepalive_sent);
		} else {
			timers_data_sent(peer, now);
			count(WgEvent::data_sent);
		}
		emit(peer, std::move(msg), out);
	}
	// Keep the key fresh, send side: the initiator rekeys after
	// REKEY_AFTER_TIME, either side after REKEY_AFTER_MESSAGES.
	if (kp->can_send(now) &&
	    (kp->send_counter > kRekeyAfterMessages ||
	     (kp->i_am_initiator && now - kp->birth >= kRekeyAfterTime)))
		send_initiation(peer, false, now, out);
}

void Device::send_initiation(Peer &peer, bool is_retry, Clock::time_point now, Output &out)
{
	if (!is_retry)
		peer.timers.handshake_attempts = 0;
	if (now < peer.last_sent_handshake + kRekeyTimeout)
		return;
	peer.last_sent_handshake = now;

	drop_pending(peer);
	InitiationParams params;
	params.peer = peer.public_key;
	params.psk = peer.preshared_key;
	params.sender_index = index_.insert_handshake(peer.id);
	params.ephemeral = PrivateKey::generate();
	params.timestamp = Tai64n::from(options_.wall_clock());
	params.precomputed_ss = &peer.static_shared;
	Bytes msg(kWireGuardInitiationLen);
	if (create_initiation(identity_, params, std::span<uint8_t, kWireGuardInitiationLen>(msg), peer.pending) !=
	    HandshakeError::ok) {
		// Nothing should get here (add_peer refuses low-order keys);
		// counted, and not retried.
		index_.remove(params.sender_index);
		count(WgDrop::handshake_failed);
		return;
	}
	peer.cookies.add_macs(msg, now);
	count(WgEvent::initiation_sent);
	emit_event(peer, HandshakeStarted{}, out);
	timers_any_authenticated_packet_traversal(peer, now);
	timers_any_authenticated_packet_sent(peer);
	emit(peer, std::move(msg), out);
	timers_handshake_initiated(peer, now);
}

void Device::emit(Peer &peer, Bytes bytes, Output &out)
{
	if (!peer.endpoint) {
		count(WgDrop::no_endpoint);
		return;
	}
	peer.tx_bytes += bytes.size();
	out.datagrams.push_back({*peer.endpoint, std::move(bytes)});
}

void Device::emit_event(Peer &peer, decltype(PeerEvent::what) what, Output &out)
{
	if (options_.external_data_path)
		out.events.push_back({peer.id, ++peer.event_seq, std::move(what)});
}

void Device::add_keypair(Peer &peer, std::shared_ptr<Keypair> keypair, Output &out)
{
	index_.promote(keypair->keys.local_index, keypair);
	const KeypairSlot slot = keypair->i_am_initiator ? KeypairSlot::current : KeypairSlot::next;
	KeypairAdded added{keypair, keypair->keys.local_index, keypair->keys.remote_index, keypair->i_am_initiator,
			   keypair->birth, slot};
	const Keypairs::Retired retired = peer.keypairs.add(std::move(keypair));
	// Added before retired: a worker that loses its send keypair to the
	// rotation finds the new one already there.
	emit_event(peer, std::move(added), out);
	retire(peer, retired, out);
}

void Device::received_with(Peer &peer, const Keypair *kp, Clock::time_point now, Output &out)
{
	std::shared_ptr<Keypair> retired;
	if (!peer.keypairs.received_with(kp, retired))
		return;
	count(WgEvent::keypair_confirmed);
	emit_event(peer, KeypairConfirmed{kp->keys.local_index}, out);
	retire(peer, {std::move(retired), nullptr, nullptr}, out);
	timers_handshake_complete(peer);
	send_staged(peer, now, out);
}

void Device::keep_key_fresh_on_receive(Peer &peer, Clock::time_point now, Output &out)
{
	// An initiator whose keypair is close to REJECT_AFTER_TIME starts the
	// next handshake itself, once, before the responder's data stops.
	const std::shared_ptr<Keypair> &current = peer.keypairs.current();
	if (current && current->can_send(now) && current->i_am_initiator &&
	    now - current->birth >= kRejectAfterTime - kKeepaliveTimeout - kRekeyTimeout &&
	    !peer.timers.sent_lastminute_handshake) {
		peer.timers.sent_lastminute_handshake = true;
		send_initiation(peer, false, now, out);
	}
}

void Device::learn_endpoint(Peer &peer, const AddrPort &from, Output &out)
{
	// With roaming off only a peer with no endpoint at all learns one:
	// otherwise it could never be reached.
	if ((!peer.roaming && peer.endpoint) || peer.endpoint == from)
		return;
	peer.endpoint = from;
	emit_event(peer, EndpointLearned{from}, out);
}

void Device::retire(Peer &peer, const Keypairs::Retired &retired, Output &out)
{
	for (const auto &kp : retired) {
		if (!kp)
			continue;
		index_.remove(kp->keys.local_index);
		emit_event(peer, KeypairRetired{kp->keys.local_index}, out);
	}
}

void Device::drop_pending(Peer &peer)
{
	if (!peer.pending)
		return;
	index_.remove(peer.pending->sender_index);
	peer.pending.reset();
}

void Device::zero_key_material(Peer &peer, Output &out)
{
	drop_pending(peer);
	retire(peer, peer.keypairs.clear(), out);
}

Clock::duration Device::jitter()
{
	using std::chrono::duration_cast;
	const auto max_ms = duration_cast<std::chrono::milliseconds>(kRekeyTimeoutJitterMax).count();
	return std::chrono::milliseconds(options_.random32() % static_cast<uint32_t>(max_ms + 1));
}

// The timers' events (the kernel's timers.c).

void Device::timers_data_sent(Peer &peer, Clock::time_point now)
{
	if (!peer.timers.new_handshake)
		peer.timers.new_handshake = now + kKeepaliveTimeout + kRekeyTimeout + jitter();
}

void Device::timers_data_received(Peer &peer, Clock::time_point now)
{
	if (!peer.timers.send_keepalive)
		peer.timers.send_keepalive = now + kKeepaliveTimeout;
	else
		peer.timers.need_another_keepalive = true;
}

void Device::timers_any_authenticated_packet_sent(Peer &peer)
{
	peer.timers.send_keepalive.reset();
}

void Device::timers_any_authenticated_packet_received(Peer &peer)
{
	peer.timers.new_handshake.reset();
}

void Device::timers_any_authenticated_packet_traversal(Peer &peer, Clock::time_point now)
{
	if (peer.persistent_keepalive.count() != 0)
		peer.timers.persistent_keepalive = now + peer.persistent_keepalive;
}

void Device::timers_handshake_initiated(Peer &peer, Clock::time_point now)
{
	peer.timers.retransmit_handshake = now + kRekeyTimeout + jitter();
}

void Device::timers_handshake_complete(Peer &peer)
{
	peer.timers.retransmit_handshake.reset();
	peer.timers.handshake_attempts = 0;
	peer.timers.sent_lastminute_handshake = false;
	peer.last_handshake = options_.wall_clock();
}

void Device::timers_session_derived(Peer &peer, Clock::time_point now)
{
	peer.timers.zero_key_material = now + 3 * kRejectAfterTime;
}

void Device::run_timers(Peer &peer, Clock::time_point now, Output &out)
{
	PeerTimers &t = peer.timers;
	auto due = [now](std::optional<Clock::time_point> &deadline) {
		if (!deadline || *deadline > now)
			return false;
		deadline.reset();
		return true;
	};
	if (due(t.retransmit_handshake)) {
		if (t.handshake_attempts > kMaxTimerHandshakes) {
			// REKEY_ATTEMPT_TIME is over: stop, drop what waited, and
			// forget the keys in a while unless a handshake comes.
			t.send_keepalive.reset();
			count(WgDrop::handshake_gave_up, peer.staged.size());
			peer.staged.clear();
			if (!t.zero_key_material)
				t.zero_key_material = now + 3 * kRejectAfterTime;
		} else {
			++t.handshake_attempts;
			send_initiation(peer, true, now, out);
		}
	}
	if (due(t.send_keepalive)) {
		send_keepalive(peer, now, out);
		if (t.need_another_keepalive) {
			t.need_another_keepalive = false;
			t.send_keepalive = now + kKeepaliveTimeout;
		}
	}
	if (due(t.new_handshake))
		send_initiation(peer, false, now, out);
	if (due(t.zero_key_material))
		zero_key_material(peer, out);
	if (due(t.persistent_keepalive))
		send_keepalive(peer, now, out);
}

void Device::tick(Clock::time_point now, Output &out)
{
	std::shared_lock peers_lock(peers_mu_);
	for (auto &[id, p] : peers_) {
		std::lock_guard lock(p->mu);
		run_timers(*p, now, out);
	}
}

std::optional<Clock::time_point> Device::next_deadline()
{
	std::shared_lock peers_lock(peers_mu_);
	std::optional<Clock::time_point> earliest;
	auto consider = [&earliest](const std::optional<Clock::time_point> &t) {
		if (t && (!earliest || *t < *earliest))
			earliest = t;
	};
	for (auto &[id, p] : peers_) {
		std::lock_guard lock(p->mu);
		const PeerTimers &t = p->timers;
		consider(t.retransmit_handshake);
		consider(t.send_keepalive);
		consider(t.new_handshake);
		consider(t.zero_key_material);
		consider(t.persistent_keepalive);
	}
	return earliest;
}

PeerStatus Device::status(PeerId id)
{
	PeerStatus s;
	std::shared_lock peers_lock(peers_mu_);
	Peer *found = live_peer(id);
	if (!found)
		return s;
	Peer &peer = *found;
	std::lock_guard lock(peer.mu);
	s.public_key = peer.public_key;
	s.endpoint = peer.endpoint;
	s.last_handshake = peer.last_handshake;
	s.rx_bytes = peer.rx_bytes;
	s.tx_bytes = peer.tx_bytes;
	s.persistent_keepalive = peer.persistent_keepalive;
	s.previous = index_of(peer.keypairs.previous());
	s.current = index_of(peer.keypairs.current());
	s.next = index_of(peer.keypairs.next());
	s.handshake_pending = peer.pending.has_value();
	s.handshake_attempts = peer.timers.handshake_attempts;
	s.staged = peer.staged.size();
	s.timers = peer.timers;
	return s;
}

} // namespace wayport::wireguard
