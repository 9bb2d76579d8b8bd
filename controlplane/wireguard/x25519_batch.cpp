#include "controlplane/wireguard/x25519_batch.h"

#include <immintrin.h>
#include <sodium.h>

#include <cstdint>

#include "controlplane/disco/sodium_ready.h"
#include "controlplane/wireguard/field25519.h"

namespace wayport::wireguard {

namespace {

using field25519::Fe;
using field25519::kLimbMask;

// Everything touching the vectors is compiled for AVX-512 IFMA and VL and
// inlined into ladder4(), the one function the dispatcher calls after
// checking the CPU; the rest of the build stays baseline x86-64.
#define X25519_VECTOR __attribute__((target("avx512f,avx512vl,avx512ifma,avx512dq")))
#define X25519_INLINE X25519_VECTOR inline __attribute__((always_inline))

using V = __m256i;

// Four field elements, one per lane, in radix 2^51: limb i of every lane
// in l[i]. Between operations (after carry()) each limb is at most 2^51,
// below the 2^52 that IFMA multiplies exactly (it reads 52 bits of each
// input); sums and differences are carried before they are multiplied.
struct Fe4 {
	V l[5];
};

X25519_INLINE V splat(uint64_t x)
{
	return _mm256_set1_epi64x(static_cast<long long>(x));
}

// Limbs below 2^62 in, every limb at most 2^51 out. The carry out of
// limb 4 is below 2^12, so 19 times it added to limb 0 stays below
// 2^51 + 2^17, and the last carry into limb 1 (masked below 2^51) is at most 1.
X25519_INLINE Fe4 carry(Fe4 f)
{
	const V mask = splat(kLimbMask);
	for (int i = 0; i < 4; i++) {
		f.l[i + 1] = _mm256_add_epi64(f.l[i + 1], _mm256_srli_epi64(f.l[i], 51));
		f.l[i] = _mm256_and_si256(f.l[i], mask);
	}
	const V top = _mm256_srli_epi64(f.l[4], 51);
	f.l[4] = _mm256_and_si256(f.l[4], mask);
	f.l[0] = _mm256_add_epi64(f.l[0], _mm256_mullo_epi64(top, splat(19)));
	f.l[1] = _mm256_add_epi64(f.l[1], _mm256_srli_epi64(f.l[0], 51));
	f.l[0] = _mm256_and_si256(f.l[0], mask);
	return f;
}

X25519_INLINE Fe4 add(const Fe4 &a, const Fe4 &b)
{
	Fe4 r;
	for (int i = 0; i < 5; i++)
		r.l[i] = _mm256_add_epi64(a.l[i], b.l[i]);
	return carry(r);
}

// a - b + 2p, limb by limb: 2p's limbs (2^52 - 38, then 2^52 - 2) exceed
// any carried limb of b, so none goes negative.
X25519_INLINE Fe4 sub(const Fe4 &a, const Fe4 &b)
{
	const V two_p0 = splat(2 * (kLimbMask - 18)), two_p = splat(2 * kLimbMask);
	Fe4 r;
	r.l[0] = _mm256_sub_epi64(_mm256_add_epi64(a.l[0], two_p0), b.l[0]);
	for (int i = 1; i < 5; i++)
		r.l[i] = _mm256_sub_epi64(_mm256_add_epi64(a.l[i], two_p), b.l[i]);
	return carry(r);
}

// Column k of a product gathers lo52(a_i b_j) for i + j = k and, since the
// high half of a product sits at 2^52 = 2 * 2^51, twice hi52(a_i b_j) for
// i + j = k - 1. Columns 5..9 fold into 0..4 times 19 (2^255 = 19 mod p).
// Each column is below 15 * 2^52 < 2^56, so a folded one is below 2^61.
X25519_INLINE Fe4 reduce_columns(const V (&lo)[10], const V (&hi)[10])
{
	V col[10];
	for (int k = 0; k < 10; k++)
		col[k] = _mm256_add_epi64(lo[k], _mm256_slli_epi64(hi[k], 1));
	Fe4 r;
	for (int k = 0; k < 5; k++)
		r.l[k] = _mm256_add_epi64(col[k], _mm256_mullo_epi64(col[k + 5], splat(19)));
	return carry(r);
}

X25519_INLINE Fe4 mul(const Fe4 &a, const Fe4 &b)
{
	V lo[10], hi[10];
	for (int k = 0; k < 10; k++)
		lo[k] = hi[k] = _mm256_setzero_si256();
	for (int i = 0; i < 5; i++) {
		for (int j = 0; j < 5; j++) {
			lo[i + j] = _mm256_madd52lo_epu64(lo[i + j], a.l[i], b.l[j]);
			hi[i + j + 1] = _mm256_madd52hi_epu64(hi[i + j + 1], a.l[i], b.l[j]);
		}
	}
	return reduce_columns(lo, hi);
}

// The ten cross products a_i a_j (i < j) once and doubled, the five
// squares once: the same columns as mul(a, a) with 30 multiply-adds of 50.
X25519_INLINE Fe4 sq(const Fe4 &a)
{
	V lo[10], hi[10], xlo[10], xhi[10];
	for (int k = 0; k < 10; k++)
		lo[k] = hi[k] = xlo[k] = xhi[k] = _mm256_setzero_si256();
	for (int i = 0; i < 5; i++) {
		lo[2 * i] = _mm256_madd52lo_epu64(lo[2 * i], a.l[i], a.l[i]);
		hi[2 * i + 1] = _mm256_madd52hi_epu64(hi[2 * i + 1], a.l[i], a.l[i]);
		for (int j = i + 1; j < 5; j++) {
			xlo[i + j] = _mm256_madd52lo_epu64(xlo[i + j], a.l[i], a.l[j]);
			xhi[i + j + 1] = _mm256_madd52hi_epu64(xhi[i + j + 1], a.l[i], a.l[j]);
		}
	}
	for (int k = 0; k < 10; k++) {
		lo[k] = _mm256_add_epi64(lo[k], _mm256_slli_epi64(xlo[k], 1));
		hi[k] = _mm256_add_epi64(hi[k], _mm256_slli_epi64(xhi[k], 1));
	}
	return reduce_columns(lo, hi);
}

X25519_INLINE Fe4 sq_times(Fe4 a, int n)
{
	for (int i = 0; i < n; i++)
		a = sq(a);
	return a;
}

// a times a constant below 2^52 (the ladder's a24 = 121665).
X25519_INLINE Fe4 mul_small(const Fe4 &a, uint64_t c)
{
	const V k = splat(c);
	V lo[10], hi[10];
	for (int i = 0; i < 10; i++)
		lo[i] = hi[i] = _mm256_setzero_si256();
	for (int i = 0; i < 5; i++) {
		lo[i] = _mm256_madd52lo_epu64(lo[i], a.l[i], k);
		hi[i + 1] = _mm256_madd52hi_epu64(hi[i + 1], a.l[i], k);
	}
	return reduce_columns(lo, hi);
}

// z^(p-2) = 1/z (0 for 0), by the chain field25519::fe_invert uses.
X25519_INLINE Fe4 invert(const Fe4 &z)
{
	const Fe4 z2 = sq(z);
	const Fe4 z9 = mul(sq_times(z2, 2), z);
	const Fe4 z11 = mul(z9, z2);
	const Fe4 z_5_0 = mul(sq(z11), z9);
	const Fe4 z_10_0 = mul(sq_times(z_5_0, 5), z_5_0);
	const Fe4 z_20_0 = mul(sq_times(z_10_0, 10), z_10_0);
	const Fe4 z_40_0 = mul(sq_times(z_20_0, 20), z_20_0);
	const Fe4 z_50_0 = mul(sq_times(z_40_0, 10), z_10_0);
	const Fe4 z_100_0 = mul(sq_times(z_50_0, 50), z_50_0);
	const Fe4 z_200_0 = mul(sq_times(z_100_0, 100), z_100_0);
	const Fe4 z_250_0 = mul(sq_times(z_200_0, 50), z_50_0);
	return mul(sq_times(z_250_0, 5), z11);
}

// Exchanges a and b in the lanes where mask is all ones.
X25519_INLINE void cswap(V mask, Fe4 &a, Fe4 &b)
{
	for (int i = 0; i < 5; i++) {
		const V t = _mm256_and_si256(mask, _mm256_xor_si256(a.l[i], b.l[i]));
		a.l[i] = _mm256_xor_si256(a.l[i], t);
		b.l[i] = _mm256_xor_si256(b.l[i], t);
	}
}

// The lanes' elements, in and out of the vectors.
struct Lanes {
	alignas(32) uint64_t limb[5][kX25519BatchMax];
};

X25519_INLINE Fe4 load(const Lanes &lanes)
{
	Fe4 f;
	for (int i = 0; i < 5; i++)
		f.l[i] = _mm256_load_si256(reinterpret_cast<const V *>(lanes.limb[i]));
	return f;
}

X25519_INLINE void store(const Fe4 &f, Lanes &lanes)
{
	for (int i = 0; i < 5; i++)
		_mm256_store_si256(reinterpret_cast<V *>(lanes.limb[i]), f.l[i]);
}

// RFC 7748 §5's ladder in every lane at once. words[w] holds 64-bit word
// w of each lane's clamped scalar; u the lanes' points; out gets x2 / z2.
X25519_VECTOR __attribute__((noinline)) void ladder4(const uint64_t (&words)[4][kX25519BatchMax],
						     const Lanes &u, Lanes &out)
{
	V scalar[4];
	for (int w = 0; w < 4; w++)
		scalar[w] = _mm256_load_si256(reinterpret_cast<const V *>(words[w]));
	const Fe4 x1 = load(u);
	Fe4 one{}, zero{};
	for (int i = 0; i < 5; i++)
		one.l[i] = zero.l[i] = _mm256_setzero_si256();
	one.l[0] = splat(1);
	Fe4 x2 = one, z2 = zero, x3 = x1, z3 = one;
	V swapped = _mm256_setzero_si256();
	// Bit 255 is clamped off; bit 254 is always set.
	for (int t = 254; t >= 0; t--) {
		const V bit = _mm256_and_si256(
			_mm256_srl_epi64(scalar[t >> 6], _mm_cvtsi32_si128(t & 63)), splat(1));
		const V mask = _mm256_sub_epi64(_mm256_setzero_si256(), _mm256_xor_si256(swapped, bit));
		swapped = bit;
		cswap(mask, x2, x3);
		cswap(mask, z2, z3);
		const Fe4 a = add(x2, z2);
		const Fe4 b = sub(x2, z2);
		const Fe4 c = add(x3, z3);
		const Fe4 d = sub(x3, z3);
		const Fe4 aa = sq(a);
		const Fe4 bb = sq(b);
		const Fe4 da = mul(d, a);
		const Fe4 cb = mul(c, b);
		const Fe4 e = sub(aa, bb);
		x3 = sq(add(da, cb));
		z3 = mul(x1, sq(sub(da, cb)));
		x2 = mul(aa, bb);
		z2 = mul(e, add(aa, mul_small(e, 121665)));
	}
	const V mask = _mm256_sub_epi64(_mm256_setzero_si256(), swapped);
	cswap(mask, x2, x3);
	cswap(mask, z2, z3);
	store(mul(x2, invert(z2)), out);
}

void clamp(Key32 &k)
{
	k[0] &= 248;
	k[31] &= 127;
	k[31] |= 64;
}

// At most kX25519BatchMax jobs, through the vector ladder. Empty lanes
// repeat job 0 and are discarded.
void run_vector(std::span<const X25519Job> jobs)
{
	alignas(32) uint64_t words[4][kX25519BatchMax];
	Lanes u, out;
	for (size_t lane = 0; lane < kX25519BatchMax; lane++) {
		const X25519Job &job = jobs[lane < jobs.size() ? lane : 0];
		Key32 k = *job.scalar;
		clamp(k);
		for (int w = 0; w < 4; w++)
			words[w][lane] = load_le64(k.data() + 8 * w);
		sodium_memzero(k.data(), k.size());
		const Fe p = field25519::fe_load(job.point->data());
		for (int i = 0; i < 5; i++)
			u.limb[i][lane] = p.v[i];
	}
	ladder4(words, u, out);
	for (size_t lane = 0; lane < jobs.size(); lane++) {
		Fe r;
		for (int i = 0; i < 5; i++)
			r.v[i] = out.limb[i][lane];
		*jobs[lane].out = field25519::fe_store(r);
	}
	sodium_memzero(words, sizeof(words));
	sodium_memzero(&out, sizeof(out));
}

bool cpu_has_ifma()
{
	static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
				__builtin_cpu_supports("avx512ifma") && __builtin_cpu_supports("avx512dq");
	return has;
}

} // namespace

const Key32 &x25519_base_point()
{
	static const Key32 nine{9};
	return nine;
}

bool x25519_batch_vectorized()
{
	return cpu_has_ifma();
}

void x25519_batch_reference(std::span<const X25519Job> jobs)
{
	disco::sodium_ready();
	for (const X25519Job &job : jobs) {
		// libsodium writes the product even when it is all zero (and
		// returns -1); that is the caller's to see, as with the vector path.
		[[maybe_unused]] const int low_order =
			crypto_scalarmult(job.out->data(), job.scalar->data(), job.point->data());
	}
}

void x25519_batch(std::span<const X25519Job> jobs)
{
	if (!cpu_has_ifma()) {
		x25519_batch_reference(jobs);
		return;
	}
	while (!jobs.empty()) {
		const size_t n = jobs.size() < kX25519BatchMax ? jobs.size() : kX25519BatchMax;
		if (n == 1)
			x25519_batch_reference(jobs.first(1));
		else
			run_vector(jobs.first(n));
		jobs = jobs.subspan(n);
	}
}

} // namespace wayport::wireguard
