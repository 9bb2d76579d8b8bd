// Allocation requests as naked disco on the relay port (spec §3.2, minus
// DERP): AllocateUDPRelayEndpointRequest sealed to the node's disco key,
// answered with AllocateUDPRelayEndpointResponse sealed back.
#include "controlplane/relay/server.h"

#include <cstring>
#include <variant>

#include "controlplane/disco/seal.h"
#include "dataplane/wire/disco_frame.h"

namespace wayport::relay {

namespace {

AllocRefusal refusal_for(AllocError e)
{
	switch (e) {
	case AllocError::not_ready: return AllocRefusal::not_ready;
	case AllocError::server_key: return AllocRefusal::server_key;
	case AllocError::bad_client_key: return AllocRefusal::bad_client_key;
	case AllocError::pool_exhausted:
	case AllocError::ok: break;
	}
	return AllocRefusal::pool_exhausted;
}

} // namespace

PacketResult Server::refuse(AllocRefusal r)
{
	metrics_.alloc_refusals[static_cast<size_t>(r)]++;
	PacketResult res;
	res.verdict = Verdict::refused;
	res.refusal = r;
	return res;
}

PacketResult Server::handle_alloc_request(ByteSpan frame, const AddrPort &from, Time now,
					  std::span<uint8_t> reply)
{
	if (!node_priv_)
		return refuse(AllocRefusal::no_node_key);
	if (!looks_like_disco_wrapper(frame))
		return refuse(AllocRefusal::not_disco);

	// Policy before crypto: a sender that may not allocate costs nothing.
	auto sender = disco::PublicKey::from_raw(disco_sender(frame));
	disco::SharedKey shared;
	if (auto it = alloc_keys_.find(sender); it != alloc_keys_.end()) {
		shared = it->second;
	} else {
		if (!config_.alloc.allow_any)
			return refuse(AllocRefusal::not_allowed);
		auto s = disco::shared_key(*node_priv_, sender);
		if (!s)
			return refuse(AllocRefusal::bad_sender_key);
		shared = *s;
	}

	auto plain = disco::open(shared, frame);
	if (!plain)
		return refuse(AllocRefusal::open_failed);
	disco::Message m;
	if (disco::parse(*plain, m) != disco::ParseError::ok)
		return refuse(AllocRefusal::parse_error);
	auto *req = std::get_if<disco::AllocateUdpRelayEndpointRequest>(&m.body);
	if (!req)
		return refuse(AllocRefusal::not_request);
	// Tailscale reads a version != 0 request as all zeros: no usable pair.
	if (m.body_ignored)
		return refuse(AllocRefusal::version);
	if (sender != req->client_disco[0] && sender != req->client_disco[1])
		return refuse(AllocRefusal::sender_not_client);

	// Only an authenticated request spends a token, so a spoofed source
	// cannot drain a real client's bucket with garbage.
	if (!alloc_rate_.allow(from, now))
		return refuse(AllocRefusal::rate_limited);
	const auto &[a, b] = req->client_disco;
	auto pair = a < b ? std::array{a, b} : std::array{b, a};
	bool existing = by_pair_.contains(pair);
	uint32_t cap = config_.alloc.max_endpoints_per_client;
	if (!existing && (live_endpoints_for(a) >= cap || live_endpoints_for(b) >= cap))
		return refuse(AllocRefusal::per_key_cap);
	size_t need = kDiscoSealOverhead + disco::kMessageHeaderLen + 4 +
		      disco::kRelayEndpointFixedLen + disco::kAddrPortLen * addr_ports_.size();
	if (reply.size() < need)
		return refuse(AllocRefusal::no_room);

	disco::AllocateUdpRelayEndpointResponse resp;
	resp.generation = req->generation;
	if (AllocError err = allocate(a, b, now, resp.endpoint); err != AllocError::ok)
		return refuse(refusal_for(err));
	metrics_.allocations[static_cast<size_t>(existing ? AllocOutcome::existing :
							       AllocOutcome::allocated)]++;

	disco::Message out;
	out.body = std::move(resp);
	Bytes body = disco::marshal(out);
	disco::Nonce nonce;
	random_.fill(nonce);
	scratch_.clear();
	disco::seal(shared, node_pub_, body, scratch_, &nonce);
	std::memcpy(reply.data(), scratch_.data(), scratch_.size());
	PacketResult r;
	r.verdict = Verdict::reply;
	r.reply_len = scratch_.size();
	return r;
}

} // namespace wayport::relay
