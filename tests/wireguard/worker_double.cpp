#include "tests/wireguard/worker_double.h"

#include <gtest/gtest.h>

#include "dataplane/crypto/aead.h"  // wg_padded_len

namespace wayport::wireguard::test {

using wgmsg::Transport;

void WorkerDouble::apply(const Output &out)
{
	for (const PeerEvent &e : out.events) {
		EXPECT_EQ(e.seq, ++seq_[e.peer]) << "peer " << e.peer << "'s events out of order";
		events.push_back(e);
		if (const auto *a = std::get_if<KeypairAdded>(&e.what)) {
			EXPECT_FALSE(keypairs.contains(a->local_index)) << "index " << a->local_index << " added twice";
			keypairs[a->local_index] = {e.peer, a->keypair, 0, {}, 0};
			if (a->slot == KeypairSlot::current) {
				send_index[e.peer] = a->local_index;
				next_index.erase(e.peer);
			} else {
				next_index[e.peer] = a->local_index;
			}
		} else if (const auto *c = std::get_if<KeypairConfirmed>(&e.what)) {
			EXPECT_EQ(next_index[e.peer], c->local_index);
			send_index[e.peer] = c->local_index;
			next_index.erase(e.peer);
		} else if (const auto *r = std::get_if<KeypairRetired>(&e.what)) {
			EXPECT_TRUE(keypairs.contains(r->local_index)) << "retired unknown " << r->local_index;
			if (send_index.contains(e.peer) && send_index[e.peer] == r->local_index)
				send_index.erase(e.peer);
			if (next_index.contains(e.peer) && next_index[e.peer] == r->local_index)
				next_index.erase(e.peer);
			keypairs.erase(r->local_index);
		} else if (const auto *l = std::get_if<EndpointLearned>(&e.what)) {
			endpoint[e.peer] = l->endpoint;
		}
	}
}

bool WorkerDouble::can_seal(PeerId peer, Clock::time_point now) const
{
	auto s = send_index.find(peer);
	if (s == send_index.end())
		return false;
	const Held &h = keypairs.at(s->second);
	return h.send_counter < kRejectAfterMessages && now - h.keypair->birth < kRejectAfterTime;
}

std::optional<Bytes> WorkerDouble::seal(PeerId peer, ByteSpan inner, Clock::time_point now)
{
	if (!can_seal(peer, now)) {
		refused++;
		return std::nullopt;
	}
	Held &h = keypairs.at(send_index.at(peer));
	Bytes plain(inner.begin(), inner.end());
	plain.resize(wg_padded_len(inner.size()), 0);
	Bytes msg(Transport::header_len + plain.size() + kTagLen);
	wgmsg::store_type(msg.data(), WireGuardType::transport);
	store_le32(msg.data() + Transport::receiver, h.keypair->keys.remote_index);
	const uint64_t counter = h.send_counter++;
	store_le64(msg.data() + Transport::counter, counter);
	aead_seal(h.keypair->keys.send, counter, plain, {}, msg.data() + Transport::data);
	if (h.send_counter >= kRekeyAfterMessages ||
	    (h.keypair->i_am_initiator && now - h.keypair->birth >= kRekeyAfterTime))
		wants_handshake[peer] = true;
	DataActivity &a = activity_[peer];
	a.sent = now;
	if (!inner.empty())
		a.data_sent = now;
	sealed++;
	return msg;
}

std::optional<InnerPacket> WorkerDouble::open(ByteSpan message, Clock::time_point now)
{
	auto it = keypairs.find(load_le32(message.data() + Transport::receiver));
	if (it == keypairs.end() || now - it->second.keypair->birth >= kRejectAfterTime)
		return std::nullopt;
	Held &h = it->second;
	const uint64_t counter = load_le64(message.data() + Transport::counter);
	Bytes plain(message.size() - kWireGuardTransportMinLen);
	if (!aead_open(h.keypair->keys.receive, counter, message.subspan(Transport::data), {}, plain.data()) ||
	    !h.window.validate(counter))
		return std::nullopt;
	h.rx_packets++;
	opened++;
	DataActivity &a = activity_[h.peer];
	a.received = now;
	if (plain.empty())
		return InnerPacket{h.peer, {}};
	a.data_received = now;
	// The test's packets are IPv4 with their length at bytes 2-3: the rest
	// is padding.
	plain.resize(load_be16(plain.data() + 2));
	return InnerPacket{h.peer, std::move(plain)};
}

DataActivity WorkerDouble::take_activity(PeerId peer)
{
	DataActivity a = activity_[peer];
	activity_.erase(peer);
	// DataLink's confirmation rule: the peer's next has received.
	auto n = next_index.find(peer);
	if (n != next_index.end() && keypairs.at(n->second).rx_packets > 0)
		a.received_under = n->second;
	return a;
}

} // namespace wayport::wireguard::test
