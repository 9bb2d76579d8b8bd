// Test helpers: clients that speak the handshake, and a server on virtual
// time with a scripted random source.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <deque>
#include <optional>

#include "tests/support/relay_mirror.h"
#include "controlplane/disco/key.h"
#include "controlplane/disco/message.h"
#include "controlplane/disco/seal.h"
#include "controlplane/relay/server.h"
#include "dataplane/wire/addr.h"
#include "dataplane/wire/geneve.h"

namespace wayport::relay::test {

inline constexpr Time kT0 = 1000 * kSecond;

// Hands out queued byte strings in order (each must match the size asked
// for), then deterministic filler that differs on every call.
class ScriptedRandom final : public RandomSource {
public:
	std::deque<Bytes> queue;

	void fill(std::span<uint8_t> out) override
	{
		if (!queue.empty()) {
			EXPECT_EQ(queue.front().size(), out.size());
			std::copy_n(queue.front().begin(), std::min(out.size(), queue.front().size()),
				    out.begin());
			queue.pop_front();
			return;
		}
		counter_++;
		for (size_t i = 0; i < out.size(); i++)
			out[i] = static_cast<uint8_t>(counter_ * 31 + i);
	}

private:
	uint64_t counter_ = 0;
};

struct Peer {
	disco::PrivateKey priv = disco::PrivateKey::generate();
	disco::PublicKey pub = priv.public_key();

	disco::SharedKey shared_with(const disco::PublicKey &other) const
	{
		return *disco::shared_key(priv, other);
	}
};

inline Bytes geneve_bytes(bool control, uint16_t protocol, uint32_t vni)
{
	Bytes b(kGeneveHeaderLen);
	geneve_encode({0, control, protocol, vni}, b);
	return b;
}

// Geneve control/disco + a disco message sealed from `from` to `to`.
inline Bytes control_packet(uint32_t vni, const Peer &from, const disco::PublicKey &to,
			    const disco::MessageBody &body)
{
	Bytes pkt = geneve_bytes(true, kGeneveProtocolDisco, vni);
	disco::Message m;
	m.body = body;
	disco::seal(from.shared_with(to), from.pub, disco::marshal(m), pkt);
	return pkt;
}

inline disco::BindCommon common(uint32_t vni, uint32_t gen, const disco::PublicKey &remote,
				const disco::Challenge &challenge = {})
{
	return {vni, gen, remote, challenge};
}

inline Bytes bind_packet(const Peer &c, const disco::PublicKey &server, uint32_t vni, uint32_t gen,
			 const disco::PublicKey &remote)
{
	return control_packet(vni, c, server, disco::BindUdpRelayEndpoint{common(vni, gen, remote)});
}

inline Bytes answer_packet(const Peer &c, const disco::PublicKey &server, uint32_t vni, uint32_t gen,
			   const disco::PublicKey &remote, const disco::Challenge &challenge)
{
	return control_packet(vni, c, server,
			      disco::BindUdpRelayEndpointAnswer{common(vni, gen, remote, challenge)});
}

inline Bytes data_packet(uint32_t vni, Bytes body)
{
	Bytes pkt = geneve_bytes(false, kGeneveProtocolWireGuard, vni);
	pkt.insert(pkt.end(), body.begin(), body.end());
	return pkt;
}

inline AddrPort v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
	const uint8_t ip[4] = {a, b, c, d};
	return AddrPort::v4(ip, port);
}

inline AddrPort v6(uint8_t last, uint16_t port)
{
	uint8_t ip[16] = {0x20, 0x01, 0x0d, 0xb8};
	ip[15] = last;
	return AddrPort::v6(ip, port);
}

struct Relay {
	ScriptedRandom random;
	Server server;
	RelayMirror workers{server};  // the data plane's view: where data goes
	std::array<uint8_t, kReplyBufferLen> reply{};

	explicit Relay(const Config &config = Config{},
		       std::optional<disco::PrivateKey> server_key = std::nullopt,
		       std::optional<disco::PrivateKey> node_key = std::nullopt)
		: server(server_key ? *server_key : disco::PrivateKey::generate(), node_key, config,
			 random)
	{
		server.set_addr_ports({v4(203, 0, 113, 5, 7777)});
	}

	const disco::PublicKey &pub() const { return server.server_disco(); }

	PacketResult send(ByteSpan pkt, const AddrPort &from, Time now,
			  size_t room = kReplyBufferLen)
	{
		return server.handle_packet(pkt, from, now, std::span(reply.data(), room));
	}

	ServerEndpoint allocate(const Peer &a, const Peer &b, Time now = kT0)
	{
		ServerEndpoint ep;
		EXPECT_EQ(server.allocate(a.pub, b.pub, now, ep), AllocError::ok);
		return ep;
	}

	// The Challenge in the last reply, opened by client c.
	std::optional<disco::BindCommon> challenge_in_reply(const Peer &c, size_t len) const
	{
		if (len < kGeneveHeaderLen)
			return std::nullopt;
		ByteSpan frame(reply.data() + kGeneveHeaderLen, len - kGeneveHeaderLen);
		auto plain = disco::open(c.shared_with(pub()), frame);
		if (!plain)
			return std::nullopt;
		disco::Message m;
		if (disco::parse(*plain, m) != disco::ParseError::ok)
			return std::nullopt;
		auto *ch = std::get_if<disco::BindUdpRelayEndpointChallenge>(&m.body);
		if (!ch)
			return std::nullopt;
		return *ch;
	}

	// Sends a Bind; returns the Challenge's MAC.
	std::optional<disco::Challenge> bind(const Peer &c, const disco::PublicKey &remote,
					     uint32_t vni, uint32_t gen, const AddrPort &from,
					     Time now)
	{
		Bytes pkt = bind_packet(c, pub(), vni, gen, remote);
		PacketResult r = send(pkt, from, now);
		if (r.verdict != Verdict::reply)
			return std::nullopt;
		EXPECT_LE(r.reply_len, pkt.size());
		auto ch = challenge_in_reply(c, r.reply_len);
		if (!ch)
			return std::nullopt;
		EXPECT_EQ(ch->vni, vni);
		EXPECT_EQ(ch->generation, gen);
		EXPECT_EQ(ch->remote_key, remote);
		return ch->challenge;
	}

	PacketResult answer(const Peer &c, const disco::PublicKey &remote, uint32_t vni,
			    uint32_t gen, const disco::Challenge &challenge, const AddrPort &from,
			    Time now)
	{
		return send(answer_packet(c, pub(), vni, gen, remote, challenge), from, now);
	}

	// Bind then Answer from the same source; true when the leg bound.
	bool handshake(const Peer &c, const disco::PublicKey &remote, uint32_t vni, uint32_t gen,
		       const AddrPort &from, Time now)
	{
		auto mac = bind(c, remote, vni, gen, from, now);
		if (!mac)
			return false;
		return answer(c, remote, vni, gen, *mac, from, now).verdict == Verdict::consumed;
	}
};

} // namespace wayport::relay::test
