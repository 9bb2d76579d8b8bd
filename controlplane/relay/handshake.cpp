// The packet pipeline (spec §3.5) and the bind handshake (spec §3.6).
#include "controlplane/relay/server.h"

#include <cstring>
#include <variant>

#include "controlplane/disco/seal.h"
#include "dataplane/wire/classify.h"
#include "dataplane/wire/disco_frame.h"
#include "dataplane/wire/geneve.h"

namespace wayport::relay {

namespace {

// Geneve + sealed BindUDPRelayEndpointChallenge: 160 bytes, the size of
// the smallest Bind that parses, so the reply never amplifies.
constexpr size_t kChallengeWireLen =
	kGeneveHeaderLen + kDiscoSealOverhead + disco::kMessageHeaderLen + disco::kBindCommonLen;
static_assert(kChallengeWireLen == 160);

} // namespace

PacketResult Server::drop(DropReason r)
{
	metrics_.drops[static_cast<size_t>(r)]++;
	PacketResult res;
	res.verdict = Verdict::drop;
	res.drop = r;
	return res;
}

PacketResult Server::handle_packet(ByteSpan payload, const AddrPort &from, Time now,
				   std::span<uint8_t> reply)
{
	// Naked disco is an allocation request: the appliance has no DERP, so
	// these come to the relay port.
	PayloadInfo info = classify_payload(payload);
	switch (info.relay) {
	case RelayView::disco:
		return handle_alloc_request(payload, from, now, reply);
	case RelayView::stun_binding:
		return drop(DropReason::stun);
	case RelayView::too_short:
		return drop(DropReason::too_short);
	case RelayView::geneve_control:
	case RelayView::geneve_data:
		break;
	}
	if (info.relay == RelayView::geneve_data)
		return drop(DropReason::data);
	const GeneveHeader &h = info.geneve;
	auto it = by_vni_.find(h.vni);
	if (it == by_vni_.end())
		return drop(DropReason::unknown_vni);
	Endpoint &e = slots_[it->second];
	if (h.protocol != kGeneveProtocolDisco)
		return drop(DropReason::control_protocol);
	mac_secrets_.maybe_rotate(now, random_);
	return handle_control(e, payload.subspan(kGeneveHeaderLen), from, now, reply, payload.size());
}

PacketResult Server::handle_control(Endpoint &e, ByteSpan frame, const AddrPort &from, Time now,
				    std::span<uint8_t> reply, size_t request_len)
{
	if (!looks_like_disco_wrapper(frame))
		return drop(DropReason::control_not_disco);
	const uint8_t *sender = disco_sender(frame);
	int leg = -1;
	for (int i = 0; i < 2 && leg < 0; i++)
		if (std::memcmp(sender, e.client[i].bytes.data(), kDiscoKeyLen) == 0)
			leg = i;
	if (leg < 0)
		return drop(DropReason::control_unknown_sender);
	auto plain = disco::open(e.shared[leg], frame);
	if (!plain)
		return drop(DropReason::control_open_failed);
	disco::Message m;
	if (disco::parse(*plain, m) != disco::ParseError::ok)
		return drop(DropReason::control_parse_error);

	const disco::BindCommon *common;
	if (auto *b = std::get_if<disco::BindUdpRelayEndpoint>(&m.body))
		common = b;
	else if (auto *a = std::get_if<disco::BindUdpRelayEndpointAnswer>(&m.body))
		common = a;
	else
		return drop(DropReason::control_unexpected_type);
	// The Geneve VNI found e; the sealed one must agree, or the header
	// was tampered with.
	if (common->vni != e.vni)
		return drop(DropReason::handshake_bad_vni);
	if (common->remote_key != e.client[1 - leg])
		return drop(DropReason::handshake_bad_remote_key);

	if (m.type() == disco::MessageType::bind_udp_relay_endpoint)
		return handle_bind(e, leg, *common, from, reply, request_len);
	return handle_answer(e, leg, *common, from, now);
}

PacketResult Server::handle_bind(Endpoint &e, int leg, const disco::BindCommon &bind,
				 const AddrPort &from, std::span<uint8_t> reply, size_t request_len)
{
	if (bind.generation == 0)
		return drop(DropReason::bind_zero_generation);
	// A Bind that parsed is at least 160 bytes, so the second test never
	// fires; it states the no-amplification rule where the reply is made.
	if (reply.size() < kChallengeWireLen || request_len < kChallengeWireLen)
		return drop(DropReason::reply_no_room);

	// Overwrites any generation in progress; the binding is untouched, so
	// the leg keeps forwarding until the new Answer arrives.
	e.in_progress_generation[leg] = bind.generation;

	disco::BindUdpRelayEndpointChallenge challenge;
	challenge.vni = e.vni;
	challenge.generation = bind.generation;
	challenge.remote_key = e.client[1 - leg];
	challenge.challenge = bind_mac(mac_secrets_[0], from, challenge);
	disco::Message m;
	m.body = challenge;

	Bytes plain;
	plain.reserve(disco::kMessageHeaderLen + disco::kBindCommonLen);
	disco::append_marshal(m, plain);
	disco::Nonce nonce;
	random_.fill(nonce);
	scratch_.assign(kGeneveHeaderLen, 0);
	geneve_encode({0, true, kGeneveProtocolDisco, e.vni}, scratch_);
	disco::seal(e.shared[leg], server_pub_, plain, scratch_, &nonce);
	std::memcpy(reply.data(), scratch_.data(), scratch_.size());

	metrics_.handshakes[static_cast<size_t>(HandshakeOutcome::challenge_sent)]++;
	PacketResult r;
	r.verdict = Verdict::reply;
	r.reply_len = scratch_.size();
	return r;
}

PacketResult Server::handle_answer(Endpoint &e, int leg, const disco::BindCommon &answer,
				   const AddrPort &from, Time now)
{
	if (e.in_progress_generation[leg] == 0)
		return drop(DropReason::answer_no_handshake);
	if (e.in_progress_generation[leg] != answer.generation)
		return drop(DropReason::answer_generation_mismatch);
	bool valid = false;
	for (size_t i = 0; i < mac_secrets_.count() && !valid; i++)
		valid = bind_mac(mac_secrets_[i], from, answer) == answer.challenge;
	if (!valid)
		return drop(DropReason::answer_bad_mac);

	bool was_bound = e.is_bound(leg);
	bool was_open = e.fully_bound();
	bool moved = was_bound && e.bound[leg] != from;
	e.bound[leg] = from;
	e.bound_mask |= static_cast<uint8_t>(1 << leg);
	e.last_seen[leg] = now;
	e.in_progress_generation[leg] = 0;

	HandshakeOutcome o = !was_bound ? HandshakeOutcome::bound :
			     moved ? HandshakeOutcome::rebound : HandshakeOutcome::refreshed;
	metrics_.handshakes[static_cast<size_t>(o)]++;
	if (!was_open && e.fully_bound()) {
		metrics_.endpoints_connecting--;
		metrics_.endpoints_open++;
	}
	if (o != HandshakeOutcome::refreshed)
		log_upsert(e);
	PacketResult r;
	r.verdict = Verdict::consumed;
	return r;
}

} // namespace wayport::relay
