// Spec §3.13: every drop reason counts once and changes nothing; replayed
// and reordered handshake messages.
#include <gtest/gtest.h>

#include "dataplane/wire/classify.h"
#include "tests/relay/harness.h"

namespace wayport::relay {
namespace {

using namespace test;

bool same_state(const Endpoint &x, const Endpoint &y)
{
	return x.client == y.client && x.lamport_id == y.lamport_id &&
	       x.allocated_at == y.allocated_at && x.last_seen == y.last_seen &&
	       x.packets_rx == y.packets_rx && x.bytes_rx == y.bytes_rx && x.bound == y.bound &&
	       x.in_progress_generation == y.in_progress_generation && x.vni == y.vni &&
	       x.bound_mask == y.bound_mask;
}

class Handshake : public ::testing::Test {
protected:
	Relay relay;
	Peer a, b, stranger;
	AddrPort a_addr = v4(192, 0, 2, 1, 1001);
	AddrPort b_addr = v6(2, 1002);
	uint32_t vni = 0;
	Time now = kT0 + kSecond;

	void SetUp() override { vni = relay.allocate(a, b).vni; }

	const Endpoint &ep() { return *relay.server.find(vni); }

	void bind_both()
	{
		ASSERT_TRUE(relay.handshake(a, b.pub, vni, 1, a_addr, now));
		ASSERT_TRUE(relay.handshake(b, a.pub, vni, 1, b_addr, now));
	}

