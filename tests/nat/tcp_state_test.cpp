// The NAT's TCP state machine, every row of tcp_state.h's table: one
// packet's flags and side in each state, and the state and lifetime it
// leads to.
#include <gtest/gtest.h>

#include "dataplane/nat/tcp_state.h"

namespace wayport::nat {
namespace {

using enum TcpState;
using L = TcpLifetime;
constexpr uint8_t SYN = tcp_flags::syn, ACK = tcp_flags::ack, FIN = tcp_flags::fin | tcp_flags::ack,
		  RST = tcp_flags::rst, SYNACK = tcp_flags::syn | tcp_flags::ack;

struct Case {
	TcpState from_state;
	Side side;
	uint8_t flags;
	TcpState state;
	TcpLifetime lifetime;
};

const Case kCases[] = {
	// No session yet: what makes one, and what does not.
	{closed, Side::in, SYN, in_syn, L::transitory},
	{closed, Side::out, SYN, out_syn, L::incoming_syn},
	{closed, Side::in, ACK, established, L::established},  // mid-stream, as Linux's tcp_loose
	{closed, Side::in, RST, closed, L::unchanged},
	{closed, Side::out, ACK, closed, L::unchanged},
	{closed, Side::out, RST, closed, L::unchanged},
	{closed, Side::out, SYN | RST, closed, L::unchanged},
	// Opening from the inside.
	{in_syn, Side::out, SYNACK, established, L::established},
	{in_syn, Side::in, SYN, in_syn, L::transitory},  // retransmitted SYN
	{in_syn, Side::in, ACK, in_syn, L::unchanged},
	{in_syn, Side::out, ACK, in_syn, L::unchanged},
	{in_syn, Side::out, RST, in_syn, L::unchanged},
	// Opening from the outside, and simultaneous open.
	{out_syn, Side::in, SYN, established, L::established},
	{out_syn, Side::in, SYNACK, established, L::established},
	{out_syn, Side::out, SYN, out_syn, L::unchanged},
	{out_syn, Side::in, ACK, out_syn, L::unchanged},
	// Established: data refreshes, FIN and RST move on.
	{established, Side::in, ACK, established, L::established},
	{established, Side::out, ACK, established, L::established},
	{established, Side::in, FIN, in_fin, L::established},
	{established, Side::out, FIN, out_fin, L::established},
	{established, Side::in, RST, trans, L::transitory},
	{established, Side::out, RST, trans, L::transitory},
	// Half closed.
	{in_fin, Side::out, FIN, both_fin, L::transitory},
	{in_fin, Side::in, FIN, in_fin, L::established},  // its own FIN again
	{in_fin, Side::out, ACK, in_fin, L::established},
	{in_fin, Side::in, RST, trans, L::transitory},
	{out_fin, Side::in, FIN, both_fin, L::transitory},
	{out_fin, Side::out, FIN, out_fin, L::established},
	{out_fin, Side::in, ACK, out_fin, L::established},
	{out_fin, Side::out, RST, trans, L::transitory},
	// Closed both ways: nothing moves it, it runs out.
	{both_fin, Side::in, ACK, both_fin, L::unchanged},
	{both_fin, Side::out, SYN, both_fin, L::unchanged},
	{both_fin, Side::in, RST, both_fin, L::unchanged},
	// After a RST: 4 minutes (RFC 7857 §2.3), unless traffic resumes.
	{trans, Side::out, RST, trans, L::unchanged},
	{trans, Side::in, RST, trans, L::unchanged},
	{trans, Side::out, ACK, established, L::established},
	{trans, Side::in, ACK, established, L::established},
};

TEST(TcpState, EveryTransitionOfTheTable)
{
	for (const Case &c : kCases) {
		const TcpStep got = tcp_step(c.from_state, c.side, c.flags);
		EXPECT_EQ(got, (TcpStep{c.state, c.lifetime}))
			<< to_string(c.from_state) << " + flags 0x" << std::hex << int(c.flags) << " from "
			<< (c.side == Side::in ? "in" : "out") << " -> " << to_string(got.state) << " lifetime "
			<< int(got.lifetime);
	}
}

TEST(TcpState, OnlyTheEstablishedStatesCountAsOpen)
{
	for (uint8_t s = 0; s < uint8_t(TcpState::count); s++) {
		const auto st = TcpState(s);
		EXPECT_EQ(tcp_open(st), st == established || st == in_fin || st == out_fin) << to_string(st);
		EXPECT_STRNE(to_string(st), "?");
	}
}

} // namespace
} // namespace wayport::nat
