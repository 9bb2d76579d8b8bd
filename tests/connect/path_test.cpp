// The Path state machine, driven on loopback sockets against wayportd's
// relay core, with a second Path as the peer, on virtual time.
#include <gtest/gtest.h>

#include <poll.h>

#include <cstdlib>

#include "controlplane/disco/seal.h"
#include "tests/connect/relay_net.h"
#include "tests/connect/temp_dir.h"

namespace wayport::connect {
namespace {

using namespace std::chrono_literals;
using test::Client;
using test::Kind;
using test::kT0;
using State = Path::State;

// With short_lifetimes(): steady-state lifetime 4 s, so a keepalive every
// second and a path given up after 3 keepalives and a second.
constexpr auto kKeepalive = 1s;
constexpr auto kPathTimeout = 4s;

struct Peers {
	test::Relay relay;
	disco::PrivateKey ka = disco::PrivateKey::generate();
	disco::PrivateKey kb = disco::PrivateKey::generate();
	Client a, b;
	test::Net net{relay, {&a, &b}};

	explicit Peers(relay::Config config = test::short_lifetimes(),
		       const std::vector<std::string> &relay_ips = {"127.0.0.1"},
		       const std::string &source = "127.0.0.1:0")
		: relay(std::move(config), relay_ips), a(relay, ka, kb.public_key(), source),
		  b(relay, kb, ka.public_key(), source)
	{
	}

	bool both_up() const { return a.state() == State::up && b.state() == State::up; }

	// Both started at t and brought up without time passing.
	void up(Clock::time_point t)
	{
		a.start(t);
		b.start(t);
		for (int i = 0; i < 5 && !both_up(); i++)
			net.step(t);
		ASSERT_TRUE(both_up()) << a.status(t) << "\n" << b.status(t);
	}

