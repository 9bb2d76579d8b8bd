// Cookies end to end on virtual time: the responder's CookieChecker under
// load answers an initiation with a cookie reply, the initiator's
// CookieJar takes the cookie and keys mac2 with it, and every way that can
// fail (wrong mac1, another source, an old secret or cookie, a replayed
// reply, an empty bucket) gives the kernel's answer.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "controlplane/wireguard/cookie_checker.h"
#include "dataplane/wire/bytes.h"

namespace wayport::wireguard {
namespace {

using namespace std::chrono_literals;
using InitiationBytes = std::array<uint8_t, kWireGuardInitiationLen>;
using ReplyBytes = std::array<uint8_t, kWireGuardCookieReplyLen>;

const Clock::time_point kT0 = Clock::time_point{} + 5000s;

// Call n fills its buffer with the byte n: the first call is the secret,
// so tests know it; later ones are nonces or new secrets.
struct CountingRandom {
	std::shared_ptr<std::atomic<uint8_t>> calls = std::make_shared<std::atomic<uint8_t>>(0);

	void operator()(std::span<uint8_t> out) const
	{
		uint8_t n = ++*calls;
		std::fill(out.begin(), out.end(), n);
	}
};

AddrPort v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
	const uint8_t ip[4] = {a, b, c, d};
	return AddrPort::v4(ip, port);
}

struct Cookies : testing::Test {
	Identity initiator{PrivateKey::generate()};
	Identity responder{PrivateKey::generate()};
	CookieChecker checker{responder, CountingRandom{}};
	CookieJar jar{responder.static_public};
	Ratelimiter limiter;
	const AddrPort source = v4(192, 0, 2, 1, 51820);

	// A fresh initiation to the responder with the jar's macs.
	InitiationBytes initiation(Clock::time_point now, uint32_t sender_index = 7)
	{
		InitiationParams ip;
		ip.peer = responder.static_public;
		ip.sender_index = sender_index;
		ip.ephemeral = PrivateKey::generate();
		InitiationBytes out{};
		std::optional<PendingInitiation> pending;
		EXPECT_EQ(create_initiation(initiator, ip, out, pending), HandshakeError::ok);
		jar.add_macs(out, now);
		return out;
	}

	// Under load the responder answers m with a reply, and the jar takes it.
	void get_cookie(const InitiationBytes &m, Clock::time_point now)
	{
		ASSERT_EQ(checker.validate(m, source, true, limiter, now), MacState::valid_mac_but_no_cookie);
		ReplyBytes reply{};
		checker.create_reply(m, source, now, reply);
		ASSERT_EQ(jar.consume_reply(reply, now), HandshakeError::ok);
	}

