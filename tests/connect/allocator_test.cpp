// Getting an endpoint: the sealed request over UDP, checked against
// wayportd's relay core, and the local API, against a real API server.
#include <gtest/gtest.h>

#include "controlplane/disco/seal.h"
#include "tests/connect/relay_net.h"
#include "tests/connect/temp_dir.h"
#include "tools/wayport-connect/allocator.h"

namespace wayport::connect {
namespace {

using test::ApiStub;
using test::TempDir;

struct Keys {
	disco::PrivateKey priv = disco::PrivateKey::generate();
	disco::PublicKey pub = priv.public_key();
};

// The relay core alone, without sockets: allocation is one packet in, one
// reply out.
struct Core {
	relay::SystemRandom random;
	Keys node;
	relay::Server server;
	std::array<uint8_t, relay::kReplyBufferLen> reply{};

	explicit Core(const relay::Config &c) : server(disco::PrivateKey::generate(), node.priv, c, random)
	{
		server.set_addr_ports({*AddrPort::parse("203.0.113.5:7777"), *AddrPort::parse("[2001:db8::5]:7777")});
	}

	// The request as a client sends it; the reply, if there is one.
	std::optional<Bytes> ask(const Keys &client, const std::array<disco::PublicKey, 2> &pair, uint32_t gen)
	{
		auto node_c = Correspondent::make(client.priv, node.pub);
		Bytes req = allocation_request(*node_c, client.pub, pair, gen);
		relay::PacketResult r = server.handle_packet(req, *AddrPort::parse("198.51.100.7:41641"), kSecond, reply);
		if (r.verdict != relay::Verdict::reply)
			return std::nullopt;
		return Bytes(reply.begin(), reply.begin() + static_cast<ptrdiff_t>(r.reply_len));
	}
};

relay::Config open_policy()
{
	relay::Config c;
	c.alloc.allow_any = true;
	return c;
}

TEST(Allocator, PairIsSortedAsMagicsockSendsIt)
{
	Keys a, b;
	auto p = sorted_pair(a.pub, b.pub);
	EXPECT_EQ(p, sorted_pair(b.pub, a.pub));
	EXPECT_LT(p[0], p[1]);
}

TEST(Allocator, RequestOverUdpGetsTheEndpoint)
{
	Core core(open_policy());
	Keys a, b;
	auto pair = sorted_pair(a.pub, b.pub);
	auto reply = core.ask(a, pair, 7);
	ASSERT_TRUE(reply);
	auto node = Correspondent::make(a.priv, core.node.pub);
	auto ep = allocation_response(*reply, *node, pair, 7);
	ASSERT_TRUE(ep);
	EXPECT_EQ(ep->server_disco, core.server.server_disco());
	EXPECT_EQ(sorted_pair(ep->client_disco[0], ep->client_disco[1]), pair);
	EXPECT_NE(ep->vni, 0u);
	EXPECT_EQ(ep->steady_state_lifetime_ns, 5 * kMinute);
	ASSERT_EQ(ep->addr_ports.size(), 2u);
	EXPECT_EQ(ep->addr_ports[1].to_string(), "[2001:db8::5]:7777");

	// The peer, asking on its own, meets on the same endpoint.
	auto reply_b = core.ask(b, pair, 99);
	ASSERT_TRUE(reply_b);
	auto ep_b = allocation_response(*reply_b, *Correspondent::make(b.priv, core.node.pub), pair, 99);
	ASSERT_TRUE(ep_b);
	EXPECT_EQ(ep_b->vni, ep->vni);
	EXPECT_EQ(ep_b->lamport_id, ep->lamport_id);
}

TEST(Allocator, ResponsesForOtherRequestsAreIgnored)
{
	Core core(open_policy());
	Keys a, b, c;
	auto pair = sorted_pair(a.pub, b.pub);
	auto reply = core.ask(a, pair, 7);
	ASSERT_TRUE(reply);
	auto node = *Correspondent::make(a.priv, core.node.pub);
	ASSERT_TRUE(allocation_response(*reply, node, pair, 7));
	// An older request's answer.
	EXPECT_FALSE(allocation_response(*reply, node, pair, 8));
	// Another pair's.
	EXPECT_FALSE(allocation_response(*reply, node, sorted_pair(a.pub, c.pub), 7));
	// Sealed by someone who is not the relay node we asked.
	Keys impostor;
	EXPECT_FALSE(allocation_response(*reply, *Correspondent::make(a.priv, impostor.pub), pair, 7));
	// Damaged.
	Bytes bad = *reply;
	bad.back() ^= 1;
	EXPECT_FALSE(allocation_response(bad, node, pair, 7));
	EXPECT_FALSE(allocation_response(ByteSpan(reply->data(), 40), node, pair, 7));
}

TEST(Allocator, ResponseWithoutAddressesIsIgnored)
{
	Keys a, b, node;
	auto pair = sorted_pair(a.pub, b.pub);
	disco::Message m;
	auto &r = m.body.emplace<disco::AllocateUdpRelayEndpointResponse>();
	r.generation = 3;
	r.endpoint.server_disco = Keys().pub;
	r.endpoint.client_disco = pair;
	r.endpoint.vni = 5;
	Bytes sealed = seal_to(*Correspondent::make(node.priv, a.pub), node.pub, m);
	auto from_node = *Correspondent::make(a.priv, node.pub);
	EXPECT_FALSE(allocation_response(sealed, from_node, pair, 3));
	// The same with an address is taken: only the address was missing.
	r.endpoint.addr_ports.push_back(*AddrPort::parse("203.0.113.5:7777"));
	sealed = seal_to(*Correspondent::make(node.priv, a.pub), node.pub, m);
	EXPECT_TRUE(allocation_response(sealed, from_node, pair, 3));
}

TEST(Allocator, ThroughTheLocalApi)
{
	TempDir dir;
	test::Relay relay(open_policy());
	relay.start_api(dir.file("api.sock"));
	Keys a, b;
	auto pair = sorted_pair(a.pub, b.pub);
	disco::UdpRelayEndpoint ep = allocate_via_api(dir.file("api.sock"), pair);
	EXPECT_EQ(ep.server_disco, relay.server_key());
	EXPECT_EQ(ep.client_disco, pair);
	EXPECT_EQ(ep.addr_ports, relay.addresses());
	EXPECT_EQ(ep.bind_lifetime_ns, 30 * kSecond);
	EXPECT_EQ(ep.steady_state_lifetime_ns, 5 * kMinute);
	ASSERT_NE(relay.core().find(ep.vni), nullptr);

	// Asked again, by either side: the same endpoint.
	disco::UdpRelayEndpoint again = allocate_via_api(dir.file("api.sock"), pair);
	EXPECT_EQ(again.vni, ep.vni);
	EXPECT_EQ(again.lamport_id, ep.lamport_id);
}

std::string api_error(const std::string &socket, const std::array<disco::PublicKey, 2> &pair)
{
	try {
		allocate_via_api(socket, pair);
	} catch (const std::runtime_error &e) {
		return e.what();
	}
	ADD_FAILURE() << "allocated";
	return "";
}

TEST(Allocator, ApiRefusalSaysWhy)
{
	TempDir dir;
	test::Relay relay(open_policy());
	relay.start_api(dir.file("api.sock"));
	Keys a;
	// The relay's own server key may not be a client.
	EXPECT_EQ(api_error(dir.file("api.sock"), sorted_pair(a.pub, relay.server_key())),
		  "wayportd refused the allocation (400): \"server_key\"");
}

TEST(Allocator, ApiUnreachable)
{
	TempDir dir;
	Keys a, b;
	std::string e = api_error(dir.file("absent.sock"), sorted_pair(a.pub, b.pub));
	EXPECT_EQ(e.rfind("cannot reach wayportd at " + dir.file("absent.sock") + ": ", 0), 0u) << e;
}

TEST(Allocator, ApiAnswerThatIsNoEndpoint)
{
	TempDir dir;
	Keys a, b;
	std::string body;
	ApiStub api(dir.file("api.sock"), [&](api::Call &c) {
		c.http_status = 200;
		c.body = body;
	});
	ASSERT_TRUE(api.started()) << api.error();
	auto pair = sorted_pair(a.pub, b.pub);
	const std::string good = R"({"ServerDisco":")" + a.pub.to_text() + R"(","ClientDisco":[")" + pair[0].to_text() +
				 R"(",")" + pair[1].to_text() +
				 R"("],"LamportID":1,"AddrPorts":["203.0.113.5:7777"],"VNI":9,"BindLifetime":"30s",)"
				 R"("SteadyStateLifetime":"5m0s"})";
	body = good;
	EXPECT_EQ(allocate_via_api(dir.file("api.sock"), pair).vni, 9u);

	const std::string malformed = "wayportd's endpoint JSON is malformed: ";
	auto with = [&](const std::string &from, const std::string &to) {
		body = good;
		body.replace(body.find(from), from.size(), to);
		return api_error(dir.file("api.sock"), pair);
	};
	EXPECT_EQ(with(R"(["203.0.113.5:7777"])", "[]"), malformed + "no AddrPorts");
	EXPECT_EQ(with("203.0.113.5:7777", "203.0.113.5"), malformed + "not an address: \"203.0.113.5\"");
	EXPECT_EQ(with("\"5m0s\"", "\"5 minutes\""), malformed + "not a Go duration: \"5 minutes\"");
	EXPECT_EQ(with("ServerDisco", "Server").rfind(malformed, 0), 0u);
	body = "not json";
	EXPECT_EQ(api_error(dir.file("api.sock"), pair).rfind(malformed, 0), 0u);
}

} // namespace
} // namespace wayport::connect
