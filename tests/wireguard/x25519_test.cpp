// X25519 as dh(), PrivateKey::public_key() and x25519_batch() compute it,
// checked against libsodium's crypto_scalarmult and crypto_scalarmult_base
// (the reference: public_key() and the batch take other roads, primitives.h
// and x25519_batch.h say why) and RFC 7748's vectors: §5.2's scalar
// multiplications, §6.1's key exchange, and the low-order points whose
// all-zero result must be refused.
#include <gtest/gtest.h>
#include <sodium.h>

#include <cstring>
#include <string_view>
#include <vector>

#include "controlplane/disco/sodium_ready.h"
#include "controlplane/wireguard/primitives.h"
#include "controlplane/wireguard/x25519_batch.h"
#include "dataplane/wire/bytes.h"
#include "tests/wireguard/low_order.h"

namespace wayport::wireguard {
namespace {

Key32 key_from_hex(std::string_view hex)
{
	Key32 k{};
	std::optional<Bytes> b = from_hex(hex);
	EXPECT_TRUE(b && b->size() == kKeyLen) << hex;
	if (b && b->size() == kKeyLen)
		std::memcpy(k.data(), b->data(), kKeyLen);
	return k;
}

Key32 random_key()
{
	disco::sodium_ready();
	Key32 k;
	randombytes_buf(k.data(), k.size());
	return k;
}

TEST(X25519, AgreesWithLibsodiumOnRandomKeys)
{
	for (int i = 0; i < 2000; i++) {
		PrivateKey self = PrivateKey::from_raw(random_key());
		Key32 want;
		crypto_scalarmult_base(want.data(), self.raw().data());
		ASSERT_EQ(self.public_key().bytes, want) << to_hex(self.raw());
	}
	// Any 32 bytes as the peer's u, the curve's points and its twist's.
	for (int i = 0; i < 200; i++) {
		PrivateKey self = PrivateKey::generate();
		PublicKey peer{random_key()};
		Key32 want;
		ASSERT_EQ(crypto_scalarmult(want.data(), self.raw().data(), peer.bytes.data()), 0);
		std::optional<Key32> got = dh(self, peer);
		ASSERT_TRUE(got);
		EXPECT_EQ(*got, want) << to_hex(peer.bytes);
	}
}

TEST(X25519, DefaultKeyIsClampedLikeLibsodium)
{
	// X25519 clamps the all-zero scalar to 2^254; libsodium's Ed25519
	// multiplication would refuse it.
	Key32 want;
	const Key32 zero{};
	crypto_scalarmult_base(want.data(), zero.data());
	EXPECT_EQ(PrivateKey{}.public_key().bytes, want);
}

using test::kLowOrder;

struct Rfc7748Vector {
	const char *scalar;
	const char *u;
	const char *out;
};

// §5.2's two, then §6.1's four: Alice's and Bob's public keys and their
// shared secret both ways. The §5.2 scalars are unclamped and its second u
// has its top bit set: X25519 clamps the one and masks the other.
const Rfc7748Vector kRfc7748[] = {
	{"a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
	 "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
	 "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"},
	{"4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
	 "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
	 "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"},
	{"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
	 "0900000000000000000000000000000000000000000000000000000000000000",
	 "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"},
	{"5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
	 "0900000000000000000000000000000000000000000000000000000000000000",
	 "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"},
	{"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
	 "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
	 "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"},
	{"5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
	 "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
	 "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"},
};

TEST(X25519, Rfc7748Section5_2)
{
	for (const Rfc7748Vector &v : kRfc7748) {
		std::optional<Key32> got = dh(PrivateKey::from_raw(key_from_hex(v.scalar)), PublicKey{key_from_hex(v.u)});
		ASSERT_TRUE(got);
		EXPECT_EQ(to_hex(*got), v.out);
	}
}

TEST(X25519, Rfc7748Section5_2Iterated)
{
	// k = u = 9; then each round u = k and k = X25519(k, u).
	Key32 k{9}, u{9};
	for (int i = 1; i <= 1000; i++) {
		std::optional<Key32> next = dh(PrivateKey::from_raw(k), PublicKey{u});
		ASSERT_TRUE(next);
		u = k;
		k = *next;
		if (i == 1) {
			EXPECT_EQ(to_hex(k), "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
		}
	}
	EXPECT_EQ(to_hex(k), "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
}

TEST(X25519, Rfc7748Section6_1)
{
	PrivateKey alice = PrivateKey::from_raw(key_from_hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
	PrivateKey bob = PrivateKey::from_raw(key_from_hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
	EXPECT_EQ(to_hex(alice.public_key().bytes), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
	EXPECT_EQ(to_hex(bob.public_key().bytes), "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
	const char *shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
	std::optional<Key32> ab = dh(alice, bob.public_key());
	std::optional<Key32> ba = dh(bob, alice.public_key());
	ASSERT_TRUE(ab && ba);
	EXPECT_EQ(to_hex(*ab), shared);
	EXPECT_EQ(to_hex(*ba), shared);
}

TEST(X25519, LowOrderPointsAreRefused)
{
	// kLowOrder, then each with the top bit set, which X25519 ignores. A
	// clamped scalar is a multiple of 8, so all of them give zero.
	for (int i = 0; i < 8; i++) {
		PrivateKey self = PrivateKey::generate();
		for (const char *hex : kLowOrder)
			for (uint8_t top : {0x00, 0x80}) {
				PublicKey peer{key_from_hex(hex)};
				peer.bytes[31] |= top;
				SCOPED_TRACE(to_hex(peer.bytes));
				EXPECT_FALSE(dh(self, peer));
				Key32 out;
				EXPECT_NE(crypto_scalarmult(out.data(), self.raw().data(), peer.bytes.data()), 0);
			}
	}
}

// The batch's own cases need its vector ladder: on a CPU without AVX-512
// IFMA x25519_batch() is x25519_batch_reference(), and comparing the two
// would prove nothing.
#define REQUIRE_VECTOR_LADDER()                                                     \
	do {                                                                        \
		if (!x25519_batch_vectorized())                                     \
			GTEST_SKIP() << "this CPU has no AVX-512 IFMA: no vector ladder"; \
	} while (0)

// Jobs over caller-held inputs, with one output per job for each path.
struct BatchCase {
	std::vector<Key32> scalars, points, got, want;

	void add(const Key32 &scalar, const Key32 &point)
	{
		scalars.push_back(scalar);
		points.push_back(point);
	}

	// Runs the batch and the reference; true when every output agrees.
	void run()
	{
		got.assign(scalars.size(), Key32{});
		want.assign(scalars.size(), Key32{});
		std::vector<X25519Job> jobs, reference;
		for (size_t i = 0; i < scalars.size(); i++) {
			jobs.push_back({&scalars[i], &points[i], &got[i]});
			reference.push_back({&scalars[i], &points[i], &want[i]});
		}
		x25519_batch(jobs);
		x25519_batch_reference(reference);
	}

	void expect_agree() const
	{
		for (size_t i = 0; i < got.size(); i++)
			EXPECT_EQ(to_hex(got[i]), to_hex(want[i]))
				<< "job " << i << " scalar " << to_hex(scalars[i]) << " point " << to_hex(points[i]);
	}
};

TEST(X25519Batch, Rfc7748VectorsInEveryLane)
{
	REQUIRE_VECTOR_LADDER();
	const size_t n = std::size(kRfc7748);
	// Every vector in every lane, with different vectors beside it.
	for (size_t shift = 0; shift < n; shift++) {
		BatchCase c;
		for (size_t lane = 0; lane < kX25519BatchMax; lane++) {
			const Rfc7748Vector &v = kRfc7748[(lane + shift) % n];
			c.add(key_from_hex(v.scalar), key_from_hex(v.u));
		}
		c.run();
		for (size_t lane = 0; lane < kX25519BatchMax; lane++)
			EXPECT_EQ(to_hex(c.got[lane]), kRfc7748[(lane + shift) % n].out) << "lane " << lane;
	}
}

TEST(X25519Batch, Rfc7748IteratedInEveryLane)
{
	REQUIRE_VECTOR_LADDER();
	// Lane 0 runs §5.2's chain from k = u = 9; the others run the same
	// recurrence from random starts, each checked against libsodium's.
	Key32 k[kX25519BatchMax], u[kX25519BatchMax], ref_k[kX25519BatchMax], ref_u[kX25519BatchMax];
	for (size_t lane = 0; lane < kX25519BatchMax; lane++) {
		k[lane] = lane == 0 ? Key32{9} : random_key();
		u[lane] = lane == 0 ? Key32{9} : random_key();
		ref_k[lane] = k[lane];
		ref_u[lane] = u[lane];
	}
	for (int i = 1; i <= 1000; i++) {
		Key32 next[kX25519BatchMax], ref_next[kX25519BatchMax];
		X25519Job jobs[kX25519BatchMax], reference[kX25519BatchMax];
		for (size_t lane = 0; lane < kX25519BatchMax; lane++) {
			jobs[lane] = {&k[lane], &u[lane], &next[lane]};
			reference[lane] = {&ref_k[lane], &ref_u[lane], &ref_next[lane]};
		}
		x25519_batch(jobs);
		x25519_batch_reference(reference);
		for (size_t lane = 0; lane < kX25519BatchMax; lane++) {
			u[lane] = k[lane];
			k[lane] = next[lane];
			ref_u[lane] = ref_k[lane];
			ref_k[lane] = ref_next[lane];
			ASSERT_EQ(to_hex(k[lane]), to_hex(ref_k[lane])) << "lane " << lane << " round " << i;
		}
		if (i == 1) {
			EXPECT_EQ(to_hex(k[0]), "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
		}
	}
	EXPECT_EQ(to_hex(k[0]), "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
}

TEST(X25519Batch, AgreesWithLibsodiumOnRandomInputs)
{
	REQUIRE_VECTOR_LADDER();
	// Any 32 bytes as scalar and as u: points of the curve and its twist,
	// top bits set, values at or above p now and then.
	for (int round = 0; round < 2500; round++) {
		BatchCase c;
		for (size_t lane = 0; lane < kX25519BatchMax; lane++)
			c.add(random_key(), random_key());
		c.run();
		c.expect_agree();
		if (HasFailure())
			return;
	}
}

TEST(X25519Batch, EdgePointsAndScalars)
{
	REQUIRE_VECTOR_LADDER();
	// Points whose limbs are all at their largest (2^255 - 1, 2^256 - 1),
	// p - 1 .. p + 1 as above, 2^255 - 20, small values, the low-order
	// points (all-zero out, in any lane, beside points that are not), and
	// scalars that clamp to 2^254 and to its largest value.
	std::vector<Key32> points;
	for (const char *hex : kLowOrder)
		points.push_back(key_from_hex(hex));
	Key32 all_ones;
	all_ones.fill(0xff);
	points.push_back(all_ones);
	all_ones[31] = 0x7f;
	points.push_back(all_ones);
	Key32 p_minus_20 = key_from_hex("ebffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
	points.push_back(p_minus_20);
	for (uint8_t small : {2, 3, 9, 255})
		points.push_back(Key32{small});
	Key32 max_scalar;
	max_scalar.fill(0xff);
	const Key32 scalars[] = {Key32{}, max_scalar, random_key()};
	for (const Key32 &scalar : scalars) {
		for (size_t first = 0; first < points.size(); first++) {
			BatchCase c;
			for (size_t lane = 0; lane < kX25519BatchMax; lane++)
				c.add(lane % 2 ? random_key() : scalar, points[(first + lane) % points.size()]);
			c.run();
			c.expect_agree();
		}
	}
	// Low-order points give zero in the batch as in dh().
	BatchCase c;
	for (size_t lane = 0; lane < kX25519BatchMax; lane++)
		c.add(random_key(), key_from_hex(kLowOrder[lane]));
	c.run();
	for (const Key32 &out : c.got)
		EXPECT_TRUE(sodium_is_zero(out.data(), out.size()));
}

TEST(X25519Batch, AnyNumberOfJobs)
{
	// Four at a time and a lone job through libsodium: every count gives
	// the reference's results, on either path.
	for (size_t n : {0, 1, 2, 3, 4, 5, 8, 9}) {
		BatchCase c;
		for (size_t i = 0; i < n; i++)
			c.add(random_key(), random_key());
		c.run();
		SCOPED_TRACE(n);
		c.expect_agree();
	}
}

TEST(X25519Batch, BasePointGivesPublicKeys)
{
	BatchCase c;
	for (size_t lane = 0; lane < kX25519BatchMax; lane++)
		c.add(random_key(), x25519_base_point());
	c.run();
	for (size_t lane = 0; lane < kX25519BatchMax; lane++)
		EXPECT_EQ(c.got[lane], PrivateKey::from_raw(c.scalars[lane]).public_key().bytes);
}

} // namespace
} // namespace wayport::wireguard
