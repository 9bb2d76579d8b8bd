#include "tests/integration/relay_client.h"

#include "controlplane/disco/seal.h"
#include "dataplane/wire/geneve.h"

namespace wayport::test {

namespace {

Bytes sealed(const disco::PrivateKey &from, const disco::PublicKey &to, const disco::Message &m,
	     std::optional<GeneveHeader> geneve)
{
	Bytes out;
	if (geneve) {
		out.resize(kGeneveHeaderLen);
		geneve_encode(*geneve, out);
	}
	disco::seal(*disco::shared_key(from, to), from.public_key(), disco::marshal(m), out);
	return out;
}

std::optional<disco::Message> open_from(const disco::PrivateKey &self, ByteSpan frame,
					const disco::PublicKey &expected_sender)
{
	if (!looks_like_disco_wrapper(frame) || disco::PublicKey::from_raw(disco_sender(frame)) != expected_sender)
		return std::nullopt;
	auto plain = disco::open(*disco::shared_key(self, expected_sender), frame);
	disco::Message m;
	if (!plain || disco::parse(*plain, m) != disco::ParseError::ok)
		return std::nullopt;
	return m;
}

} // namespace

std::optional<disco::AllocateUdpRelayEndpointResponse> RelayClient::allocate(const AddrPort &relay,
									     const disco::PublicKey &node,
									     const disco::PublicKey &peer,
									     uint32_t generation)
{
	disco::Message m;
	m.body = disco::AllocateUdpRelayEndpointRequest{{pub, peer}, generation};
	if (!sock.send(sealed(key, node, m, std::nullopt), relay))
		return std::nullopt;
	Bytes reply;
	AddrPort from;
	if (!sock.recv(reply, from))
		return std::nullopt;
	auto resp = open_from(key, reply, node);
	if (!resp)
		return std::nullopt;
	auto *r = std::get_if<disco::AllocateUdpRelayEndpointResponse>(&resp->body);
	return r ? std::optional(*r) : std::nullopt;
}

bool RelayClient::bind(const AddrPort &relay, const disco::PublicKey &server, uint32_t vni,
		       const disco::PublicKey &peer, uint32_t generation)
{
	GeneveHeader control{0, true, kGeneveProtocolDisco, vni};
	disco::Message m;
	auto &b = m.body.emplace<disco::BindUdpRelayEndpoint>();
	b.vni = vni;
	b.generation = generation;
	b.remote_key = peer;
	Bytes bind_pkt = sealed(key, server, m, control);
	if (!sock.send(bind_pkt, relay))
		return false;

	Bytes reply;
	AddrPort from;
	if (!sock.recv(reply, from) || reply.size() != bind_pkt.size())
		return false;
	GeneveHeader gh;
	if (!geneve_decode(reply, gh) || !gh.control || gh.vni != vni)
		return false;
	auto challenge = open_from(key, ByteSpan(reply).subspan(kGeneveHeaderLen), server);
	auto *c = challenge ? std::get_if<disco::BindUdpRelayEndpointChallenge>(&challenge->body) : nullptr;
	if (!c || c->vni != vni || c->generation != generation || c->remote_key != peer)
		return false;

	disco::Message answer;
	answer.body = disco::BindUdpRelayEndpointAnswer{*c};
	return sock.send(sealed(key, server, answer, control), relay);
}

Bytes RelayClient::data_packet(uint32_t vni, const Bytes &body)
{
	Bytes out(kGeneveHeaderLen);
	geneve_encode({0, false, kGeneveProtocolWireGuard, vni}, out);
	out.insert(out.end(), body.begin(), body.end());
	return out;
}

} // namespace wayport::test
