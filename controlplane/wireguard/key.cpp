#include "controlplane/wireguard/key.h"

#include <sodium.h>

#include <cstring>

#include "controlplane/disco/sodium_ready.h"
#include "controlplane/wireguard/field25519.h"
#include "controlplane/wireguard/primitives.h"

namespace wayport::wireguard {

namespace {

std::string encode(const Key32 &k)
{
	char out[kKeyBase64Len + 1];
	sodium_bin2base64(out, sizeof(out), k.data(), k.size(), sodium_base64_VARIANT_ORIGINAL);
	return std::string(out, kKeyBase64Len);
}

// Strict: exactly 44 characters of standard base64 with its one '=', and
// (libsodium checks this) no stray bits in the last digit, so every key has
// one text form.
Parsed<Key32> decode(std::string_view text)
{
	if (text.size() != kKeyBase64Len)
		return {std::nullopt, "key is " + std::to_string(text.size()) + " characters, want " +
					      std::to_string(kKeyBase64Len)};
	Key32 k;
	size_t n = 0;
	const char *end = nullptr;
	disco::sodium_ready();
	if (sodium_base642bin(k.data(), k.size(), text.data(), text.size(), nullptr, &n, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != text.data() + text.size())
		return {std::nullopt, "key is not valid base64"};
	if (n != kKeyLen)
		return {std::nullopt, "key decodes to " + std::to_string(n) + " bytes, want 32"};
	return {k, {}};
}

void clamp(Key32 &k)
{
	k[0] &= 248;
	k[31] &= 127;
	k[31] |= 64;
}

// RFC 7748 §4.1: the Montgomery u of the Edwards point whose encoding is
// ed (y in the low 255 bits, x's sign in the top one): u = (1 + y) / (1 - y).
// y is never 1, the neutral element, for a clamped scalar's multiple.
Key32 edwards_to_montgomery(const Key32 &ed)
{
	using namespace field25519;
	const Fe y = fe_load(ed.data());
	const Fe one_plus_y{{y.v[0] + 1, y.v[1], y.v[2], y.v[3], y.v[4]}};
	// 2p - y + 1 limb by limb, so that no limb goes negative.
	const Fe one_minus_y{{2 * (kLimbMask - 18) - y.v[0] + 1, 2 * kLimbMask - y.v[1],
			      2 * kLimbMask - y.v[2], 2 * kLimbMask - y.v[3], 2 * kLimbMask - y.v[4]}};
	return fe_store(fe_mul(one_plus_y, fe_invert(one_minus_y)));
}

} // namespace

std::string PublicKey::to_base64() const
{
	return encode(bytes);
}

Parsed<PublicKey> PublicKey::from_base64(std::string_view text)
{
	Parsed<Key32> k = decode(text);
	if (!k)
		return {std::nullopt, std::move(k.error)};
	return {PublicKey{*k.value}, {}};
}

PrivateKey &PrivateKey::operator=(const PrivateKey &other)
{
	raw_ = other.raw_;
	return *this;
}

PrivateKey::~PrivateKey()
{
	sodium_memzero(raw_.data(), raw_.size());
}

PrivateKey PrivateKey::generate()
{
	Key32 raw;
	random_bytes(raw);
	PrivateKey k = from_raw(raw);
	sodium_memzero(raw.data(), raw.size());
	return k;
}

PrivateKey PrivateKey::from_raw(const Key32 &raw)
{
	PrivateKey k;
	k.raw_ = raw;
	clamp(k.raw_);
	return k;
}

Parsed<PrivateKey> PrivateKey::from_base64(std::string_view text)
{
	Parsed<Key32> k = decode(text);
	if (!k)
		return {std::nullopt, std::move(k.error)};
	Parsed<PrivateKey> out{from_raw(*k.value), {}};
	sodium_memzero(k.value->data(), kKeyLen);
	return out;
}

// Ed25519's fixed-base multiplication (a precomputed table), then the map
// to Montgomery form: libsodium's own ref10 code does the same, but where
// AVX is present libsodium picks its sandy2x code, whose base-point
// multiplication is the variable-base ladder. Measured in primitives.h.
PublicKey PrivateKey::public_key() const
{
	disco::sodium_ready();
	PublicKey pub;
	Key32 ed;
	// libsodium clamps as X25519 does, but refuses the all-zero scalar (a
	// default PrivateKey) before clamping it; X25519 takes it.
	if (crypto_scalarmult_ed25519_base(ed.data(), raw_.data()) != 0)
		crypto_scalarmult_base(pub.bytes.data(), raw_.data());
	else
		pub.bytes = edwards_to_montgomery(ed);
	return pub;
}

std::string PrivateKey::to_base64() const
{
	return encode(raw_);
}

} // namespace wayport::wireguard
