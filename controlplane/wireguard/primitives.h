// The cryptographic primitives of WireGuard's Noise instance (whitepaper
// §5.4): HASH and MAC (BLAKE2s), HMAC and HKDF over BLAKE2s, X25519 DH and
// the two AEADs. Stateless functions over caller-owned buffers.
//
// X25519 and the AEADs come from libsodium. For X25519 it was measured
// against OpenSSL 3.0's libcrypto (perf/handshake_bench BM_X25519/*, CPU
// time per call, medians of four runs on this repo's 2-vCPU EPYC VM,
// 2026-12-02; docs/PERFORMANCE.md):
//
//   variable base, dh():
//     libsodium crypto_scalarmult                           33-36 us  <- dh()
//     OpenSSL EVP_PKEY_derive, objects made per call        62-92 us
//       with our private key's EVP_PKEY made once           34-46 us
//       with every object made once (the bare arithmetic)   29-38 us
//   base point, public_key():
//     libsodium crypto_scalarmult_base                      31-33 us
//     OpenSSL raw private key import + get_raw_public_key   29-46 us
//     libsodium's Ed25519 base table, then u = (1+y)/(1-y)  20-26 us  <- public_key()
//
// OpenSSL's arithmetic is the fastest, but a stateless dh() cannot reach
// it: importing a raw private key derives its public key (a second
// multiplication), and even with that object kept, the per-call peer key
// and context cost what the faster arithmetic saves. public_key() takes
// libsodium's fixed-base Edwards multiplication (14-15 us) and maps the
// point to Montgomery form (key.cpp), as libsodium's own ref10 code does;
// its AVX code, the one it picks on this CPU, runs the ladder instead.
// The handshake's own X25519s mostly go through x25519_batch.h, several
// at once (50 us for up to four); dh() and public_key() serve the rest.
// The data path's AEAD is ipsec-mb.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>

#include "controlplane/wireguard/key.h"
#include "dataplane/wire/bytes.h"
#include "dataplane/wire/wireguard.h"

namespace wayport::wireguard {

inline constexpr size_t kHashLen = 32;
inline constexpr size_t kMacLen = wgmsg::kMacLen;
inline constexpr size_t kTagLen = wgmsg::kTagLen;
inline constexpr size_t kXNonceLen = wgmsg::kXNonceLen;

using Hash = std::array<uint8_t, kHashLen>;
using Mac = std::array<uint8_t, kMacLen>;
using XNonce = std::array<uint8_t, kXNonceLen>;

// HASH(a || b || ...): unkeyed BLAKE2s-256 over the parts in order.
Hash hash(std::initializer_list<ByteSpan> parts);

// MAC(key, data): keyed BLAKE2s-128.
Mac mac(ByteSpan key, ByteSpan data);

// HMAC-BLAKE2s-256 (RFC 2104 with a 64-byte block).
Hash hmac(ByteSpan key, ByteSpan data);

// HKDF with BLAKE2s (whitepaper §5.4 KDF_n): n outputs of 32 bytes, n 1..3.
// The extracted PRK is zeroed before returning.
void hkdf(const Key32 &chaining_key, ByteSpan input, std::span<Key32> out);

// X25519; nothing when the result is all zero (a low-order public key),
// which would make the shared secret public.
std::optional<Key32> dh(const PrivateKey &self, const PublicKey &peer);

// ChaCha20-Poly1305 (RFC 8439). The 96-bit nonce is 32 zero bits then the
// counter little-endian, as WireGuard and Noise's ChaChaPoly both encode it.
// out holds plaintext.size() + kTagLen bytes.
void aead_seal(const Key32 &key, uint64_t counter, ByteSpan plaintext, ByteSpan ad,
	       uint8_t *out);
// out holds ciphertext.size() - kTagLen bytes; false when the tag fails.
bool aead_open(const Key32 &key, uint64_t counter, ByteSpan ciphertext, ByteSpan ad,
	       uint8_t *out);

// The system's CSPRNG (libsodium's randombytes): keys, indexes, jitter,
// cookie secrets and nonces all come from here unless a test injects its own.
void random_bytes(std::span<uint8_t> out);
uint32_t random_u32();

// XChaCha20-Poly1305, for cookie replies.
void xaead_seal(const Key32 &key, const XNonce &nonce, ByteSpan plaintext, ByteSpan ad,
		uint8_t *out);
bool xaead_open(const Key32 &key, const XNonce &nonce, ByteSpan ciphertext, ByteSpan ad,
		uint8_t *out);

} // namespace wayport::wireguard
