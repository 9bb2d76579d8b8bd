// The two sides of WireGuard's cookies (whitepaper §5.4.7), as the Linux
// kernel keeps them (drivers/net/wireguard/cookie.c): the responder's
// CookieChecker, which checks mac1 and mac2 and answers with cookie
// replies, and the initiator's per-peer CookieJar, which writes mac1 and
// mac2 and takes the cookie out of a reply. cookie.h has the bytes of
// message 3; this file has the state around it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>

#include "controlplane/wireguard/cookie.h"
#include "controlplane/wireguard/handshake.h"
#include "controlplane/wireguard/ratelimiter.h"
#include "controlplane/wireguard/timers.h"
#include "dataplane/wire/addr.h"
#include "dataplane/wire/bytes.h"

namespace wayport::wireguard {

// The kernel's cookie_mac_state, in its order: each state passed the
// checks of the one before.
enum class MacState : uint8_t {
	invalid_mac,                            // not an initiation or response, or mac1 wrong
	valid_mac_but_no_cookie,                // mac1 right; mac2 not checked, or wrong
	valid_mac_with_cookie_but_ratelimited,  // mac2 right, the source's bucket empty
	valid_mac_with_cookie,
};

const char *to_string(MacState s);

// MAC(secret, source): the source as the kernel feeds it, the IPv4 (4
// bytes) or IPv6 (16 bytes) address then the UDP port big-endian.
Cookie source_cookie(const Key32 &secret, const AddrPort &source);

// Responder side, one per device. Thread-safe: the handshake threads
// share it.
class CookieChecker {
public:
	using Random = std::function<void(std::span<uint8_t>)>;

	// random fills a buffer with random bytes (the secret and reply
	// nonces) and must be thread-safe; empty means libsodium's
	// randombytes_buf. Tests inject one.
	explicit CookieChecker(const Identity &self, Random random = {});
	CookieChecker(const CookieChecker &) = delete;
	CookieChecker &operator=(const CookieChecker &) = delete;
	~CookieChecker();

	// mac1 always; then, when check_cookie (under load), mac2 against the
	// source's cookie; then, only for a right mac2, the source's bucket in
	// limiter. Anything but an initiation or response with a right header
	// (size, type, zero reserved bytes) is invalid_mac.
	MacState validate(ByteSpan message, const AddrPort &source, bool check_cookie,
			  Ratelimiter &limiter, Clock::time_point now);

	// Message 3 answering `message`, an initiation or response validate
	// has passed (mac1 right): to its sender index, sealed with its mac1,
	// under a fresh random nonce.
	void create_reply(ByteSpan message, const AddrPort &source, Clock::time_point now,
			  std::span<uint8_t, kWireGuardCookieReplyLen> out);

	// The cookie source holds now, drawing a new secret first when the
	// current one is kCookieSecretMaxAge old (or there is none yet).
	Cookie cookie_for(const AddrPort &source, Clock::time_point now);

private:
	// From the device's identity: mac1 checks, and the key replies are
	// sealed with. Public values (hashes of the static public key).
	const Key32 mac1_key_;
	const Key32 cookie_key_;
	const Random random_;  // called from any thread, outside mu_ for nonces
	std::mutex mu_;
	Key32 secret_{};                                // guarded by mu_
	std::optional<Clock::time_point> secret_birth_; // guarded by mu_; none before first use
};

// Initiator side, one per peer: the kernel's struct cookie. Not
// thread-safe: every call is made holding the peer's lock, which guards
// all of it.
class CookieJar {
public:
	// Precomputes the peer's mac1 key and the key its cookie replies are
	// sealed with.
	explicit CookieJar(const PublicKey &peer);
	CookieJar(const CookieJar &) = delete;
	CookieJar &operator=(const CookieJar &) = delete;
	~CookieJar();

	// Writes mac1 and mac2 (the cookie's, while has_valid_cookie, else
	// zeros) over an initiation or response to the peer, and remembers
	// mac1 as the one a cookie reply must answer.
	void add_macs(std::span<uint8_t> message, Clock::time_point now);
	// A cookie reply from the peer (the caller matched its receiver index):
	// bad_state unless a mac1 was sent and not yet answered, then what
	// consume_cookie_reply says. On ok the cookie keys mac2 from now on.
	HandshakeError consume_reply(ByteSpan message, Clock::time_point now);
	// A cookie younger than kCookieSecretMaxAge - kCookieSecretLatency.
	bool has_valid_cookie(Clock::time_point now) const;

private:
	const Key32 mac1_key_;    // HASH("mac1----" || peer's static public)
	const Key32 cookie_key_;  // HASH("cookie--" || peer's static public): opens its replies
	Cookie cookie_{};
	std::optional<Clock::time_point> cookie_birth_;  // none until a reply is consumed
	// The mac1 of the last message sent, until a reply to it is consumed:
	// one reply per message, so an old reply cannot be replayed later.
	std::optional<Mac> unanswered_mac1_;
};

} // namespace wayport::wireguard
