// dataplane/wire/wireguard.h's layouts and TAI64N timestamps.
#include <gtest/gtest.h>

#include "controlplane/wireguard/tai64n.h"
#include "dataplane/wire/bytes.h"
#include "dataplane/wire/wireguard.h"

namespace wayport::wireguard {
namespace {

TEST(WireGuardWire, OffsetsAreTheWhitepapers)
{
	EXPECT_EQ(wgmsg::Initiation::sender, 4u);
	EXPECT_EQ(wgmsg::Initiation::ephemeral, 8u);
	EXPECT_EQ(wgmsg::Initiation::encrypted_static, 40u);
	EXPECT_EQ(wgmsg::Initiation::encrypted_timestamp, 88u);
	EXPECT_EQ(wgmsg::Initiation::mac1, 116u);
	EXPECT_EQ(wgmsg::Initiation::mac2, 132u);
	EXPECT_EQ(wgmsg::Response::sender, 4u);
	EXPECT_EQ(wgmsg::Response::receiver, 8u);
	EXPECT_EQ(wgmsg::Response::ephemeral, 12u);
	EXPECT_EQ(wgmsg::Response::encrypted_nothing, 44u);
	EXPECT_EQ(wgmsg::Response::mac1, 60u);
	EXPECT_EQ(wgmsg::Response::mac2, 76u);
	EXPECT_EQ(wgmsg::CookieReply::nonce, 8u);
	EXPECT_EQ(wgmsg::CookieReply::encrypted_cookie, 32u);
	EXPECT_EQ(wgmsg::Transport::counter, 8u);
	EXPECT_EQ(wgmsg::Transport::data, 16u);
}

TEST(WireGuardWire, LittleEndianFields)
{
	uint8_t b[8];
	store_le32(b, 0x04030201);
	EXPECT_EQ(to_hex(ByteSpan(b, 4)), "01020304");
	EXPECT_EQ(load_le32(b), 0x04030201u);
	store_le64(b, 0x0807060504030201);
	EXPECT_EQ(to_hex(ByteSpan(b, 8)), "0102030405060708");
	EXPECT_EQ(load_le64(b), 0x0807060504030201u);
	wgmsg::store_type(b, WireGuardType::transport);
	EXPECT_EQ(to_hex(ByteSpan(b, 4)), "04000000");
}

TEST(Tai64n, BigEndianSecondsFromTwoToTheSixtyTwo)
{
	// 2^62 + 1700000000 seconds; 123456789 ns rounds down to 7 * 2^24.
	Tai64n t = Tai64n::from({1700000000, 123456789});
	EXPECT_EQ(to_hex(t.bytes), "400000006553f100" "07000000");
	EXPECT_EQ(to_hex(Tai64n::from({0, 0}).bytes), "4000000000000000" "00000000");
}

TEST(Tai64n, OrdersAsTime)
{
	EXPECT_LT(Tai64n::from({100, 999'999'999}), Tai64n::from({101, 0}));
	EXPECT_LT(Tai64n::from({100, 0}), Tai64n::from({100, 1u << 24}));
	// Within one 2^24 ns step two timestamps are equal: a replay.
	EXPECT_EQ(Tai64n::from({100, 1}), Tai64n::from({100, 2}));
	WallTime now = system_wall_time();
	EXPECT_GT(now.seconds, 1'600'000'000);
	EXPECT_LT(now.nanoseconds, 1'000'000'000u);
}

} // namespace
} // namespace wayport::wireguard
