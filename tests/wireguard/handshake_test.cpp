// WireGuard's messages 1 and 2 between an initiator and a responder built
// from this library on both sides: keys agree, and every malformed or
// mis-keyed message is refused with the reason the caller would count.
#include <gtest/gtest.h>

#include <array>
#include <cstring>

#include "controlplane/wireguard/handshake.h"
#include "dataplane/wire/bytes.h"
#include "tests/wireguard/low_order.h"

namespace wayport::wireguard {
namespace {

using InitiationBytes = std::array<uint8_t, kWireGuardInitiationLen>;
using ResponseBytes = std::array<uint8_t, kWireGuardResponseLen>;

// A fixed wall clock, as the handshake threads would inject one.
const WallClock kClock = [] { return WallTime{1'700'000'000, 500'000'000}; };

Key32 psk_of(uint8_t fill)
{
	Key32 k;
	k.fill(fill);
	return k;
}

PublicKey public_from_hex(std::string_view hex)
{
	PublicKey p;
	std::optional<Bytes> b = from_hex(hex);
	EXPECT_TRUE(b && b->size() == kKeyLen);
	if (b && b->size() == kKeyLen)
		std::memcpy(p.bytes.data(), b->data(), kKeyLen);
	return p;
}

class WireGuardHandshake : public ::testing::Test {
protected:
	Identity initiator{PrivateKey::generate()};
	Identity responder{PrivateKey::generate()};

	InitiationParams initiation_params(const Key32 &psk = {}) const
	{
		InitiationParams p;
		p.peer = responder.static_public;
		p.psk = psk;
		p.sender_index = 0x11223344;
		p.ephemeral = PrivateKey::generate();
		p.timestamp = Tai64n::from(kClock());
		return p;
	}

	ResponseParams response_params(const Key32 &psk = {}) const
	{
		ResponseParams p;
		p.psk = psk;
		p.sender_index = 0x55667788;
		p.ephemeral = PrivateKey::generate();
		return p;
	}

	// Message 1 from initiator to responder.
	InitiationBytes initiate(std::optional<PendingInitiation> &pending, const Key32 &psk = {})
	{
		InitiationBytes msg{};
		EXPECT_EQ(create_initiation(initiator, initiation_params(psk), msg, pending), HandshakeError::ok);
		return msg;
	}

	HandshakeError consume(ByteSpan msg)
	{
		std::optional<ReceivedInitiation> received;
		HandshakeError e = consume_initiation(responder, msg, received);
		EXPECT_EQ(received.has_value(), e == HandshakeError::ok);
		return e;
	}

	// A response to a fresh initiation; pending is the initiator's state.
	ResponseBytes respond(std::optional<PendingInitiation> &pending, const Key32 &psk = {})
	{
		InitiationBytes msg = initiate(pending, psk);
		std::optional<ReceivedInitiation> received;
		EXPECT_EQ(consume_initiation(responder, msg, received), HandshakeError::ok);
		ResponseBytes out{};
		TransportKeys keys;
		if (received) {
			EXPECT_EQ(create_response(*received, response_params(psk), out, keys), HandshakeError::ok);
		}
		return out;
	}
};

void round_trip(const Identity &initiator, const Identity &responder,
		const InitiationParams &ip, const ResponseParams &rp)
{
	InitiationBytes init_msg{};
	std::optional<PendingInitiation> pending;
	ASSERT_EQ(create_initiation(initiator, ip, init_msg, pending), HandshakeError::ok);
	ASSERT_TRUE(pending);
	EXPECT_EQ(to_hex(ByteSpan(init_msg).first(4)), "01000000");
	EXPECT_EQ(load_le32(init_msg.data() + wgmsg::Initiation::sender), ip.sender_index);
	// No cookie held: mac2 is zero.
	EXPECT_EQ(to_hex(ByteSpan(init_msg).subspan(wgmsg::Initiation::mac2)), std::string(32, '0'));

	std::optional<ReceivedInitiation> received;
	ASSERT_EQ(consume_initiation(responder, init_msg, received), HandshakeError::ok);
	ASSERT_TRUE(received);
	EXPECT_EQ(received->initiator, initiator.static_public);
	EXPECT_EQ(received->sender_index, ip.sender_index);
	EXPECT_EQ(received->timestamp, Tai64n::from(kClock()));

	ResponseBytes resp_msg{};
	TransportKeys responder_keys;
	ASSERT_EQ(create_response(*received, rp, resp_msg, responder_keys), HandshakeError::ok);
	EXPECT_EQ(to_hex(ByteSpan(resp_msg).first(4)), "02000000");
	EXPECT_EQ(response_receiver_index(resp_msg), ip.sender_index);

	TransportKeys initiator_keys;
	ASSERT_EQ(consume_response(initiator, *pending, ip.psk, resp_msg, initiator_keys), HandshakeError::ok);
	EXPECT_EQ(initiator_keys.send, responder_keys.receive);
	EXPECT_EQ(initiator_keys.receive, responder_keys.send);
	EXPECT_NE(initiator_keys.send, initiator_keys.receive);
	EXPECT_EQ(initiator_keys.local_index, ip.sender_index);
	EXPECT_EQ(initiator_keys.remote_index, rp.sender_index);
	EXPECT_EQ(responder_keys.local_index, rp.sender_index);
	EXPECT_EQ(responder_keys.remote_index, ip.sender_index);

	// A transport message (type 4) with the derived keys, counter 0.
	const uint8_t packet[] = {0x45, 0, 0, 20};
	uint8_t msg[wgmsg::Transport::header_len + sizeof(packet) + kTagLen];
	wgmsg::store_type(msg, WireGuardType::transport);
	store_le32(msg + wgmsg::Transport::receiver, initiator_keys.remote_index);
	store_le64(msg + wgmsg::Transport::counter, 0);
	aead_seal(initiator_keys.send, 0, packet, {}, msg + wgmsg::Transport::data);
	EXPECT_EQ(load_le32(msg + wgmsg::Transport::receiver), responder_keys.local_index);
	uint8_t opened[sizeof(packet)];
	EXPECT_TRUE(aead_open(responder_keys.receive, load_le64(msg + wgmsg::Transport::counter),
			      ByteSpan(msg + wgmsg::Transport::data, sizeof(packet) + kTagLen), {}, opened));
	EXPECT_EQ(std::memcmp(opened, packet, sizeof(packet)), 0);
}

TEST_F(WireGuardHandshake, RoundTripWithoutPsk)
{
	round_trip(initiator, responder, initiation_params(), response_params());
}

TEST_F(WireGuardHandshake, RoundTripWithPsk)
{
	round_trip(initiator, responder, initiation_params(psk_of(0x42)), response_params(psk_of(0x42)));
}

TEST_F(WireGuardHandshake, MismatchedPskFailsTheResponse)
{
	std::optional<PendingInitiation> pending;
	ResponseBytes resp = respond(pending, psk_of(1));
	ASSERT_TRUE(pending);
	TransportKeys keys;
	EXPECT_EQ(consume_response(initiator, *pending, psk_of(2), resp, keys), HandshakeError::decrypt_failed);
}

TEST_F(WireGuardHandshake, IdentityKeysAreTheLabelledHashes)
{
	EXPECT_EQ(responder.mac1_key, mac1_key(responder.static_public));
	EXPECT_EQ(responder.static_public, responder.static_key.public_key());
}

TEST_F(WireGuardHandshake, WrongMac1IsRejected)
{
	std::optional<PendingInitiation> pending;
	InitiationBytes msg = initiate(pending);
	InitiationBytes bad = msg;
	bad[wgmsg::Initiation::mac1] ^= 1;
	EXPECT_EQ(consume(bad), HandshakeError::bad_mac1);
	// Any byte mac1 covers, changed without recomputing it.
	bad = msg;
	bad[wgmsg::Initiation::encrypted_timestamp] ^= 1;
	EXPECT_EQ(consume(bad), HandshakeError::bad_mac1);
	EXPECT_STREQ(to_string(HandshakeError::bad_mac1), "bad_mac1");
	// mac2 is not mac1's business.
	bad = msg;
	bad[wgmsg::Initiation::mac2] ^= 1;
	EXPECT_EQ(consume(bad), HandshakeError::ok);
	EXPECT_EQ(consume(msg), HandshakeError::ok);
}

TEST_F(WireGuardHandshake, TruncatedOrOversizedIsRejected)
{
	std::optional<PendingInitiation> pending;
	InitiationBytes msg = initiate(pending);
	EXPECT_EQ(consume(ByteSpan(msg).first(kWireGuardInitiationLen - 1)), HandshakeError::wrong_size);
	EXPECT_EQ(consume({}), HandshakeError::wrong_size);
	Bytes longer(msg.begin(), msg.end());
	longer.push_back(0);
	EXPECT_EQ(consume(longer), HandshakeError::wrong_size);

	ResponseBytes resp = respond(pending);
	TransportKeys keys;
	EXPECT_EQ(consume_response(initiator, *pending, {}, ByteSpan(resp).first(kWireGuardResponseLen - 1), keys),
		  HandshakeError::wrong_size);
	Bytes resp_longer(resp.begin(), resp.end());
	resp_longer.push_back(0);
	EXPECT_EQ(consume_response(initiator, *pending, {}, resp_longer, keys), HandshakeError::wrong_size);
	// A response handed to the initiation parser.
	EXPECT_EQ(consume(resp), HandshakeError::wrong_size);
}

TEST_F(WireGuardHandshake, WrongTypeOrReservedBytesAreRejected)
{
	std::optional<PendingInitiation> pending;
	InitiationBytes msg = initiate(pending);
	InitiationBytes bad = msg;
	bad[0] = 2;
	EXPECT_EQ(consume(bad), HandshakeError::wrong_type);
	bad = msg;
	bad[3] = 1;
	EXPECT_EQ(consume(bad), HandshakeError::wrong_type);
}

TEST_F(WireGuardHandshake, InitiationForAnotherStaticKeyIsRejected)
{
	Identity other{PrivateKey::generate()};
	InitiationParams p = initiation_params();
	p.peer = other.static_public;
	InitiationBytes msg{};
	std::optional<PendingInitiation> pending;
	ASSERT_EQ(create_initiation(initiator, p, msg, pending), HandshakeError::ok);
	EXPECT_EQ(consume(msg), HandshakeError::bad_mac1);
	// Even with a mac1 for us, the Noise message is sealed to the other key.
	write_macs(msg, responder.mac1_key, std::nullopt);
	EXPECT_EQ(consume(msg), HandshakeError::decrypt_failed);
}

TEST_F(WireGuardHandshake, AlteredCiphertextWithValidMac1IsRejected)
{
	std::optional<PendingInitiation> pending;
	InitiationBytes msg = initiate(pending);
	for (size_t at : {wgmsg::Initiation::encrypted_static, wgmsg::Initiation::encrypted_timestamp + 3}) {
		InitiationBytes bad = msg;
		bad[at] ^= 0x80;
		write_macs(bad, responder.mac1_key, std::nullopt);
		EXPECT_EQ(consume(bad), HandshakeError::decrypt_failed) << at;
	}
}

using test::kLowOrder;

TEST_F(WireGuardHandshake, LowOrderEphemeralIsRejected)
{
	std::optional<PendingInitiation> pending;
	InitiationBytes msg = initiate(pending);
	for (const char *point : kLowOrder) {
		SCOPED_TRACE(point);
		InitiationBytes bad = msg;
		PublicKey low = public_from_hex(point);
		std::memcpy(bad.data() + wgmsg::Initiation::ephemeral, low.bytes.data(), kKeyLen);
		write_macs(bad, responder.mac1_key, std::nullopt);
		EXPECT_EQ(consume(bad), HandshakeError::low_order_key);
	}
}

TEST_F(WireGuardHandshake, LowOrderPeerKeyIsRefusedWhenInitiating)
{
	InitiationParams p = initiation_params();
	p.peer = public_from_hex(kLowOrder[2]);
	InitiationBytes msg{};
	std::optional<PendingInitiation> pending;
	EXPECT_EQ(create_initiation(initiator, p, msg, pending), HandshakeError::low_order_key);
	EXPECT_FALSE(pending);
	EXPECT_FALSE(dh(initiator.static_key, p.peer).has_value());
}

TEST_F(WireGuardHandshake, LowOrderResponderEphemeralIsRejected)
{
	std::optional<PendingInitiation> pending;
	ResponseBytes resp = respond(pending);
	PublicKey low = public_from_hex(kLowOrder[3]);
	std::memcpy(resp.data() + wgmsg::Response::ephemeral, low.bytes.data(), kKeyLen);
	write_macs(resp, initiator.mac1_key, std::nullopt);
	TransportKeys keys;
	EXPECT_EQ(consume_response(initiator, *pending, {}, resp, keys), HandshakeError::low_order_key);
}

TEST_F(WireGuardHandshake, ResponseChecks)
{
	std::optional<PendingInitiation> pending;
	ResponseBytes resp = respond(pending);
	TransportKeys keys;
	// mac1 is keyed by the initiator's static key, so nobody else accepts it.
	Identity other{PrivateKey::generate()};
	EXPECT_EQ(consume_response(other, *pending, {}, resp, keys), HandshakeError::bad_mac1);
	ResponseBytes bad = resp;
	store_le32(bad.data() + wgmsg::Response::receiver, pending->sender_index + 1);
	write_macs(bad, initiator.mac1_key, std::nullopt);
	EXPECT_EQ(consume_response(initiator, *pending, {}, bad, keys), HandshakeError::wrong_receiver);
	bad = resp;
	bad[wgmsg::Response::encrypted_nothing] ^= 1;
	write_macs(bad, initiator.mac1_key, std::nullopt);
	EXPECT_EQ(consume_response(initiator, *pending, {}, bad, keys), HandshakeError::decrypt_failed);
	// None of the forgeries spoilt the pending handshake.
	EXPECT_EQ(consume_response(initiator, *pending, {}, resp, keys), HandshakeError::ok);
}

TEST_F(WireGuardHandshake, StatesRefuseReuse)
{
	std::optional<PendingInitiation> pending;
	InitiationBytes msg = initiate(pending);
	std::optional<ReceivedInitiation> received;
	ASSERT_EQ(consume_initiation(responder, msg, received), HandshakeError::ok);
	ResponseBytes out{};
	TransportKeys keys;
	ASSERT_EQ(create_response(*received, response_params(), out, keys), HandshakeError::ok);
	EXPECT_EQ(create_response(*received, response_params(), out, keys), HandshakeError::bad_state);
	ASSERT_EQ(consume_response(initiator, *pending, {}, out, keys), HandshakeError::ok);
	EXPECT_EQ(consume_response(initiator, *pending, {}, out, keys), HandshakeError::bad_state);
}

TEST_F(WireGuardHandshake, Mac2IsKeyedByTheHeldCookie)
{
	Cookie cookie;
	cookie.fill(0x5a);
	InitiationParams p = initiation_params();
	p.cookie = cookie;
	InitiationBytes msg{};
	std::optional<PendingInitiation> pending;
	ASSERT_EQ(create_initiation(initiator, p, msg, pending), HandshakeError::ok);
	EXPECT_TRUE(mac2_valid(msg, cookie));
	Cookie other = cookie;
	other[0] ^= 1;
	EXPECT_FALSE(mac2_valid(msg, other));
	EXPECT_EQ(consume(msg), HandshakeError::ok);
	EXPECT_EQ(pending->mac1, mac1_of(msg));
}

} // namespace
} // namespace wayport::wireguard
