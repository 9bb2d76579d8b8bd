// The five timers and the key-freshness rules (whitepaper §6, the kernel's
// timers.c and send.c keep_key_fresh) on virtual time, and cookies under
// load: what each constant makes happen, and when.
#include <gtest/gtest.h>

#include "controlplane/wireguard/cookie.h"
#include "controlplane/wireguard/cookie_checker.h"
#include "tests/wireguard/device_pair.h"

namespace wayport::wireguard::test {
namespace {

using namespace std::chrono_literals;

// Time passes in steps of `step`, delivering whatever the timers send.
void run_for(DevicePair &p, Clock::duration total, Clock::duration step = 100ms)
{
	for (Clock::duration t{}; t < total; t += step) {
		p.advance(step);
		p.deliver_all();
	}
}

// --- Rekey and reject --------------------------------------------------------

TEST(WireGuardTimers, InitiatorRekeysAfterTimeOnSend)
{
	DevicePair p;
	ASSERT_TRUE(p.a_reaches_b());
	p.advance(kRekeyAfterTime - 1s);
	p.in_flight.clear();
	EXPECT_TRUE(p.a_reaches_b());
	EXPECT_EQ(p.a.events(WgEvent::initiation_sent), 1u);

	p.advance(1s);
	p.send_a(ipv4_packet(1, 2));
	// The packet goes under the old keypair, and a new handshake starts.
	EXPECT_EQ(count_type(p.in_flight, WireGuardType::transport, true), 1u);
	EXPECT_EQ(count_type(p.in_flight, WireGuardType::initiation, true), 1u);
	p.deliver_all();
	EXPECT_EQ(p.a.events(WgEvent::response_received), 2u);
}

TEST(WireGuardTimers, ResponderDoesNotRekeyAfterTime)
{
	DevicePair p;
	ASSERT_TRUE(p.a_reaches_b());
	p.advance(kRekeyAfterTime + 1s);
	p.in_flight.clear();
	EXPECT_TRUE(p.b_reaches_a());
	EXPECT_EQ(p.b.events(WgEvent::initiation_sent), 0u);
}

TEST(WireGuardTimers, NobodySendsOrAcceptsAfterRejectAfterTime)
{
	DevicePair p;
	ASSERT_TRUE(p.a_reaches_b());
	p.send_a(ipv4_packet(1, 2));
	const Bytes late = p.in_flight.front().datagram.bytes;
	p.in_flight.clear();

	p.filter = [](const InFlight &) { return false; };
	p.advance(kRejectAfterTime);
	p.in_flight.clear();
	const uint64_t initiations = p.a.events(WgEvent::initiation_sent);
	p.advance(kRekeyTimeout);  // the new-handshake timer's initiation is not held against this one
	p.in_flight.clear();
	p.send_a(ipv4_packet(1, 2));
	EXPECT_EQ(count_type(p.in_flight, WireGuardType::transport, true), 0u);
	EXPECT_GT(p.a.events(WgEvent::initiation_sent), initiations);
	EXPECT_EQ(p.a.status(p.a_peer).staged, 1u);

	p.inject_to_b(late);
	EXPECT_EQ(p.b.drops(WgDrop::keypair_expired), 1u);
}

TEST(WireGuardTimers, RekeyAfterMessages)
{
	DevicePair p;
	ASSERT_TRUE(p.a_reaches_b());
	p.advance(kRekeyTimeout);  // past the first initiation's REKEY_TIMEOUT
	p.in_flight.clear();
	DevicePair::keypair(p.a, p.a.status(p.a_peer).current)->send_counter = kRekeyAfterMessages + 1;
	p.send_a(ipv4_packet(1, 2));
	EXPECT_EQ(count_type(p.in_flight, WireGuardType::transport, true), 1u);
	EXPECT_EQ(count_type(p.in_flight, WireGuardType::initiation, true), 1u);

	// The responder rekeys after messages too (only the time rule is the
	// initiator's alone).
	p.in_flight.clear();
	DevicePair q;
	ASSERT_TRUE(q.a_reaches_b());
	q.advance(6s);
	DevicePair::keypair(q.b, q.b.status(q.b_peer).current)->send_counter = kRekeyAfterMessages + 1;
	q.send_b(ipv4_packet(2, 1));
	EXPECT_EQ(count_type(q.in_flight, WireGuardType::initiation, false), 1u);
}

TEST(WireGuardTimers, RejectAfterMessages)
{
	DevicePair p;
	ASSERT_TRUE(p.a_reaches_b());
	p.advance(kRekeyTimeout);
	p.in_flight.clear();
	DevicePair::keypair(p.a, p.a.status(p.a_peer).current)->send_counter = kRejectAfterMessages;
	p.send_a(ipv4_packet(1, 2));
	EXPECT_EQ(count_type(p.in_flight, WireGuardType::transport, true), 0u);
	EXPECT_EQ(count_type(p.in_flight, WireGuardType::initiation, true), 1u);
	p.deliver_all();  // the new keypair carries the staged packet
	EXPECT_EQ(p.delivered_b.size(), 2u);
}

TEST(WireGuardTimers, LastMinuteHandshakeBeforeRejectOnReceive)
{
	DevicePair p;
	ASSERT_TRUE(p.a_reaches_b());
	// a (the initiator) only receives: its send-side rekey never runs, so
	// the receive-side rule must start the handshake before the keypair dies.
	p.advance(kRejectAfterTime - kKeepaliveTimeout - kRekeyTimeout - 1s);
	p.deliver_all();
	const uint64_t before = p.a.events(WgEvent::initiation_sent);
	p.in_flight.clear();
	ASSERT_TRUE(p.b_reaches_a());
	EXPECT_EQ(p.a.events(WgEvent::initiation_sent), before);
	p.advance(1s);
	p.in_flight.clear();
	p.send_b(ipv4_packet(2, 1));
	p.deliver_one();
	EXPECT_EQ(p.a.events(WgEvent::initiation_sent), before + 1);
	p.in_flight.clear();
	p.send_b(ipv4_packet(2, 1));
	p.deliver_one();
	EXPECT_EQ(p.a.events(WgEvent::initiation_sent), before + 1) << "once per keypair";
}

// --- Retries ---------------------------------------------------------------

TEST(WireGuardTimers, RetriesEveryRekeyTimeoutPlusJitterThenGivesUp)
{
	DevicePair p;
	p.filter = [](const InFlight &) { return false; };
	uint32_t draw = 0;
	p.random32 = [&draw] { return 100 + 334 * ++draw; };  // jitter 100 ms, distinct indexes
	p.send_a(ipv4_packet(1, 2));
	p.send_a(ipv4_packet(1, 2));
	EXPECT_EQ(p.a.events(WgEvent::initiation_sent), 1u);

	p.advance(kRekeyTimeout + 99ms);
	EXPECT_EQ(p.a.events(WgEvent::initiation_sent), 1u);
	p.advance(1ms);
	EXPECT_EQ(p.a.events(WgEvent::initiation_sent), 2u);
	EXPECT_EQ(p.a.status(p.a_peer).handshake_attempts, 1);

	for (int i = 0; i < 40; ++i)
		p.advance(kRekeyTimeout + 100ms);
	// The first, then a retry while attempts <= MAX_TIMER_HANDSHAKES: the
	// kernel's count, REKEY_ATTEMPT_TIME / REKEY_TIMEOUT + 2 in all.
	EXPECT_EQ(p.a.events(WgEvent::initiation_sent), uint64_t(kMaxTimerHandshakes) + 2);
	EXPECT_EQ(p.a.drops(WgDrop::handshake_gave_up), 2u);
	EXPECT_EQ(p.a.status(p.a_peer).staged, 0u);
	EXPECT_TRUE(p.a.status(p.a_peer).timers.zero_key_material.has_value());
}

TEST(WireGuardTimers, JitterComesFromTheRandomSourceWithinBounds)
{
	for (uint32_t r : {0u, 1u, 333u, 334u, 1000u}) {
		DevicePair p;
		p.random32 = [r] { return r; };
		Output out;
		p.a.initiate(p.a_peer, p.now, out);
		const auto deadline = p.a.status(p.a_peer).timers.retransmit_handshake;
		ASSERT_TRUE(deadline);
		EXPECT_EQ(*deadline - p.now, kRekeyTimeout + std::chrono::milliseconds(r % 334)) << r;
	}
}

TEST(WireGuardTimers, ResponseStopsTheRetries)
{
	DevicePair p;
	int dropped = 0;
	p.filter = [&dropped](const InFlight &f) {
		// Lose a's first two initiations.
		return !(f.from_a && wireguard_type(f.datagram.bytes) == WireGuardType::initiation && dropped++ < 2);
	};
	p.send_a(ipv4_packet(1, 2));
	run_for(p, 3 * kRekeyTimeout + 1s);
	EXPECT_EQ(p.a.events(WgEvent::initiation_sent), 3u);
	EXPECT_EQ(p.delivered_b.size(), 1u);
	EXPECT_FALSE(p.a.status(p.a_peer).timers.retransmit_handshake.has_value());
	run_for(p, 30s, 1s);
	EXPECT_EQ(p.a.events(WgEvent::initiation_sent), 3u);
}

// --- Keepalives -----------------------------------------------------------

TEST(WireGuardTimers, PassiveKeepaliveAfterKeepaliveTimeout)
{
	DevicePair p;
	ASSERT_TRUE(p.a_reaches_b());
	p.advance(kKeepaliveTimeout - 1ms);
	EXPECT_EQ(p.b.events(WgEvent::keepalive_sent), 0u);
	p.advance(1ms);
	EXPECT_EQ(p.b.events(WgEvent::keepalive_sent), 1u);
	p.deliver_all();
	EXPECT_EQ(p.a.events(WgEvent::keepalive_received), 1u);
	run_for(p, 60s, 1s);
	EXPECT_EQ(p.b.events(WgEvent::keepalive_sent), 1u) << "keepalives answer data, not keepalives";
}

TEST(WireGuardTimers, KeyMaterialZeroedAfterThreeRejectAfterTimes)
{
	DevicePair p;
	ASSERT_TRUE(p.a_reaches_b());
	p.filter = [](const InFlight &) { return false; };
	std::weak_ptr<Keypair> kp = DevicePair::keypair(p.a, p.a.status(p.a_peer).current);
	p.advance(3 * kRejectAfterTime - 1s);
	EXPECT_TRUE(p.a.status(p.a_peer).current.has_value());
	p.advance(1s);
	const PeerStatus s = p.a.status(p.a_peer);
	EXPECT_FALSE(s.current || s.previous || s.next || s.handshake_pending);
	EXPECT_EQ(p.a.index_table().size(), 0u);
	EXPECT_TRUE(kp.expired()) << "the keypair (and its keys) are gone";
}

// --- Cookies under load --------------------------------------------------

TEST(WireGuardTimers, UnderLoadTheFirstInitiationGetsACookieAndTheRetryIsAnswered)
{
	DevicePair p;
	p.b_load = {512, 4096};
	p.send_a(ipv4_packet(1, 2));
	p.deliver_all();
	EXPECT_EQ(p.b.events(WgEvent::cookie_sent), 1u);
	EXPECT_EQ(p.a.events(WgEvent::cookie_received), 1u);
	EXPECT_EQ(p.b.events(WgEvent::initiation_received), 0u);

	p.advance(kRekeyTimeout);  // the retry carries mac2
	p.deliver_all();
	EXPECT_EQ(p.b.events(WgEvent::initiation_received), 1u);
	EXPECT_EQ(p.b.events(WgEvent::cookie_sent), 1u);
	EXPECT_EQ(p.delivered_b.size(), 1u);
}

// An initiation from a's identity to b, with a newer timestamp than any
// before, its macs written by jar (mac2 once jar holds b's cookie).
Bytes initiation_from_a(DevicePair &p, CookieJar &jar, uint32_t sender_index)
{
	p.wall.seconds += 1;
	InitiationParams params;
	params.peer = p.b.identity().static_public;
	params.sender_index = sender_index;
	params.ephemeral = PrivateKey::generate();
	params.timestamp = Tai64n::from(p.wall);
	std::optional<PendingInitiation> pending;
	Bytes msg(kWireGuardInitiationLen);
	EXPECT_EQ(create_initiation(p.a.identity(), params, std::span<uint8_t, kWireGuardInitiationLen>(msg), pending),
		  HandshakeError::ok);
	jar.add_macs(msg, p.now);
	return msg;
}

// Under load, a's first initiation gets b's cookie reply, and jar takes
// the cookie: from then on jar writes a good mac2 for a's address.
void take_cookie(DevicePair &p, CookieJar &jar, QueueLoad load)
{
	Output out;
	p.b.receive(initiation_from_a(p, jar, 1), p.addr_a, p.now, out, load);
	ASSERT_EQ(out.datagrams.size(), 1u);
	ASSERT_EQ(jar.consume_reply(out.datagrams[0].bytes, p.now), HandshakeError::ok);
	EXPECT_EQ(p.b.events(WgEvent::cookie_sent), 1u);
}

TEST(WireGuardTimers, UnderLoadIsStickyForOneSecond)
{
	DevicePair p;
	CookieJar jar(p.b.identity().static_public);
	Output out;
	const Clock::time_point t0 = p.now;
	p.b.receive(initiation_from_a(p, jar, 1), p.addr_a, t0, out, {512, 4096});
	EXPECT_EQ(p.b.events(WgEvent::cookie_sent), 1u);
	p.b.receive(initiation_from_a(p, jar, 2), p.addr_a, t0 + 999ms, out, {511, 4096});
	EXPECT_EQ(p.b.events(WgEvent::cookie_sent), 2u) << "999 ms later, below 1/8: still under load";
	p.b.receive(initiation_from_a(p, jar, 3), p.addr_a, t0 + 1001ms, out, {511, 4096});
	EXPECT_EQ(p.b.events(WgEvent::cookie_sent), 2u) << "1001 ms later: not";
	EXPECT_EQ(p.b.events(WgEvent::initiation_received), 1u);
}

TEST(WireGuardTimers, UnderLoadMac2FromTheWrongSourceGetsAnotherCookie)
{
	DevicePair p;
	CookieJar jar(p.b.identity().static_public);
	take_cookie(p, jar, {512, 4096});
	Output out;
	const uint8_t elsewhere[4] = {203, 0, 113, 9};
	p.b.receive(initiation_from_a(p, jar, 2), AddrPort::v4(elsewhere, 51820), p.now, out, {512, 4096});
	EXPECT_EQ(p.b.events(WgEvent::cookie_sent), 2u);
	p.b.receive(initiation_from_a(p, jar, 3), p.addr_a, p.now, out, {512, 4096});
	EXPECT_EQ(p.b.events(WgEvent::initiation_received), 1u);
}

TEST(WireGuardTimers, UnderLoadValidMac2FromOneSourceIsRateLimited)
{
	DevicePair p;
	CookieJar jar(p.b.identity().static_public);
	take_cookie(p, jar, {4096, 4096});
	Output out;

	// Every 25 ms (past the per-peer 20 ms limit), with a good mac2: the
	// bucket refills 25 ms of its 50 ms cost per step, so after the burst
	// about every other one is refused.
	int accepted = 0, limited = 0;
	for (uint32_t i = 0; i < 40; ++i) {
		p.now += 25ms;
		const uint64_t received = p.b.events(WgEvent::initiation_received);
		const uint64_t refused = p.b.drops(WgDrop::ratelimited);
		p.b.receive(initiation_from_a(p, jar, 100 + i), p.addr_a, p.now, out, {4096, 4096});
		accepted += p.b.events(WgEvent::initiation_received) > received;
		limited += p.b.drops(WgDrop::ratelimited) > refused;
	}
	EXPECT_EQ(accepted + limited, 40);
	EXPECT_GE(accepted, 5) << "the burst";
	EXPECT_GE(limited, 10);
	EXPECT_EQ(p.b.events(WgEvent::cookie_sent), 1u);

	// Not under load, the bucket does not apply.
	p.now += 2s;
	for (uint32_t i = 0; i < 10; ++i) {
		p.now += 25ms;
		p.b.receive(initiation_from_a(p, jar, 200 + i), p.addr_a, p.now, out, {0, 4096});
	}
	EXPECT_EQ(p.b.drops(WgDrop::ratelimited), uint64_t(limited));
}

} // namespace
} // namespace wayport::wireguard::test
