// Allocation requests as naked disco: authorization, rate limit, per-client
// cap, and the refusals (no response, one counter each).
#include <gtest/gtest.h>

#include "tests/relay/harness.h"

namespace wayport::relay {
namespace {

using namespace test;

class Alloc : public ::testing::Test {
protected:
	disco::PrivateKey node = disco::PrivateKey::generate();
	Peer a, b, c, d;
	AddrPort src = v4(198, 51, 100, 7, 40000);

	Bytes request(const Peer &from, const disco::PublicKey &c0, const disco::PublicKey &c1,
		      uint32_t gen = 1, uint8_t version = 0)
	{
		disco::Message m;
		m.version = version;
		m.body = disco::AllocateUdpRelayEndpointRequest{{c0, c1}, gen};
		Bytes pkt;
		disco::seal(from.shared_with(node.public_key()), from.pub, disco::marshal(m), pkt);
		return pkt;
	}

	std::optional<disco::AllocateUdpRelayEndpointResponse> response(Relay &relay, const Peer &to,
									 PacketResult r)
	{
		if (r.verdict != Verdict::reply)
			return std::nullopt;
		auto plain = disco::open(to.shared_with(node.public_key()),
					 ByteSpan(relay.reply.data(), r.reply_len));
		if (!plain)
			return std::nullopt;
		disco::Message m;
		if (disco::parse(*plain, m) != disco::ParseError::ok)
			return std::nullopt;
		return std::get<disco::AllocateUdpRelayEndpointResponse>(m.body);
	}

	Config allowing(std::vector<disco::PublicKey> keys)
	{
		Config config;
		config.alloc.allow = std::move(keys);
		return config;
	}

