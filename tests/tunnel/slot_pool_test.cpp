// The peer slot pool: lowest free first, a released slot kept out of use
// until every registered worker has passed a quiescent state after its
// release (waited for, with patience), full and quarantined told apart by
// the counts.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "controlplane/tunnel/slot_pool.h"

namespace wayport::tunnel {
namespace {

TEST(SlotPool, HandsOutTheLowestFreeSlotUntilFull)
{
	Qsbr qsbr(1);
	SlotPool pool(3, qsbr);
	EXPECT_EQ(pool.acquire(), 0u);
	EXPECT_EQ(pool.acquire(), 1u);
	EXPECT_EQ(pool.acquire(), 2u);
	EXPECT_EQ(pool.acquire(), std::nullopt);
	EXPECT_EQ(pool.held(), 3u);
	EXPECT_EQ(pool.quarantined(), 0u);
}

TEST(SlotPool, AReleasedSlotWaitsForEveryWorkerToPassAQuiescentState)
{
	Qsbr qsbr(2);
	qsbr.register_worker(0);
	qsbr.register_worker(1);
	SlotPool pool(2, qsbr);
	ASSERT_EQ(pool.acquire(), 0u);
	ASSERT_EQ(pool.acquire(), 1u);

	pool.release(0);
	EXPECT_EQ(pool.held(), 1u);
	EXPECT_EQ(pool.acquire(), std::nullopt) << "no worker has been quiescent since the release";
	EXPECT_EQ(pool.quarantined(), 1u);

	qsbr.quiescent(0);
	EXPECT_EQ(pool.acquire(), std::nullopt) << "worker 1 may still hold the slot";

	qsbr.quiescent(1);
	EXPECT_EQ(pool.acquire(), 0u);
	EXPECT_EQ(pool.quarantined(), 0u);
	EXPECT_EQ(pool.held(), 2u);
	qsbr.unregister_worker(0);
	qsbr.unregister_worker(1);
}

TEST(SlotPool, ASlotGivenBackUnpublishedIsFreeAtOnce)
{
	Qsbr qsbr(1);
	qsbr.register_worker(0);  // never quiescent: a release would wait for it
	SlotPool pool(2, qsbr);
	ASSERT_EQ(pool.acquire(), 0u);
	ASSERT_EQ(pool.acquire(), 1u);
	pool.give_back(0);
	EXPECT_EQ(pool.quarantined(), 0u);
	EXPECT_EQ(pool.held(), 1u);
	EXPECT_EQ(pool.acquire(), 0u);
	qsbr.unregister_worker(0);
}

TEST(SlotPool, AQuiescentStateBeforeTheReleaseDoesNotCount)
{
	Qsbr qsbr(1);
	qsbr.register_worker(0);
	SlotPool pool(1, qsbr);
	ASSERT_EQ(pool.acquire(), 0u);
	qsbr.quiescent(0);
	pool.release(0);
	EXPECT_EQ(pool.acquire(), std::nullopt);
	qsbr.quiescent(0);
	EXPECT_EQ(pool.acquire(), 0u);
	qsbr.unregister_worker(0);
}

TEST(SlotPool, SlotsLeaveQuarantineInReleaseOrderAndTheLowestIsTakenFirst)
{
	Qsbr qsbr(1);
	qsbr.register_worker(0);
	SlotPool pool(4, qsbr);
	for (uint32_t s = 0; s < 4; s++)
		ASSERT_EQ(pool.acquire(), s);
	pool.release(3);
	qsbr.quiescent(0);
	pool.release(1);
	EXPECT_EQ(pool.acquire(), 3u) << "slot 1's grace period has not passed";
	EXPECT_EQ(pool.quarantined(), 1u);
	pool.release(2);
	qsbr.quiescent(0);
	EXPECT_EQ(pool.acquire(), 1u);
	EXPECT_EQ(pool.acquire(), 2u);
	EXPECT_EQ(pool.acquire(), std::nullopt);
	qsbr.unregister_worker(0);
}

TEST(SlotPool, AnAcquireWithPatienceWaitsForAWorkerToComeRound)
{
	Qsbr qsbr(1);
	qsbr.register_worker(0);
	SlotPool pool(1, qsbr);
	ASSERT_EQ(pool.acquire(), 0u);
	pool.release(0);
	EXPECT_EQ(pool.acquire(std::chrono::milliseconds(1)), std::nullopt) << "the worker never came round";

	std::atomic<bool> waiting{false};
	std::thread worker([&] {
		while (!waiting.load())
			std::this_thread::yield();
		std::this_thread::sleep_for(std::chrono::milliseconds(5));
		qsbr.quiescent(0);
	});
	waiting.store(true);
	EXPECT_EQ(pool.acquire(std::chrono::seconds(30)), 0u);
	worker.join();
	qsbr.unregister_worker(0);
}

TEST(SlotPool, WithNoWorkersRegisteredAReleasedSlotIsFreeAtOnce)
{
	Qsbr qsbr(1);
	SlotPool pool(1, qsbr);
	ASSERT_EQ(pool.acquire(), 0u);
	pool.release(0);
	EXPECT_EQ(pool.acquire(), 0u);
}

} // namespace
} // namespace wayport::tunnel