	// The packet is dropped for `reason`, its counter goes up by one, and
	// nothing else moves.
	void expect_drop(ByteSpan pkt, const AddrPort &from, DropReason reason,
			 size_t room = kReplyBufferLen)
	{
		std::vector<TableChange> changes;
		relay.server.take_table_changes(changes);  // earlier steps' changes
		changes.clear();
		Endpoint before = ep();
		Metrics m = relay.server.metrics();
		PacketResult r = relay.send(pkt, from, now, room);
		EXPECT_EQ(r.verdict, Verdict::drop) << to_string(reason);
		EXPECT_EQ(r.drop, reason) << to_string(r.drop) << " for " << to_string(reason);
		m.drops[static_cast<size_t>(reason)]++;
		const Metrics &after = relay.server.metrics();
		EXPECT_EQ(after.drops, m.drops) << to_string(reason);
		EXPECT_EQ(after.handshakes, m.handshakes);
		EXPECT_EQ(after.endpoints_open, m.endpoints_open);
		EXPECT_EQ(after.endpoints_connecting, m.endpoints_connecting);
		EXPECT_TRUE(same_state(before, ep())) << to_string(reason);
		relay.server.take_table_changes(changes);
		EXPECT_TRUE(changes.empty());
	}
};

TEST_F(Handshake, PipelineDrops)
{
	expect_drop(Bytes{0, 0x80, 0x7a, 0x11, 0}, a_addr, DropReason::too_short);
	Bytes stun(20, 0);
	stun[0] = 0x01;
	stun[1] = 0x01;
	stun[4] = 0x21, stun[5] = 0x12, stun[6] = 0xa4, stun[7] = 0x42;
	expect_drop(stun, a_addr, DropReason::stun);
	expect_drop(bind_packet(a, relay.pub(), 999, 1, b.pub), a_addr, DropReason::unknown_vni);
	expect_drop(data_packet(999, {1}), a_addr, DropReason::data);  // data: the workers', whatever the VNI

	Bytes wg_control = bind_packet(a, relay.pub(), vni, 1, b.pub);
	wg_control[3] = 0x12;  // protocol WireGuard with the control bit
	expect_drop(wg_control, a_addr, DropReason::control_protocol);
}

TEST_F(Handshake, ControlDrops)
{
	Bytes not_disco = geneve_bytes(true, kGeneveProtocolDisco, vni);
	not_disco.resize(not_disco.size() + 61, 0x54);
	expect_drop(not_disco, a_addr, DropReason::control_not_disco);

	expect_drop(bind_packet(stranger, relay.pub(), vni, 1, b.pub), a_addr,
		    DropReason::control_unknown_sender);

	Bytes tampered = bind_packet(a, relay.pub(), vni, 1, b.pub);
	tampered.back() ^= 1;
	expect_drop(tampered, a_addr, DropReason::control_open_failed);

	// Sealed to the wrong key: a box the right shared key cannot open.
	expect_drop(bind_packet(a, b.pub, vni, 1, b.pub), a_addr, DropReason::control_open_failed);

	Bytes short_bind = geneve_bytes(true, kGeneveProtocolDisco, vni);
	const uint8_t plain[] = {0x04, 0x00, 0x00, 0x00, 0x00, 0x01};
	disco::seal(a.shared_with(relay.pub()), a.pub, plain, short_bind);
	expect_drop(short_bind, a_addr, DropReason::control_parse_error);

	disco::Ping ping;
	expect_drop(control_packet(vni, a, relay.pub(), ping), a_addr,
		    DropReason::control_unexpected_type);
	disco::BindUdpRelayEndpointChallenge ch{common(vni, 1, b.pub)};
	expect_drop(control_packet(vni, a, relay.pub(), ch), a_addr,
		    DropReason::control_unexpected_type);
}

TEST_F(Handshake, BindDrops)
{
	// Sealed VNI 2 behind a Geneve header that says vni.
	disco::BindUdpRelayEndpoint wrong_vni{common(vni + 1, 1, b.pub)};
	expect_drop(control_packet(vni, a, relay.pub(), wrong_vni), a_addr,
		    DropReason::handshake_bad_vni);
	expect_drop(bind_packet(a, relay.pub(), vni, 1, stranger.pub), a_addr,
		    DropReason::handshake_bad_remote_key);
	expect_drop(bind_packet(a, relay.pub(), vni, 1, a.pub), a_addr,
		    DropReason::handshake_bad_remote_key);
	expect_drop(bind_packet(a, relay.pub(), vni, 0, b.pub), a_addr,
		    DropReason::bind_zero_generation);
	expect_drop(bind_packet(a, relay.pub(), vni, 1, b.pub), a_addr, DropReason::reply_no_room,
		    159);
}

TEST_F(Handshake, AnswerDrops)
{
	disco::Challenge zero{};
	expect_drop(answer_packet(a, relay.pub(), vni, 1, b.pub, zero), a_addr,
		    DropReason::answer_no_handshake);
	auto mac = relay.bind(a, b.pub, vni, 5, a_addr, now);
	ASSERT_TRUE(mac);
	expect_drop(answer_packet(a, relay.pub(), vni, 4, b.pub, *mac), a_addr,
		    DropReason::answer_generation_mismatch);
	expect_drop(answer_packet(a, relay.pub(), vni, 5, b.pub, zero), a_addr,
		    DropReason::answer_bad_mac);
	// The MAC covers the source: the right Answer from elsewhere fails.
	expect_drop(answer_packet(a, relay.pub(), vni, 5, b.pub, *mac), v4(192, 0, 2, 1, 1003),
		    DropReason::answer_bad_mac);
	expect_drop(answer_packet(a, relay.pub(), vni, 5, stranger.pub, *mac), a_addr,
		    DropReason::handshake_bad_remote_key);
	// A's MAC in B's Answer: B has no handshake of its own in progress.
	expect_drop(answer_packet(b, relay.pub(), vni, 5, a.pub, *mac), a_addr,
		    DropReason::answer_no_handshake);
	EXPECT_EQ(relay.answer(a, b.pub, vni, 5, *mac, a_addr, now).verdict, Verdict::consumed);
}

TEST_F(Handshake, DataDrops)
{
	// The core never forwards data; what it publishes decides where the
	// workers do.
	Bytes data = data_packet(vni, {1, 2, 3});
	expect_drop(data, a_addr, DropReason::data);
	EXPECT_EQ(relay.workers.forward(vni, a_addr).drop, "not_bound");
	ASSERT_TRUE(relay.handshake(a, b.pub, vni, 1, a_addr, now));
	EXPECT_EQ(relay.workers.forward(vni, a_addr).drop, "not_bound");  // half bound
	ASSERT_TRUE(relay.handshake(b, a.pub, vni, 1, b_addr, now));
	EXPECT_EQ(relay.workers.forward(vni, a_addr).to, b_addr);
	AddrPort other = a_addr;
	other.port++;
	EXPECT_EQ(relay.workers.forward(vni, other).drop, "source_mismatch");
	// Same IP and port, other family: not the bound address.
	AddrPort mapped = AddrPort::v6(a_addr.ip.data(), a_addr.port);
	EXPECT_EQ(relay.workers.forward(vni, mapped).drop, "source_mismatch");
	EXPECT_EQ(relay.workers.forward(vni + 1, a_addr).drop, "unknown_vni");
}

// Spec §3.13: the server does not validate version, option length or the
// reserved bits; its own header is always clean (spec §1.5).
TEST_F(Handshake, LenientGeneveStrictReply)
{
	Bytes bind = bind_packet(a, relay.pub(), vni, 1, b.pub);
	bind[0] |= 0x80;  // version 2
	bind[1] |= 0x3f;  // reserved bits
	bind[7] = 0xff;   // reserved byte
	PacketResult r = relay.send(bind, a_addr, now);
	ASSERT_EQ(r.verdict, Verdict::reply);
	Bytes clean = geneve_bytes(true, kGeneveProtocolDisco, vni);
	EXPECT_TRUE(std::equal(clean.begin(), clean.end(), relay.reply.begin()));
	EXPECT_TRUE(geneve_is_client_strict(ByteSpan(relay.reply.data(), r.reply_len)));
}

// Data is relayed whatever its protocol: WireGuard and relayed disco alike.
TEST_F(Handshake, DataOfAnyProtocolIsRelayed)
{
	bind_both();
	Bytes disco_data = geneve_bytes(false, kGeneveProtocolDisco, vni);
	disco_data.insert(disco_data.end(), kDiscoMagic, kDiscoMagic + kDiscoMagicLen);
	Bytes other = geneve_bytes(false, 0x1234, vni);
	for (const Bytes &pkt : {disco_data, other, data_packet(vni, {})}) {
		EXPECT_EQ(classify_payload(pkt).relay, RelayView::geneve_data) << to_hex(pkt);
		expect_drop(pkt, a_addr, DropReason::data);  // the workers' job
	}
}

TEST_F(Handshake, AnswerBeforeBind)
{
	auto c = common(vni, 1, b.pub);
	MacSecret guess{};
	auto forged = bind_mac(guess, a_addr, c);
	expect_drop(answer_packet(a, relay.pub(), vni, 1, b.pub, forged), a_addr,
		    DropReason::answer_no_handshake);
}

TEST_F(Handshake, AnswerReplayedAfterBinding)
{
	auto mac = relay.bind(a, b.pub, vni, 1, a_addr, now);
	ASSERT_TRUE(mac);
	Bytes answer = answer_packet(a, relay.pub(), vni, 1, b.pub, *mac);
	ASSERT_EQ(relay.send(answer, a_addr, now).verdict, Verdict::consumed);
	expect_drop(answer, a_addr, DropReason::answer_no_handshake);
	// Replayed from elsewhere: still nothing in progress.
	expect_drop(answer, v4(198, 51, 100, 1, 9), DropReason::answer_no_handshake);
	int leg = ep().client[0] == a.pub ? 0 : 1;
	EXPECT_TRUE(ep().is_bound(leg));
	EXPECT_EQ(ep().bound[leg], a_addr);
}

TEST_F(Handshake, OldGenerationAnswer)
{
	auto mac1 = relay.bind(a, b.pub, vni, 1, a_addr, now);
	auto mac2 = relay.bind(a, b.pub, vni, 2, a_addr, now);
	ASSERT_TRUE(mac1 && mac2);
	EXPECT_NE(*mac1, *mac2);
	expect_drop(answer_packet(a, relay.pub(), vni, 1, b.pub, *mac1), a_addr,
		    DropReason::answer_generation_mismatch);
	EXPECT_EQ(relay.answer(a, b.pub, vni, 2, *mac2, a_addr, now).verdict, Verdict::consumed);
}

TEST_F(Handshake, BindReplayGetsSameChallenge)
{
	Bytes bind = bind_packet(a, relay.pub(), vni, 7, b.pub);
	PacketResult r1 = relay.send(bind, a_addr, now);
	ASSERT_EQ(r1.verdict, Verdict::reply);
	auto c1 = relay.challenge_in_reply(a, r1.reply_len);
	PacketResult r2 = relay.send(bind, a_addr, now);
	ASSERT_EQ(r2.verdict, Verdict::reply);
	auto c2 = relay.challenge_in_reply(a, r2.reply_len);
	ASSERT_TRUE(c1 && c2);
	EXPECT_EQ(r1.reply_len, bind.size());
	EXPECT_EQ(r2.reply_len, bind.size());
	EXPECT_EQ(c1->challenge, c2->challenge);
	EXPECT_EQ(relay.server.metrics().handshake(HandshakeOutcome::challenge_sent), 2u);
	EXPECT_EQ(relay.answer(a, b.pub, vni, 7, c1->challenge, a_addr, now).verdict,
		  Verdict::consumed);
}

// A replayed Bind puts its generation back in progress; the replayed Answer
// then re-binds the very address the client used, and nothing else.
TEST_F(Handshake, ReplayedBindThenAnswerOnlyRefreshes)
{
	bind_both();
	std::vector<TableChange> changes;
	relay.server.take_table_changes(changes);
	changes.clear();
	Bytes bind = bind_packet(a, relay.pub(), vni, 2, b.pub);
	ASSERT_EQ(relay.send(bind, a_addr, now).verdict, Verdict::reply);
	auto mac = relay.challenge_in_reply(a, bind.size())->challenge;
	Bytes answer = answer_packet(a, relay.pub(), vni, 2, b.pub, mac);
	ASSERT_EQ(relay.send(answer, a_addr, now).verdict, Verdict::consumed);

	ASSERT_EQ(relay.send(bind, a_addr, now + kSecond).verdict, Verdict::reply);
	EXPECT_EQ(relay.send(answer, v4(198, 51, 100, 1, 9), now + kSecond).drop,
		  DropReason::answer_bad_mac);
	ASSERT_EQ(relay.send(answer, a_addr, now + kSecond).verdict, Verdict::consumed);
	EXPECT_EQ(relay.server.metrics().handshake(HandshakeOutcome::refreshed), 2u);
	relay.server.take_table_changes(changes);
	EXPECT_TRUE(changes.empty());
}

// A challenge outlives one rotation of the secret, not two.
TEST_F(Handshake, ChallengeAcrossRotations)
{
	auto mac = relay.bind(a, b.pub, vni, 1, a_addr, now);
	ASSERT_TRUE(mac);
	EXPECT_EQ(relay.answer(a, b.pub, vni, 1, *mac, a_addr, now + 2 * kMinute).verdict,
		  Verdict::consumed);
	EXPECT_EQ(relay.server.mac_secrets().count(), 2u);

	Time t = now + 3 * kMinute;
	mac = relay.bind(a, b.pub, vni, 2, a_addr, t);
	ASSERT_TRUE(mac);
	// Rotation is lazy: one control packet at +2 min, one at +4 min.
	relay.bind(b, a.pub, vni, 1, b_addr, t + 2 * kMinute);
	relay.bind(b, a.pub, vni, 1, b_addr, t + 4 * kMinute);
	EXPECT_EQ(relay.answer(a, b.pub, vni, 2, *mac, a_addr, t + 4 * kMinute).drop,
		  DropReason::answer_bad_mac);
}

TEST_F(Handshake, ReplyNeverLargerThanRequest)
{
	// Padding after the Bind body is ignored by the parser but still not
	// echoed: the Challenge stays 160 bytes.
	Bytes padded = geneve_bytes(true, kGeneveProtocolDisco, vni);
	disco::Message m;
	m.body = disco::BindUdpRelayEndpoint{common(vni, 1, b.pub)};
	m.trailing = Bytes(100, 0);
	disco::seal(a.shared_with(relay.pub()), a.pub, disco::marshal(m), padded);
	PacketResult r = relay.send(padded, a_addr, now);
	ASSERT_EQ(r.verdict, Verdict::reply);
	EXPECT_EQ(r.reply_len, 160u);
	Bytes plain_bind = bind_packet(a, relay.pub(), vni, 1, b.pub);
	EXPECT_EQ(plain_bind.size(), 160u);
	r = relay.send(plain_bind, a_addr, now);
	EXPECT_EQ(r.reply_len, plain_bind.size());
	expect_drop(plain_bind, a_addr, DropReason::reply_no_room, 159);
}

} // namespace
} // namespace wayport::relay
