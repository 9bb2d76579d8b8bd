#include "controlplane/wglink/data_link.h"

#include <cstring>
#include <memory>

namespace wayport::wireguard {

const char *to_string(LinkDrop d)
{
	switch (d) {
	case LinkDrop::unknown_peer: return "unknown_peer";
	case LinkDrop::publish_failed: return "publish_failed";
	case LinkDrop::unknown_keypair: return "unknown_keypair";
	case LinkDrop::count: break;
	}
	return "?";
}

DataLink::DataLink(Device &device, DataPeerTable &peers, KeypairTable &keypairs, const TscClock &clock,
		   uint16_t workers)
	: device_(device), peers_(peers), keypairs_(keypairs), clock_(clock), workers_(workers),
	  link_(peers.capacity())
{
}

bool DataLink::add_peer(PeerId id, uint32_t slot, const std::optional<AddrPort> &endpoint, bool roaming)
{
	if (slot >= link_.size() || link_[slot].added || slot_of_.count(id))
		return false;
	// No worker reads this slot now (slot_pool.h): its last peer's counters
	// and times go, so the timers and wg show start from nothing.
	DataPeer &dp = peers_[slot];
	for (Counter *c : {&dp.rx_packets, &dp.rx_bytes, &dp.keepalives_received, &dp.last_rx_tsc,
			   &dp.last_data_rx_tsc, &dp.roamed, &dp.tx_packets, &dp.tx_bytes, &dp.last_tx_tsc,
			   &dp.last_data_tx_tsc})
		c->set(0);
	dp.wants_handshake.store(false, std::memory_order_relaxed);
	dp.staged_in_flight.store(0, std::memory_order_relaxed);
	dp.home_worker.store(static_cast<uint16_t>(slot % workers_), std::memory_order_relaxed);
	dp.roaming.store(roaming, std::memory_order_relaxed);
	if (endpoint)
		dp.endpoint.store(*endpoint);
	else
		dp.endpoint.clear();
	dp.generation.store(static_cast<uint16_t>(dp.generation.load(std::memory_order_relaxed) | 1),
			    std::memory_order_relaxed);
	LinkPeer &lp = link_[slot];
	lp.added = true;
	lp.id = id;
	lp.endpoint = endpoint;
	slot_of_.emplace(id, slot);
	return true;
}

bool DataLink::remove_peer(PeerId id)
{
	auto found = slot_of_.find(id);
	if (found == slot_of_.end())
		return false;
	const uint32_t slot = found->second;
	slot_of_.erase(found);
	LinkPeer &lp = link_[slot];
	std::vector<uint32_t> mine;
	for (const auto &[index, kp] : published_)
		if (kp->peer == slot)
			mine.push_back(index);
	for (uint32_t index : mine)
		retired(slot, lp, index);
	DataPeer &dp = peers_[slot];
	dp.send_keypair.store(nullptr, std::memory_order_release);
	dp.wants_handshake.store(false, std::memory_order_relaxed);
	dp.staged_in_flight.store(0, std::memory_order_relaxed);
	dp.generation.store(static_cast<uint16_t>(dp.generation.load(std::memory_order_relaxed) + 1),
			    std::memory_order_relaxed);
	lp = LinkPeer{};
	return true;
}

void DataLink::set_endpoint(PeerId id, const AddrPort &endpoint)
{
	auto slot = slot_of(id);
	if (!slot)
		return;
	peers_[*slot].endpoint.store(endpoint);
	link_[*slot].endpoint = endpoint;
}

std::optional<uint32_t> DataLink::slot_of(PeerId id) const
{
	auto it = slot_of_.find(id);
	if (it == slot_of_.end())
		return std::nullopt;
	return it->second;
}

void DataLink::apply(Output &out)
{
	for (PeerEvent &e : out.events) {
		auto slot = slot_of(e.peer);
		if (!slot) {
			count(LinkDrop::unknown_peer);
			continue;
		}
		LinkPeer &lp = link_[*slot];
		if (e.seq != lp.applied_seq + 1) {
			lp.early.emplace(e.seq, std::move(e));
			continue;
		}
		apply(e, *slot, lp);
		// The ones that were waiting for it.
		for (auto it = lp.early.begin(); it != lp.early.end() && it->first == lp.applied_seq + 1;
		     it = lp.early.erase(it))
			apply(it->second, *slot, lp);
	}
	out.events.clear();
}

void DataLink::apply(const PeerEvent &e, uint32_t slot, LinkPeer &lp)
{
	lp.applied_seq = e.seq;
	DataPeer &dp = peers_[slot];
	if (const auto *k = std::get_if<KeypairAdded>(&e.what)) {
		added(slot, lp, *k);
	} else if (const auto *c = std::get_if<KeypairConfirmed>(&e.what)) {
		auto it = published_.find(c->local_index);
		if (it == published_.end()) {
			count(LinkDrop::unknown_keypair);
			return;
		}
		send_under(slot, it->second);
		lp.next.reset();
	} else if (const auto *r = std::get_if<KeypairRetired>(&e.what)) {
		retired(slot, lp, r->local_index);
	} else if (const auto *l = std::get_if<EndpointLearned>(&e.what)) {
		dp.endpoint.store(l->endpoint);
		lp.endpoint = l->endpoint;
	} else if (std::holds_alternative<HandshakeStarted>(e.what)) {
		dp.staged_in_flight.store(0, std::memory_order_relaxed);
	}
}

void DataLink::added(uint32_t slot, LinkPeer &lp, const KeypairAdded &k)
{
	auto kp = std::make_unique<DataKeypair>();
	kp->local_index = k.local_index;
	kp->remote_index = k.remote_index;
	kp->peer = slot;
	kp->home_worker = static_cast<uint16_t>(slot % workers_);
	kp->peer_gen = peers_[slot].generation.load(std::memory_order_relaxed);
	kp->reject_after_tsc = clock_.to_tsc(k.birth + kRejectAfterTime);
	// The kernel leaves the time rekey to the initiator.
	kp->rekey_after_tsc = k.i_am_initiator ? clock_.to_tsc(k.birth + kRekeyAfterTime) : UINT64_MAX;
	static_assert(sizeof kp->send_key == sizeof k.keypair->keys.send);
	std::memcpy(kp->send_key, k.keypair->keys.send.data(), sizeof kp->send_key);
	std::memcpy(kp->receive_key, k.keypair->keys.receive.data(), sizeof kp->receive_key);
	DataKeypair *raw = kp.get();
	if (keypairs_.publish(std::move(kp)) != KeypairTableError::none) {
		count(LinkDrop::publish_failed);
		return;
	}
	published_.emplace(k.local_index, raw);
	if (k.slot == KeypairSlot::current) {
		send_under(slot, raw);
		// Keypairs::add moved any unconfirmed next to previous.
		lp.next.reset();
	} else {
		lp.next = k.local_index;
	}
}

void DataLink::send_under(uint32_t slot, DataKeypair *kp)
{
	// Release: the worker that loads it (acquire) sees every field the
	// publish wrote.
	peers_[slot].send_keypair.store(kp, std::memory_order_release);
}

void DataLink::retired(uint32_t slot, LinkPeer &lp, uint32_t index)
{
	auto it = published_.find(index);
	if (it == published_.end()) {
		count(LinkDrop::unknown_keypair);
		return;
	}
	// Cleared before the retire, so no worker loads the pointer after the
	// grace period starts (data_peer.h).
	DataKeypair *expected = it->second;
	peers_[slot].send_keypair.compare_exchange_strong(expected, nullptr, std::memory_order_release,
							std::memory_order_relaxed);
	if (lp.next == index)
		lp.next.reset();
	published_.erase(it);
	keypairs_.retire(index);
}

DataActivity DataLink::activity(const DataPeer &dp, LinkPeer &lp)
{
	DataActivity a;
	Seen now_seen;
	now_seen.rx_packets = dp.rx_packets.get();
	now_seen.data_packets = now_seen.rx_packets - dp.keepalives_received.get();
	now_seen.tx_packets = dp.tx_packets.get();
	now_seen.last_data_tx_tsc = dp.last_data_tx_tsc.get();
	if (now_seen.rx_packets != lp.seen.rx_packets)
		a.received = clock_.to_clock(dp.last_rx_tsc.get());
	if (now_seen.data_packets != lp.seen.data_packets)
		a.data_received = clock_.to_clock(dp.last_data_rx_tsc.get());
	if (now_seen.tx_packets != lp.seen.tx_packets)
		a.sent = clock_.to_clock(dp.last_tx_tsc.get());
	// No keepalive count on the send side: the data time itself moves.
	if (now_seen.last_data_tx_tsc != lp.seen.last_data_tx_tsc)
		a.data_sent = clock_.to_clock(now_seen.last_data_tx_tsc);
	lp.seen = now_seen;
	if (lp.next) {
		auto it = published_.find(*lp.next);
		if (it != published_.end() && it->second->rx_packets.get() > 0)
			a.received_under = *lp.next;
	}
	return a;
}

void DataLink::poll(Clock::time_point now, Output &out)
{
	for (uint32_t slot = 0; slot < link_.size(); slot++) {
		LinkPeer &lp = link_[slot];
		if (!lp.added)
			continue;
		const PeerId id = lp.id;
		DataPeer &dp = peers_[slot];
		// The endpoint first, so a handshake started below goes where the
		// peer was last seen. Busy: a worker is writing it; next turn.
		AddrPort roamed;
		if (dp.endpoint.load(roamed) == EndpointCell::Read::found && roamed != lp.endpoint) {
			device_.set_endpoint(id, roamed);
			lp.endpoint = roamed;
		}
		if (dp.wants_handshake.exchange(false, std::memory_order_relaxed))
			device_.initiate(id, now, out);
		const DataActivity a = activity(dp, lp);
		if (a.received || a.data_received || a.sent || a.data_sent || a.received_under)
			device_.data_path_activity(id, a, now, out);
		apply(out);
	}
	keypairs_.reclaim();
}

} // namespace wayport::wireguard