	MacState check(ByteSpan m, Clock::time_point now, const AddrPort &from)
	{
		return checker.validate(m, from, true, limiter, now);
	}
};

bool mac2_is_zero(const InitiationBytes &m)
{
	for (size_t i = wgmsg::Initiation::mac2; i < m.size(); ++i)
		if (m[i] != 0)
			return false;
	return true;
}

TEST_F(Cookies, RoundTrip)
{
	InitiationBytes first = initiation(kT0);
	EXPECT_TRUE(mac2_is_zero(first));
	// Not under load, mac1 is all that is checked.
	EXPECT_EQ(checker.validate(first, source, false, limiter, kT0), MacState::valid_mac_but_no_cookie);
	// Under load, a zero mac2 has no cookie: answer with a reply.
	EXPECT_EQ(check(first, kT0, source), MacState::valid_mac_but_no_cookie);
	ReplyBytes reply{};
	checker.create_reply(first, source, kT0, reply);
	EXPECT_EQ(wireguard_type(reply), WireGuardType::cookie_reply);
	EXPECT_EQ(load_le32(reply.data() + wgmsg::CookieReply::receiver), 7u);

	EXPECT_FALSE(jar.has_valid_cookie(kT0));
	ASSERT_EQ(jar.consume_reply(reply, kT0 + 10ms), HandshakeError::ok);
	EXPECT_TRUE(jar.has_valid_cookie(kT0 + 10ms));

	// The retry carries mac2 under the cookie and passes.
	InitiationBytes retry = initiation(kT0 + 20ms);
	EXPECT_FALSE(mac2_is_zero(retry));
	EXPECT_EQ(check(retry, kT0 + 20ms, source), MacState::valid_mac_with_cookie);
	EXPECT_TRUE(mac2_valid(retry, checker.cookie_for(source, kT0 + 20ms)));
}

// A responder under load answers a response the same way: the reply goes
// to the response's sender index, and the peer that sent it takes it.
TEST_F(Cookies, RoundTripOnAResponse)
{
	InitiationBytes init = initiation(kT0);
	std::optional<ReceivedInitiation> received;
	ASSERT_EQ(consume_initiation(responder, init, received), HandshakeError::ok);
	ResponseParams rp;
	rp.sender_index = 0x01020304;
	rp.ephemeral = PrivateKey::generate();
	std::array<uint8_t, kWireGuardResponseLen> response{};
	TransportKeys keys;
	ASSERT_EQ(create_response(*received, rp, response, keys), HandshakeError::ok);
	CookieJar responder_jar{initiator.static_public};
	responder_jar.add_macs(response, kT0);

	CookieChecker initiator_checker{initiator};
	const AddrPort from = v4(198, 51, 100, 7, 443);
	EXPECT_EQ(initiator_checker.validate(response, from, true, limiter, kT0),
		  MacState::valid_mac_but_no_cookie);
	ReplyBytes reply{};
	initiator_checker.create_reply(response, from, kT0, reply);
	EXPECT_EQ(load_le32(reply.data() + wgmsg::CookieReply::receiver), 0x01020304u);
	ASSERT_EQ(responder_jar.consume_reply(reply, kT0), HandshakeError::ok);
	responder_jar.add_macs(response, kT0);
	EXPECT_EQ(initiator_checker.validate(response, from, true, limiter, kT0), MacState::valid_mac_with_cookie);
}

TEST_F(Cookies, WrongMac1IsInvalid)
{
	InitiationBytes m = initiation(kT0);
	for (bool under_load : {false, true}) {
		SCOPED_TRACE(under_load);
		InitiationBytes bad = m;
		bad[wgmsg::Initiation::mac1] ^= 1;
		EXPECT_EQ(checker.validate(bad, source, under_load, limiter, kT0), MacState::invalid_mac);
		bad = m;
		bad[wgmsg::Initiation::ephemeral] ^= 1;  // mac1 no longer covers these bytes
		EXPECT_EQ(checker.validate(bad, source, under_load, limiter, kT0), MacState::invalid_mac);
	}
	// mac1 for someone else.
	CookieChecker other{initiator};
	EXPECT_EQ(other.validate(m, source, false, limiter, kT0), MacState::invalid_mac);
}

TEST_F(Cookies, AnythingButAnInitiationOrResponseIsInvalid)
{
	InitiationBytes m = initiation(kT0);
	EXPECT_EQ(checker.validate(ByteSpan(m).first(147), source, false, limiter, kT0), MacState::invalid_mac);
	std::array<uint8_t, kWireGuardInitiationLen + 1> longer{};
	std::copy(m.begin(), m.end(), longer.begin());
	EXPECT_EQ(checker.validate(longer, source, false, limiter, kT0), MacState::invalid_mac);
	InitiationBytes reserved = m;
	reserved[2] = 1;
	EXPECT_EQ(checker.validate(reserved, source, false, limiter, kT0), MacState::invalid_mac);
	// An initiation's bytes typed as a response: a response's size is not 148.
	InitiationBytes retyped = m;
	retyped[0] = static_cast<uint8_t>(WireGuardType::response);
	EXPECT_EQ(checker.validate(retyped, source, false, limiter, kT0), MacState::invalid_mac);
	ReplyBytes reply{};
	checker.create_reply(m, source, kT0, reply);
	EXPECT_EQ(checker.validate(reply, source, false, limiter, kT0), MacState::invalid_mac);
	EXPECT_EQ(checker.validate(ByteSpan{}, source, false, limiter, kT0), MacState::invalid_mac);
}

TEST_F(Cookies, Mac2FromAnotherAddressOrPortHasNoCookie)
{
	get_cookie(initiation(kT0), kT0);
	InitiationBytes retry = initiation(kT0);
	EXPECT_EQ(check(retry, kT0, v4(192, 0, 2, 2, 51820)), MacState::valid_mac_but_no_cookie);
	EXPECT_EQ(check(retry, kT0, v4(192, 0, 2, 1, 51821)), MacState::valid_mac_but_no_cookie);
	uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1};
	EXPECT_EQ(check(retry, kT0, AddrPort::v6(mapped, 51820)), MacState::valid_mac_but_no_cookie);
	EXPECT_EQ(check(retry, kT0, source), MacState::valid_mac_with_cookie);
}

TEST_F(Cookies, SecretRotatesAfterTwoMinutes)
{
	Cookie c0 = checker.cookie_for(source, kT0);  // the first secret is drawn now
	EXPECT_EQ(checker.cookie_for(source, kT0 + 120s - 1ns), c0);
	Cookie c1 = checker.cookie_for(source, kT0 + 120s);
	EXPECT_NE(c1, c0);
	EXPECT_EQ(checker.cookie_for(source, kT0 + 240s - 1ns), c1);
	EXPECT_NE(checker.cookie_for(source, kT0 + 240s), c1);
}

