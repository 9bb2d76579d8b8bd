#include "controlplane/wireguard/cookie.h"

#include <cstring>

namespace wayport::wireguard {

using wgmsg::CookieReply;

Cookie make_cookie(const Key32 &secret, ByteSpan source_address)
{
	return mac(secret, source_address);
}

void create_cookie_reply(const Key32 &own_cookie_key, const CookieReplyParams &params,
			 std::span<uint8_t, kWireGuardCookieReplyLen> out)
{
	wgmsg::store_type(out.data(), WireGuardType::cookie_reply);
	store_le32(out.data() + CookieReply::receiver, params.receiver_index);
	std::memcpy(out.data() + CookieReply::nonce, params.nonce.data(), kXNonceLen);
	xaead_seal(own_cookie_key, params.nonce, params.cookie, params.answered_mac1,
		   out.data() + CookieReply::encrypted_cookie);
}

HandshakeError consume_cookie_reply(const Key32 &peer_cookie_key, const Mac &sent_mac1,
				    ByteSpan message, Cookie &cookie)
{
	HandshakeError err = check_header(message, kWireGuardCookieReplyLen, WireGuardType::cookie_reply);
	if (err != HandshakeError::ok)
		return err;
	XNonce nonce;
	std::memcpy(nonce.data(), message.data() + CookieReply::nonce, kXNonceLen);
	if (!xaead_open(peer_cookie_key, nonce, message.subspan(CookieReply::encrypted_cookie), sent_mac1,
			cookie.data()))
		return HandshakeError::decrypt_failed;
	return HandshakeError::ok;
}

} // namespace wayport::wireguard
