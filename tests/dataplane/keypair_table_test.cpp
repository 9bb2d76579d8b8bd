// The workers' keypair table: what is published is found, what is retired
// is gone at once but freed only after the grace period, the capacity is
// exact, and readers on another thread never see a keypair that is not
// whole or has been freed (ASan checks the second).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "dataplane/wireguard/keypair_table.h"

namespace wayport::wireguard {
namespace {

// Every field says which index it belongs to, so a reader can tell.
std::unique_ptr<DataKeypair> keypair(uint32_t index)
{
	auto kp = std::make_unique<DataKeypair>();
	kp->local_index = index;
	kp->remote_index = ~index;
	kp->peer = index % 1000;
	kp->home_worker = static_cast<uint16_t>(index % 3);
	for (size_t i = 0; i < sizeof kp->send_key; i++) {
		kp->send_key[i] = static_cast<uint8_t>(index + i);
		kp->receive_key[i] = static_cast<uint8_t>(index - i);
	}
	return kp;
}

bool whole(const DataKeypair &kp, uint32_t index)
{
	bool ok = kp.local_index == index && kp.remote_index == ~index && kp.peer == index % 1000 &&
		  kp.home_worker == index % 3;
	for (size_t i = 0; ok && i < sizeof kp.send_key; i++)
		ok = kp.send_key[i] == static_cast<uint8_t>(index + i) &&
		     kp.receive_key[i] == static_cast<uint8_t>(index - i);
	return ok;
}

// Distinct random indexes, as the handshake side draws them.
std::vector<uint32_t> random_indexes(size_t n, uint32_t seed)
{
	std::mt19937 rng(seed);
	std::set<uint32_t> seen;
	std::vector<uint32_t> out;
	while (out.size() < n) {
		uint32_t i = rng();
		if (seen.insert(i).second)
			out.push_back(i);
	}
	return out;
}

class KeypairTableTest : public testing::Test {
protected:
	void SetUp() override
	{
		std::string error;
		table_ = KeypairTable::create(qsbr_, 64, error);
		ASSERT_TRUE(table_) << error;
	}

