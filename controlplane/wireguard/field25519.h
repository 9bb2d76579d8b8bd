// Arithmetic modulo p = 2^255 - 19 in five 51-bit limbs (ref10's radix),
// scalar and constant-time: the Edwards-to-Montgomery map of public_key()
// (key.cpp), and the conversions in and out of x25519_batch's vector lanes.
// Not a general field library: just what those two need.
#pragma once

#include <cstdint>
#include <cstring>

#include "controlplane/wireguard/key.h"
#include "dataplane/wire/bytes.h"

namespace wayport::wireguard::field25519 {

struct Fe {
	uint64_t v[5];
};

constexpr uint64_t kLimbMask = (uint64_t{1} << 51) - 1;

// GCC's 128-bit integer; __extension__ because -Wpedantic knows it is not ISO.
__extension__ typedef unsigned __int128 u128;

// The low 255 bits of s.
inline Fe fe_load(const uint8_t *s)
{
	const uint64_t w0 = load_le64(s), w1 = load_le64(s + 8), w2 = load_le64(s + 16),
		       w3 = load_le64(s + 24);
	return {{w0 & kLimbMask, (w0 >> 51 | w1 << 13) & kLimbMask, (w1 >> 38 | w2 << 26) & kLimbMask,
		 (w2 >> 25 | w3 << 39) & kLimbMask, (w3 >> 12) & kLimbMask}};
}

// Limbs below 2^54 in, below 2^52 out.
inline Fe fe_mul(const Fe &a, const Fe &b)
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

inline Fe fe_sq_times(Fe a, int n)
{
	while (n-- > 0)
		a = fe_mul(a, a);
	return a;
}

// z^(p-2) = 1/z, by ref10's chain of 254 squarings and 11 multiplications.
inline Fe fe_invert(const Fe &z)
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
inline Key32 fe_store(Fe h)
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

} // namespace wayport::wireguard::field25519