	const relay::Endpoint *endpoint() { return relay.core().find(a.path->vni()); }
	// The relay's leg for a client: the sorted pair's index of its key.
	int leg(const Client &c)
	{
		return endpoint()->client[0] == c.key.public_key() ? 0 : 1;
	}
};

std::vector<Clock::time_point> times(const std::vector<test::Arrival> &v)
{
	std::vector<Clock::time_point> t;
	for (const auto &a : v)
		t.push_back(a.at);
	return t;
}

std::vector<test::Arrival> from(const std::vector<test::Arrival> &v, const AddrPort &addr)
{
	std::vector<test::Arrival> out;
	for (const auto &a : v)
		if (a.from == addr)
			out.push_back(a);
	return out;
}

// Waits (in real time, up to 5 s) until something can be read on fd.
bool readable(int fd)
{
	pollfd p{fd, POLLIN, 0};
	return poll(&p, 1, 5000) == 1;
}

TEST(Path, AllocatesBindsConfirmsThenIsUp)
{
	Peers s;
	Clock::time_point t = kT0;
	s.a.start(t);
	EXPECT_EQ(s.a.state(), State::allocating);
	// A request now; the next in a second if nothing answers.
	EXPECT_EQ(s.a.tick(t), t + 1s);
	s.net.settle(t);
	ASSERT_EQ(s.relay.of(Kind::alloc_request).size(), 1u);
	EXPECT_EQ(s.a.state(), State::binding);
	EXPECT_EQ(s.a.counters.allocations, 1u);
	EXPECT_FALSE(s.a.path->relay_addr());
	EXPECT_FALSE(s.a.path->carries(s.relay.addresses()[0], s.a.path->vni()));

	t += 10ms;
	// Binds now, again in a second while no Challenge comes.
	EXPECT_EQ(s.a.tick(t), t + 1s);
	s.net.settle(t);
	auto binds = s.relay.of(Kind::bind);
	ASSERT_EQ(binds.size(), 1u);
	EXPECT_NE(binds[0].generation, 0u);
	EXPECT_EQ(binds[0].vni, s.a.path->vni());
	EXPECT_EQ(binds[0].at, t);
	// The Challenge came back and was answered: confirming.
	EXPECT_EQ(s.a.state(), State::confirming);
	auto answers = s.relay.of(Kind::answer);
	ASSERT_EQ(answers.size(), 1u);
	EXPECT_EQ(answers[0].generation, binds[0].generation);
	EXPECT_EQ(s.a.counters.handshakes, 1u);
	ASSERT_TRUE(s.a.path->relay_addr());
	EXPECT_EQ(*s.a.path->relay_addr(), s.relay.addresses()[0]);
	ASSERT_NE(s.endpoint(), nullptr);
	EXPECT_TRUE(s.endpoint()->is_bound(s.leg(s.a)));
	EXPECT_EQ(s.endpoint()->bound[s.leg(s.a)], s.a.sock.local());
	// A Ping to the peer went out at once; the relay has nobody to give it
	// to yet. Then one a second until a Pong.
	EXPECT_EQ(s.a.counters.pings_sent, 1u);
	EXPECT_EQ(s.relay.of(Kind::peer_disco).size(), 1u);
	EXPECT_EQ(s.a.tick(t + 500ms), t + 1s);
	EXPECT_EQ(s.a.counters.pings_sent, 1u);
	t += 1s;
	s.a.tick(t);
	EXPECT_EQ(s.a.counters.pings_sent, 2u);
	s.net.settle(t);
	EXPECT_EQ(s.a.state(), State::confirming);

	// The peer arrives: its Answer, its Ping through the relay, Pongs both
	// ways.
	t += 200ms;
	s.b.start(t);
	for (int i = 0; i < 3 && !s.both_up(); i++)
		s.net.step(t);
	EXPECT_EQ(s.a.state(), State::up);
	EXPECT_EQ(s.b.state(), State::up);
	EXPECT_TRUE(s.endpoint()->fully_bound());
	EXPECT_EQ(s.endpoint()->bound[s.leg(s.b)], s.b.sock.local());
	EXPECT_EQ(s.b.path->vni(), s.a.path->vni());
	for (const Client *c : {&s.a, &s.b}) {
		EXPECT_EQ(c->counters.allocations, 1u);
		EXPECT_EQ(c->counters.reallocations, 0u);
		EXPECT_EQ(c->counters.handshakes, 1u);
		EXPECT_EQ(c->counters.rebinds, 0u);
		EXPECT_GE(c->counters.pongs_received, 1u);
		EXPECT_GE(c->counters.pings_received, 1u);
		EXPECT_EQ(c->counters.dropped_unexpected, 0u);
	}
	// Up, the next ping is a keepalive away.
	EXPECT_EQ(s.a.tick(t), t + kKeepalive);
}

TEST(Path, BindsToEveryAddressAndAnswersTheFirstChallengeOnly)
{
	Peers s(test::short_lifetimes(), {"127.0.0.1", "127.0.0.1"});
	Clock::time_point t = kT0;
	s.a.start(t);
	s.a.tick(t);
	s.net.settle(t);
	ASSERT_EQ(s.a.state(), State::binding);

	s.a.tick(t);
	auto fds = s.relay.fds();
	ASSERT_TRUE(readable(fds[0]) && readable(fds[1]));
	// The relay's second address answers first.
	s.relay.serve(t, 1);
	ASSERT_TRUE(readable(s.a.sock.fd()));
	s.a.receive(t);
	EXPECT_EQ(s.a.state(), State::confirming);
	s.relay.serve(t, 0);
	s.net.settle(t);

	auto binds = s.relay.of(Kind::bind);
	ASSERT_EQ(binds.size(), 2u);
	EXPECT_NE(binds[0].socket, binds[1].socket);
	EXPECT_EQ(binds[0].generation, binds[1].generation);
	// Both Binds were answered with a valid Challenge; only the first got
	// an Answer, and that address is where data goes.
	EXPECT_EQ(s.relay.core().metrics().handshake(relay::HandshakeOutcome::challenge_sent), 2u);
	auto answers = s.relay.of(Kind::answer);
	ASSERT_EQ(answers.size(), 1u);
	EXPECT_EQ(answers[0].socket, 1u);
	EXPECT_EQ(*s.a.path->relay_addr(), s.relay.addresses()[1]);
	EXPECT_EQ(s.a.counters.handshakes, 1u);

	// Confirming, pings go to that address only.
	s.a.tick(t + 1s);
	s.net.settle(t + 1s);
	auto pings = s.relay.of(Kind::peer_disco);
	ASSERT_EQ(pings.size(), 2u);
	for (const auto &p : pings)
		EXPECT_EQ(p.socket, 1u);
	EXPECT_EQ(s.relay.of(Kind::answer).size(), 1u);
}

TEST(Path, DualStackSourceReachesIPv4AndIPv6Addresses)
{
	// The default source, [::]:0, against a relay advertising both families.
	try {
		UdpSocket probe(*AddrPort::parse("[::1]:0"));
	} catch (const std::exception &e) {
		GTEST_SKIP() << "no IPv6 loopback: " << e.what();
	}
	Peers s(test::short_lifetimes(), {"127.0.0.1", "::1"}, "[::]:0");
	Clock::time_point t = kT0;
	ASSERT_NO_FATAL_FAILURE(s.up(t));
	auto binds = from(s.relay.of(Kind::bind), *AddrPort::parse("127.0.0.1:" + std::to_string(s.a.sock.local().port)));
	auto binds6 = from(s.relay.of(Kind::bind), *AddrPort::parse("[::1]:" + std::to_string(s.a.sock.local().port)));
	ASSERT_EQ(binds.size(), 1u);
	ASSERT_EQ(binds6.size(), 1u);
	EXPECT_EQ(binds[0].socket, 0u);
	EXPECT_EQ(binds6[0].socket, 1u);
	EXPECT_EQ(binds[0].generation, binds6[0].generation);
	ASSERT_TRUE(s.a.path->relay_addr());
	EXPECT_TRUE(s.a.send_data("either family"));
	s.net.settle(t);
	EXPECT_EQ(s.b.to_wireguard, std::vector<std::string>{"either family"});
}

TEST(Path, ChallengesThatDoNotMatchGetNoAnswer)
{
	Peers s;
	Clock::time_point t = kT0;
	s.a.start(t);
	s.a.tick(t);
	s.net.settle(t);
	// The relay takes the Bind in but does not answer; the test does.
	s.relay.silent = true;
	s.a.tick(t);
	s.net.settle(t);
	auto binds = s.relay.of(Kind::bind);
	ASSERT_EQ(binds.size(), 1u);
	const uint32_t vni = binds[0].vni, gen = binds[0].generation;
	const disco::PublicKey self = s.ka.public_key(), peer = s.kb.public_key();
	const AddrPort to = s.a.sock.local();
	disco::Challenge mac;
	mac.fill(0x5a);

	auto deliver = [&](const Bytes &pkt) {
		s.relay.send_from(0, pkt, to);
		ASSERT_TRUE(readable(s.a.sock.fd()));
		s.net.settle(t);
	};
	// Sealed by the server, but for another generation, peer or VNI.
	deliver(s.relay.challenge(self, {vni, gen + 1, peer, mac}, vni));
	deliver(s.relay.challenge(self, {vni, gen, self, mac}, vni));
	deliver(s.relay.challenge(self, {vni + 1, gen, peer, mac}, vni));
	EXPECT_EQ(s.a.counters.dropped_unexpected, 0u);
	// Under another VNI's header, or sealed by someone else.
	deliver(s.relay.challenge(self, {vni, gen, peer, mac}, vni + 1));
	{
		disco::PrivateKey other = disco::PrivateKey::generate();
		Bytes pkt(kGeneveHeaderLen);
		geneve_encode({0, true, kGeneveProtocolDisco, vni}, pkt);
		disco::Message m;
		m.body = disco::BindUdpRelayEndpointChallenge{{vni, gen, peer, mac}};
		disco::seal(*disco::shared_key(other, self), other.public_key(), disco::marshal(m), pkt);
		deliver(pkt);
	}
	EXPECT_EQ(s.a.counters.dropped_unexpected, 2u);
	EXPECT_TRUE(s.relay.of(Kind::answer).empty());
	EXPECT_EQ(s.a.state(), State::binding);
	EXPECT_FALSE(s.a.path->relay_addr());

	// The right one is answered, echoing the MAC, from where it came.
	deliver(s.relay.challenge(self, {vni, gen, peer, mac}, vni));
	EXPECT_EQ(s.a.state(), State::confirming);
	auto answers = s.relay.of(Kind::answer);
	ASSERT_EQ(answers.size(), 1u);
	EXPECT_EQ(answers[0].generation, gen);
	EXPECT_EQ(*s.a.path->relay_addr(), s.relay.addresses()[0]);
	// Only once: a second copy is no new handshake.
	deliver(s.relay.challenge(self, {vni, gen, peer, mac}, vni));
	EXPECT_EQ(s.relay.of(Kind::answer).size(), 1u);
	EXPECT_EQ(s.a.counters.handshakes, 1u);
}

TEST(Path, AllocationRequestsBackOff)
{
	Peers s;
	s.relay.silent = true;
	Clock::time_point t = kT0;
	s.a.start(t);
	std::vector<Clock::time_point> wakes;
	for (int i = 0; i < 6; i++) {
		Clock::time_point wake = s.a.tick(t);
		s.net.settle(t);
		wakes.push_back(wake);
		// Nothing is due before then.
		EXPECT_EQ(s.a.tick(wake - 1ms), wake);
		t = wake;
	}
	EXPECT_EQ(wakes, (std::vector<Clock::time_point>{kT0 + 1s, kT0 + 3s, kT0 + 7s, kT0 + 15s, kT0 + 23s,
							 kT0 + 31s}));
	auto requests = s.relay.of(Kind::alloc_request);
	EXPECT_EQ(times(requests), (std::vector<Clock::time_point>{kT0, kT0 + 1s, kT0 + 3s, kT0 + 7s, kT0 + 15s,
								  kT0 + 23s}));
	// All the same request, so a late answer to any of them is taken.
	for (const auto &r : requests)
		EXPECT_EQ(r.generation, requests[0].generation);
	EXPECT_EQ(s.a.state(), State::allocating);
}

TEST(Path, ADuplicateAllocationResponseIsIgnored)
{
	Peers s;
	Clock::time_point t = kT0;
	s.a.start(t);
	s.a.tick(t);
	s.a.tick(t + 1s);  // the retry, before the relay has read either
	s.net.settle(t + 1s);
	EXPECT_EQ(s.relay.of(Kind::alloc_request).size(), 2u);
	EXPECT_EQ(s.a.state(), State::binding);
	EXPECT_EQ(s.a.counters.allocations, 1u);
	EXPECT_EQ(s.a.counters.dropped_unexpected, 1u);
}

TEST(Path, ResendsBindsThenAllocatesAgainWhenTheRelayForgotTheEndpoint)
{
	Peers s;
	Clock::time_point t = kT0;
	s.a.start(t);
	s.a.tick(t);
	s.net.settle(t);
	ASSERT_EQ(s.a.state(), State::binding);
	const disco::PublicKey old_server = s.relay.server_key();
	s.relay.restart();

	// Binds every second, each dropped by the relay (unknown VNI)...
	s.net.run(t, t + 5s);
	auto binds = s.relay.of(Kind::bind);
	ASSERT_EQ(times(binds), (std::vector<Clock::time_point>{t, t + 1s, t + 2s, t + 3s, t + 4s}));
	for (const auto &b : binds)
		EXPECT_EQ(b.generation, binds[0].generation);
	EXPECT_EQ(s.relay.core().metrics().drop(relay::DropReason::unknown_vni), 5u);
	EXPECT_EQ(s.a.state(), State::binding);

	// ...and five seconds after the first, a new allocation, a new server
	// key, and a handshake with a new generation.
	s.net.step(t + 5s);
	EXPECT_EQ(times(s.relay.of(Kind::alloc_request)), (std::vector<Clock::time_point>{t, t + 5s}));
	EXPECT_EQ(s.a.counters.allocations, 2u);
	EXPECT_EQ(s.a.counters.reallocations, 1u);
	EXPECT_EQ(s.a.state(), State::confirming);
	auto st = s.a.status(t + 5s);
	EXPECT_EQ(st["endpoint"]["server_disco"], s.relay.server_key().to_text());
	EXPECT_NE(st["endpoint"]["server_disco"], old_server.to_text());
	auto answers = s.relay.of(Kind::answer);
	ASSERT_EQ(answers.size(), 1u);
	EXPECT_NE(answers[0].generation, binds[0].generation);
	EXPECT_EQ(st["generation"], answers[0].generation);
}

TEST(Path, RebindsWithANewGenerationWhenTheRelayStopsAnswering)
{
	// A lifetime longer than the path timeout: the relay still knows the
	// endpoint when the client gives up on the binding. Keepalives are at
	// most 5 s apart, so the path timeout is 16 s.
	relay::Config config = test::short_lifetimes();
	config.steady_state_lifetime = 40 * kSecond;
	Peers s(config);
	Clock::time_point t = kT0;
	ASSERT_NO_FATAL_FAILURE(s.up(t));
	const uint32_t gen = s.a.status(t)["generation"];
	const uint64_t pings = s.a.counters.pings_sent;
	s.relay.silent = true;

	// Keepalives go unanswered; the path stays up until three are lost and
	// a second has passed.
	Clock::time_point down = s.net.run(t, t + 30s, [&] { return s.a.state() != State::up; });
	EXPECT_EQ(down, t + 16s);
	EXPECT_EQ(s.a.state(), State::binding);
	EXPECT_EQ(s.b.state(), State::binding);
	EXPECT_EQ(s.a.counters.pings_sent, pings + 3);  // three keepalives lost
	auto binds = s.relay.of(Kind::bind);
	auto a_binds = from(binds, s.a.sock.local());
	ASSERT_EQ(a_binds.size(), 2u);  // the first handshake's, and the new one
	const uint32_t new_gen = a_binds[1].generation;
	EXPECT_NE(new_gen, gen);
	EXPECT_NE(new_gen, 0u);
	EXPECT_EQ(a_binds[1].at, down);
	// The old binding still carries data meanwhile.
	EXPECT_EQ(*s.a.path->relay_addr(), s.relay.addresses()[0]);

	// The relay answers again: a handshake with the new generation, up.
	s.relay.silent = false;
	Clock::time_point back = s.net.run(down + 100ms, down + 10s, [&] { return s.both_up(); });
	EXPECT_EQ(back, down + 1s);  // at the next Bind
	EXPECT_TRUE(s.both_up());
	auto answers = from(s.relay.of(Kind::answer), s.a.sock.local());
	ASSERT_EQ(answers.size(), 2u);
	EXPECT_EQ(answers[1].generation, new_gen);
	EXPECT_EQ(s.a.status(back)["generation"], new_gen);
	for (const Client *c : {&s.a, &s.b}) {
		EXPECT_EQ(c->counters.handshakes, 2u);
		EXPECT_EQ(c->counters.rebinds, 1u);
		EXPECT_EQ(c->counters.allocations, 1u);
	}
	// Same source address: the relay refreshed the legs, it did not move them.
	EXPECT_EQ(s.relay.core().metrics().handshake(relay::HandshakeOutcome::refreshed), 2u);
}

TEST(Path, BothSidesHealAfterTheRelayRestarts)
{
	Peers s;
	Clock::time_point t = kT0;
	ASSERT_NO_FATAL_FAILURE(s.up(t));
	s.relay.restart();
	// No Pong for the path timeout, then no Challenge for the bind timeout:
	// allocate again, bind, up.
	Clock::time_point back = s.net.run(t + 1ms, t + 30s, [&] {
		return s.both_up() && s.a.counters.reallocations == 1 && s.b.counters.reallocations == 1;
	});
	EXPECT_TRUE(s.both_up());
	EXPECT_LE(back, t + kPathTimeout + 5s + 1s);
	ASSERT_NE(s.endpoint(), nullptr);
	EXPECT_TRUE(s.endpoint()->fully_bound());
	EXPECT_EQ(s.a.path->vni(), s.b.path->vni());
	EXPECT_TRUE(s.a.send_data("after the restart"));
	s.net.settle(back);
	EXPECT_EQ(s.b.to_wireguard, std::vector<std::string>{"after the restart"});
}

TEST(Path, KeepsAnIdlePathBoundWithPings)
{
	Peers s;
	Clock::time_point t = kT0;
	ASSERT_NO_FATAL_FAILURE(s.up(t));
	const uint32_t vni = s.a.path->vni();
	// Five lifetimes with no data: keepalives alone keep both legs bound.
	Clock::time_point end = s.net.run(t, t + 20s, [&] { return !s.both_up(); });
	EXPECT_EQ(end, t + 20s);
	EXPECT_TRUE(s.both_up());
	ASSERT_NE(s.relay.core().find(vni), nullptr);
	EXPECT_EQ(s.relay.core().metrics().endpoints_expired, 0u);
	for (const Client *c : {&s.a, &s.b}) {
		// Pings and Pongs from each leg, never more than a keepalive apart.
		auto heard = times(from(s.relay.of(Kind::peer_disco), c->sock.local()));
		ASSERT_FALSE(heard.empty());
		for (size_t i = 1; i < heard.size(); i++)
			EXPECT_LE(heard[i] - heard[i - 1], kKeepalive);
		EXPECT_EQ(heard.back(), t + 19s);
		EXPECT_GE(c->counters.pings_sent, 19u);
		EXPECT_EQ(c->counters.rebinds, 0u);
	}
	// The relay does expire a leg that goes quiet for a lifetime: without
	// the pings it would have.
	s.relay.serve(end + 4s + 1ms);
	EXPECT_EQ(s.relay.core().find(vni), nullptr);
	EXPECT_EQ(s.relay.core().metrics().endpoints_expired, 1u);
}

TEST(Path, RecordsTheRoundTripTime)
{
	Peers s;
	Clock::time_point t = kT0;
	ASSERT_NO_FATAL_FAILURE(s.up(t));
	auto st = s.a.status(t);
	ASSERT_TRUE(st["rtt_ms"].is_number());

	// A's keepalive at t1; its Pong is read 7 ms later.
	Clock::time_point t1 = t + kKeepalive;
	s.a.tick(t1);
	ASSERT_TRUE(readable(s.relay.fds()[0]));
	s.net.settle(t1 + 7ms);
	EXPECT_EQ(s.a.status(t1 + 7ms)["rtt_ms"], 7.0);
	EXPECT_EQ(s.a.status(t1 + 7ms + 250ms)["last_heard_ms"], 250.0);
	// The peer's Ping at the same time counts as heard, no RTT of its own.
	EXPECT_EQ(s.b.status(t1 + 7ms + 1s)["last_heard_ms"], 1000.0);
}

TEST(Path, CarriesOnlyFromTheBoundAddressAndVni)
{
	Peers s(test::short_lifetimes(), {"127.0.0.1", "127.0.0.1"});
	Clock::time_point t = kT0;
	ASSERT_NO_FATAL_FAILURE(s.up(t));
	const AddrPort bound = *s.a.path->relay_addr();
	const uint32_t vni = s.a.path->vni();
	const AddrPort other = bound == s.relay.addresses()[0] ? s.relay.addresses()[1] : s.relay.addresses()[0];
	EXPECT_TRUE(s.a.path->carries(bound, vni));
	EXPECT_FALSE(s.a.path->carries(bound, vni + 1));
	EXPECT_FALSE(s.a.path->carries(other, vni));
	AddrPort port = bound;
	port.port++;
	EXPECT_FALSE(s.a.path->carries(port, vni));

	auto wrapped = [&](GeneveHeader h) {
		Bytes b(kGeneveHeaderLen);
		geneve_encode(h, b);
		b.push_back(4);  // a WireGuard data message's first byte
		return b;
	};
	EXPECT_TRUE(s.a.path->carries(wrapped({0, false, kGeneveProtocolWireGuard, vni}), bound));
	EXPECT_FALSE(s.a.path->carries(wrapped({0, false, kGeneveProtocolWireGuard, vni}), other));
	EXPECT_FALSE(s.a.path->carries(wrapped({0, true, kGeneveProtocolWireGuard, vni}), bound));
	EXPECT_FALSE(s.a.path->carries(wrapped({0, false, kGeneveProtocolDisco, vni}), bound));
	EXPECT_FALSE(s.a.path->carries(wrapped({0, false, kGeneveProtocolWireGuard, vni + 1}), bound));
	// Headers magicsock would not take as Geneve: version 1, reserved bits.
	Bytes odd = wrapped({0, false, kGeneveProtocolWireGuard, vni});
	odd[0] |= 0x40;
	EXPECT_FALSE(s.a.path->carries(odd, bound));
	odd = wrapped({0, false, kGeneveProtocolWireGuard, vni});
	odd[7] = 1;
	EXPECT_FALSE(s.a.path->carries(odd, bound));
	EXPECT_FALSE(s.a.path->carries(ByteSpan(odd.data(), 4), bound));

	// Through the relay, both ways.
	EXPECT_TRUE(s.a.send_data("from a"));
	EXPECT_TRUE(s.b.send_data("from b"));
	s.net.settle(t);
	EXPECT_EQ(s.b.to_wireguard, std::vector<std::string>{"from a"});
	EXPECT_EQ(s.a.to_wireguard, std::vector<std::string>{"from b"});

	// The same datagram from anywhere else is not taken: from the relay's
	// other address, or from a stranger.
	const uint64_t dropped = s.a.counters.dropped_unexpected;
	Bytes data = wrapped({0, false, kGeneveProtocolWireGuard, vni});
	size_t other_socket = bound == s.relay.addresses()[0] ? 1 : 0;
	s.relay.send_from(other_socket, data, s.a.sock.local());
	UdpSocket stranger(*AddrPort::parse("127.0.0.1:0"));
	ASSERT_TRUE(stranger.send_to(data, s.a.sock.local()));
	s.net.settle(t);
	EXPECT_EQ(s.a.to_wireguard.size(), 1u);
	EXPECT_EQ(s.a.counters.dropped_unexpected, dropped + 2);
}

TEST(Path, RelayedDataCountsAsHeard)
{
	Peers s;
	Clock::time_point t = kT0;
	ASSERT_NO_FATAL_FAILURE(s.up(t));
	// B's Pongs are lost from now on (and B sends no Pings), but its data
	// gets through and keeps A's path up well past the path timeout.
	const AddrPort b_addr = s.b.sock.local();
	s.relay.drop = [&](const test::Arrival &a) { return a.kind == Kind::peer_disco && a.from == b_addr; };
	Clock::time_point now = t;
	for (int i = 0; i < 10; i++) {
		now += kKeepalive;
		s.a.tick(now);
		ASSERT_TRUE(s.b.send_data("x"));
		s.net.settle(now);
	}
	EXPECT_EQ(s.a.to_wireguard.size(), 10u);
	EXPECT_EQ(s.a.state(), State::up);
	EXPECT_EQ(s.a.counters.rebinds, 0u);
	// Without it, the path is rebound a path timeout after the last.
	now = s.net.run(now, now + 10s, [&] { return s.a.state() != State::up; });
	EXPECT_EQ(now, t + 10 * kKeepalive + kPathTimeout);
}

TEST(Path, StatusJson)
{
	Peers s;
	Clock::time_point t = kT0;
	s.a.start(t);
	auto st = s.a.status(t);
	EXPECT_EQ(st["state"], "allocating");
	EXPECT_EQ(st["self"], s.ka.public_key().to_text());
	EXPECT_EQ(st["peer"], s.kb.public_key().to_text());
	EXPECT_EQ(st["source"], s.a.sock.local().to_string());
	EXPECT_EQ(st["listen"], "127.0.0.1:51900");
	EXPECT_EQ(st["forward"], "127.0.0.1:51820");
	EXPECT_FALSE(st.contains("endpoint"));
	EXPECT_EQ(st["relay_addr"], "");
	EXPECT_TRUE(st["rtt_ms"].is_null());
	EXPECT_TRUE(st["last_heard_ms"].is_null());
	EXPECT_FALSE(st.contains("last_error"));

	s.b.start(t);
	for (int i = 0; i < 5 && !s.both_up(); i++)
		s.net.step(t);
	ASSERT_TRUE(s.both_up());
	st = s.a.status(t + 100ms);
	EXPECT_EQ(st["state"], "up");
	EXPECT_TRUE(st["generation"].is_number_unsigned());
	EXPECT_NE(st["generation"], 0);
	EXPECT_EQ(st["generation"], from(s.relay.of(Kind::answer), s.a.sock.local()).at(0).generation);
	const relay::Endpoint *e = s.endpoint();
	ASSERT_NE(e, nullptr);
	EXPECT_EQ(st["endpoint"], (nlohmann::json{{"server_disco", s.relay.server_key().to_text()},
						 {"vni", e->vni},
						 {"lamport_id", e->lamport_id},
						 {"bind_lifetime", "10s"},
						 {"steady_state_lifetime", "4s"}}));
	EXPECT_EQ(st["relay_addr"], s.relay.addresses()[0].to_string());
	EXPECT_EQ(st["rtt_ms"], 0.0);
	EXPECT_EQ(st["last_heard_ms"], 100.0);
	EXPECT_EQ(to_string(State::confirming), std::string("confirming"));
	EXPECT_EQ(to_string(State::binding), std::string("binding"));
}

TEST(Path, AllocatesThroughTheLocalApi)
{
	test::TempDir dir;
	Peers s;
	s.relay.start_api(dir.file("api.sock"));
	s.a.opt.api_socket = dir.file("api.sock");
	s.a.opt.relay.reset();
	s.a.opt.relay_key.reset();
	Clock::time_point t = kT0;
	ASSERT_NO_FATAL_FAILURE(s.up(t));
	EXPECT_EQ(s.a.counters.allocations, 1u);
	// Only B asked over UDP; both are on the one endpoint.
	auto requests = s.relay.of(Kind::alloc_request);
	ASSERT_EQ(requests.size(), 1u);
	EXPECT_EQ(requests[0].from, s.b.sock.local());
	EXPECT_EQ(s.a.path->vni(), s.b.path->vni());
	EXPECT_TRUE(s.endpoint()->fully_bound());
}

TEST(Path, AnUnreachableApiIsRetried)
{
	test::TempDir dir;
	Peers s;
	s.a.opt.api_socket = dir.file("absent.sock");
	s.a.opt.relay.reset();
	s.a.opt.relay_key.reset();
	Clock::time_point t = kT0;
	s.a.start(t);
	EXPECT_EQ(s.a.tick(t), t + 1s);
	EXPECT_EQ(s.a.tick(t + 1s), t + 3s);
	EXPECT_EQ(s.a.state(), State::allocating);
	std::string err = s.a.status(t)["last_error"];
	EXPECT_EQ(err.rfind("cannot reach wayportd at " + dir.file("absent.sock"), 0), 0u) << err;
}

TEST(Path, RefusesUnusableKeys)
{
	test::Relay relay(test::short_lifetimes());
	disco::PrivateKey self = disco::PrivateKey::generate();
	auto error = [&](const disco::PublicKey &peer, std::optional<disco::PublicKey> relay_key) {
		Client c(relay, self, peer);
		c.opt.relay_key = relay_key;
		try {
			c.start(kT0);
		} catch (const ConfigError &e) {
			return std::string(e.what());
		}
		return std::string();
	};
	const disco::PublicKey zero;  // a low-order point
	EXPECT_EQ(error(self.public_key(), relay.node_key()), "--peer is our own public key: give the other client's");
	EXPECT_EQ(error(zero, relay.node_key()), "--peer " + zero.to_text() + ": not a usable key (a low-order point)");
	EXPECT_EQ(error(disco::PrivateKey::generate().public_key(), zero),
		  "--relay-key " + zero.to_text() + ": not a usable key (a low-order point)");
}

TEST(Path, RebindsWhenOurSourceAddressChanges)
{
	// Needs a route of our own: a network namespace for this thread.
	bool ran = test::in_new_netns([] {
		ASSERT_EQ(std::system("ip addr add 10.9.0.1/32 dev lo && ip addr add 10.9.0.2/32 dev lo"), 0);
		Peers s(test::short_lifetimes(), {"10.9.0.1"}, "0.0.0.0:0");
		Clock::time_point t = kT0;
		ASSERT_NO_FATAL_FAILURE(s.up(t));
		for (const Client *c : {&s.a, &s.b})
			EXPECT_EQ(s.endpoint()->bound[s.leg(*c)].ip_string(), "10.9.0.1");

		// The host now reaches the relay from another address.
		ASSERT_EQ(std::system("ip route change local 10.9.0.1 dev lo table local proto kernel scope host "
				      "src 10.9.0.2"),
			  0);
		// Noticed at the next keepalive: a new handshake from there.
		Clock::time_point back = s.net.run(t + 1ms, t + 10s, [&] {
			return s.both_up() && s.a.counters.rebinds == 1 && s.b.counters.rebinds == 1;
		});
		EXPECT_EQ(back, t + kKeepalive);
		EXPECT_TRUE(s.both_up());
		for (const Client *c : {&s.a, &s.b}) {
			EXPECT_EQ(s.endpoint()->bound[s.leg(*c)].ip_string(), "10.9.0.2");
			EXPECT_EQ(c->counters.handshakes, 2u);
			EXPECT_EQ(c->counters.allocations, 1u);
		}
		EXPECT_EQ(s.relay.core().metrics().handshake(relay::HandshakeOutcome::rebound), 2u);
		EXPECT_TRUE(s.a.send_data("moved"));
		s.net.settle(back);
		EXPECT_EQ(s.b.to_wireguard, std::vector<std::string>{"moved"});
	});
	if (!ran)
		GTEST_SKIP() << "cannot make a network namespace (not root)";
}

} // namespace
} // namespace wayport::connect
