#include "controlplane/wireguard/cookie_checker.h"

#include <sodium.h>

#include <cassert>
#include <cstring>


namespace wayport::wireguard {

namespace {

// The sender index sits at one offset in both messages a reply answers.
static_assert(wgmsg::Initiation::sender == wgmsg::Response::sender);

bool is_handshake(ByteSpan message)
{
	WireGuardType t = wireguard_type(message);
	return t == WireGuardType::initiation || t == WireGuardType::response;
}

} // namespace

const char *to_string(MacState s)
{
	switch (s) {
	case MacState::invalid_mac:
		return "invalid_mac";
	case MacState::valid_mac_but_no_cookie:
		return "valid_mac_but_no_cookie";
	case MacState::valid_mac_with_cookie_but_ratelimited:
		return "valid_mac_with_cookie_but_ratelimited";
	case MacState::valid_mac_with_cookie:
		return "valid_mac_with_cookie";
	}
	return "unknown";
}

Cookie source_cookie(const Key32 &secret, const AddrPort &source)
{
	uint8_t bytes[16 + 2];
	size_t ip_len = source.is_v4 ? 4 : 16;
	std::memcpy(bytes, source.is_v4 ? source.ip4() : source.ip.data(), ip_len);
	store_be16(bytes + ip_len, source.port);
	return make_cookie(secret, ByteSpan(bytes, ip_len + 2));
}

CookieChecker::CookieChecker(const Identity &self, Random random)
	: mac1_key_(self.mac1_key), cookie_key_(self.cookie_key),
	  random_(random ? std::move(random) : Random(random_bytes))
{
}

CookieChecker::~CookieChecker()
{
	sodium_memzero(secret_.data(), secret_.size());
}

MacState CookieChecker::validate(ByteSpan message, const AddrPort &source, bool check_cookie,
				 Ratelimiter &limiter, Clock::time_point now)
{
	if (!is_handshake(message) || !mac1_valid(message, mac1_key_))
		return MacState::invalid_mac;
	if (!check_cookie)
		return MacState::valid_mac_but_no_cookie;
	if (!mac2_valid(message, cookie_for(source, now)))
		return MacState::valid_mac_but_no_cookie;
	// Only a source that proved it receives at its address spends tokens,
	// so a spoofed flood cannot empty a real source's bucket.
	if (!limiter.allow(source, now))
		return MacState::valid_mac_with_cookie_but_ratelimited;
	return MacState::valid_mac_with_cookie;
}

void CookieChecker::create_reply(ByteSpan message, const AddrPort &source, Clock::time_point now,
				 std::span<uint8_t, kWireGuardCookieReplyLen> out)
{
	assert(is_handshake(message));
	CookieReplyParams params;
	params.receiver_index = load_le32(message.data() + wgmsg::Initiation::sender);
	params.answered_mac1 = mac1_of(message);
	params.cookie = cookie_for(source, now);
	random_(params.nonce);
	create_cookie_reply(cookie_key_, params, out);
}

Cookie CookieChecker::cookie_for(const AddrPort &source, Clock::time_point now)
{
	std::lock_guard lock(mu_);
	// The kernel's wg_birthdate_has_expired: expired at exactly the age.
	if (!secret_birth_ || *secret_birth_ + kCookieSecretMaxAge <= now) {
		random_(secret_);
		secret_birth_ = now;
	}
	return source_cookie(secret_, source);
}

CookieJar::CookieJar(const PublicKey &peer) : mac1_key_(mac1_key(peer)), cookie_key_(cookie_key(peer))
{
}

CookieJar::~CookieJar()
{
	sodium_memzero(cookie_.data(), cookie_.size());
}

void CookieJar::add_macs(std::span<uint8_t> message, Clock::time_point now)
{
	write_macs(message, mac1_key_, has_valid_cookie(now) ? std::optional(cookie_) : std::nullopt);
	unanswered_mac1_ = mac1_of(message);
}

HandshakeError CookieJar::consume_reply(ByteSpan message, Clock::time_point now)
{
	if (!unanswered_mac1_)
		return HandshakeError::bad_state;
	Cookie cookie;
	HandshakeError err = consume_cookie_reply(cookie_key_, *unanswered_mac1_, message, cookie);
	// A reply that fails keeps mac1 unanswered: a forged one must not
	// stop the real one from being taken.
	if (err == HandshakeError::ok) {
		cookie_ = cookie;
		cookie_birth_ = now;
		unanswered_mac1_.reset();
	}
	sodium_memzero(cookie.data(), cookie.size());
	return err;
}

bool CookieJar::has_valid_cookie(Clock::time_point now) const
{
	return cookie_birth_ && now < *cookie_birth_ + (kCookieSecretMaxAge - kCookieSecretLatency);
}

} // namespace wayport::wireguard
