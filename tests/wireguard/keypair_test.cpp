// The previous/current/next slots as a table, in the manner of the
// kernel's selftests: each row an event, then what every slot holds.
// Keypairs are named by number; 0 is an empty slot.
#include <gtest/gtest.h>

#include <map>

#include "controlplane/wireguard/index_table.h"
#include "controlplane/wireguard/keypair.h"

namespace wayport::wireguard {
namespace {

enum class Op { add_initiator, add_responder, receive };

struct Step {
	Op op;
	int keypair;           // added, or the one data arrived under
	bool confirmed;        // receive: whether it moved the slots
	int previous, current, next;
	std::vector<int> retired;  // what the step pushed out
};

const Step kSteps[] = {
	// A responder's first keypair waits for the initiator's data.
	{Op::add_responder, 1, false, 0, 0, 1, {}},
	{Op::receive, 1, true, 0, 1, 0, {}},
	{Op::receive, 1, false, 0, 1, 0, {}},
	// A second one, as responder: current stays until confirmed; data
	// under the current one changes nothing.
	{Op::add_responder, 2, false, 0, 1, 2, {}},
	{Op::receive, 1, false, 0, 1, 2, {}},
	{Op::receive, 2, true, 1, 2, 0, {}},
	// A third before the second is confirmed replaces the waiting one
	// and drops previous.
	{Op::add_responder, 3, false, 0, 2, 3, {1}},
	{Op::add_responder, 4, false, 0, 2, 4, {3}},
	// Our own handshake completes while 4 waits: 4 becomes previous (its
	// data still decrypts), 2 goes, 5 is current at once.
	{Op::add_initiator, 5, false, 4, 5, 0, {2}},
	// Data under previous is no confirmation.
	{Op::receive, 4, false, 4, 5, 0, {}},
	{Op::add_initiator, 6, false, 5, 6, 0, {4}},
	{Op::add_initiator, 7, false, 6, 7, 0, {5}},
};

TEST(WireGuardKeypairs, SlotsFollowTheKernelsRules)
{
	Keypairs slots;
	std::map<int, std::shared_ptr<Keypair>> made;
	auto name = [&](const std::shared_ptr<Keypair> &kp) {
		for (const auto &[n, p] : made)
			if (p == kp)
				return n;
		return 0;
	};
	const Clock::time_point t0{};
	int row = 0;
	for (const Step &s : kSteps) {
		SCOPED_TRACE(row++);
		std::vector<int> retired;
		if (s.op == Op::receive) {
			std::shared_ptr<Keypair> out;
			EXPECT_EQ(slots.received_with(made.at(s.keypair).get(), out), s.confirmed);
			if (out)
				retired.push_back(name(out));
		} else {
			auto kp = std::make_shared<Keypair>(TransportKeys{}, t0, s.op == Op::add_initiator);
			made[s.keypair] = kp;
			for (const auto &r : slots.add(kp))
				if (r)
					retired.push_back(name(r));
		}
		EXPECT_EQ(name(slots.previous()), s.previous);
		EXPECT_EQ(name(slots.current()), s.current);
		EXPECT_EQ(name(slots.next()), s.next);
		EXPECT_EQ(retired, s.retired);
	}
	int cleared = 0;
	for (const auto &r : slots.clear())
		cleared += r != nullptr;
	EXPECT_EQ(cleared, 2);
	EXPECT_FALSE(slots.previous() || slots.current() || slots.next());
}

TEST(WireGuardKeypairs, ValidityLimits)
{
	const Clock::time_point t0{};
	Keypair kp(TransportKeys{}, t0, true);
	EXPECT_TRUE(kp.can_send(t0 + kRejectAfterTime - 1ns));
	EXPECT_FALSE(kp.can_send(t0 + kRejectAfterTime));
	EXPECT_TRUE(kp.can_receive(t0 + kRejectAfterTime - 1ns));
	EXPECT_FALSE(kp.can_receive(t0 + kRejectAfterTime));
	kp.send_counter = kRejectAfterMessages - 1;
	EXPECT_TRUE(kp.can_send(t0));
	kp.send_counter = kRejectAfterMessages;
	EXPECT_FALSE(kp.can_send(t0));
}

TEST(WireGuardIndexTable, IndexesAreUniqueEvenWhenTheSourceRepeats)
{
	// A random source that repeats itself: the table must draw again.
	const uint32_t draws[] = {7, 7, 7, 9, 9, 11};
	size_t next = 0;
	IndexTable table([&] { return draws[next++ % 6]; });
	const uint32_t a = table.insert_handshake(1);
	const uint32_t b = table.insert_handshake(2);
	const uint32_t c = table.insert_handshake(3);
	EXPECT_EQ(a, 7u);
	EXPECT_EQ(b, 9u);
	EXPECT_EQ(c, 11u);
	EXPECT_EQ(table.lookup(9)->peer, 2u);
	EXPECT_FALSE(table.lookup(9)->keypair);
	auto kp = std::make_shared<Keypair>(TransportKeys{}, Clock::time_point{}, false);
	EXPECT_TRUE(table.promote(9, kp));
	EXPECT_EQ(table.lookup(9)->keypair, kp);
	table.remove(9);
	EXPECT_FALSE(table.lookup(9));
	EXPECT_FALSE(table.promote(9, kp));
	EXPECT_EQ(table.size(), 2u);
}

} // namespace
} // namespace wayport::wireguard