	Qsbr qsbr_{1};
	std::unique_ptr<KeypairTable> table_;
};

TEST_F(KeypairTableTest, FindsWhatWasPublished)
{
	EXPECT_EQ(table_->find(7), nullptr);
	ASSERT_EQ(table_->publish(keypair(7)), KeypairTableError::none);
	DataKeypair *kp = table_->find(7);
	ASSERT_NE(kp, nullptr);
	EXPECT_TRUE(whole(*kp, 7));
	EXPECT_EQ(table_->find(8), nullptr);
	EXPECT_EQ(table_->find(7 | 0x80000000u), nullptr);
	EXPECT_EQ(table_->size(), 1u);
}

TEST_F(KeypairTableTest, ADuplicateIndexIsRefusedAndTheFirstKept)
{
	ASSERT_EQ(table_->publish(keypair(9)), KeypairTableError::none);
	DataKeypair *first = table_->find(9);
	auto other = keypair(9);
	other->peer = 12345;
	EXPECT_EQ(table_->publish(std::move(other)), KeypairTableError::duplicate_index);
	EXPECT_EQ(table_->find(9), first);
	EXPECT_TRUE(whole(*first, 9));
	EXPECT_EQ(table_->size(), 1u);
}

TEST_F(KeypairTableTest, RetiredIsGoneAtOnceAndFreedAfterTheGracePeriod)
{
	qsbr_.register_worker(0);
	ASSERT_EQ(table_->publish(keypair(3)), KeypairTableError::none);
	EXPECT_EQ(table_->retire(3), KeypairTableError::none);
	EXPECT_EQ(table_->find(3), nullptr);
	EXPECT_EQ(table_->size(), 0u);
	// The worker has not reported a quiescent state since: a pointer it
	// found before the retire must still be good.
	EXPECT_EQ(table_->reclaim(), 0u);
	EXPECT_EQ(table_->retired_pending(), 1u);
	qsbr_.quiescent(0);
	EXPECT_EQ(table_->reclaim(), 1u);
	EXPECT_EQ(table_->retired_pending(), 0u);
	EXPECT_EQ(table_->retire(3), KeypairTableError::unknown_index);
	// The index is free again.
	EXPECT_EQ(table_->publish(keypair(3)), KeypairTableError::none);
	qsbr_.unregister_worker(0);
}

TEST_F(KeypairTableTest, HoldsExactlyItsCapacityCountingUnreclaimedOnes)
{
	qsbr_.register_worker(0);
	std::vector<uint32_t> idx = random_indexes(table_->capacity() + 1, 1);
	for (uint32_t i = 0; i < table_->capacity(); i++)
		ASSERT_EQ(table_->publish(keypair(idx[i])), KeypairTableError::none) << i;
	EXPECT_EQ(table_->publish(keypair(idx.back())), KeypairTableError::full);
	ASSERT_EQ(table_->retire(idx[0]), KeypairTableError::none);
	EXPECT_EQ(table_->publish(keypair(idx.back())), KeypairTableError::full);
	qsbr_.quiescent(0);
	EXPECT_EQ(table_->reclaim(), 1u);
	EXPECT_EQ(table_->publish(keypair(idx.back())), KeypairTableError::none);
	for (uint32_t i = 1; i < idx.size(); i++)
		ASSERT_TRUE(table_->find(idx[i]) && whole(*table_->find(idx[i]), idx[i])) << i;
	qsbr_.unregister_worker(0);
}

TEST_F(KeypairTableTest, BulkLookupAgreesWithSingleLookups)
{
	std::vector<uint32_t> idx = random_indexes(KeypairTable::kBulkMax, 2);
	for (size_t i = 0; i < idx.size(); i += 2)
		ASSERT_EQ(table_->publish(keypair(idx[i])), KeypairTableError::none);
	for (unsigned n : {1u, 7u, 32u, KeypairTable::kBulkMax}) {
		DataKeypair *out[KeypairTable::kBulkMax];
		table_->find_bulk(idx.data(), n, out);
		for (unsigned i = 0; i < n; i++) {
			EXPECT_EQ(out[i], table_->find(idx[i])) << n << " " << i;
			EXPECT_EQ(out[i] != nullptr, i % 2 == 0) << n << " " << i;
		}
	}
}

// A reader thread looks up keypairs that stay published and others that
// come and go, while this thread publishes, retires and reclaims. The
// stable ones must always be found whole; a churned one, when found, must
// be whole (not freed, not half written).
TEST(KeypairTableConcurrency, ReadersSeeWholeKeypairsWhileTheWriterChurns)
{
	Qsbr qsbr(1);
	std::string error;
	auto table = KeypairTable::create(qsbr, 4096, error);
	ASSERT_TRUE(table) << error;
	std::vector<uint32_t> idx = random_indexes(2 * KeypairTable::kBulkMax, 3);
	std::vector<uint32_t> stable(idx.begin(), idx.begin() + KeypairTable::kBulkMax / 2);
	std::vector<uint32_t> churned(idx.begin() + KeypairTable::kBulkMax / 2, idx.end());
	for (uint32_t i : stable)
		ASSERT_EQ(table->publish(keypair(i)), KeypairTableError::none);

	std::vector<uint32_t> probe;  // stable and churned interleaved
	for (size_t i = 0; i < stable.size(); i++) {
		probe.push_back(stable[i]);
		probe.push_back(churned[i]);
	}
	std::atomic<bool> stop{false};
	std::atomic<uint64_t> bad{0}, lookups{0}, churned_hits{0};
	std::thread reader([&] {
		qsbr.register_worker(0);
		DataKeypair *out[KeypairTable::kBulkMax];
		while (!stop.load(std::memory_order_relaxed)) {
			table->find_bulk(probe.data(), KeypairTable::kBulkMax, out);
			for (unsigned i = 0; i < KeypairTable::kBulkMax; i++) {
				if (i % 2 == 0 && !out[i])
					bad++;
				else if (out[i] && !whole(*out[i], probe[i]))
					bad++;
				else if (i % 2 == 1 && out[i])
					churned_hits++;
			}
			lookups++;
			qsbr.quiescent(0);
		}
		qsbr.unregister_worker(0);
	});

	auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
	uint64_t rounds = 0;
	while (std::chrono::steady_clock::now() < until) {
		for (uint32_t i : churned)
			ASSERT_EQ(table->publish(keypair(i)), KeypairTableError::none);
		std::this_thread::yield();
		for (uint32_t i : churned)
			ASSERT_EQ(table->retire(i), KeypairTableError::none);
		// The reader reports often; wait for it so the table never fills.
		while (table->retired_pending() > 0)
			table->reclaim();
		rounds++;
	}
	stop = true;
	reader.join();
	EXPECT_EQ(bad.load(), 0u);
	EXPECT_GT(lookups.load(), 0u);
	EXPECT_GT(rounds, 0u);
	std::printf("%llu writer rounds, %llu bulk lookups, %llu churned hits\n",
		    static_cast<unsigned long long>(rounds), static_cast<unsigned long long>(lookups.load()),
		    static_cast<unsigned long long>(churned_hits.load()));
}

} // namespace
} // namespace wayport::wireguard
