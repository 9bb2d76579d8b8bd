// The ss cache (PrecomputedStatic): a handshake that takes DH(s_i, s_r)
// from the peer produces byte for byte what one that computes it does, on
// both sides, and a wrong or zero value fails the handshake instead of
// agreeing on other keys.
#include <gtest/gtest.h>
#include <sodium.h>

#include <array>
#include <vector>

#include "controlplane/wireguard/handshake.h"

namespace wayport::wireguard {
namespace {

using InitiationBytes = std::array<uint8_t, kWireGuardInitiationLen>;
using ResponseBytes = std::array<uint8_t, kWireGuardResponseLen>;

PrivateKey key_of(uint8_t fill)
{
	Key32 k;
	k.fill(fill);
	return PrivateKey::from_raw(k);
}

// Every input fixed, so two runs can be compared byte for byte.
class PrecomputedStaticHandshake : public ::testing::Test {
protected:
	Identity initiator{key_of(0x11)};
	Identity responder{key_of(0x22)};
	Key32 psk{0x42};

	InitiationParams initiation_params(const PrecomputedStatic *ss) const
	{
		InitiationParams p;
		p.peer = responder.static_public;
		p.psk = psk;
		p.sender_index = 0x11223344;
		p.ephemeral = key_of(0x33);
		p.timestamp = Tai64n::from(WallTime{1'700'000'000, 0});
		p.precomputed_ss = ss;
		return p;
	}

	ResponseParams response_params() const
	{
		ResponseParams p;
		p.psk = psk;
		p.sender_index = 0x55667788;
		p.ephemeral = key_of(0x44);
		return p;
	}

	// The initiator's ss, as its peer entry for the responder would hold it.
	PrecomputedStatic initiator_ss() const
	{
		return *PrecomputedStatic::compute(initiator.static_key, responder.static_public);
	}
	PrecomputedStatic responder_ss() const
	{
		return *PrecomputedStatic::compute(responder.static_key, initiator.static_public);
	}
};

// What one whole handshake put on the wire and derived.
struct Transcript {
	InitiationBytes initiation{};
	ResponseBytes response{};
	TransportKeys initiator_keys;
	TransportKeys responder_keys;
	Tai64n timestamp;
};

TEST_F(PrecomputedStaticHandshake, BothSidesHoldTheSameValue)
{
	EXPECT_EQ(initiator_ss().shared(), responder_ss().shared());
	std::optional<Key32> direct = dh(responder.static_key, initiator.static_public);
	ASSERT_TRUE(direct);
	EXPECT_EQ(responder_ss().shared(), *direct);
}

TEST_F(PrecomputedStaticHandshake, CachedIsByteIdenticalToUncached)
{
	const PrecomputedStatic iss = initiator_ss(), rss = responder_ss();
	std::vector<PublicKey> asked;
	const PrecomputedStaticLookup lookup = [&](const PublicKey &initiator_key) -> const PrecomputedStatic * {
		asked.push_back(initiator_key);
		return &rss;
	};

	Transcript runs[2];
	for (bool cached : {false, true}) {
		SCOPED_TRACE(cached ? "cached" : "uncached");
		Transcript &t = runs[cached];
		std::optional<PendingInitiation> pending;
		ASSERT_EQ(create_initiation(initiator, initiation_params(cached ? &iss : nullptr), t.initiation, pending),
			  HandshakeError::ok);
		std::optional<ReceivedInitiation> received;
		ASSERT_EQ(consume_initiation(responder, t.initiation, received, cached ? lookup : PrecomputedStaticLookup{}),
			  HandshakeError::ok);
		EXPECT_EQ(received->initiator, initiator.static_public);
		t.timestamp = received->timestamp;
		ASSERT_EQ(create_response(*received, response_params(), t.response, t.responder_keys), HandshakeError::ok);
		ASSERT_EQ(consume_response(initiator, *pending, psk, t.response, t.initiator_keys), HandshakeError::ok);
		EXPECT_EQ(t.initiator_keys.send, t.responder_keys.receive);
	}
	EXPECT_EQ(runs[0].initiation, runs[1].initiation);
	EXPECT_EQ(runs[0].response, runs[1].response);
	EXPECT_EQ(runs[0].timestamp, runs[1].timestamp);
	EXPECT_EQ(runs[0].initiator_keys.send, runs[1].initiator_keys.send);
	EXPECT_EQ(runs[0].initiator_keys.receive, runs[1].initiator_keys.receive);
	EXPECT_EQ(runs[0].responder_keys.send, runs[1].responder_keys.send);
	EXPECT_EQ(runs[0].responder_keys.receive, runs[1].responder_keys.receive);
	// Asked once, with the initiator's decrypted static key.
	ASSERT_EQ(asked.size(), 1u);
	EXPECT_EQ(asked[0], initiator.static_public);
}

TEST_F(PrecomputedStaticHandshake, NoEntryComputesIt)
{
	InitiationBytes msg{};
	std::optional<PendingInitiation> pending;
	ASSERT_EQ(create_initiation(initiator, initiation_params(nullptr), msg, pending), HandshakeError::ok);
	std::optional<ReceivedInitiation> received;
	EXPECT_EQ(consume_initiation(responder, msg, received, [](const PublicKey &) { return nullptr; }),
		  HandshakeError::ok);
	EXPECT_TRUE(received);
}

TEST_F(PrecomputedStaticHandshake, WrongValueFailsDecryption)
{
	Key32 other;
	randombytes_buf(other.data(), other.size());
	const PrecomputedStatic wrong(other);
	// Another peer's value: right for some pair, not this one.
	const PrecomputedStatic someone_else = *PrecomputedStatic::compute(responder.static_key, key_of(0x55).public_key());

	InitiationBytes msg{};
	std::optional<PendingInitiation> pending;
	ASSERT_EQ(create_initiation(initiator, initiation_params(nullptr), msg, pending), HandshakeError::ok);
	for (const PrecomputedStatic *bad : {&wrong, &someone_else}) {
		std::optional<ReceivedInitiation> received;
		EXPECT_EQ(consume_initiation(responder, msg, received, [bad](const PublicKey &) { return bad; }),
			  HandshakeError::decrypt_failed);
		EXPECT_FALSE(received);
	}

	// The initiator cannot tell; its responder can.
	ASSERT_EQ(create_initiation(initiator, initiation_params(&wrong), msg, pending), HandshakeError::ok);
	std::optional<ReceivedInitiation> received;
	EXPECT_EQ(consume_initiation(responder, msg, received), HandshakeError::decrypt_failed);
}

TEST_F(PrecomputedStaticHandshake, ZeroValueIsLowOrder)
{
	const PrecomputedStatic zero(Key32{});
	InitiationBytes msg{};
	std::optional<PendingInitiation> pending;
	EXPECT_EQ(create_initiation(initiator, initiation_params(&zero), msg, pending), HandshakeError::low_order_key);
	EXPECT_FALSE(pending);

	ASSERT_EQ(create_initiation(initiator, initiation_params(nullptr), msg, pending), HandshakeError::ok);
	std::optional<ReceivedInitiation> received;
	EXPECT_EQ(consume_initiation(responder, msg, received, [&zero](const PublicKey &) { return &zero; }),
		  HandshakeError::low_order_key);
}

TEST(PrecomputedStatic, LowOrderPeerHasNone)
{
	EXPECT_FALSE(PrecomputedStatic::compute(key_of(0x11), PublicKey{}));
	PublicKey one{};
	one.bytes[0] = 1;
	EXPECT_FALSE(PrecomputedStatic::compute(key_of(0x11), one));
}

} // namespace
} // namespace wayport::wireguard
