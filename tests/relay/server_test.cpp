// Tailscale's TestServer: two clients over IPv4, IPv6 and mixed families.
#include <gtest/gtest.h>

#include "tests/relay/harness.h"

namespace wayport::relay {
namespace {

using namespace test;

struct Families {
	const char *name;
	bool a_v4;
	bool b_v4;
};

class TwoClients : public ::testing::TestWithParam<Families> {
protected:
	AddrPort addr(bool is_v4, uint8_t host, uint16_t port)
	{
		return is_v4 ? v4(192, 0, 2, host, port) : v6(host, port);
	}
};

TEST_P(TwoClients, Scenario)
{
	Relay relay;
	Peer a, b;
	AddrPort a_addr = addr(GetParam().a_v4, 1, 41641);
	AddrPort b_addr = addr(GetParam().b_v4, 2, 41642);

	// Allocate twice: identical details, whichever order the keys come in.
	ServerEndpoint ep = relay.allocate(a, b);
	ServerEndpoint again = relay.allocate(b, a, kT0 + kSecond);
	EXPECT_EQ(ep, again);
	EXPECT_EQ(ep.server_disco, relay.pub());
	EXPECT_EQ(ep.lamport_id, 1u);
	EXPECT_EQ(ep.vni, 1u);
	EXPECT_LT(ep.client_disco[0], ep.client_disco[1]);
	EXPECT_EQ(ep.bind_lifetime_ns, 30 * kSecond);
	EXPECT_EQ(ep.steady_state_lifetime_ns, 5 * kMinute);
	uint32_t vni = ep.vni;

	// Each client handshakes twice.
	Time now = kT0 + 2 * kSecond;
	for (uint32_t gen = 1; gen <= 2; gen++) {
		ASSERT_TRUE(relay.handshake(a, b.pub, vni, gen, a_addr, now));
		ASSERT_TRUE(relay.handshake(b, a.pub, vni, gen, b_addr, now));
	}
	EXPECT_EQ(relay.server.metrics().endpoints_open, 1u);
	EXPECT_EQ(relay.server.metrics().endpoints_connecting, 0u);

	// Data both ways, as the workers forward it on the published table;
	// the core itself refuses data.
	Bytes ab = data_packet(vni, {1, 2, 3});
	EXPECT_EQ(relay.send(ab, a_addr, now).drop, DropReason::data);
	auto fwd = [&](const AddrPort &from) { return relay.workers.relay(vni, from, ab.size(), now); };
	EXPECT_EQ(fwd(a_addr).to, b_addr);
	EXPECT_EQ(fwd(b_addr).to, a_addr);

	// A re-binds from a new port with a higher generation. Until its Answer
	// lands, the old binding keeps forwarding.
	AddrPort a_new = a_addr;
	a_new.port++;
	auto mac = relay.bind(a, b.pub, vni, 3, a_new, now);
	ASSERT_TRUE(mac);
	EXPECT_EQ(fwd(a_addr).to, b_addr);
	EXPECT_EQ(fwd(a_new).drop, "source_mismatch");
	ASSERT_EQ(relay.answer(a, b.pub, vni, 3, *mac, a_new, now).verdict, Verdict::consumed);
	EXPECT_EQ(fwd(a_new).to, b_addr);
	EXPECT_EQ(fwd(b_addr).to, a_new);
	EXPECT_EQ(fwd(a_addr).drop, "source_mismatch");

	// B does the same.
	AddrPort b_new = b_addr;
	b_new.port++;
	ASSERT_TRUE(relay.handshake(b, a.pub, vni, 3, b_new, now));
	EXPECT_EQ(fwd(b_new).to, a_new);
	EXPECT_EQ(fwd(a_new).to, b_new);
	EXPECT_EQ(fwd(b_addr).drop, "source_mismatch");

	const auto &m = relay.server.metrics();
	EXPECT_EQ(m.handshake(HandshakeOutcome::bound), 2u);
	EXPECT_EQ(m.handshake(HandshakeOutcome::refreshed), 2u);
	EXPECT_EQ(m.handshake(HandshakeOutcome::rebound), 2u);
	uint64_t forwarded = 0;
	for (auto &in : m.forwarded_packets)
		for (auto v : in)
			forwarded += v;
	EXPECT_EQ(forwarded, 7u);
}

INSTANTIATE_TEST_SUITE_P(Relay, TwoClients,
			 ::testing::Values(Families{"ipv4", true, true}, Families{"ipv6", false, false},
					   Families{"mixed", true, false}),
			 [](const auto &info) { return std::string(info.param.name); });

TEST(Allocate, Errors)
{
	Peer a, b;
	disco::PrivateKey server_key = disco::PrivateKey::generate();
	Relay relay(Config{}, server_key);
	ServerEndpoint ep;

	relay.server.set_addr_ports({});
	EXPECT_EQ(relay.server.allocate(a.pub, b.pub, kT0, ep), AllocError::not_ready);
	relay.server.set_addr_ports({v4(203, 0, 113, 5, 7777), v6(9, 7777)});
	EXPECT_EQ(relay.server.allocate(a.pub, relay.pub(), kT0, ep), AllocError::server_key);
	EXPECT_EQ(relay.server.allocate(relay.pub(), b.pub, kT0, ep), AllocError::server_key);
	disco::PublicKey low_order{};  // the zero point: X25519 gives all zeros
	EXPECT_EQ(relay.server.allocate(a.pub, low_order, kT0, ep), AllocError::bad_client_key);
	EXPECT_EQ(relay.server.endpoint_count(), 0u);
	EXPECT_FALSE(relay.server.vni_pool().in_use(1));
}

TEST(Allocate, MaxEndpointsCapsLiveEndpoints)
{
	Config config;
	config.max_endpoints = 2;
	Relay relay(config);
	Peer a, b, c;
	relay.allocate(a, b);
	relay.allocate(a, c);
	ServerEndpoint ep;
	EXPECT_EQ(relay.server.allocate(b.pub, c.pub, kT0, ep), AllocError::pool_exhausted);
	// An existing pair is still answered at the cap.
	EXPECT_EQ(relay.server.allocate(b.pub, a.pub, kT0, ep), AllocError::ok);
	EXPECT_EQ(relay.server.endpoint_count(), 2u);
}

TEST(Allocate, NewPairsGetNextVniAndLamport)
{
	Relay relay;
	Peer a, b, c;
	ServerEndpoint ab = relay.allocate(a, b);
	ServerEndpoint ac = relay.allocate(a, c);
	ServerEndpoint bc = relay.allocate(c, b);
	EXPECT_EQ(ab.vni, 1u);
	EXPECT_EQ(ac.vni, 2u);
	EXPECT_EQ(bc.vni, 3u);
	EXPECT_EQ(ab.lamport_id, 1u);
	EXPECT_EQ(ac.lamport_id, 2u);
	EXPECT_EQ(bc.lamport_id, 3u);
	EXPECT_EQ(relay.server.live_endpoints_for(a.pub), 2u);
	EXPECT_EQ(relay.server.metrics().endpoints_connecting, 3u);
}

// An existing endpoint is returned unchanged, with the current addresses.
TEST(Allocate, ExistingReflectsCurrentAddrPorts)
{
	Relay relay;
	Peer a, b;
	ServerEndpoint first = relay.allocate(a, b);
	relay.server.set_addr_ports({v6(9, 1234)});
	ServerEndpoint second = relay.allocate(a, b, kT0 + 10 * kSecond);
	EXPECT_EQ(second.vni, first.vni);
	EXPECT_EQ(second.lamport_id, first.lamport_id);
	ASSERT_EQ(second.addr_ports.size(), 1u);
	EXPECT_EQ(second.addr_ports[0], v6(9, 1234));
	// Nothing reset: allocatedAt still counts from the first call.
	EXPECT_EQ(relay.server.gc_all(kT0 + 30 * kSecond + 1).removed, 1u);
}

// The same key twice is not refused (Tailscale does not check either).
TEST(Allocate, SameKeyTwice)
{
	Relay relay;
	Peer a;
	ServerEndpoint ep = relay.allocate(a, a);
	EXPECT_EQ(ep.client_disco[0], ep.client_disco[1]);
	EXPECT_EQ(relay.server.live_endpoints_for(a.pub), 1u);
	EXPECT_EQ(relay.server.gc_all(kT0 + kMinute).removed, 1u);
	EXPECT_EQ(relay.server.live_endpoints_for(a.pub), 0u);
}

} // namespace
} // namespace wayport::relay