TEST_F(Cookies, OldSecretsCookieNoLongerValidates)
{
	get_cookie(initiation(kT0), kT0);  // the secret is born at kT0
	// The jar still holds its cookie at +110 s; the checker's secret is
	// the same until +120 s.
	InitiationBytes retry = initiation(kT0 + 110s);
	EXPECT_FALSE(mac2_is_zero(retry));
	EXPECT_EQ(check(retry, kT0 + 120s - 1ns, source), MacState::valid_mac_with_cookie);
	EXPECT_EQ(check(retry, kT0 + 120s, source), MacState::valid_mac_but_no_cookie);
}

TEST_F(Cookies, JarCookieExpiresAfter115Seconds)
{
	get_cookie(initiation(kT0), kT0);
	const auto lifetime = kCookieSecretMaxAge - kCookieSecretLatency;
	EXPECT_EQ(lifetime, 115s);
	EXPECT_TRUE(jar.has_valid_cookie(kT0 + lifetime - 1ns));
	EXPECT_FALSE(jar.has_valid_cookie(kT0 + lifetime));
	EXPECT_FALSE(mac2_is_zero(initiation(kT0 + lifetime - 1ns)));
	InitiationBytes late = initiation(kT0 + lifetime);
	EXPECT_TRUE(mac2_is_zero(late));
	EXPECT_EQ(check(late, kT0 + lifetime, source), MacState::valid_mac_but_no_cookie);
}

TEST_F(Cookies, OneReplyPerMac1Sent)
{
	ReplyBytes reply{};
	InitiationBytes m = initiation(kT0);
	checker.create_reply(m, source, kT0, reply);
	ASSERT_EQ(jar.consume_reply(reply, kT0), HandshakeError::ok);
	// The same reply again: its mac1 is answered.
	EXPECT_EQ(jar.consume_reply(reply, kT0), HandshakeError::bad_state);

	// A reply to an older initiation does not open under the newer mac1.
	InitiationBytes newer = initiation(kT0 + 1s);
	EXPECT_EQ(jar.consume_reply(reply, kT0 + 1s), HandshakeError::decrypt_failed);
	// Nor does a forged one; neither uses up the wait for the real reply.
	ReplyBytes real{};
	checker.create_reply(newer, source, kT0 + 1s, real);
	ReplyBytes forged = real;
	forged[wgmsg::CookieReply::encrypted_cookie] ^= 1;
	EXPECT_EQ(jar.consume_reply(forged, kT0 + 1s), HandshakeError::decrypt_failed);
	EXPECT_EQ(jar.consume_reply(ByteSpan(real).first(63), kT0 + 1s), HandshakeError::wrong_size);
	EXPECT_EQ(jar.consume_reply(real, kT0 + 1s), HandshakeError::ok);
	EXPECT_EQ(jar.consume_reply(real, kT0 + 1s), HandshakeError::bad_state);
}

TEST(CookieJar, RefusesAReplyBeforeAnyMac1)
{
	Identity responder{PrivateKey::generate()};
	CookieJar jar{responder.static_public};
	ReplyBytes reply{};
	wgmsg::store_type(reply.data(), WireGuardType::cookie_reply);
	EXPECT_EQ(jar.consume_reply(reply, kT0), HandshakeError::bad_state);
	EXPECT_FALSE(jar.has_valid_cookie(kT0));
}

TEST_F(Cookies, RatelimitedOnceTheBucketIsEmpty)
{
	get_cookie(initiation(kT0), kT0);
	InitiationBytes retry = initiation(kT0);
	// Messages without a right mac2 spend no tokens.
	InitiationBytes no_cookie = retry;
	no_cookie[wgmsg::Initiation::mac2] ^= 1;
	for (int i = 0; i < 20; ++i)
		EXPECT_EQ(check(no_cookie, kT0, source), MacState::valid_mac_but_no_cookie);
	for (int i = 0; i < Ratelimiter::kPacketsBurstable; ++i)
		EXPECT_EQ(check(retry, kT0, source), MacState::valid_mac_with_cookie) << i;
	EXPECT_EQ(check(retry, kT0, source), MacState::valid_mac_with_cookie_but_ratelimited);
	// Without check_cookie the limiter is not consulted.
	EXPECT_EQ(checker.validate(retry, source, false, limiter, kT0), MacState::valid_mac_but_no_cookie);
	EXPECT_EQ(check(retry, kT0 + 50ms, source), MacState::valid_mac_with_cookie);
	EXPECT_EQ(check(retry, kT0 + 50ms, source), MacState::valid_mac_with_cookie_but_ratelimited);
}

