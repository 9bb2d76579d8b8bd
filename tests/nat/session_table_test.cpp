// One worker's NAT mappings and sessions on virtual time (seconds as
// ticks): endpoint-independent mapping with the port preserved, collisions,
// every timeout edge, the filtering modes, TCP through its states, ICMP
// queries, the caps and the port pool running out, lingering mappings,
// bounded expiry.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>

#include "dataplane/nat/session_table.h"

namespace wayport::nat {
namespace {

constexpr uint8_t SYN = tcp_flags::syn, ACK = tcp_flags::ack, SYNACK = tcp_flags::syn | tcp_flags::ack,
		  FIN = tcp_flags::fin | tcp_flags::ack, RST = tcp_flags::rst;

AddrPort ap(const char *text)
{
	auto a = AddrPort::parse(text);
	EXPECT_TRUE(a) << text;
	return a.value_or(AddrPort{});
}

const AddrPort kClient = ap("10.66.0.2:5000");
const AddrPort kOtherClient = ap("10.66.0.3:5000");
const AddrPort kH1 = ap("203.0.113.10:3478");
const AddrPort kH1OtherPort = ap("203.0.113.10:3479");
const AddrPort kH2 = ap("203.0.113.20:3478");

NatTimeouts defaults()
{
	NatTimeouts t;
	t.udp = 300;
	t.tcp_established = 7440;
	t.tcp_transitory = 240;
	t.tcp_incoming_syn = 6;
	t.icmp = 60;
	t.mapping_linger = 120;
	return t;
}

class SessionTableTest : public testing::Test {
protected:
	void make(Filtering filtering = Filtering::address_dependent, uint16_t lo = 1024, uint16_t hi = 65535,
		  uint32_t max_sessions = 1000, uint32_t per_peer = 8, uint32_t capacity = 64)
	{
		table_.reset();
		shared_ = std::make_unique<NatShared>(lo, hi, max_sessions);
		SessionTableConfig c;
		c.capacity = capacity;
		c.max_per_peer = per_peer;
		c.peers = 4;
		c.filtering = filtering;
		c.timeouts = defaults();
		c.worker = 0;
		std::string error;
		table_ = SessionTable::create(c, *shared_, error);
		ASSERT_TRUE(table_) << error;
	}
	void SetUp() override { make(); }

	OutVerdict out(const AddrPort &inside, const AddrPort &remote, uint64_t now, NatProto p = NatProto::udp,
		       uint8_t flags = 0, uint32_t peer = 0)
	{
		return table_->out(Flow{p, inside, remote}, peer, flags, now);
	}
	InVerdict in(uint16_t port, const AddrPort &remote, uint64_t now, NatProto p = NatProto::udp, uint8_t flags = 0)
	{
		return table_->in(p, remote.is_v4, port, remote, flags, now);
	}
	// The TCP state of the live session of kClient and remote; count
	// when it has none.
	TcpState state(const AddrPort &remote, uint64_t now)
	{
		for (const SessionView &v : table_->list(now))
			if (v.flow.proto == NatProto::tcp && v.flow.inside == kClient && v.flow.remote == remote)
				return v.tcp;
		return TcpState::count;
	}

