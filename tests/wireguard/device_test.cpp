// The protocol engine between two of its own devices on virtual time: the
// kernel's handshake, keypair, timer and cookie behaviour, one rule per
// test, each asserted through what crosses the wire and the counters.
#include <gtest/gtest.h>

#include <algorithm>

#include "controlplane/wireguard/cookie.h"
#include "tests/wireguard/device_pair.h"

namespace wayport::wireguard::test {
namespace {

using namespace std::chrono_literals;

WireGuardType type_of(const InFlight &f)
{
	return wireguard_type(f.datagram.bytes);
}

// a's next initiation: its retry, REKEY_TIMEOUT after the last (the
// retransmit timer's, since a manual initiate() would be held back).
Bytes retry_initiation(DevicePair &p)
{
	p.in_flight.clear();
	p.advance(kRekeyTimeout);
	for (const auto &f : p.in_flight)
		if (f.from_a && type_of(f) == WireGuardType::initiation)
			return f.datagram.bytes;
	ADD_FAILURE() << "no retry";
	return {};
}

// --- Handshake and keypair confirmation -----------------------------------

TEST(WireGuardDevice, FirstPacketStagesStartsHandshakeAndArrives)
{
	DevicePair p;
	const Bytes packet = ipv4_packet(1, 2);
	p.send_a(packet);
	ASSERT_EQ(p.in_flight.size(), 1u);
	EXPECT_EQ(type_of(p.in_flight.front()), WireGuardType::initiation);
	EXPECT_EQ(p.a.status(p.a_peer).staged, 1u);

	p.deliver_all();
	ASSERT_EQ(p.delivered_b.size(), 1u);
	EXPECT_EQ(p.delivered_b[0].bytes, packet);
	EXPECT_EQ(p.delivered_b[0].peer, p.b_peer);
	EXPECT_EQ(p.a.events(WgEvent::initiation_sent), 1u);
	EXPECT_EQ(p.b.events(WgEvent::initiation_received), 1u);
	EXPECT_EQ(p.a.events(WgEvent::response_received), 1u);
	EXPECT_EQ(p.b.events(WgEvent::keypair_confirmed), 1u);
	// The initiator sends the staged packet, not a keepalive, to confirm.
	EXPECT_EQ(p.a.events(WgEvent::keepalive_sent), 0u);
	EXPECT_TRUE(p.a.status(p.a_peer).last_handshake.has_value());
	EXPECT_TRUE(p.b.status(p.b_peer).last_handshake.has_value());
	EXPECT_TRUE(p.b_reaches_a());
}

TEST(WireGuardDevice, ResponderWaitsForTheInitiatorsFirstPacket)
{
	DevicePair q;
	Output first;
	q.a.initiate(q.a_peer, q.now, first);
	ASSERT_EQ(first.datagrams.size(), 1u);
	q.inject_to_b(first.datagrams[0].bytes);  // b answers: its keypair waits in next
	PeerStatus b = q.b.status(q.b_peer);
	EXPECT_TRUE(b.next.has_value());
	EXPECT_FALSE(b.current.has_value());

	// b has data before a has answered: it is staged, and no initiation of
	// b's own crosses a's (it just sent a response: REKEY_TIMEOUT holds it).
	const Bytes early = ipv4_packet(2, 1);
	q.send_b(early);
	EXPECT_EQ(q.b.status(q.b_peer).staged, 1u);
	EXPECT_EQ(count_type(q.in_flight, WireGuardType::initiation, false), 0u);
	EXPECT_EQ(count_type(q.in_flight, WireGuardType::transport, false), 0u);

	q.deliver_all();  // the response; a's keepalive confirms; b flushes
	b = q.b.status(q.b_peer);
	EXPECT_TRUE(b.current.has_value());
	EXPECT_FALSE(b.next.has_value());
	EXPECT_EQ(q.a.events(WgEvent::keepalive_sent), 1u);
	EXPECT_EQ(q.b.events(WgEvent::keepalive_received), 1u);
	ASSERT_EQ(q.delivered_a.size(), 1u);
	EXPECT_EQ(q.delivered_a[0].bytes, early);
}

TEST(WireGuardDevice, SecondHandshakeRotatesSlots)
{
	DevicePair p;
	ASSERT_TRUE(p.a_reaches_b());
	const PeerStatus a1 = p.a.status(p.a_peer), b1 = p.b.status(p.b_peer);

	p.advance(6s);
	Output out;
	p.a.initiate(p.a_peer, p.now, out);
	ASSERT_EQ(out.datagrams.size(), 1u);
	p.inject_to_b(out.datagrams[0].bytes);
	PeerStatus b2 = p.b.status(p.b_peer);
	EXPECT_EQ(b2.current, b1.current) << "the old keypair stays current until confirmed";
	EXPECT_TRUE(b2.next.has_value());

	p.deliver_all();  // response, then a's keepalive under the new keypair
	const PeerStatus a2 = p.a.status(p.a_peer);
	EXPECT_EQ(a2.previous, a1.current);
	EXPECT_NE(a2.current, a1.current);
	b2 = p.b.status(p.b_peer);
	EXPECT_EQ(b2.previous, b1.current);
	ASSERT_TRUE(b2.current && a2.current);
	EXPECT_EQ(DevicePair::keypair(p.b, b2.current)->keys.remote_index, *a2.current);
	EXPECT_FALSE(b2.next.has_value());
	// Both keypairs decrypt: data still in flight under the old one is good.
	EXPECT_TRUE(p.a_reaches_b());
	EXPECT_TRUE(p.b_reaches_a());
}

TEST(WireGuardDevice, IndexesAreUniqueAndRetiredKeypairsLeaveTheTable)
{
	DevicePair p;
	for (int i = 0; i < 6; ++i) {
		ASSERT_TRUE(p.a_reaches_b());
		p.advance(6s);
		Output out;
		p.a.initiate(p.a_peer, p.now, out);
		for (auto &d : out.datagrams)
			p.in_flight.push_back({true, std::move(d)});
		p.deliver_all();
	}
	// At most previous, current and next, on each side.
	EXPECT_LE(p.a.index_table().size(), 3u);
	EXPECT_LE(p.b.index_table().size(), 3u);
	const PeerStatus s = p.a.status(p.a_peer);
	ASSERT_TRUE(s.previous && s.current);
	EXPECT_NE(*s.previous, *s.current);
}

TEST(WireGuardDevice, InitiationsAreOnePerRekeyTimeout)
{
	DevicePair p;
	Output out;
	p.a.initiate(p.a_peer, p.now, out);
	p.advance(kRekeyTimeout - 1ms);
	p.in_flight.clear();
	p.a.initiate(p.a_peer, p.now, out);
	EXPECT_EQ(out.datagrams.size(), 1u);
	p.now += 1ms;
	p.a.initiate(p.a_peer, p.now, out);
	EXPECT_EQ(out.datagrams.size(), 2u);
}

// --- Replayed and reordered handshake messages ------------------------------

TEST(WireGuardDevice, ReplayedInitiationIsRefused)
{
	DevicePair p;
	Output out;
	p.a.initiate(p.a_peer, p.now, out);
	const Bytes init = out.datagrams.at(0).bytes;
	p.inject_to_b(init);
	EXPECT_EQ(p.b.events(WgEvent::initiation_received), 1u);
	p.advance(1s);
	p.inject_to_b(init);
	EXPECT_EQ(p.b.drops(WgDrop::replayed_initiation), 1u);
	EXPECT_EQ(p.b.events(WgEvent::initiation_received), 1u);
}

TEST(WireGuardDevice, InitiationWithAnOlderTimestampIsRefused)
{
	DevicePair p;
	p.wall.seconds += 100;
	Output newer;
	p.a.initiate(p.a_peer, p.now, newer);
	p.wall.seconds -= 50;  // a's clock stepped back
	const Bytes older = retry_initiation(p);
	p.inject_to_b(newer.datagrams.at(0).bytes);
	p.inject_to_b(older);
	EXPECT_EQ(p.b.events(WgEvent::initiation_received), 1u);
	EXPECT_EQ(p.b.drops(WgDrop::replayed_initiation), 1u);
}

TEST(WireGuardDevice, InitiationsFasterThanFiftyASecondAreRefused)
{
	DevicePair p;
	Output one;
	p.a.initiate(p.a_peer, p.now, one);
	const Bytes two = retry_initiation(p);
	p.inject_to_b(one.datagrams.at(0).bytes);
	p.now += 10ms;  // newer timestamp, but within 20 ms of the last accepted
	p.inject_to_b(two);
	EXPECT_EQ(p.b.drops(WgDrop::initiation_flood), 1u);
	p.now += 20ms;
	p.inject_to_b(two);
	EXPECT_EQ(p.b.events(WgEvent::initiation_received), 2u);
}

TEST(WireGuardDevice, ResponseReplayedOrToAnOldInitiationIsRefused)
{
	DevicePair p;
	Output first;
	p.a.initiate(p.a_peer, p.now, first);
	Output resp1;
	p.b.receive(first.datagrams.at(0).bytes, p.addr_a, p.now, resp1);
	ASSERT_EQ(resp1.datagrams.size(), 1u);

	// a gave up on its first initiation and sent another: the response to
	// the first names an index a no longer has.
	const Bytes second = retry_initiation(p);
	p.inject_to_a(resp1.datagrams[0].bytes);
	EXPECT_EQ(p.a.drops(WgDrop::unknown_index), 1u);
	EXPECT_EQ(p.a.events(WgEvent::response_received), 0u);

	Output resp2;
	p.b.receive(second, p.addr_a, p.now, resp2);
	p.inject_to_a(resp2.datagrams.at(0).bytes);
	EXPECT_EQ(p.a.events(WgEvent::response_received), 1u);
	p.inject_to_a(resp2.datagrams.at(0).bytes);  // replayed: the index is a keypair's now
	EXPECT_EQ(p.a.drops(WgDrop::unknown_index), 2u);
	EXPECT_EQ(p.a.events(WgEvent::response_received), 1u);
}

TEST(WireGuardDevice, WrongMac1IsDroppedBeforeAnyDh)
{
	DevicePair p;
	Output out;
	p.a.initiate(p.a_peer, p.now, out);
	Bytes init = out.datagrams.at(0).bytes;
	init[wgmsg::Initiation::mac1] ^= 1;
	p.inject_to_b(init);
	EXPECT_EQ(p.b.drops(WgDrop::bad_mac1), 1u);
	EXPECT_EQ(p.b.events(WgEvent::initiation_received), 0u);
}

TEST(WireGuardDevice, UnknownPeerIsRefused)
{
	DevicePair p;
	Device stranger(PrivateKey::generate());
	const PeerId id = *stranger.add_peer({p.b.identity().static_public, {}, p.addr_b, {}}, p.now).value;
	Output out;
	stranger.initiate(id, p.now, out);
	p.inject_to_b(out.datagrams.at(0).bytes);
	EXPECT_EQ(p.b.drops(WgDrop::unknown_peer), 1u);
}

TEST(WireGuardDevice, AddPeerRefusesDuplicatesZeroAndOwnKey)
{
	DevicePair p;
	EXPECT_FALSE(p.a.add_peer({p.b.identity().static_public, {}, {}, {}}, p.now));
	EXPECT_FALSE(p.a.add_peer({PublicKey{}, {}, {}, {}}, p.now));
	const Parsed<PeerId> own = p.a.add_peer({p.a.identity().static_public, {}, {}, {}}, p.now);
	EXPECT_FALSE(own);
	EXPECT_NE(own.error.find("own"), std::string::npos);
	// A point of order 8 on Curve25519 (RFC 7748's list of low-order points).
	const Parsed<PublicKey> low = PublicKey::from_base64("X5yVvKNQjCSx0LFVnIPvWwREXMRYHI6G2CJO3dCfEVc=");
	ASSERT_TRUE(low);
	const Parsed<PeerId> refused = p.a.add_peer({*low.value, {}, {}, {}}, p.now);
	EXPECT_FALSE(refused);
	EXPECT_NE(refused.error.find("low-order"), std::string::npos);
}

TEST(WireGuardDevice, RemovedPeerLosesItsSessionAndItsKeyCanComeBack)
{
	DevicePair p;
	p.send_a(ipv4_packet(1, 2));
	p.deliver_all();
	ASSERT_TRUE(p.b_reaches_a());
	Output out;
	ASSERT_TRUE(p.b.remove_peer(p.b_peer, out));
	EXPECT_FALSE(p.b.remove_peer(p.b_peer, out)) << "once";
	EXPECT_FALSE(p.b.has_peer(p.b_peer));
	EXPECT_FALSE(p.b.find_peer(p.a.identity().static_public));
	EXPECT_EQ(p.b.status(p.b_peer).public_key, PublicKey{}) << "nothing left to show";
	EXPECT_EQ(p.b.index_table().size(), 0u) << "its keypairs and handshake left the index";

	// a's data under the old keypair is no one's now; its new handshake
	// is refused as an unknown peer's.
	p.in_flight.clear();
	p.send_a(ipv4_packet(1, 2));
	const uint64_t unknown_index = p.b.drops(WgDrop::unknown_index);
	p.deliver_all();
	EXPECT_EQ(p.b.drops(WgDrop::unknown_index), unknown_index + 1);
	p.b.send(p.b_peer, ipv4_packet(2, 1), p.now, out);
	EXPECT_EQ(p.b.drops(WgDrop::unknown_peer_id), 1u);

	// The key again: a new id, and a handshake with it works.
	auto again = p.b.add_peer({p.a.identity().static_public, {}, p.addr_a, {}}, p.now);
	ASSERT_TRUE(again) << again.error;
	EXPECT_NE(*again.value, p.b_peer);
	EXPECT_EQ(p.b.peer_count(), 2u);
	p.b_peer = *again.value;
	p.delivered_a.clear();
	p.send_b(ipv4_packet(2, 1));
	p.deliver_all();
	EXPECT_EQ(p.delivered_a.size(), 1u) << "staged, handshake, then delivered";
	EXPECT_TRUE(p.a_reaches_b());
}

TEST(WireGuardDevice, PersistentKeepaliveSetAtRunTimeSendsOneAtOnce)
{
	DevicePair p;
	p.send_a(ipv4_packet(1, 2));
	p.deliver_all();
	const uint64_t before = p.a.events(WgEvent::keepalive_sent);
	p.a.set_persistent_keepalive(p.a_peer, 25s, p.now);
	EXPECT_EQ(p.a.status(p.a_peer).persistent_keepalive, 25s);
	p.advance(1ms);
	EXPECT_EQ(p.a.events(WgEvent::keepalive_sent), before + 1);
	p.deliver_all();
	p.advance(25s);
	EXPECT_EQ(p.a.events(WgEvent::keepalive_sent), before + 2) << "then every 25 s";
	p.a.set_persistent_keepalive(p.a_peer, 0s, p.now);
	p.deliver_all();
	p.advance(60s);
	EXPECT_EQ(p.a.status(p.a_peer).timers.persistent_keepalive, std::nullopt);
}

// --- Preshared keys ------------------------------------------------------

TEST(WireGuardDevice, PresharedKeysMustMatch)
{
	Key32 psk;
	psk.fill(7);
	for (bool same : {true, false}) {
		Device a(PrivateKey::generate()), b(PrivateKey::generate());
		const Clock::time_point t0{};
		Key32 other = psk;
		if (!same)
			other[0] ^= 1;
		const PeerId ab = *a.add_peer({b.identity().static_public, psk, AddrPort{}, {}}, t0).value;
		b.add_peer({a.identity().static_public, other, AddrPort{}, {}}, t0);
		Output o1, o2, o3;
		a.initiate(ab, t0, o1);
		b.receive(o1.datagrams.at(0).bytes, AddrPort{}, t0, o2);
		ASSERT_EQ(o2.datagrams.size(), 1u) << "the psk enters only in message 2";
		a.receive(o2.datagrams[0].bytes, AddrPort{}, t0, o3);
		EXPECT_EQ(a.events(WgEvent::response_received), same ? 1u : 0u);
		EXPECT_EQ(a.drops(WgDrop::handshake_failed), same ? 0u : 1u);
	}
}

// --- Data: replay window, authentication, inner packets -----------------------

TEST(WireGuardDevice, DataReplayedAlteredOrMisaddressedIsDropped)
{
	DevicePair p;
	ASSERT_TRUE(p.a_reaches_b());
	p.send_a(ipv4_packet(1, 2));
	ASSERT_EQ(p.in_flight.size(), 1u);
	const Bytes data = p.in_flight.front().datagram.bytes;
	p.deliver_all();
	p.inject_to_b(data);
	EXPECT_EQ(p.b.drops(WgDrop::replayed_data), 1u);

	Bytes altered = data;
	altered.back() ^= 1;
	p.inject_to_b(altered);
	EXPECT_EQ(p.b.drops(WgDrop::decrypt_failed), 1u);

	Bytes unknown = data;
	store_le32(unknown.data() + wgmsg::Transport::receiver, 0xdeadbeef);
	p.inject_to_b(unknown);
	EXPECT_EQ(p.b.drops(WgDrop::unknown_index), 1u);

	const uint8_t junk[] = {9, 9, 9};
	p.inject_to_b(junk);
	EXPECT_EQ(p.b.drops(WgDrop::not_wireguard), 1u);
	EXPECT_EQ(p.delivered_b.size(), 2u);
}

TEST(WireGuardDevice, ReorderedDataWithinTheWindowIsAccepted)
{
	DevicePair p;
	ASSERT_TRUE(p.a_reaches_b());
	for (int i = 0; i < 5; ++i)
		p.send_a(ipv4_packet(1, 2, 60, static_cast<uint8_t>(i)));
	std::reverse(p.in_flight.begin(), p.in_flight.end());
	p.deliver_all();
	EXPECT_EQ(p.delivered_b.size(), 6u);
	EXPECT_EQ(p.b.drops(WgDrop::replayed_data), 0u);
}

TEST(WireGuardDevice, InnerPacketsAreTrimmedToTheirLengthOrDropped)
{
	DevicePair p;
	ASSERT_TRUE(p.a_reaches_b());
	const Bytes odd = ipv4_packet(1, 2, 61);  // padded to 64 on the wire
	p.send_a(odd);
	EXPECT_EQ(p.in_flight.front().datagram.bytes.size(), wgmsg::Transport::header_len + 64 + kTagLen);
	p.deliver_all();
	EXPECT_EQ(p.delivered_b.back().bytes, odd);

	const uint8_t not_ip[20] = {0x70};
	p.send_a(not_ip);
	Bytes lies = ipv4_packet(1, 2, 40);
	store_be16(lies.data() + 2, 1000);  // says more than it holds
	p.send_a(lies);
	p.deliver_all();
	EXPECT_EQ(p.b.drops(WgDrop::bad_inner_packet), 2u);
	EXPECT_EQ(p.delivered_b.size(), 2u);
}

TEST(WireGuardDevice, EndpointFollowsTheLatestAuthenticatedPacket)
{
	DevicePair p;
	ASSERT_TRUE(p.a_reaches_b());
	p.send_a(ipv4_packet(1, 2));
	const Bytes data = p.in_flight.front().datagram.bytes;
	p.in_flight.clear();
	const uint8_t roamed[4] = {198, 51, 100, 7};
	const AddrPort there = AddrPort::v4(roamed, 40000);
	Output out;
	p.b.receive(data, there, p.now, out);
	EXPECT_EQ(p.b.status(p.b_peer).endpoint, there);
	Bytes forged = data;
	forged.back() ^= 1;
	p.b.receive(forged, p.addr_a, p.now, out);
	EXPECT_EQ(p.b.status(p.b_peer).endpoint, there) << "an unauthenticated packet moves nothing";
}

TEST(WireGuardDevice, StagedQueueHoldsAtMost128)
{
	DevicePair p;
	p.filter = [](const InFlight &) { return false; };  // the peer is unreachable
	for (size_t i = 0; i < kMaxStagedPackets + 3; ++i)
		p.send_a(ipv4_packet(1, 2));
	EXPECT_EQ(p.a.status(p.a_peer).staged, kMaxStagedPackets);
	EXPECT_EQ(p.a.drops(WgDrop::staged_overflow), 3u);
	EXPECT_EQ(p.a.events(WgEvent::initiation_sent), 1u) << "one initiation per REKEY_TIMEOUT";
}

} // namespace
} // namespace wayport::wireguard::test