// The kernel's encoding: the address (4 or 16 bytes) then the port big-endian.
TEST(CookieChecker, SourceEncoding)
{
	Identity self{PrivateKey::generate()};
	CookieChecker checker{self, CountingRandom{}};
	Key32 secret;
	secret.fill(1);  // CountingRandom's first call

	const uint8_t v4_bytes[] = {192, 0, 2, 1, 0xca, 0x6c};
	const AddrPort s4 = v4(192, 0, 2, 1, 51820);
	EXPECT_EQ(checker.cookie_for(s4, kT0), make_cookie(secret, v4_bytes));
	EXPECT_EQ(source_cookie(secret, s4), make_cookie(secret, v4_bytes));

	const uint8_t v6_bytes[] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x01, 0xbb};
	const AddrPort s6 = AddrPort::v6(v6_bytes, 443);
	EXPECT_EQ(checker.cookie_for(s6, kT0), make_cookie(secret, v6_bytes));

	// A v4-mapped address held as v6 is 16 bytes, so another cookie.
	const uint8_t mapped[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1, 0xca, 0x6c};
	const AddrPort s_mapped = AddrPort::v6(mapped, 51820);
	EXPECT_EQ(checker.cookie_for(s_mapped, kT0), make_cookie(secret, mapped));
	EXPECT_NE(checker.cookie_for(s_mapped, kT0), checker.cookie_for(s4, kT0));
}

// create_reply's nonce comes from random, and the reply seals the source's
// cookie under the responder's cookie key with the message's mac1 as AD.
TEST(CookieChecker, ReplyBytes)
{
	Identity initiator{PrivateKey::generate()};
	Identity self{PrivateKey::generate()};
	CookieChecker checker{self, CountingRandom{}};
	InitiationParams ip;
	ip.peer = self.static_public;
	ip.sender_index = 0xdeadbeef;
	ip.ephemeral = PrivateKey::generate();
	InitiationBytes m{};
	std::optional<PendingInitiation> pending;
	ASSERT_EQ(create_initiation(initiator, ip, m, pending), HandshakeError::ok);

	const AddrPort s = v4(203, 0, 113, 9, 4500);
	Cookie want = checker.cookie_for(s, kT0);  // random call 1: the secret
	ReplyBytes reply{};
	checker.create_reply(m, s, kT0, reply);  // random call 2: the nonce
	EXPECT_EQ(load_le32(reply.data() + wgmsg::CookieReply::receiver), 0xdeadbeefu);
	for (size_t i = 0; i < kXNonceLen; ++i)
		EXPECT_EQ(reply[wgmsg::CookieReply::nonce + i], 2) << i;
	Cookie got{};
	ASSERT_EQ(consume_cookie_reply(cookie_key(self.static_public), mac1_of(m), reply, got), HandshakeError::ok);
	EXPECT_EQ(got, want);
}

// The default random source is libsodium's: secrets differ per checker.
TEST(CookieChecker, DefaultRandomDrawsSecrets)
{
	Identity self{PrivateKey::generate()};
	CookieChecker a{self}, b{self};
	const AddrPort s = v4(192, 0, 2, 1, 1);
	Cookie ca = a.cookie_for(s, kT0);
	EXPECT_NE(ca, b.cookie_for(s, kT0));
	EXPECT_NE(ca, a.cookie_for(s, kT0 + kCookieSecretMaxAge));
}

// Handshake threads share the checker and the limiter: under load the
// source's cookie-carrying retries pass exactly a burst's worth.
TEST_F(Cookies, ThreadsShareTheSecretAndTheBucket)
{
	get_cookie(initiation(kT0), kT0);
	InitiationBytes retry = initiation(kT0);
	std::atomic<int> passed{0}, limited{0};
	std::vector<std::thread> threads;
	for (int t = 0; t < 4; ++t)
		threads.emplace_back([&] {
			for (int i = 0; i < 50; ++i) {
				MacState s = check(retry, kT0, source);
				if (s == MacState::valid_mac_with_cookie)
					++passed;
				else if (s == MacState::valid_mac_with_cookie_but_ratelimited)
					++limited;
			}
		});
	for (auto &t : threads)
		t.join();
	EXPECT_EQ(passed.load(), Ratelimiter::kPacketsBurstable);
	EXPECT_EQ(limited.load(), 200 - Ratelimiter::kPacketsBurstable);
}

TEST(CookieChecker, MacStateNames)
{
	EXPECT_STREQ(to_string(MacState::invalid_mac), "invalid_mac");
	EXPECT_STREQ(to_string(MacState::valid_mac_with_cookie_but_ratelimited),
		     "valid_mac_with_cookie_but_ratelimited");
}

} // namespace
} // namespace wayport::wireguard
