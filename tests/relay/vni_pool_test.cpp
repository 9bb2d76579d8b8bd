// Tailscale's TestServer_getNextVNILocked, on the bitmap allocator, plus the
// quarantine of freed VNIs.
#include <gtest/gtest.h>

#include "controlplane/relay/vni_pool.h"

namespace wayport::relay {
namespace {

constexpr Duration kQuarantine = 30 * kSecond;

TEST(VniPool, SequentialFromOne)
{
	VniPool pool(kQuarantine);
	EXPECT_EQ(pool.allocate(0), 1u);
	EXPECT_EQ(pool.allocate(0), 2u);
	EXPECT_EQ(pool.allocate(0), 3u);
	EXPECT_TRUE(pool.in_use(0));  // reserved: never handed out
	EXPECT_EQ(pool.used(), 3u);
}

// The whole pool: 16,777,215 VNIs, the cursor wrapping at kMaxVni, the next
// call failing, and a freed VNI coming back only after its quarantine.
TEST(VniPool, FillsWrapsAndExhausts)
{
	VniPool pool(kQuarantine);
	for (uint32_t want = kMinVni; want <= kMaxVni; want++) {
		auto vni = pool.allocate(0);
		ASSERT_TRUE(vni.has_value());
		ASSERT_EQ(*vni, want);
	}
	EXPECT_EQ(pool.used(), size_t{kMaxVni});
	EXPECT_EQ(pool.cursor(), kMinVni);  // wrapped
	EXPECT_FALSE(pool.allocate(0).has_value());

	pool.release(1, 0);
	EXPECT_FALSE(pool.allocate(kQuarantine - 1).has_value());
	EXPECT_EQ(pool.allocate(kQuarantine), 1u);
	EXPECT_FALSE(pool.allocate(kQuarantine).has_value());

	// After the wrap the scan starts over at the cursor: a VNI freed near
	// the top is found by wrapping again.
	pool.release(kMaxVni, kQuarantine);
	pool.release(7, kQuarantine);
	EXPECT_EQ(pool.allocate(2 * kQuarantine), 7u);
	EXPECT_EQ(pool.allocate(2 * kQuarantine), kMaxVni);
	EXPECT_EQ(pool.cursor(), kMinVni);
}

TEST(VniPool, QuarantineSkipsRecentlyFreed)
{
	VniPool pool(kQuarantine);
	for (int i = 0; i < 3; i++)
		pool.allocate(0);
	pool.release(2, 10 * kSecond);
	EXPECT_EQ(pool.quarantined(), 1u);
	EXPECT_TRUE(pool.in_use(2));
	EXPECT_EQ(pool.used(), 2u);
	EXPECT_EQ(pool.allocate(10 * kSecond), 4u);
	pool.expire_quarantine(40 * kSecond - 1);
	EXPECT_TRUE(pool.in_use(2));
	pool.expire_quarantine(40 * kSecond);
	EXPECT_FALSE(pool.in_use(2));
	EXPECT_EQ(pool.quarantined(), 0u);
	// Sequential selection moves on; 2 is taken again after the wrap.
	EXPECT_EQ(pool.allocate(40 * kSecond), 5u);
}

TEST(VniPool, ReleaseIgnoresVnisNotInUse)
{
	VniPool pool(kQuarantine);
	pool.release(0, 0);
	pool.release(5, 0);
	pool.release(kMaxVni + 1, 0);
	EXPECT_EQ(pool.used(), 0u);
	EXPECT_EQ(pool.quarantined(), 0u);
}

TEST(VniPool, ZeroQuarantineFreesAtOnce)
{
	VniPool pool(0);
	pool.allocate(0);
	pool.release(1, 0);
	EXPECT_FALSE(pool.in_use(1));
}

} // namespace
} // namespace wayport::relay