	void expect_refused(Relay &relay, ByteSpan pkt, AllocRefusal reason,
			    const AddrPort &from, Time now = kT0, size_t room = kReplyBufferLen)
	{
		size_t endpoints = relay.server.endpoint_count();
		uint64_t before = relay.server.metrics().refusal(reason);
		PacketResult r = relay.send(pkt, from, now, room);
		EXPECT_EQ(r.verdict, Verdict::refused) << to_string(reason);
		EXPECT_EQ(r.refusal, reason) << to_string(r.refusal) << " for " << to_string(reason);
		EXPECT_EQ(relay.server.metrics().refusal(reason), before + 1);
		EXPECT_EQ(relay.server.endpoint_count(), endpoints);
	}
};

TEST_F(Alloc, DefaultDeniesEveryone)
{
	Relay relay(Config{}, std::nullopt, node);
	expect_refused(relay, request(a, a.pub, b.pub), AllocRefusal::not_allowed, src);
}

TEST_F(Alloc, AllowListAdmitsListedSendersOnly)
{
	Relay relay(allowing({a.pub}), std::nullopt, node);
	PacketResult r = relay.send(request(a, b.pub, a.pub, 42), src, kT0);
	auto resp = response(relay, a, r);
	ASSERT_TRUE(resp);
	EXPECT_EQ(resp->generation, 42u);
	auto sorted = a.pub < b.pub ? std::array{a.pub, b.pub} : std::array{b.pub, a.pub};
	EXPECT_EQ(resp->endpoint.client_disco, sorted);
	EXPECT_EQ(resp->endpoint.server_disco, relay.pub());
	EXPECT_EQ(resp->endpoint.addr_ports, std::vector{v4(203, 0, 113, 5, 7777)});
	EXPECT_EQ(resp->endpoint.vni, 1u);
	EXPECT_EQ(resp->endpoint.lamport_id, 1u);
	EXPECT_EQ(resp->endpoint.bind_lifetime_ns, 30 * kSecond);
	EXPECT_EQ(resp->endpoint.steady_state_lifetime_ns, 5 * kMinute);

	// B is a client of the pair but not on the list.
	expect_refused(relay, request(b, a.pub, b.pub), AllocRefusal::not_allowed, src);

	// Asking again returns the same endpoint, counted as existing.
	r = relay.send(request(a, a.pub, b.pub, 43), src, kT0 + kSecond);
	resp = response(relay, a, r);
	ASSERT_TRUE(resp);
	EXPECT_EQ(resp->generation, 43u);
	EXPECT_EQ(resp->endpoint.lamport_id, 1u);
	EXPECT_EQ(relay.server.metrics().allocation(AllocOutcome::allocated), 1u);
	EXPECT_EQ(relay.server.metrics().allocation(AllocOutcome::existing), 1u);
}

TEST_F(Alloc, AnyOnlyWhenSet)
{
	Config config;
	config.alloc.allow_any = true;
	Relay relay(config, std::nullopt, node);
	EXPECT_TRUE(response(relay, b, relay.send(request(b, a.pub, b.pub), src, kT0)));
	EXPECT_TRUE(response(relay, c, relay.send(request(c, c.pub, d.pub), src, kT0)));
}

TEST_F(Alloc, SenderMustBeAClient)
{
	Relay relay(allowing({a.pub}), std::nullopt, node);
	expect_refused(relay, request(a, b.pub, c.pub), AllocRefusal::sender_not_client, src);
}

TEST_F(Alloc, Refusals)
{
	Relay relay(allowing({a.pub}), std::nullopt, node);
	Bytes short_frame(40, 0);
	std::copy_n(kDiscoMagic, kDiscoMagicLen, short_frame.begin());
	expect_refused(relay, short_frame, AllocRefusal::not_disco, src);

	Bytes tampered = request(a, a.pub, b.pub);
	tampered.back() ^= 1;
	expect_refused(relay, tampered, AllocRefusal::open_failed, src);

	expect_refused(relay, request(a, a.pub, b.pub, 1, 1), AllocRefusal::version, src);

	disco::Message ping;
	ping.body = disco::Ping{};
	Bytes ping_pkt;
	disco::seal(a.shared_with(node.public_key()), a.pub, disco::marshal(ping), ping_pkt);
	expect_refused(relay, ping_pkt, AllocRefusal::not_request, src);

	Bytes garbage;
	const uint8_t one[] = {0x08};
	disco::seal(a.shared_with(node.public_key()), a.pub, one, garbage);
	expect_refused(relay, garbage, AllocRefusal::parse_error, src);

	expect_refused(relay, request(a, a.pub, relay.pub()), AllocRefusal::server_key, src);
	expect_refused(relay, request(a, a.pub, disco::PublicKey{}), AllocRefusal::bad_client_key,
		       src);
	expect_refused(relay, request(a, a.pub, b.pub), AllocRefusal::no_room, src, kT0, 100);

	relay.server.set_addr_ports({});
	expect_refused(relay, request(a, a.pub, b.pub), AllocRefusal::not_ready, src);
}

TEST_F(Alloc, WithoutNodeKeyNothingIsTaken)
{
	Relay relay(allowing({a.pub}));
	expect_refused(relay, request(a, a.pub, b.pub), AllocRefusal::no_node_key, src);
}

TEST_F(Alloc, LowOrderSenderUnderAny)
{
	Config config;
	config.alloc.allow_any = true;
	Relay relay(config, std::nullopt, node);
	Bytes pkt = request(a, a.pub, b.pub);
	std::fill_n(pkt.begin() + kDiscoMagicLen, kDiscoKeyLen, 0);  // sender: the zero point
	expect_refused(relay, pkt, AllocRefusal::bad_sender_key, src);
}

TEST_F(Alloc, RateLimitPerSourceIp)
{
	Config config = allowing({a.pub});
	config.alloc.rate = {1, 3, 16};  // 1 per second, burst 3
	Relay relay(config, std::nullopt, node);
	Bytes req = request(a, a.pub, b.pub);
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(relay.send(req, src, kT0).verdict, Verdict::reply);
	expect_refused(relay, req, AllocRefusal::rate_limited, src);
	AddrPort other_port = src;
	other_port.port++;
	expect_refused(relay, req, AllocRefusal::rate_limited, other_port);
	EXPECT_EQ(relay.send(req, v4(198, 51, 100, 8, 40000), kT0).verdict, Verdict::reply);
	EXPECT_EQ(relay.send(req, src, kT0 + kSecond).verdict, Verdict::reply);
	expect_refused(relay, req, AllocRefusal::rate_limited, src, kT0 + kSecond);
	// Garbage does not spend tokens: only authenticated requests do.
	Bytes tampered = req;
	tampered.back() ^= 1;
	for (int i = 0; i < 10; i++)
		relay.send(tampered, src, kT0 + 5 * kSecond);
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(relay.send(req, src, kT0 + 5 * kSecond).verdict, Verdict::reply);
}

TEST_F(Alloc, RateLimiterTableIsBounded)
{
	RateLimiter limiter({1, 2, 4});
	for (uint8_t i = 0; i < 4; i++)
		EXPECT_TRUE(limiter.allow(v4(10, 0, 0, i, 1), kT0));
	// Full of sources that are not idle: a fifth is refused.
	EXPECT_FALSE(limiter.allow(v4(10, 0, 0, 9, 1), kT0));
	EXPECT_EQ(limiter.sources(), 4u);
	// Once they have refilled, they are pruned to make room.
	EXPECT_TRUE(limiter.allow(v4(10, 0, 0, 9, 1), kT0 + 10 * kSecond));
	EXPECT_EQ(limiter.sources(), 1u);
}

TEST_F(Alloc, CapPerClientKey)
{
	Config config = allowing({a.pub});
	config.alloc.max_endpoints_per_client = 2;
	Relay relay(config, std::nullopt, node);
	EXPECT_EQ(relay.send(request(a, a.pub, b.pub), src, kT0).verdict, Verdict::reply);
	EXPECT_EQ(relay.send(request(a, a.pub, c.pub), src, kT0).verdict, Verdict::reply);
	expect_refused(relay, request(a, a.pub, d.pub), AllocRefusal::per_key_cap, src);
	// An existing pair is still answered.
	EXPECT_EQ(relay.send(request(a, a.pub, b.pub), src, kT0).verdict, Verdict::reply);
	// Once one expires, A may allocate again.
	relay.server.gc_all(kT0 + kMinute);
	EXPECT_EQ(relay.send(request(a, a.pub, d.pub), src, kT0 + kMinute).verdict, Verdict::reply);
	EXPECT_EQ(relay.server.live_endpoints_for(a.pub), 1u);
}

} // namespace
} // namespace wayport::relay
