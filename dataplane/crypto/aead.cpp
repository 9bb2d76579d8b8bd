#include "dataplane/crypto/aead.h"

#include <sodium.h>

namespace wayport {

namespace {

// libsodium declares its message pointers non-null even for zero bytes (a
// keepalive's empty payload may come as a null pointer): give it a byte.
uint8_t *nonnull(uint8_t *data)
{
	static thread_local uint8_t empty;
	return data != nullptr ? data : &empty;
}

} // namespace

AeadStatus sodium_encrypt(const uint8_t *key, const AeadNonce &nonce, const uint8_t *ad, size_t ad_len,
                          uint8_t *data, size_t len, uint8_t *tag_out)
{
	if (len > aead_max_len)
		return AeadStatus::bad_length;
	data = nonnull(data);
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(data, tag_out, nullptr, data, len, ad, ad_len, nullptr,
	                                                   nonce.data(), key);
	return AeadStatus::ok;
}

AeadStatus sodium_decrypt(const uint8_t *key, const AeadNonce &nonce, const uint8_t *ad, size_t ad_len,
                          uint8_t *data, size_t len, const uint8_t *tag_in)
{
	if (len > aead_max_len)
		return AeadStatus::bad_length;
	data = nonnull(data);
	int rc = crypto_aead_chacha20poly1305_ietf_decrypt_detached(data, nullptr, data, len, tag_in, ad, ad_len,
	                                                            nonce.data(), key);
	return rc == 0 ? AeadStatus::ok : AeadStatus::auth_failed;
}

}  // namespace wayport
