// WireGuard's data AEAD (whitepaper §5.4.6): IETF ChaCha20-Poly1305
// (RFC 8439) with a 32-byte key, the nonce 4 zero bytes ‖ the 64-bit
// counter little-endian, and empty AD. The caller pads the inner packet
// with zeros to a multiple of 16 bytes before sealing (wg_padded_len).
//
// This file holds what both paths share and the single-packet reference
// path over libsodium: the tests compare the batched ipsec-mb path with
// it byte for byte, and AeadBatch falls back to it when ipsec-mb cannot
// start. Call sodium_init() once before using it (AeadBatch's constructor
// does).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "dataplane/wire/bytes.h"

namespace wayport {

inline constexpr size_t aead_key_len = 32;
inline constexpr size_t aead_nonce_len = 12;
inline constexpr size_t aead_tag_len = 16;
// The longest message either path accepts: an mbuf segment's data_len is
// 16 bits, and no WireGuard packet is longer.
inline constexpr size_t aead_max_len = 65535;

using AeadNonce = std::array<uint8_t, aead_nonce_len>;

enum class AeadStatus : uint8_t {
	ok,
	auth_failed,  // decryption: the tag does not match; data is zeroed, never plaintext
	bad_length,   // longer than aead_max_len; nothing was read or written
};

enum class AeadDirection : uint8_t { encrypt, decrypt };

// WireGuard's nonce for a message counter.
inline AeadNonce wg_nonce(uint64_t counter)
{
	AeadNonce n{};
	store_le64(n.data() + 4, counter);
	return n;
}

// The plaintext length WireGuard encrypts for an inner packet of len bytes.
inline constexpr size_t wg_padded_len(size_t len)
{
	return (len + 15) & ~size_t{15};
}

// One message in place, over libsodium. Encryption writes the tag to
// tag_out; decryption verifies tag_in before it decrypts, and zeroes data
// when the tag does not match.
AeadStatus sodium_encrypt(const uint8_t *key, const AeadNonce &nonce, const uint8_t *ad, size_t ad_len,
                          uint8_t *data, size_t len, uint8_t *tag_out);
AeadStatus sodium_decrypt(const uint8_t *key, const AeadNonce &nonce, const uint8_t *ad, size_t ad_len,
                          uint8_t *data, size_t len, const uint8_t *tag_in);

// The same with WireGuard's nonce and empty AD.
inline AeadStatus sodium_wg_encrypt(const uint8_t *key, uint64_t counter, uint8_t *data, size_t len,
                                    uint8_t *tag_out)
{
	return sodium_encrypt(key, wg_nonce(counter), nullptr, 0, data, len, tag_out);
}

inline AeadStatus sodium_wg_decrypt(const uint8_t *key, uint64_t counter, uint8_t *data, size_t len,
                                    const uint8_t *tag_in)
{
	return sodium_decrypt(key, wg_nonce(counter), nullptr, 0, data, len, tag_in);
}

}  // namespace wayport
