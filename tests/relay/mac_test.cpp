// Tailscale's Test_blakeMACFromBindMsg and TestServer_maybeRotateMACSecretLocked,
// plus the spec's MAC vectors.
#include <gtest/gtest.h>

#include "controlplane/relay/mac.h"
#include "tests/relay/harness.h"
#include "tests/relay/vectors.h"

namespace wayport::relay {
namespace {

using test::ScriptedRandom;
using test::vec;

MacSecret secret_from(const Bytes &b)
{
	MacSecret s{};
	std::copy_n(b.begin(), std::min(b.size(), s.size()), s.begin());
	return s;
}

disco::BindCommon vector_common()
{
	Bytes b_pub = vec("key_B_pub");
	b_pub.resize(kDiscoKeyLen);
	return {1, 1, disco::PublicKey::from_raw(b_pub.data()), {}};
}

TEST(BindMac, Vectors)
{
	MacSecret secret = secret_from(vec("mac_secret"));
	auto mac4 = bind_mac(secret, test::v4(192, 0, 2, 10, 41641), vector_common());
	EXPECT_EQ(to_hex(mac4), to_hex(vec("mac_v4")));

	uint8_t ip6[16] = {0x20, 0x01, 0x0d, 0xb8};
	ip6[15] = 1;
	auto mac6 = bind_mac(secret, AddrPort::v6(ip6, 7), vector_common());
	EXPECT_EQ(to_hex(mac6), to_hex(vec("mac_v6")));
}

TEST(BindMac, EveryInputButChallengeMatters)
{
	MacSecret secret = secret_from(vec("mac_secret"));
	AddrPort src = test::v6(1, 7);
	disco::BindCommon base = vector_common();
	auto mac = bind_mac(secret, src, base);

	auto other = base;
	other.vni++;
	EXPECT_NE(bind_mac(secret, src, other), mac);
	other = base;
	other.generation++;
	EXPECT_NE(bind_mac(secret, src, other), mac);
	other = base;
	other.remote_key.bytes[0] ^= 1;
	EXPECT_NE(bind_mac(secret, src, other), mac);
	auto secret2 = secret;
	secret2[0] ^= 1;
	EXPECT_NE(bind_mac(secret2, src, base), mac);
	auto src2 = src;
	src2.port++;
	EXPECT_NE(bind_mac(secret, src2, base), mac);
	src2 = src;
	src2.ip[15]++;
	EXPECT_NE(bind_mac(secret, src2, base), mac);

	other = base;
	other.challenge.fill(0xaa);
	EXPECT_EQ(bind_mac(secret, src, other), mac);
}

TEST(MacSecrets, RotationTiming)
{
	ScriptedRandom random;
	MacSecrets s;
	EXPECT_EQ(s.count(), 0u);

	s.maybe_rotate(test::kT0, random);
	ASSERT_EQ(s.count(), 1u);
	MacSecret first = s[0];

	s.maybe_rotate(test::kT0 + 2 * kMinute - 1, random);
	EXPECT_EQ(s.count(), 1u);
	EXPECT_EQ(s[0], first);

	s.maybe_rotate(test::kT0 + 2 * kMinute, random);
	ASSERT_EQ(s.count(), 2u);
	EXPECT_NE(s[0], first);
	EXPECT_EQ(s[1], first);
	MacSecret second = s[0];

	s.maybe_rotate(test::kT0 + 4 * kMinute, random);
	ASSERT_EQ(s.count(), 2u);
	EXPECT_EQ(s[1], second);
	EXPECT_NE(s[0], first);
	EXPECT_NE(s[1], first);
}

} // namespace
} // namespace wayport::relay
