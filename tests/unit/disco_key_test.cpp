#include <gtest/gtest.h>

#include "controlplane/disco/key.h"
#include "tests/unit/vectors.h"

namespace wayport::disco {
namespace {

using test::vec;

PrivateKey priv(const char *name)
{
	auto k = PrivateKey::from_hex(to_hex(vec(name)));
	EXPECT_TRUE(k.has_value());
	return k.value_or(PrivateKey{});
}

PublicKey pub(const char *name)
{
	return PublicKey::from_raw(vec(name).data());
}

TEST(DiscoKey, PublicFromPrivateMatchesVectors)
{
	for (const char *who : {"A", "B", "S", "R"}) {
		SCOPED_TRACE(who);
		std::string p = std::string("key_") + who;
		EXPECT_EQ(priv((p + "_priv").c_str()).public_key(), pub((p + "_pub").c_str()));
	}
}

TEST(DiscoKey, SharedKeysMatchVectorsBothWays)
{
	struct Case {
		const char *a, *b, *shared;
	} cases[] = {{"A", "S", "key_K_AS"}, {"A", "B", "key_K_AB"}, {"A", "R", "key_K_AR"}};
	for (const auto &c : cases) {
		SCOPED_TRACE(c.shared);
		std::string a = std::string("key_") + c.a, b = std::string("key_") + c.b;
		auto ab = shared_key(priv((a + "_priv").c_str()), pub((b + "_pub").c_str()));
		auto ba = shared_key(priv((b + "_priv").c_str()), pub((a + "_pub").c_str()));
		ASSERT_TRUE(ab && ba);
		EXPECT_EQ(Bytes(ab->bytes.begin(), ab->bytes.end()), vec(c.shared));
		EXPECT_EQ(ab->bytes, ba->bytes);
	}
}

TEST(DiscoKey, LowOrderPeerKeyHasNoSharedKey)
{
	// The all-zero point and the order-8 point of Curve25519 give an
	// all-zero X25519 result, which libsodium refuses.
	PublicKey zero;
	EXPECT_FALSE(shared_key(priv("key_A_priv"), zero).has_value());
	PublicKey order8 = PublicKey::from_raw(
		from_hex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")->data());
	EXPECT_FALSE(shared_key(priv("key_A_priv"), order8).has_value());
}

TEST(DiscoKey, TextForm)
{
	PublicKey a = pub("key_A_pub");
	EXPECT_EQ(a.to_text(), "discokey:" + to_hex(vec("key_A_pub")));
	EXPECT_EQ(PublicKey::from_text(a.to_text()), a);
	std::string upper = "discokey:F77FF4B10788BFDCA62CA0BB160D427CF5762D85F2B5CAD6807EC9C3FEBBDE09";
	EXPECT_EQ(PublicKey::from_text(upper), a);
	EXPECT_EQ(a.short_text(), "d:f77ff4b10788bfdc");

	EXPECT_FALSE(PublicKey::from_text(to_hex(vec("key_A_pub"))));            // no prefix
	EXPECT_FALSE(PublicKey::from_text("nodekey:" + to_hex(vec("key_A_pub"))));
	EXPECT_FALSE(PublicKey::from_text(a.to_text().substr(0, 72)));           // short
	EXPECT_FALSE(PublicKey::from_text(a.to_text() + "00"));                  // long
	std::string bad = a.to_text();
	bad[20] = 'g';
	EXPECT_FALSE(PublicKey::from_text(bad));
}

TEST(DiscoKey, GeneratedKeysAreClampedAndDistinct)
{
	PrivateKey k1 = PrivateKey::generate(), k2 = PrivateKey::generate();
	EXPECT_NE(k1.raw(), k2.raw());
	EXPECT_EQ(k1.raw()[0] & 7, 0);
	EXPECT_EQ(k1.raw()[31] & 0xc0, 0x40);
	EXPECT_FALSE(k1.public_key().is_zero());
	EXPECT_TRUE(shared_key(k1, k2.public_key()).has_value());
}

TEST(DiscoKey, PrivateFromHexNeeds32Bytes)
{
	EXPECT_FALSE(PrivateKey::from_hex("00"));
	EXPECT_FALSE(PrivateKey::from_hex(std::string(66, '0')));
	EXPECT_FALSE(PrivateKey::from_hex(std::string(63, '0') + "x"));
	EXPECT_TRUE(PrivateKey::from_hex(std::string(64, '0')));
}

} // namespace
} // namespace wayport::disco
