// X25519 as dh() and PrivateKey::public_key() compute it, checked against
// libsodium's crypto_scalarmult and crypto_scalarmult_base (the reference:
// public_key() takes another road, primitives.h says why) and RFC 7748's
// vectors: §5.2's scalar multiplications, §6.1's key exchange, and the
// low-order points whose all-zero result must be refused.
#include <gtest/gtest.h>
#include <sodium.h>

#include <cstring>
#include <string_view>

#include "controlplane/disco/sodium_ready.h"
#include "controlplane/wireguard/primitives.h"
#include "dataplane/wire/bytes.h"

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

struct Rfc7748Vector {
	const char *scalar;
	const char *u;
	const char *out;
};

TEST(X25519, Rfc7748Section5_2)
{
	// The scalars are unclamped and the second u has its top bit set:
	// X25519 clamps the one and masks the other.
	const Rfc7748Vector vectors[] = {
		{"a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
		 "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
		 "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"},
		{"4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
		 "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
		 "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"},
	};
	for (const Rfc7748Vector &v : vectors) {
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
	// The u of every point of order 1, 2, 4 or 8 on the curve and its
	// twist, canonical and not (p - 1, p, p + 1), then each with the top
	// bit set, which X25519 ignores. A clamped scalar is a multiple of 8,
	// so all of them give zero.
	const char *low_order[] = {
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
		"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	};
	for (int i = 0; i < 8; i++) {
		PrivateKey self = PrivateKey::generate();
		for (const char *hex : low_order)
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

} // namespace
} // namespace wayport::wireguard
