#include "controlplane/wireguard/key.h"

#include <sodium.h>

#include <cstring>

#include "controlplane/disco/sodium_ready.h"
#include "controlplane/wireguard/primitives.h"
#include "dataplane/wire/bytes.h"

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

// Arithmetic modulo p = 2^255 - 19 in five 51-bit limbs (ref10's radix),
// just enough for the Edwards-to-Montgomery map below. Its inputs are a
// public key's coordinates, so it need not be constant-time; it is anyway.
struct Fe {
	uint64_t v[5];
};

constexpr uint64_t kLimbMask = (uint64_t{1} << 51) - 1;

// GCC's 128-bit integer; __extension__ because -Wpedantic knows it is not ISO.
__extension__ typedef unsigned __int128 u128;

// The low 255 bits of s.
Fe fe_load(const uint8_t *s)
{
	const uint64_t w0 = load_le64(s), w1 = load_le64(s + 8), w2 = load_le64(s + 16),
		       w3 = load_le64(s + 24);
	return {{w0 & kLimbMask, (w0 >> 51 | w1 << 13) & kLimbMask, (w1 >> 38 | w2 << 26) & kLimbMask,
		 (w2 >> 25 | w3 << 39) & kLimbMask, (w3 >> 12) & kLimbMask}};
}

// Limbs below 2^54 in, below 2^52 out.
Fe fe_mul(const Fe &a, const Fe &b)
{
	const uint64_t *f = a.v, *g = b.v;
	const uint64_t g1 = g[1] * 19, g2 = g[2] * 19, g3 = g[3] * 19, g4 = g[4] * 19;
	u128 r0 = u128(f[0]) * g[0] + u128(f[1]) * g4 + u128(f[2]) * g3 + u128(f[3]) * g2 + u128(f[4]) * g1;
	u128 r1 = u128(f[0]) * g[1] + u128(f[1]) * g[0] + u128(f[2]) * g4 + u128(f[3]) * g3 + u128(f[4]) * g2;
	u128 r2 = u128(f[0]) * g[2] + u128(f[1]) * g[1] + u128(f[2]) * g[0] + u128(f[3]) * g4 + u128(f[4]) * g3;
	u128 r3 = u128(f[0]) * g[3] + u128(f[1]) * g[2] + u128(f[2]) * g[1] + u128(f[3]) * g[0] + u128(f[4]) * g4;
	u128 r4 = u128(f[0]) * g[4] + u128(f[1]) * g[3] + u128(f[2]) * g[2] + u128(f[3]) * g[1] + u128(f[4]) * g[0];
	r1 += uint64_t(r0 >> 51);
	r2 += uint64_t(r1 >> 51);
	r3 += uint64_t(r2 >> 51);
	r4 += uint64_t(r3 >> 51);
	uint64_t h0 = (uint64_t(r0) & kLimbMask) + uint64_t(r4 >> 51) * 19;
	const uint64_t h1 = (uint64_t(r1) & kLimbMask) + (h0 >> 51);
	h0 &= kLimbMask;
	return {{h0, h1, uint64_t(r2) & kLimbMask, uint64_t(r3) & kLimbMask, uint64_t(r4) & kLimbMask}};
}

Fe fe_sq_times(Fe a, int n)
{
	while (n-- > 0)
		a = fe_mul(a, a);
	return a;
}

// z^(p-2) = 1/z, by ref10's chain of 254 squarings and 11 multiplications.
Fe fe_invert(const Fe &z)
{
	const Fe z2 = fe_mul(z, z);
	const Fe z9 = fe_mul(fe_sq_times(z2, 2), z);
	const Fe z11 = fe_mul(z9, z2);
	const Fe z_5_0 = fe_mul(fe_mul(z11, z11), z9);
	const Fe z_10_0 = fe_mul(fe_sq_times(z_5_0, 5), z_5_0);
	const Fe z_20_0 = fe_mul(fe_sq_times(z_10_0, 10), z_10_0);
	const Fe z_40_0 = fe_mul(fe_sq_times(z_20_0, 20), z_20_0);
	const Fe z_50_0 = fe_mul(fe_sq_times(z_40_0, 10), z_10_0);
	const Fe z_100_0 = fe_mul(fe_sq_times(z_50_0, 50), z_50_0);
	const Fe z_200_0 = fe_mul(fe_sq_times(z_100_0, 100), z_100_0);
	const Fe z_250_0 = fe_mul(fe_sq_times(z_200_0, 50), z_50_0);
	return fe_mul(fe_sq_times(z_250_0, 5), z11);
}

// Fully reduced, little-endian.
Key32 fe_store(Fe h)
{
	uint64_t *t = h.v;
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < 4; i++) {
			t[i + 1] += t[i] >> 51;
			t[i] &= kLimbMask;
		}
		t[0] += (t[4] >> 51) * 19;
		t[4] &= kLimbMask;
	}
	// Now h < 2^255 + 19; q is 1 exactly when h >= p.
	uint64_t q = (t[0] + 19) >> 51;
	for (int i = 1; i < 5; i++)
		q = (t[i] + q) >> 51;
	t[0] += q * 19;
	for (int i = 0; i < 4; i++) {
		t[i + 1] += t[i] >> 51;
		t[i] &= kLimbMask;
	}
	t[4] &= kLimbMask;
	const uint64_t w[4] = {t[0] | t[1] << 51, t[1] >> 13 | t[2] << 38, t[2] >> 26 | t[3] << 25,
			       t[3] >> 39 | t[4] << 12};
	Key32 out;
	std::memcpy(out.data(), w, sizeof(w));
	return out;
}

// RFC 7748 §4.1: the Montgomery u of the Edwards point whose encoding is
// ed (y in the low 255 bits, x's sign in the top one): u = (1 + y) / (1 - y).
// y is never 1, the neutral element, for a clamped scalar's multiple.
Key32 edwards_to_montgomery(const Key32 &ed)
{
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
