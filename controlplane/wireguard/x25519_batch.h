// Up to four independent X25519 multiplications (RFC 7748) in one pass:
// one Montgomery ladder per 64-bit lane of AVX-512 IFMA's 52-bit
// multiply-add, four lanes abreast. A handshake's X25519s are mostly
// independent of one another (the responder's ephemeral public key, ee
// and se; the initiator's e and es, then ee and se), so one pass does the
// work of two or three: docs/PERFORMANCE.md has the figures.
//
// Constant-time as libsodium's ladder is: no branch and no memory index
// depends on a scalar or a point; the per-bit swap is a mask.
//
// On a CPU without AVX-512 IFMA and VL every job runs through libsodium's
// crypto_scalarmult, with the same results.
#pragma once

#include <cstddef>
#include <span>

#include "controlplane/wireguard/key.h"

namespace wayport::wireguard {

inline constexpr size_t kX25519BatchMax = 4;

// One multiplication: out = X25519(scalar, point). The scalar is clamped
// here as RFC 7748 decodes it; the point's top bit is ignored and a value
// at or above p is taken modulo p, as RFC 7748 asks. out may be all zero
// (a low-order point): callers check, as dh() does.
struct X25519Job {
	const Key32 *scalar;
	const Key32 *point;
	Key32 *out;
};

// The u-coordinate 9, the base point, for jobs that compute a public key.
const Key32 &x25519_base_point();

// Whether this CPU runs the vector ladder (else x25519_batch falls back).
bool x25519_batch_vectorized();

// Any number of jobs, kX25519BatchMax at a time; a pass costs the same for
// one job as for four, so a lone job goes to libsodium instead.
void x25519_batch(std::span<const X25519Job> jobs);

// The same through libsodium, job by job: the reference the tests compare with.
void x25519_batch_reference(std::span<const X25519Job> jobs);

} // namespace wayport::wireguard
