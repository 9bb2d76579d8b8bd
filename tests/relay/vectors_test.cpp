// The spec's sealed end-to-end vectors (§4.4), byte for byte.
#include <gtest/gtest.h>

#include "controlplane/relay/status.h"
#include "tests/relay/harness.h"
#include "tests/relay/vectors.h"

namespace wayport::relay {
namespace {

using namespace test;

disco::PrivateKey priv(const char *name)
{
	Bytes raw = vec(name);
	disco::Key32 k{};
	std::copy_n(raw.begin(), std::min(raw.size(), k.size()), k.begin());
	return disco::PrivateKey::from_raw(k);
}

TEST(Vectors, BindChallengeAnswer)
{
	auto a = priv("key_A_priv"), b = priv("key_B_priv");
	Relay relay(Config{}, priv("key_S_priv"));
	ASSERT_EQ(to_hex(relay.pub().bytes), to_hex(vec("key_S_pub")));
	ServerEndpoint ep;
	ASSERT_EQ(relay.server.allocate(a.public_key(), b.public_key(), kT0, ep), AllocError::ok);
	ASSERT_EQ(ep.vni, 1u);

	// The first control packet draws the MAC secret, then the box nonce.
	relay.random.queue = {vec("mac_secret"), vec("nonce_2")};
	AddrPort a_addr = v4(192, 0, 2, 10, 41641);
	Bytes bind = vec("pkt_bind_A_to_S");
	PacketResult r = relay.send(bind, a_addr, kT0);
	ASSERT_EQ(r.verdict, Verdict::reply);
	EXPECT_EQ(to_hex(ByteSpan(relay.reply.data(), r.reply_len)), to_hex(vec("pkt_challenge_S_to_A")));
	EXPECT_EQ(r.reply_len, bind.size());

	r = relay.send(vec("pkt_answer_A_to_S"), a_addr, kT0 + kSecond);
	ASSERT_EQ(r.verdict, Verdict::consumed);
	const Endpoint *e = relay.server.find(1);
	ASSERT_NE(e, nullptr);
	int leg = e->client[0] == a.public_key() ? 0 : 1;
	EXPECT_TRUE(e->is_bound(leg));
	EXPECT_FALSE(e->is_bound(1 - leg));
	EXPECT_EQ(e->bound[leg], a_addr);
	EXPECT_EQ(e->last_seen[leg], kT0 + kSecond);
	EXPECT_EQ(e->in_progress_generation[leg], 0u);
}

TEST(Vectors, AllocationRequestAndResponse)
{
	auto a = priv("key_A_priv"), b = priv("key_B_priv");
	Config config;
	config.alloc.allow = {a.public_key()};
	Relay relay(config, priv("key_S_priv"), priv("key_R_priv"));
	relay.random.queue = {vec("nonce_6")};

	PacketResult r = relay.send(vec("pkt_alloc_req_A_to_R_naked_disco"), v4(192, 0, 2, 10, 41641),
				    kT0);
	ASSERT_EQ(r.verdict, Verdict::reply) << to_string(r.refusal);
	ByteSpan reply(relay.reply.data(), r.reply_len);
	EXPECT_EQ(to_hex(reply), to_hex(vec("pkt_alloc_resp_R_to_A_naked_disco")));

	auto plain = disco::open(*disco::shared_key(a, priv("key_R_priv").public_key()), reply);
	ASSERT_TRUE(plain);
	EXPECT_EQ(to_hex(*plain), to_hex(vec("disco_plain_alloc_resp_R")));
	disco::Message m;
	ASSERT_EQ(disco::parse(*plain, m), disco::ParseError::ok);
	auto &resp = std::get<disco::AllocateUdpRelayEndpointResponse>(m.body);
	EXPECT_EQ(resp.generation, 1u);
	// The request carried [A, B]; the response has the sorted pair [B, A].
	EXPECT_EQ(resp.endpoint.client_disco[0], b.public_key());
	EXPECT_EQ(resp.endpoint.client_disco[1], a.public_key());
	EXPECT_EQ(relay.server.metrics().allocation(AllocOutcome::allocated), 1u);
}

} // namespace
} // namespace wayport::relay
