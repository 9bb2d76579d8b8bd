// The Device in external data-path mode (issue 12): the workers (a
// WorkerDouble) seal and open transport data, the Device tells them about
// keypairs and runs its timers on what they report. First the rules of the
// mode, one per test; then the kernel's timer behaviour, table-driven over
// which side is external, asserted only through what crosses the wire, so
// each row must behave as two reference devices do.
#include <gtest/gtest.h>

#include <set>

#include "tests/wireguard/device_pair.h"

namespace wayport::wireguard::test {
namespace {

using namespace std::chrono_literals;

constexpr PairMode kReference{false, false};
constexpr PairMode kAExternal{true, false};
constexpr PairMode kBExternal{false, true};
constexpr PairMode kBothExternal{true, true};

// Time passes in steps of `step`, delivering whatever the timers send.
void run_for(DevicePair &p, Clock::duration total, Clock::duration step = 100ms)
{
	for (Clock::duration t{}; t < total; t += step) {
		p.advance(step);
		p.deliver_all();
	}
}

size_t transport_from(const DevicePair &p, bool from_a)
{
	return count_type(p.in_flight, WireGuardType::transport, from_a);
}

template <class T>
std::vector<T> events_of(const WorkerDouble &w)
{
	std::vector<T> out;
	for (const PeerEvent &e : w.events)
		if (const T *t = std::get_if<T>(&e.what))
			out.push_back(*t);
	return out;
}

size_t empty_to_seal(const std::vector<ToSeal> &v)
{
	size_t n = 0;
	for (const ToSeal &t : v)
		n += t.inner.empty();
	return n;
}

// --- The mode's rules --------------------------------------------------------

TEST(WireGuardExternal, InitiatorsKeypairIsAddedAsCurrent)
{
	DevicePair p({}, {}, kAExternal);
	ASSERT_TRUE(p.a_reaches_b());
	const PeerStatus s = p.a.status(p.a_peer);
	ASSERT_TRUE(s.current);
	const auto added = events_of<KeypairAdded>(p.workers_a);
	ASSERT_EQ(added.size(), 1u);
	const KeypairAdded &k = added[0];
	EXPECT_EQ(k.slot, KeypairSlot::current);
	EXPECT_TRUE(k.i_am_initiator);
	EXPECT_EQ(k.local_index, *s.current);
	EXPECT_EQ(k.keypair, DevicePair::keypair(p.a, s.current));
	EXPECT_EQ(k.remote_index, k.keypair->keys.remote_index);
	EXPECT_EQ(k.remote_index, *p.b.status(p.b_peer).current) << "b's index for it";
	EXPECT_EQ(k.birth, p.now);
	EXPECT_EQ(p.workers_a.send_index[p.a_peer], *s.current);
	// The handshake started, then its keypair: in that order, numbered.
	ASSERT_GE(p.workers_a.events.size(), 2u);
	EXPECT_TRUE(std::holds_alternative<HandshakeStarted>(p.workers_a.events[0].what));
	EXPECT_TRUE(std::holds_alternative<KeypairAdded>(p.workers_a.events[1].what));
	EXPECT_EQ(p.workers_a.events[1].seq, 2u);
	EXPECT_EQ(p.workers_a.events[1].peer, p.a_peer);
	EXPECT_EQ(p.device_transport, 0u);
}

TEST(WireGuardExternal, ResponderKeypairWaitsAsNextUntilTheWorkersReportIt)
{
	DevicePair p({}, {}, kBExternal);
	p.auto_report = false;
	const Bytes packet = ipv4_packet(1, 2);
	p.send_a(packet);
	p.deliver_one();  // the initiation reaches b
	const auto added = events_of<KeypairAdded>(p.workers_b);
	ASSERT_EQ(added.size(), 1u);
	EXPECT_EQ(added[0].slot, KeypairSlot::next);
	EXPECT_FALSE(added[0].i_am_initiator);
	PeerStatus s = p.b.status(p.b_peer);
	EXPECT_EQ(s.next, added[0].local_index);
	EXPECT_FALSE(s.current);

	p.deliver_all();  // the response to a, a's staged packet to b's workers
	ASSERT_EQ(p.delivered_b.size(), 1u);
	EXPECT_EQ(p.delivered_b[0].bytes, packet);
	EXPECT_EQ(p.workers_b.keypairs.at(added[0].local_index).rx_packets, 1u);
	EXPECT_FALSE(p.b.status(p.b_peer).current) << "nothing confirms it until the workers report";
	EXPECT_TRUE(events_of<KeypairConfirmed>(p.workers_b).empty());
	EXPECT_FALSE(p.workers_b.send_index.contains(p.b_peer));

	p.report_b();
	const auto confirmed = events_of<KeypairConfirmed>(p.workers_b);
	ASSERT_EQ(confirmed.size(), 1u);
	EXPECT_EQ(confirmed[0].local_index, added[0].local_index);
	s = p.b.status(p.b_peer);
	EXPECT_EQ(s.current, added[0].local_index);
	EXPECT_FALSE(s.next);
	EXPECT_EQ(p.b.events(WgEvent::keypair_confirmed), 1u);
	EXPECT_EQ(p.workers_b.send_index[p.b_peer], added[0].local_index);
	p.auto_report = true;
	EXPECT_TRUE(p.b_reaches_a());
}

TEST(WireGuardExternal, ActivityUnderAnotherIndexConfirmsNothing)
{
	DevicePair p({}, {}, kBExternal);
	Output out;
	p.initiate_a();
	p.deliver_one();
	const uint32_t next = *p.b.status(p.b_peer).next;
	p.b.data_path_activity(p.b_peer, {p.now, p.now, {}, {}, next + 1}, p.now, out);
	EXPECT_FALSE(p.b.status(p.b_peer).current);
	EXPECT_TRUE(out.events.empty());
}

TEST(WireGuardExternal, StagedPacketsComeOutToSealInOrderAfterTheHandshake)
{
	DevicePair p({}, {}, kAExternal);
	std::vector<Bytes> packets;
	for (size_t i = 0; i < kMaxStagedPackets + 2; i++) {
		packets.push_back(ipv4_packet(1, 2, 60, static_cast<uint8_t>(i)));
		p.send_a(packets.back());
	}
	EXPECT_EQ(p.a.drops(WgDrop::staged_overflow), 2u);
	EXPECT_TRUE(p.to_seal_a.empty());
	p.deliver_all();
	ASSERT_EQ(p.to_seal_a.size(), kMaxStagedPackets);
	for (size_t i = 0; i < kMaxStagedPackets; i++) {
		EXPECT_EQ(p.to_seal_a[i].peer, p.a_peer);
		EXPECT_EQ(p.to_seal_a[i].inner, packets[i + 2]) << i;
	}
	EXPECT_EQ(p.delivered_b.size(), kMaxStagedPackets);
	EXPECT_EQ(p.a.status(p.a_peer).staged, 0u);
	EXPECT_EQ(p.device_transport, 0u);
}

TEST(WireGuardExternal, ResponderFlushesItsStagedPacketsOnConfirmation)
{
	DevicePair p({}, {}, kBExternal);
	p.initiate_a();
	p.deliver_one();  // b answers: its keypair is next, it cannot send yet
	const Bytes packet = ipv4_packet(2, 1);
	p.send_b(packet);
	EXPECT_EQ(p.b.status(p.b_peer).staged, 1u);
	p.deliver_all();  // the response; a's keepalive confirms b's keypair
	ASSERT_EQ(p.to_seal_b.size(), 1u);
	EXPECT_EQ(p.to_seal_b[0].inner, packet);
	ASSERT_EQ(p.delivered_a.size(), 1u);
	EXPECT_EQ(p.delivered_a[0].bytes, packet);
}

TEST(WireGuardExternal, InitiatorConfirmsWithAKeepaliveToSeal)
{
	DevicePair p({}, {}, kAExternal);
	p.initiate_a();
	p.deliver_all();
	ASSERT_EQ(p.to_seal_a.size(), 1u);
	EXPECT_TRUE(p.to_seal_a[0].inner.empty());
	EXPECT_EQ(p.a.events(WgEvent::keepalive_sent), 1u);
	EXPECT_EQ(p.b.events(WgEvent::keepalive_received), 1u);
	EXPECT_EQ(p.b.events(WgEvent::keypair_confirmed), 1u);
}

TEST(WireGuardExternal, TransportGivenToTheDeviceIsDroppedAndCounted)
{
	DevicePair p({}, {}, kBExternal);
	ASSERT_TRUE(p.a_reaches_b());
	p.send_a(ipv4_packet(1, 2));
	ASSERT_EQ(transport_from(p, true), 1u);
	Output out;
	p.b.receive(p.in_flight.front().datagram.bytes, p.addr_a, p.now, out);
	EXPECT_EQ(p.b.drops(WgDrop::data_for_workers), 1u);
	EXPECT_TRUE(out.empty());
}

TEST(WireGuardExternal, EndpointsSetAndLearned)
{
	DevicePair p({}, {}, kAExternal);
	const uint8_t elsewhere[4] = {198, 51, 100, 7};
	p.a.set_endpoint(p.a_peer, AddrPort::v4(elsewhere, 4000));
	EXPECT_EQ(p.a.status(p.a_peer).endpoint, AddrPort::v4(elsewhere, 4000));
	EXPECT_TRUE(p.workers_a.events.empty()) << "set_endpoint's caller knows";

	ASSERT_TRUE(p.b_reaches_a());  // b initiates, from addr_b
	EXPECT_EQ(p.a.status(p.a_peer).endpoint, p.addr_b);
	const auto learned = events_of<EndpointLearned>(p.workers_a);
	ASSERT_EQ(learned.size(), 1u);
	EXPECT_EQ(learned[0].endpoint, p.addr_b);

	p.advance(kRekeyTimeout);
	p.initiate_a();
	p.deliver_all();
	EXPECT_EQ(events_of<EndpointLearned>(p.workers_a).size(), 1u) << "only changes are events";
}

TEST(WireGuardExternal, RoamingOffKeepsTheEndpoint)
{
	DevicePair p({}, {}, {true, false, false});
	const uint8_t elsewhere[4] = {198, 51, 100, 7};
	p.a.set_endpoint(p.a_peer, AddrPort::v4(elsewhere, 4000));
	p.send_b(ipv4_packet(2, 1));
	p.deliver_one();  // b's initiation reaches a, from addr_b
	EXPECT_EQ(p.a.status(p.a_peer).endpoint, AddrPort::v4(elsewhere, 4000));
	EXPECT_TRUE(events_of<EndpointLearned>(p.workers_a).empty());
}

TEST(WireGuardExternal, EveryKeypairThatLeavesIsRetired)
{
	DevicePair p({}, {}, kBothExternal);
	// Three handshakes, a initiating: the third pushes the first out.
	ASSERT_TRUE(p.a_reaches_b());
	for (int i = 0; i < 2; i++) {
		p.advance(kRekeyTimeout);
		p.initiate_a();
		p.deliver_all();
	}
	for (const WorkerDouble *w : {&p.workers_a, &p.workers_b}) {
		const auto added = events_of<KeypairAdded>(*w);
		const auto retired = events_of<KeypairRetired>(*w);
		ASSERT_EQ(added.size(), 3u);
		ASSERT_EQ(retired.size(), 1u);
		EXPECT_EQ(retired[0].local_index, added[0].local_index);
		EXPECT_EQ(w->keypairs.size(), 2u);
	}
	EXPECT_EQ(p.workers_a.send_index[p.a_peer], *p.a.status(p.a_peer).current);
	EXPECT_EQ(p.workers_b.send_index[p.b_peer], *p.b.status(p.b_peer).current);

	// Then silence: 3 × REJECT_AFTER_TIME later every keypair has gone.
	std::weak_ptr<Keypair> kp = DevicePair::keypair(p.a, p.a.status(p.a_peer).current);
	p.filter = [](const InFlight &) { return false; };
	p.advance(3 * kRejectAfterTime);
	for (WorkerDouble *w : {&p.workers_a, &p.workers_b}) {
		std::set<uint32_t> added, retired;
		for (const KeypairAdded &k : events_of<KeypairAdded>(*w))
			added.insert(k.local_index);
		for (const KeypairRetired &k : events_of<KeypairRetired>(*w))
			retired.insert(k.local_index);
		EXPECT_EQ(added, retired);
		EXPECT_TRUE(w->keypairs.empty());
		w->events.clear();  // the log's copies of KeypairAdded hold keypairs too
	}
	EXPECT_TRUE(kp.expired()) << "nobody holds the keys";
	EXPECT_EQ(p.device_transport, 0u);
}

TEST(WireGuardExternal, InitiationsResetTheWorkersStagingCountThroughAnEvent)
{
	DevicePair p({}, {}, kAExternal);
	p.filter = [](const InFlight &) { return false; };
	p.send_a(ipv4_packet(1, 2));
	p.advance(kRekeyTimeout);  // the retry
	EXPECT_EQ(events_of<HandshakeStarted>(p.workers_a).size(), 2u);
	EXPECT_EQ(p.a.events(WgEvent::initiation_sent), 2u);
}

// --- The kernel's timers, whichever side the workers run ----------------------

class WireGuardTimersByPath : public testing::TestWithParam<PairMode> {
protected:
	void TearDown() override
	{
		if (p_) {
			EXPECT_EQ(p_->device_transport, 0u) << "an external Device sealed data itself";
		}
	}
	DevicePair &pair(std::chrono::seconds a_keepalive = {}, std::chrono::seconds b_keepalive = {})
	{
		p_.emplace(a_keepalive, b_keepalive, GetParam());
		return *p_;
	}

