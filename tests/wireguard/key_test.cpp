// Keys in the base64 form wg(8) reads and prints. The pairs below came from
// wireguard-tools: `echo <private> | wg pubkey`.
#include <gtest/gtest.h>

#include "controlplane/wireguard/key.h"

namespace wayport::wireguard {
namespace {

struct Pair {
	const char *priv;
	const char *pub;
};

constexpr Pair kPairs[] = {
	// wg(8)'s own example key.
	{"yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=", "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="},
	// From `wg genkey`.
	{"2DVIupOal2C0XssgJOFxlIrMwlMs7Jl41B0nNtprvFY=", "0/lGD7EZaN6hw339uq9wXW4PX+pkHEBP2280Yy3xnQM="},
	// Unclamped: wg pubkey clamps, and so do we.
	{"//////////////////////////////////////////8=", "hHwNLDdSNPNl5mCVUYejc1oPdhPRYJ06ak2MU66qWiI="},
	{"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "L+V9o0fNYkMVKNqsX7spBzD/9oSvxM/C7ZCZX1jLO3Q="},
};

TEST(WireGuardKey, PublicFromPrivateMatchesWgPubkey)
{
	for (const Pair &p : kPairs) {
		SCOPED_TRACE(p.priv);
		Parsed<PrivateKey> priv = PrivateKey::from_base64(p.priv);
		ASSERT_TRUE(priv) << priv.error;
		EXPECT_EQ(priv.value->public_key().to_base64(), p.pub);
		Parsed<PublicKey> pub = PublicKey::from_base64(p.pub);
		ASSERT_TRUE(pub) << pub.error;
		EXPECT_EQ(*pub.value, priv.value->public_key());
		EXPECT_EQ(pub.value->to_base64(), p.pub);
	}
}

TEST(WireGuardKey, ClampedKeyPrintsAsGiven)
{
	Parsed<PrivateKey> priv = PrivateKey::from_base64(kPairs[0].priv);
	ASSERT_TRUE(priv);
	EXPECT_EQ(priv.value->to_base64(), kPairs[0].priv);
	// An unclamped key prints in the form X25519 uses.
	Parsed<PrivateKey> ff = PrivateKey::from_base64(kPairs[2].priv);
	ASSERT_TRUE(ff);
	EXPECT_EQ(ff.value->raw()[0], 0xf8);
	EXPECT_EQ(ff.value->raw()[31], 0x7f);
}

TEST(WireGuardKey, GeneratedKeysAreClampedAndDistinct)
{
	PrivateKey a = PrivateKey::generate(), b = PrivateKey::generate();
	EXPECT_NE(a.raw(), b.raw());
	EXPECT_EQ(a.raw()[0] & 7, 0);
	EXPECT_EQ(a.raw()[31] & 0xc0, 0x40);
	Parsed<PrivateKey> back = PrivateKey::from_base64(a.to_base64());
	ASSERT_TRUE(back);
	EXPECT_EQ(back.value->raw(), a.raw());
}

TEST(WireGuardKey, BadTextIsRefusedWithAReason)
{
	struct Case {
		const char *text;
		const char *error;
	} cases[] = {
		{"", "key is 0 characters, want 44"},
		{"yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk", "key is 43 characters, want 44"},
		{"yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk==", "key is 45 characters, want 44"},
		{"yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBm!=", "key is not valid base64"},
		{"yAnz5TF-lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=", "key is not valid base64"}, // URL-safe alphabet
		{"yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmkA", "key is not valid base64"}, // no padding: 33 bytes
		{"yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmn=", "key is not valid base64"}, // stray low bits, as wg refuses
		{"yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3f m k=", "key is 45 characters, want 44"},
		{"yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fB k=", "key is not valid base64"},
		{"yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3f====", "key is not valid base64"},
	};
	for (const Case &c : cases) {
		SCOPED_TRACE(c.text);
		Parsed<PublicKey> pub = PublicKey::from_base64(c.text);
		EXPECT_FALSE(pub);
		EXPECT_EQ(pub.error, c.error);
		Parsed<PrivateKey> priv = PrivateKey::from_base64(c.text);
		EXPECT_FALSE(priv);
		EXPECT_EQ(priv.error, c.error);
	}
}

} // namespace
} // namespace wayport::wireguard
