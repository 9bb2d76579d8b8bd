// WireGuard's cookie reply (whitepaper §5.4.7), message 3: a responder
// under load answers an initiation or response with a cookie, a MAC of the
// sender's source address under a secret the responder rotates every two
// minutes, sealed with XChaCha20-Poly1305 under HASH("cookie--" || its
// static public) with the answered message's mac1 as AD. The caller owns
// the secret, the nonce source and the source-address encoding.
#pragma once

#include <cstdint>
#include <span>

#include "controlplane/wireguard/handshake.h"
#include "controlplane/wireguard/primitives.h"
#include "dataplane/wire/bytes.h"
#include "dataplane/wire/wireguard.h"

namespace wayport::wireguard {

// MAC(secret, source address bytes): what mac2 must be keyed with.
Cookie make_cookie(const Key32 &secret, ByteSpan source_address);

struct CookieReplyParams {
	uint32_t receiver_index = 0;  // the sender index of the message answered
	Mac answered_mac1{};          // mac1_of(the message answered)
	Cookie cookie{};
	XNonce nonce{};               // random: randombytes_buf
};

// Sealed with own_cookie_key: the answering side's Identity::cookie_key.
void create_cookie_reply(const Key32 &own_cookie_key, const CookieReplyParams &params,
			 std::span<uint8_t, kWireGuardCookieReplyLen> out);

// The initiator's (or responder's) side: the cookie for mac2, given the
// mac1 it sent and the cookie key of the peer it sent it to.
HandshakeError consume_cookie_reply(const Key32 &peer_cookie_key, const Mac &sent_mac1,
				    ByteSpan message, Cookie &cookie);

} // namespace wayport::wireguard