	std::optional<DevicePair> p_;
};

TEST_P(WireGuardTimersByPath, DataBothWays)
{
	DevicePair &p = pair();
	ASSERT_TRUE(p.a_reaches_b());
	ASSERT_TRUE(p.b_reaches_a());
	ASSERT_TRUE(p.a_reaches_b());
}

TEST_P(WireGuardTimersByPath, InitiatorRekeysAfterTimeOnSend)
{
	DevicePair &p = pair();
	ASSERT_TRUE(p.a_reaches_b());
	// In steps, so that b's passive keepalive reaches a: with the workers
	// reporting a's staged packet as sent after the response's receipt (as
	// the kernel's encryption worker does), a would otherwise start a new
	// handshake at KEEPALIVE_TIMEOUT + REKEY_TIMEOUT for want of an answer.
	run_for(p, kRekeyAfterTime - 1s, 1s);
	p.in_flight.clear();
	EXPECT_TRUE(p.a_reaches_b());
	EXPECT_EQ(p.a.events(WgEvent::initiation_sent), 1u);
	p.advance(1s);
	p.send_a(ipv4_packet(1, 2));
	EXPECT_EQ(transport_from(p, true), 1u) << "under the old keypair";
	EXPECT_EQ(count_type(p.in_flight, WireGuardType::initiation, true), 1u);
	p.deliver_all();
	EXPECT_EQ(p.a.events(WgEvent::response_received), 2u);
	EXPECT_TRUE(p.b_reaches_a());
}

TEST_P(WireGuardTimersByPath, PassiveKeepaliveAfterKeepaliveTimeout)
{
	DevicePair &p = pair();
	ASSERT_TRUE(p.a_reaches_b());
	p.advance(kKeepaliveTimeout - 1ms);
	EXPECT_EQ(transport_from(p, false), 0u);
	p.advance(1ms);
	EXPECT_EQ(transport_from(p, false), 1u);
	if (p.mode.b_external) {
		EXPECT_EQ(empty_to_seal(p.to_seal_b), 1u);
	}
	p.deliver_all();
	run_for(p, 60s, 1s);
	EXPECT_EQ(p.b.events(WgEvent::keepalive_sent), 1u) << "keepalives answer data, not keepalives";
}

TEST_P(WireGuardTimersByPath, NoPassiveKeepaliveWhenDataWentBack)
{
	DevicePair &p = pair();
	ASSERT_TRUE(p.a_reaches_b());
	p.advance(5s);
	ASSERT_TRUE(p.b_reaches_a());
	run_for(p, 8s, 1s);
	EXPECT_EQ(p.b.events(WgEvent::keepalive_sent), 0u);
}

TEST_P(WireGuardTimersByPath, NewHandshakeWhenSentDataGetsNoAnswer)
{
	DevicePair &p = pair();
	ASSERT_TRUE(p.a_reaches_b());
	const uint64_t before = p.a.events(WgEvent::initiation_sent);
	p.filter = [](const InFlight &f) { return f.from_a; };  // b's side goes silent
	p.send_a(ipv4_packet(1, 2));
	p.deliver_all();
	p.advance(kKeepaliveTimeout + kRekeyTimeout - 1ms);
	EXPECT_EQ(p.a.events(WgEvent::initiation_sent), before);
	p.advance(1ms);
	EXPECT_EQ(p.a.events(WgEvent::initiation_sent), before + 1);
}

TEST_P(WireGuardTimersByPath, PersistentKeepalive)
{
	DevicePair &p = pair(25s);
	ASSERT_TRUE(p.a_reaches_b());
	ASSERT_TRUE(p.b_reaches_a());
	const uint64_t before = p.a.events(WgEvent::keepalive_sent);
	p.advance(kKeepaliveTimeout);  // the passive one first
	EXPECT_EQ(p.a.events(WgEvent::keepalive_sent), before + 1);
	p.deliver_all();
	p.advance(25s - 1ms);
	EXPECT_EQ(p.a.events(WgEvent::keepalive_sent), before + 1);
	p.advance(1ms);
	EXPECT_EQ(p.a.events(WgEvent::keepalive_sent), before + 2);
	p.deliver_all();
	p.advance(25s);
	EXPECT_EQ(p.a.events(WgEvent::keepalive_sent), before + 3);
	if (p.mode.a_external) {
		EXPECT_EQ(empty_to_seal(p.to_seal_a), 3u + before);
	}
	EXPECT_EQ(p.b.events(WgEvent::keepalive_sent), 0u) << "b has none configured";
}

TEST_P(WireGuardTimersByPath, LastMinuteHandshakeBeforeRejectOnReceive)
{
	DevicePair &p = pair();
	ASSERT_TRUE(p.a_reaches_b());
	run_for(p, kRejectAfterTime - kKeepaliveTimeout - kRekeyTimeout - 1s, 1s);
	const uint64_t before = p.a.events(WgEvent::initiation_sent);
	p.in_flight.clear();
	ASSERT_TRUE(p.b_reaches_a());
	EXPECT_EQ(p.a.events(WgEvent::initiation_sent), before);
	p.advance(1s);
	p.in_flight.clear();
	p.send_b(ipv4_packet(2, 1));
	p.deliver_one();
	EXPECT_EQ(p.a.events(WgEvent::initiation_sent), before + 1);
	p.in_flight.clear();
	p.send_b(ipv4_packet(2, 1));
	p.deliver_one();
	EXPECT_EQ(p.a.events(WgEvent::initiation_sent), before + 1) << "once per keypair";
}

TEST_P(WireGuardTimersByPath, NobodySendsAfterRejectAfterTime)
{
	DevicePair &p = pair();
	ASSERT_TRUE(p.a_reaches_b());
	p.filter = [](const InFlight &) { return false; };
	// In steps: b's passive keepalive goes out (and is lost) while its
	// keypair still works, so only a starts the next handshake.
	run_for(p, kRejectAfterTime + kRekeyTimeout, 1s);
	p.send_a(ipv4_packet(1, 2));
	EXPECT_EQ(transport_from(p, true), 0u);
	EXPECT_EQ(count_type(p.in_flight, WireGuardType::initiation, true), 1u);
	EXPECT_EQ(p.a.status(p.a_peer).staged, 1u);
	p.filter = {};
	p.deliver_all();
	EXPECT_EQ(p.delivered_b.size(), 2u) << "the staged packet, under the new keypair";
}

// The reference data path too: these are the timer tests of both paths
// (device_timers_test.cpp keeps those that only the reference path runs).
INSTANTIATE_TEST_SUITE_P(Sides, WireGuardTimersByPath,
			 testing::Values(kReference, kAExternal, kBExternal, kBothExternal),
			 [](const testing::TestParamInfo<PairMode> &i) {
				 if (!i.param.a_external && !i.param.b_external)
					 return std::string("Reference");
				 return std::string(i.param.a_external ? "a" : "") + (i.param.b_external ? "b" : "") +
					"External";
			 });

} // namespace
} // namespace wayport::wireguard::test
