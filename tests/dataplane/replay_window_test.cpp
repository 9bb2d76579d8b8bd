// The WireGuard replay window against the published cases: the Linux
// selftest's table (src/selftest/counter.c), transcribed case by case from
// /work/shared/spec/wg-replay-cases.md with the Linux 64-bit constants,
// then its bulk sequences and wireguard-go's shifted variants of two of
// them, then a few edges of our own.
#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "dataplane/wireguard/replay_window.h"

namespace wayport::wireguard {
namespace {

struct Case {
	uint64_t counter;
	bool expected;  // true: accept
};

constexpr uint64_t W = ReplayWindow::kWindowSize;      // COUNTER_WINDOW_SIZE
constexpr uint64_t T_LIM = W + 1;                      // the selftest's T_LIM
constexpr uint64_t RAM = ReplayWindow::kRejectAfterMessages;

static_assert(W == 8128);
static_assert(T_LIM == 8129);
static_assert(RAM == 18446744073709543486u);  // 0xffffffffffffe03e
static_assert(RAM == 0xffffffffffffe03eu);

// Every case in order on one window, as the selftest's loop does; a
// failure names the sequence and the case's number in it (1-based).
// Returns how many cases ran, so each test can say it ran them all.
size_t run(ReplayWindow &window, const std::vector<Case> &cases, const std::string &name)
{
	for (size_t i = 0; i < cases.size(); ++i) {
		const Case &c = cases[i];
		EXPECT_EQ(window.validate(c.counter), c.expected)
			<< name << " case " << i + 1 << ": counter " << c.counter << " should be "
			<< (c.expected ? "accepted" : "rejected");
	}
	return cases.size();
}

// The main sequence: 34 cases, one window, no reset between them.
const std::vector<Case> kMainSequence = {
	/*  1 */ {0, true},
	/*  2 */ {1, true},
	/*  3 */ {1, false},
	/*  4 */ {9, true},
	/*  5 */ {8, true},
	/*  6 */ {7, true},
	/*  7 */ {7, false},
	/*  8 */ {T_LIM, true},
	/*  9 */ {T_LIM - 1, true},
	/* 10 */ {T_LIM - 1, false},
	/* 11 */ {T_LIM - 2, true},
	/* 12 */ {2, true},
	/* 13 */ {2, false},
	/* 14 */ {T_LIM + 16, true},
	/* 15 */ {3, false},
	/* 16 */ {T_LIM + 16, false},
	/* 17 */ {T_LIM * 4, true},
	/* 18 */ {T_LIM * 4 - (T_LIM - 1), true},
	/* 19 */ {10, false},
	/* 20 */ {T_LIM * 4 - T_LIM, false},
	/* 21 */ {T_LIM * 4 - (T_LIM + 1), false},
	/* 22 */ {T_LIM * 4 - (T_LIM - 2), true},
	/* 23 */ {T_LIM * 4 + 1 - T_LIM, false},
	/* 24 */ {0, false},
	/* 25 */ {RAM, false},
	/* 26 */ {RAM - 1, true},
	/* 27 */ {RAM, false},
	/* 28 */ {RAM - 1, false},
	/* 29 */ {RAM - 2, true},
	/* 30 */ {RAM + 1, false},
	/* 31 */ {RAM + 2, false},
	/* 32 */ {RAM - 2, false},
	/* 33 */ {RAM - 3, true},
	/* 34 */ {0, false},
};

TEST(ReplayWindow, MainSequence)
{
	// The spec's evaluated values, so a slip in an expression above shows.
	ASSERT_EQ(kMainSequence.size(), 34u);
	EXPECT_EQ(kMainSequence[7].counter, 8129u);
	EXPECT_EQ(kMainSequence[13].counter, 8145u);
	EXPECT_EQ(kMainSequence[16].counter, 32516u);
	EXPECT_EQ(kMainSequence[17].counter, 24388u);
	EXPECT_EQ(kMainSequence[19].counter, 24387u);
	EXPECT_EQ(kMainSequence[20].counter, 24386u);
	EXPECT_EQ(kMainSequence[21].counter, 24389u);
	EXPECT_EQ(kMainSequence[22].counter, 24388u);
	EXPECT_EQ(kMainSequence[24].counter, 18446744073709543486u);
	EXPECT_EQ(kMainSequence[25].counter, 18446744073709543485u);
	EXPECT_EQ(kMainSequence[28].counter, 18446744073709543484u);
	EXPECT_EQ(kMainSequence[29].counter, 18446744073709543487u);
	EXPECT_EQ(kMainSequence[30].counter, 18446744073709543488u);
	EXPECT_EQ(kMainSequence[32].counter, 18446744073709543483u);

	ReplayWindow window;
	EXPECT_EQ(run(window, kMainSequence, "main"), 34u);
}

// Bulk sequences: each on a fresh window, built the way the loops in the
// selftest (K) and in wireguard-go's replay_test.go (G) count.
std::vector<Case> ascending(uint64_t first, uint64_t last)
{
	std::vector<Case> cases;
	for (uint64_t i = first; i <= last; ++i)
		cases.push_back({i, true});
	return cases;
}

std::vector<Case> descending(uint64_t first, uint64_t last)
{
	std::vector<Case> cases;
	for (uint64_t i = first + 1; i-- > last;)
		cases.push_back({i, true});
	return cases;
}

std::vector<Case> then(std::vector<Case> cases, std::initializer_list<Case> tail)
{
	cases.insert(cases.end(), tail);
	return cases;
}

struct Bulk {
	const char *id;
	std::vector<Case> cases;
	size_t size;  // what the spec's loop bounds give, counted by hand
};

TEST(ReplayWindow, BulkSequences)
{
	const std::vector<Bulk> bulk = {
		// 1, 2, ..., W; then 0 (distance W: still inside); then 0 again.
		{"K1/G1", then(ascending(1, W), {{0, true}, {0, false}}), 8128 + 2},
		// 2, ..., W+1; then 1 (distance W); then 0 (distance W+1: too old).
		{"K2/G2", then(ascending(2, W + 1), {{1, true}, {0, false}}), 8128 + 2},
		// kernel: for (i = W + 1; i-- > 0;): W down to 0.
		{"K3", descending(W, 0), 8129},
		// kernel: for (i = W + 2; i-- > 1;): W+1 down to 1; then 0.
		{"K4", then(descending(W + 1, 1), {{0, false}}), 8129 + 1},
		// kernel: for (i = W + 1; i-- > 1;): W down to 1; then W+1; then 0.
		{"K5/G5", then(descending(W, 1), {{W + 1, true}, {0, false}}), 8128 + 2},
		// W down to 1; then 0; then W+1.
		{"K6/G6", then(descending(W, 1), {{0, true}, {W + 1, true}}), 8128 + 2},
		// wireguard-go's bulk 3 and 4, one higher than the kernel's. Its
		// window is the same 8128, so they hold for the kernel's window too.
		{"G3", descending(W + 1, 1), 8129},
		{"G4", then(descending(W + 2, 2), {{0, false}}), 8129 + 1},
	};

	size_t total = 0;
	for (const Bulk &b : bulk) {
		ASSERT_EQ(b.cases.size(), b.size) << b.id;
		ReplayWindow window;
		total += run(window, b.cases, std::string("bulk ") + b.id);
	}
	EXPECT_EQ(total, 6u * 8130u + 2u * 8129u);
}

// The same sequences on one window reused through reset(), as the
// selftest's T_INIT reuses its counter: reset must leave nothing behind.
TEST(ReplayWindow, BulkSequencesAcrossReset)
{
	ReplayWindow window;
	run(window, then(ascending(1, W), {{0, true}, {0, false}}), "K1 before reset");
	window.reset();
	run(window, then(ascending(2, W + 1), {{1, true}, {0, false}}), "K2 after reset");
	window.reset();
	run(window, descending(W, 0), "K3 after reset");
}

TEST(ReplayWindow, CounterZeroFirst)
{
	ReplayWindow window;
	run(window, {{0, true}, {0, false}, {1, true}, {0, false}}, "zero first");
}

TEST(ReplayWindow, RejectAfterMessagesLimit)
{
	ReplayWindow window;
	run(window,
	    {
		    {RAM - 1, true},    // the last acceptable counter, on a fresh window
		    {RAM, false},       // the limit itself
		    {RAM - 1, false},   // replay of the last one
		    {UINT64_MAX, false},
		    {RAM - 1 - W, true},      // distance W from the highest: inside
		    {RAM - 2 - W, false},     // distance W + 1: too old
	    },
	    "limit");

	// The limit holds on a fresh window too, not only behind a high one.
	ReplayWindow fresh;
	EXPECT_FALSE(fresh.validate(RAM));
	EXPECT_FALSE(fresh.validate(UINT64_MAX));
	EXPECT_TRUE(fresh.validate(0));
}

// A jump of more than the whole ring must clear every stale bit: each
// counter of the new window maps onto a ring slot that was set before
// the jump, and each must be accepted once.
TEST(ReplayWindow, JumpBeyondRingClearsOldBits)
{
	ReplayWindow window;
	for (uint64_t c = 0; c < ReplayWindow::kBitsTotal; ++c)
		ASSERT_TRUE(window.validate(c)) << c;

	const uint64_t high = 5 * ReplayWindow::kBitsTotal + 10;
	ASSERT_TRUE(window.validate(high));
	EXPECT_FALSE(window.validate(high - W - 1)) << "too old after the jump";
	for (uint64_t c = high - W; c < high; ++c)
		ASSERT_TRUE(window.validate(c)) << "stale bit survived the jump: " << c;
	for (uint64_t c = high - W; c <= high; ++c)
		ASSERT_FALSE(window.validate(c)) << "not marked: " << c;
}

// A jump shorter than the ring clears only the words it moves over: the
// counters still inside the window that were seen stay seen.
TEST(ReplayWindow, ShortJumpKeepsHistory)
{
	ReplayWindow window;
	for (uint64_t c = 0; c < ReplayWindow::kBitsTotal; ++c)
		ASSERT_TRUE(window.validate(c)) << c;

	const uint64_t high = ReplayWindow::kBitsTotal + 100;
	ASSERT_TRUE(window.validate(high));
	for (uint64_t c = high - W; c < ReplayWindow::kBitsTotal; ++c)
		ASSERT_FALSE(window.validate(c)) << "history lost: " << c;
	for (uint64_t c = ReplayWindow::kBitsTotal; c < high; ++c)
		ASSERT_TRUE(window.validate(c)) << "fresh counter refused: " << c;
}

TEST(ReplayWindow, ResetForgetsEverything)
{
	ReplayWindow window;
	ASSERT_TRUE(window.validate(0));
	ASSERT_TRUE(window.validate(100000));
	ASSERT_FALSE(window.validate(0));

	window.reset();
	run(window, {{0, true}, {0, false}, {100000, true}, {100000, false}, {99999, true}}, "after reset");

	// After a reset a low counter is no longer "too old" behind a high one.
	window.reset();
	ASSERT_TRUE(window.validate(RAM - 1));
	window.reset();
	EXPECT_TRUE(window.validate(1));
}

} // namespace
} // namespace wayport::wireguard
