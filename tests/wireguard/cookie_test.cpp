// Message 3: a responder under load answers with a cookie; the initiator
// opens it and keys mac2 with it.
#include <gtest/gtest.h>

#include <array>

#include "controlplane/wireguard/cookie.h"

namespace wayport::wireguard {
namespace {

TEST(WireGuardCookie, ReplyRoundTripKeysMac2)
{
	Identity initiator{PrivateKey::generate()};
	Identity responder{PrivateKey::generate()};
	EXPECT_EQ(responder.cookie_key, cookie_key(responder.static_public));

	InitiationParams ip;
	ip.peer = responder.static_public;
	ip.sender_index = 7;
	ip.ephemeral = PrivateKey::generate();
	std::array<uint8_t, kWireGuardInitiationLen> init{};
	std::optional<PendingInitiation> pending;
	ASSERT_EQ(create_initiation(initiator, ip, init, pending), HandshakeError::ok);

	// The responder's cookie for the initiator's address (IPv4 and port here).
	Key32 secret;
	secret.fill(9);
	const uint8_t source[] = {192, 0, 2, 1, 0x1f, 0x90};
	CookieReplyParams cp;
	cp.receiver_index = load_le32(init.data() + wgmsg::Initiation::sender);
	cp.answered_mac1 = mac1_of(init);
	cp.cookie = make_cookie(secret, source);
	cp.nonce.fill(3);
	std::array<uint8_t, kWireGuardCookieReplyLen> reply{};
	create_cookie_reply(responder.cookie_key, cp, reply);
	EXPECT_EQ(reply[0], 3);
	EXPECT_EQ(load_le32(reply.data() + wgmsg::CookieReply::receiver), 7u);

	Cookie got{};
	ASSERT_EQ(consume_cookie_reply(cookie_key(responder.static_public), pending->mac1, reply, got),
		  HandshakeError::ok);
	EXPECT_EQ(got, cp.cookie);

	// The next initiation carries mac2 that the responder can check.
	ip.cookie = got;
	ip.ephemeral = PrivateKey::generate();
	ASSERT_EQ(create_initiation(initiator, ip, init, pending), HandshakeError::ok);
	EXPECT_TRUE(mac2_valid(init, make_cookie(secret, source)));
	const uint8_t elsewhere[] = {192, 0, 2, 2, 0x1f, 0x90};
	EXPECT_FALSE(mac2_valid(init, make_cookie(secret, elsewhere)));
}

TEST(WireGuardCookie, ReplyIsBoundToTheAnsweredMac1)
{
	Identity responder{PrivateKey::generate()};
	CookieReplyParams cp;
	cp.answered_mac1.fill(1);
	cp.cookie.fill(2);
	std::array<uint8_t, kWireGuardCookieReplyLen> reply{};
	create_cookie_reply(responder.cookie_key, cp, reply);
	Cookie got{};
	Mac other_mac1;
	other_mac1.fill(4);
	Key32 key = cookie_key(responder.static_public);
	EXPECT_EQ(consume_cookie_reply(key, other_mac1, reply, got), HandshakeError::decrypt_failed);
	Identity someone{PrivateKey::generate()};
	EXPECT_EQ(consume_cookie_reply(someone.cookie_key, cp.answered_mac1, reply, got),
		  HandshakeError::decrypt_failed);
	EXPECT_EQ(consume_cookie_reply(key, cp.answered_mac1, ByteSpan(reply).first(63), got),
		  HandshakeError::wrong_size);
	reply[1] = 1;
	EXPECT_EQ(consume_cookie_reply(key, cp.answered_mac1, reply, got), HandshakeError::wrong_type);
}

} // namespace
} // namespace wayport::wireguard
