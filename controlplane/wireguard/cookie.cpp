#include "controlplane/wireguard/cookie.h"

#include <cstring>

namespace wayport::wireguard {

using wgmsg::CookieReply;

Key32 cookie_key(const PublicKey &sender)
{
	return hash({ByteSpan(reinterpret_cast<const uint8_t *>(kLabelCookie.data()), kLabelCookie.size()),
		     sender.bytes});
}

Cookie make_cookie(const Key32 &secret, ByteSpan source_address)
{
	return mac(secret, source_address);
}

void create_cookie_reply(const Identity &self, const CookieReplyParams &params,
			 std::span<uint8_t, kWireGuardCookieReplyLen> out)
{
	wgmsg::store_type(out.data(), WireGuardType::cookie_reply);
	wgmsg::store_le32(out.data() + CookieReply::receiver, params.receiver_index);
	std::memcpy(out.data() + CookieReply::nonce, params.nonce.data(), kXNonceLen);
	xaead_seal(self.cookie_key, params.nonce, params.cookie, params.answered_mac1,
		   out.data() + CookieReply::encrypted_cookie);
}

HandshakeError consume_cookie_reply(const Key32 &peer_cookie_key, const Mac &sent_mac1,
				    ByteSpan message, Cookie &cookie)
{
	if (message.size() != kWireGuardCookieReplyLen)
		return HandshakeError::wrong_size;
	if (message[0] != static_cast<uint8_t>(WireGuardType::cookie_reply) || message[1] != 0 ||
	    message[2] != 0 || message[3] != 0)
		return HandshakeError::wrong_type;
	XNonce nonce;
	std::memcpy(nonce.data(), message.data() + CookieReply::nonce, kXNonceLen);
	if (!xaead_open(peer_cookie_key, nonce, message.subspan(CookieReply::encrypted_cookie), sent_mac1,
			cookie.data()))
		return HandshakeError::decrypt_failed;
	return HandshakeError::ok;
}

} // namespace wayport::wireguard