	std::unique_ptr<NatShared> shared_;
	std::unique_ptr<SessionTable> table_;
};

TEST_F(SessionTableTest, OneInsideEndpointKeepsOneExternalPortForEveryRemote)
{
	auto a = out(kClient, kH1, 0);
	auto b = out(kClient, kH1OtherPort, 1);
	auto c = out(kClient, kH2, 60);
	ASSERT_TRUE(a.ok && b.ok && c.ok);
	EXPECT_EQ(a.external_port, 5000) << "preserved: it was free";
	EXPECT_EQ(b.external_port, a.external_port) << "RFC 4787 REQ-1";
	EXPECT_EQ(c.external_port, a.external_port);
	EXPECT_NE(a.session, c.session);
	EXPECT_EQ(table_->sessions(), 3u);
	EXPECT_EQ(table_->mappings(), 1u);
	EXPECT_EQ(shared_->sessions(), 3u);
}

TEST_F(SessionTableTest, TwoInsideEndpointsOnOnePortGetDistinctExternalPorts)
{
	auto a = out(kClient, kH1, 0);
	auto b = out(kOtherClient, kH1, 0, NatProto::udp, 0, 1);
	ASSERT_TRUE(a.ok && b.ok);
	EXPECT_EQ(a.external_port, 5000);
	EXPECT_NE(b.external_port, 5000) << "no port overloading (REQ-3)";
	EXPECT_EQ(b.external_port % 2, 0) << "parity kept (REQ-4)";
	auto back = in(b.external_port, kH1, 1);
	ASSERT_TRUE(back.ok);
	EXPECT_EQ(back.inside, kOtherClient);
	EXPECT_EQ(back.peer, 1u);
}

TEST_F(SessionTableTest, TheSamePortNumberServesBothFamiliesAndProtocolsApart)
{
	auto v4 = out(kClient, kH1, 0);
	auto v6 = out(ap("[fd66::2]:5000"), ap("[2001:db8:1::10]:3478"), 0);
	auto tcp = out(kClient, kH1, 0, NatProto::tcp, SYN);
	ASSERT_TRUE(v4.ok && v6.ok && tcp.ok);
	EXPECT_EQ(v4.external_port, 5000);
	EXPECT_EQ(v6.external_port, 5000);
	EXPECT_EQ(tcp.external_port, 5000);
	EXPECT_EQ(table_->mappings(), 3u);
	auto back6 = table_->in(NatProto::udp, false, 5000, ap("[2001:db8:1::10]:3478"), 0, 1);
	ASSERT_TRUE(back6.ok);
	EXPECT_EQ(back6.inside, ap("[fd66::2]:5000"));
}

TEST_F(SessionTableTest, UdpSessionsLastTheirTimeoutToTheTickAndTrafficEitherWayRefreshes)
{
	ASSERT_TRUE(out(kClient, kH1, 0).ok);
	EXPECT_TRUE(in(5000, kH1, 299).ok) << "REQ-5: not less than 2 min; default 5 min (REQ-5c)";
	// The answer at 299 refreshed it to 599.
	EXPECT_TRUE(in(5000, kH1, 598).ok);
	EXPECT_TRUE(out(kClient, kH1, 897).ok) << "outbound refresh (REQ-6)";
	EXPECT_FALSE(in(5000, kH1, 897 + 300).ok) << "expired at exactly its timeout";
	EXPECT_EQ(table_->sessions(), 0u) << "reclaimed by the lookup";
	EXPECT_EQ(shared_->sessions(), 0u);
}

TEST_F(SessionTableTest, AnOutboundOnlyFlowKeepsItsMappingForTheWholeTimeout)
{
	ASSERT_TRUE(out(kClient, kH1, 0).ok);
	EXPECT_TRUE(in(5000, kH1, 299).ok) << "Linux gives an unanswered flow 30 s; RFC 4787 REQ-5 wants 120";
}

struct FilteringCase {
	Filtering mode;
	bool same_host_other_port;  // H1:3479 -> X:x
	bool other_host;            // H2:3478 -> X:x
};

class FilteringTest : public SessionTableTest, public testing::WithParamInterface<FilteringCase> {};

TEST_P(FilteringTest, UnsolicitedInboundFollowsTheMode)
{
	const FilteringCase c = GetParam();
	make(c.mode);
	auto o = out(kClient, kH1, 0);
	ASSERT_TRUE(o.ok);
	EXPECT_TRUE(in(o.external_port, kH1, 1).ok) << "the remote it talks to, always";
	auto a = in(o.external_port, kH1OtherPort, 2);
	EXPECT_EQ(a.ok, c.same_host_other_port);
	EXPECT_EQ(a.ok ? a.inside : AddrPort{}, c.same_host_other_port ? kClient : AddrPort{});
	EXPECT_EQ(a.drop, c.same_host_other_port ? NatDrop::count : NatDrop::filtered);
	auto b = in(o.external_port, kH2, 3);
	EXPECT_EQ(b.ok, c.other_host);
	EXPECT_EQ(b.drop, c.other_host ? NatDrop::count : NatDrop::filtered);
	EXPECT_EQ(in(o.external_port + 2, kH1, 4).drop, NatDrop::no_mapping) << "a port nobody holds";
}

INSTANTIATE_TEST_SUITE_P(Modes, FilteringTest,
			 testing::Values(FilteringCase{Filtering::endpoint_independent, true, true},
					 FilteringCase{Filtering::address_dependent, true, false},
					 FilteringCase{Filtering::address_and_port_dependent, false, false}),
			 [](const auto &info) {
				 std::string n = to_string(info.param.mode);
				 std::replace(n.begin(), n.end(), '-', '_');
				 return n;
			 });

TEST_F(SessionTableTest, AddressDependentFilteringForgetsAnAddressWithItsLastSession)
{
	ASSERT_TRUE(out(kClient, kH1, 0).ok);
	ASSERT_TRUE(out(kClient, kH2, 200).ok);
	EXPECT_TRUE(in(5000, kH1OtherPort, 299).ok) << "H1's address is known";
	ASSERT_TRUE(out(kClient, kH2, 499).ok);  // keeps the mapping alive to 799
	// H1's two sessions expired at 300 and 599. Filtering counts the
	// sessions not yet reclaimed: the sweep has been round.
	table_->expire(600, 64);
	EXPECT_EQ(in(5000, ap("203.0.113.10:9999"), 700).drop, NatDrop::filtered) << "H1 has no session left";
	EXPECT_TRUE(in(5000, ap("203.0.113.20:9999"), 700).ok) << "H2 still has";
}

TEST_F(SessionTableTest, TcpOpenedFromInsideRunsThroughItsStatesAndTimeouts)
{
	ASSERT_TRUE(out(kClient, kH1, 0, NatProto::tcp, SYN).ok);
	EXPECT_EQ(state(kH1, 0), TcpState::in_syn);
	// Half open lasts the transitory timeout: 4 min (RFC 5382 REQ-5).
	ASSERT_TRUE(in(5000, kH1, 239, NatProto::tcp, SYNACK).ok);
	EXPECT_EQ(state(kH1, 239), TcpState::established);
	// Established: 2 h 4 min idle.
	EXPECT_TRUE(in(5000, kH1, 239 + 7439, NatProto::tcp, ACK).ok);
	const uint64_t t = 239 + 7439;
	ASSERT_TRUE(out(kClient, kH1, t + 1, NatProto::tcp, FIN).ok);
	EXPECT_EQ(state(kH1, t + 1), TcpState::in_fin);
	ASSERT_TRUE(in(5000, kH1, t + 2, NatProto::tcp, FIN).ok);
	EXPECT_EQ(state(kH1, t + 2), TcpState::both_fin);
	ASSERT_TRUE(out(kClient, kH1, t + 3, NatProto::tcp, ACK).ok) << "the last ACK";
	EXPECT_TRUE(in(5000, kH1, t + 2 + 239, NatProto::tcp, ACK).ok) << "closed both ways: 4 min from the second FIN";
	EXPECT_FALSE(in(5000, kH1, t + 2 + 240, NatProto::tcp, ACK).ok);
}

TEST_F(SessionTableTest, AHalfOpenTcpSessionExpiresAfterTheTransitoryTimeout)
{
	ASSERT_TRUE(out(kClient, kH1, 0, NatProto::tcp, SYN).ok);
	EXPECT_FALSE(in(5000, kH1, 240, NatProto::tcp, SYNACK).ok);
}

TEST_F(SessionTableTest, AnIdleEstablishedTcpSessionExpiresAfterTwoHoursFourMinutes)
{
	ASSERT_TRUE(out(kClient, kH1, 0, NatProto::tcp, SYN).ok);
	ASSERT_TRUE(in(5000, kH1, 1, NatProto::tcp, SYNACK).ok);
	EXPECT_TRUE(in(5000, kH1, 1 + 7439, NatProto::tcp, ACK).ok);
	EXPECT_EQ(state(kH1, 1 + 7439 + 7439), TcpState::established);
	EXPECT_FALSE(in(5000, kH1, 1 + 7439 + 7440, NatProto::tcp, ACK).ok);
	EXPECT_EQ(state(kH1, 1 + 7439 + 7440), TcpState::count);
	// The inside carries on after the gap: a mid-stream segment makes an
	// established session again (tcp_state.h), on the same port.
	auto again = out(kClient, kH1, 20000, NatProto::tcp, ACK);
	ASSERT_TRUE(again.ok);
	EXPECT_EQ(again.external_port, 5000);
	EXPECT_EQ(state(kH1, 20000), TcpState::established);
}

TEST_F(SessionTableTest, ARstLeavesTheSessionFourMinutes)
{
	ASSERT_TRUE(out(kClient, kH1, 0, NatProto::tcp, SYN).ok);
	ASSERT_TRUE(in(5000, kH1, 1, NatProto::tcp, SYNACK).ok);
	ASSERT_TRUE(in(5000, kH1, 2, NatProto::tcp, RST).ok) << "RFC 7857 §2.3: a RST is translated";
	EXPECT_EQ(state(kH1, 2), TcpState::trans);
	EXPECT_TRUE(in(5000, kH1, 2 + 239, NatProto::tcp, RST).ok) << "a retransmitted RST does not extend it";
	EXPECT_FALSE(in(5000, kH1, 2 + 240, NatProto::tcp, ACK).ok);
}

TEST_F(SessionTableTest, AnOutboundRstWithNoSessionOpensNothing)
{
	auto v = out(kClient, kH1, 0, NatProto::tcp, RST);
	EXPECT_FALSE(v.ok);
	EXPECT_EQ(v.drop, NatDrop::no_session);
	EXPECT_EQ(table_->mappings(), 0u) << "no port taken for it";
	EXPECT_EQ(shared_->pool(true, NatProto::tcp).in_use(), 0u);
}

TEST_F(SessionTableTest, UnsolicitedTcpIsDroppedUnlessASynTheFilterAllows)
{
	make(Filtering::endpoint_independent);
	EXPECT_EQ(in(5000, kH2, 0, NatProto::tcp, SYN).drop, NatDrop::no_mapping) << "no mapping: a SYN is never answered";
	ASSERT_TRUE(out(kClient, kH1, 0, NatProto::tcp, SYN).ok);
	EXPECT_EQ(in(5000, kH2, 1, NatProto::tcp, ACK).drop, NatDrop::filtered) << "no SYN, no session";
	// A SYN from another host through the EIF mapping: 6 s to be answered
	// (RFC 5382 REQ-4), then simultaneous open from the inside.
	ASSERT_TRUE(in(5000, kH2, 2, NatProto::tcp, SYN).ok);
	EXPECT_EQ(state(kH2, 2), TcpState::out_syn);
	EXPECT_EQ(state(kH2, 7), TcpState::out_syn);
	EXPECT_EQ(state(kH2, 8), TcpState::count) << "gone after 6 s";
	ASSERT_TRUE(in(5000, kH2, 10, NatProto::tcp, SYN).ok);
	ASSERT_TRUE(out(kClient, kH2, 15, NatProto::tcp, SYNACK).ok);
	EXPECT_EQ(state(kH2, 15), TcpState::established);
}

TEST_F(SessionTableTest, IcmpQueriesMapTheIdentifierAndOnlyRepliesComeBack)
{
	const AddrPort ping_in = ap("10.66.0.2:77");  // identifier 77
	const AddrPort h1 = ap("203.0.113.10:0");
	const AddrPort h2 = ap("203.0.113.20:0");
	auto a = out(ping_in, h1, 0, NatProto::icmp);
	auto b = out(ping_in, h2, 0, NatProto::icmp);
	ASSERT_TRUE(a.ok && b.ok);
	EXPECT_EQ(a.external_port, 77);
	EXPECT_EQ(b.external_port, 77) << "RFC 5508 REQ-1a";
	EXPECT_TRUE(in(77, h1, 59, NatProto::icmp).ok) << "REQ-2: at least 60 s";
	EXPECT_FALSE(in(77, ap("203.0.113.30:0"), 1, NatProto::icmp).ok) << "a reply from a host never asked";
	EXPECT_FALSE(in(77, h2, 60, NatProto::icmp).ok);
}

TEST_F(SessionTableTest, AnIcmpErrorFindsItsSessionAndNeitherRefreshesNorEndsIt)
{
	ASSERT_TRUE(out(kClient, kH1, 0, NatProto::tcp, SYN).ok);
	ASSERT_TRUE(in(5000, kH1, 1, NatProto::tcp, SYNACK).ok);  // established to 7441
	auto e = table_->quoted_in(NatProto::tcp, true, 5000, kH1, 7000);
	ASSERT_TRUE(e.ok);
	EXPECT_EQ(e.inside, kClient);
	EXPECT_EQ(e.peer, 0u);
	EXPECT_EQ(state(kH1, 7000), TcpState::established) << "RFC 5382 REQ-10";
	EXPECT_EQ(state(kH1, 7441), TcpState::count) << "not refreshed (RFC 5508 REQ-6)";
	EXPECT_EQ(table_->quoted_in(NatProto::tcp, true, 5000, kH2, 10).drop, NatDrop::no_session) << "another remote";
	EXPECT_EQ(table_->quoted_in(NatProto::udp, true, 5000, kH1, 10).drop, NatDrop::no_mapping) << "another protocol";

	// From the inside: the quote is what the remote sent it.
	ASSERT_TRUE(out(kClient, kH2, 100).ok);
	auto o = table_->quoted_out(Flow{NatProto::udp, kClient, kH2}, 200);
	ASSERT_TRUE(o.ok);
	EXPECT_EQ(o.external_port, 5000);
	EXPECT_FALSE(table_->quoted_out(Flow{NatProto::udp, kClient, kH2}, 400).ok) << "expired at 400, not refreshed";
	EXPECT_EQ(table_->quoted_out(Flow{NatProto::udp, kOtherClient, kH2}, 10).drop, NatDrop::no_session);
}

TEST_F(SessionTableTest, APeersCapStopsItsNewFlowsOnlyAndItsOldOnesGoOn)
{
	for (uint16_t p = 0; p < 8; p++)
		ASSERT_TRUE(out(AddrPort::parse("10.66.0.2:" + std::to_string(6000 + p)).value(), kH1, 0).ok);
	auto ninth = out(ap("10.66.0.2:7000"), kH1, 1);
	EXPECT_FALSE(ninth.ok);
	EXPECT_EQ(ninth.drop, NatDrop::peer_session_limit);
	EXPECT_TRUE(out(kOtherClient, kH1, 1, NatProto::udp, 0, 1).ok) << "another peer";
	EXPECT_TRUE(out(ap("10.66.0.2:6000"), kH1, 2).ok) << "an existing flow";
	EXPECT_TRUE(in(6003, kH1, 2).ok);
	EXPECT_EQ(table_->peer_sessions(0), 8u);
	EXPECT_EQ(table_->mappings(), 9u) << "the refused flow took no port";
}

TEST_F(SessionTableTest, TheGlobalCapIsSharedByEveryWorkersTable)
{
	make(Filtering::address_dependent, 1024, 65535, 3);
	SessionTableConfig c;
	c.capacity = 64;
	c.max_per_peer = 100;
	c.peers = 4;
	c.timeouts = defaults();
	c.worker = 1;
	std::string error;
	auto other = SessionTable::create(c, *shared_, error);
	ASSERT_TRUE(other) << error;
	ASSERT_TRUE(out(kClient, kH1, 0).ok);
	ASSERT_TRUE(out(kClient, kH2, 0).ok);
	auto theirs = other->out(Flow{NatProto::udp, kOtherClient, kH1}, 1, 0, 0);
	ASSERT_TRUE(theirs.ok);
	auto v = other->out(Flow{NatProto::udp, kOtherClient, kH2}, 1, 0, 0);
	EXPECT_FALSE(v.ok);
	EXPECT_EQ(v.drop, NatDrop::session_limit);
	EXPECT_EQ(out(kClient, kH1OtherPort, 0).drop, NatDrop::session_limit);
	EXPECT_TRUE(out(kClient, kH1, 1).ok) << "existing flows go on";
	EXPECT_EQ(shared_->pool(true, NatProto::udp).owner(5000), 0) << "each table's ports carry its worker";
	EXPECT_EQ(shared_->pool(true, NatProto::udp).owner(theirs.external_port), 1);
	EXPECT_NE(theirs.external_port, 5000);
}

TEST_F(SessionTableTest, ThePortPoolRunningOutRefusesNewEndpointsUntilPortsComeBack)
{
	make(Filtering::address_dependent, 2000, 2001);
	ASSERT_TRUE(out(ap("10.66.0.2:2000"), kH1, 0).ok);
	ASSERT_TRUE(out(ap("10.66.0.2:2001"), kH1, 0).ok);
	auto v = out(ap("10.66.0.3:2000"), kH1, 1, NatProto::udp, 0, 1);
	EXPECT_FALSE(v.ok);
	EXPECT_EQ(v.drop, NatDrop::ports_exhausted);
	EXPECT_TRUE(out(ap("10.66.0.2:2000"), kH2, 1).ok) << "an existing mapping takes new remotes";
	// The mappings' last sessions expire at 300 and 301, they linger
	// 120 s (RFC 6888 REQ-8), then the sweep gives their ports back.
	EXPECT_EQ(out(ap("10.66.0.3:2000"), kH1, 400, NatProto::udp, 0, 1).drop, NatDrop::ports_exhausted);
	while (table_->expire(421, 16) > 0) {
	}
	EXPECT_EQ(table_->mappings(), 0u);
	auto later = out(ap("10.66.0.3:2000"), kH1, 421, NatProto::udp, 0, 1);
	ASSERT_TRUE(later.ok);
	EXPECT_EQ(later.external_port, 2000);
}

TEST_F(SessionTableTest, AMappingLingersForItsOwnEndpointAfterItsLastSession)
{
	ASSERT_TRUE(out(kClient, kH1, 0).ok);
	table_->expire(350, 64);
	EXPECT_EQ(table_->sessions(), 0u);
	EXPECT_EQ(table_->mappings(), 1u) << "lingering";
	EXPECT_NE(out(ap("10.66.0.9:5000"), kH1, 350).external_port, 5000) << "not another endpoint's yet";
	EXPECT_EQ(out(kClient, kH2, 360).external_port, 5000) << "its own endpoint gets it back";
	EXPECT_FALSE(in(5000, kH1, 361).ok) << "the lingering mapping's old remote is not let in by it";
}

TEST_F(SessionTableTest, ExpiryLooksAtABoundedNumberOfEntriesPerCall)
{
	for (uint16_t p = 0; p < 8; p++)
		ASSERT_TRUE(out(AddrPort::parse("10.66.0.2:" + std::to_string(6000 + p)).value(), kH1, 0).ok);
	EXPECT_EQ(table_->expire(299, 64), 0u) << "nothing due";
	size_t freed = 0, calls = 0;
	while (table_->sessions() > 0) {
		const size_t n = table_->expire(300, 4);
		EXPECT_LE(n, 8u) << "4 sessions and 4 mappings at most";
		freed += n;
		ASSERT_LT(++calls, 100u);
	}
	EXPECT_GE(calls, 2u);
	EXPECT_EQ(freed, 8u) << "sessions; the mappings linger";
	EXPECT_EQ(shared_->sessions(), 0u);
}

TEST_F(SessionTableTest, TheTableFillsToItsCapacityAndNoFurther)
{
	make(Filtering::endpoint_independent, 1024, 65535, 1000, 1000, 16);
	for (uint16_t p = 0; p < 16; p++)
		ASSERT_TRUE(out(kClient, AddrPort::parse("203.0.113.10:" + std::to_string(100 + p)).value(), 0).ok) << p;
	EXPECT_EQ(out(kClient, kH2, 0).drop, NatDrop::session_limit);
	EXPECT_EQ(table_->list(0).size(), 16u);
}

TEST_F(SessionTableTest, ListingShowsLiveSessionsOnly)
{
	ASSERT_TRUE(out(kClient, kH1, 0).ok);
	ASSERT_TRUE(out(kClient, kH2, 100, NatProto::tcp, SYN).ok);
	EXPECT_EQ(table_->list(250).size(), 2u);
	auto l = table_->list(320);
	ASSERT_EQ(l.size(), 1u) << "the UDP one expired at 300, not yet reclaimed";
	EXPECT_EQ(l[0].flow.proto, NatProto::tcp);
	EXPECT_EQ(l[0].flow.remote, kH2);
	EXPECT_EQ(l[0].external_port, 5000);
	EXPECT_EQ(l[0].tcp, TcpState::in_syn);
	EXPECT_EQ(l[0].expires, 340u);
	EXPECT_FALSE(l[0].inbound);
}

} // namespace
} // namespace wayport::nat
