#include "controlplane/wireguard/primitives.h"

#include <blake2.h>
#include <sodium.h>

#include <cstring>

#include "controlplane/disco/sodium_ready.h"
#include "dataplane/crypto/aead.h"

namespace wayport::wireguard {

namespace {

constexpr size_t kBlockLen = BLAKE2S_BLOCKBYTES; // 64

} // namespace

Hash hash(std::initializer_list<ByteSpan> parts)
{
	blake2s_state s;
	blake2s_init(&s, kHashLen);
	for (ByteSpan p : parts)
		blake2s_update(&s, p.data(), p.size());
	Hash out;
	blake2s_final(&s, out.data(), out.size());
	return out;
}

Mac mac(ByteSpan key, ByteSpan data)
{
	Mac out;
	blake2s(out.data(), data.data(), key.data(), out.size(), data.size(), key.size());
	return out;
}

Hash hmac(ByteSpan key, ByteSpan data)
{
	// Keys longer than a block are hashed first (RFC 2104); WireGuard's are
	// all 32 bytes, but the Noise vectors' HKDF uses the same code.
	uint8_t block[kBlockLen] = {};
	if (key.size() > kBlockLen) {
		Hash k = hash({key});
		std::memcpy(block, k.data(), k.size());
	} else if (!key.empty()) {
		std::memcpy(block, key.data(), key.size());
	}
	uint8_t pad[kBlockLen];
	for (size_t i = 0; i < kBlockLen; i++)
		pad[i] = block[i] ^ 0x36;
	Hash inner = hash({ByteSpan(pad), data});
	for (size_t i = 0; i < kBlockLen; i++)
		pad[i] = block[i] ^ 0x5c;
	Hash out = hash({ByteSpan(pad), ByteSpan(inner)});
	sodium_memzero(block, sizeof(block));
	sodium_memzero(pad, sizeof(pad));
	sodium_memzero(inner.data(), inner.size());
	return out;
}

void hkdf(const Key32 &chaining_key, ByteSpan input, std::span<Key32> out)
{
	Hash prk = hmac(chaining_key, input);
	uint8_t t[kHashLen + 1];
	size_t t_len = 0;
	for (size_t i = 0; i < out.size(); i++) {
		t[t_len] = static_cast<uint8_t>(i + 1);
		Hash next = hmac(prk, ByteSpan(t, t_len + 1));
		std::memcpy(out[i].data(), next.data(), kHashLen);
		std::memcpy(t, next.data(), kHashLen);
		t_len = kHashLen;
		sodium_memzero(next.data(), next.size());
	}
	sodium_memzero(prk.data(), prk.size());
	sodium_memzero(t, sizeof(t));
}

void random_bytes(std::span<uint8_t> out)
{
	disco::sodium_ready();
	randombytes_buf(out.data(), out.size());
}

uint32_t random_u32()
{
	disco::sodium_ready();
	return randombytes_random();
}

std::optional<Key32> dh(const PrivateKey &self, const PublicKey &peer)
{
	disco::sodium_ready();
	Key32 shared;
	// libsodium returns -1 for an all-zero result; check it ourselves too,
	// so the rule does not rest on a library detail.
	if (crypto_scalarmult(shared.data(), self.raw().data(), peer.bytes.data()) != 0 ||
	    sodium_is_zero(shared.data(), shared.size()))
		return std::nullopt;
	return shared;
}

void aead_seal(const Key32 &key, uint64_t counter, ByteSpan plaintext, ByteSpan ad, uint8_t *out)
{
	AeadNonce nonce = wg_nonce(counter);
	crypto_aead_chacha20poly1305_ietf_encrypt(out, nullptr, plaintext.data(), plaintext.size(),
						  ad.data(), ad.size(), nullptr, nonce.data(),
						  key.data());
}

bool aead_open(const Key32 &key, uint64_t counter, ByteSpan ciphertext, ByteSpan ad, uint8_t *out)
{
	if (ciphertext.size() < kTagLen)
		return false;
	AeadNonce nonce = wg_nonce(counter);
	return crypto_aead_chacha20poly1305_ietf_decrypt(out, nullptr, nullptr, ciphertext.data(),
							 ciphertext.size(), ad.data(), ad.size(),
							 nonce.data(), key.data()) == 0;
}

void xaead_seal(const Key32 &key, const XNonce &nonce, ByteSpan plaintext, ByteSpan ad,
		uint8_t *out)
{
	crypto_aead_xchacha20poly1305_ietf_encrypt(out, nullptr, plaintext.data(), plaintext.size(),
						   ad.data(), ad.size(), nullptr, nonce.data(),
						   key.data());
}

bool xaead_open(const Key32 &key, const XNonce &nonce, ByteSpan ciphertext, ByteSpan ad,
		uint8_t *out)
{
	if (ciphertext.size() < kTagLen)
		return false;
	return crypto_aead_xchacha20poly1305_ietf_decrypt(out, nullptr, nullptr, ciphertext.data(),
							  ciphertext.size(), ad.data(), ad.size(),
							  nonce.data(), key.data()) == 0;
}

} // namespace wayport::wireguard
