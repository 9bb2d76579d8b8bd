// DataLink between an external-data-path Device (a) and the workers' tables,
// against a reference Device (b) as the peer; the test plays the workers,
// writing DataPeer's counters and flags as wg_input and wg_output do and
// sealing or opening with the published DataKeypair's keys.
#include <gtest/gtest.h>

#include <cstring>

#include "controlplane/wglink/data_link.h"
#include "controlplane/wireguard/primitives.h"

namespace wayport::wireguard {
namespace {

using namespace std::chrono_literals;
using wgmsg::Transport;

const uint8_t kIpA[4] = {192, 0, 2, 1};
const uint8_t kIpB[4] = {192, 0, 2, 2};
const uint8_t kIpRoamed[4] = {198, 51, 100, 9};
constexpr uint64_t kHz = 3'000'000'000;
constexpr uint64_t kTscAtEpoch = 77'000'000;
constexpr uint16_t kWorkers = 3;

Bytes ipv4_packet(size_t len = 60)
{
	Bytes p(len, 0xab);
	p[0] = 0x45;
	store_be16(p.data() + 2, static_cast<uint16_t>(len));
	return p;
}

Key32 key_of(const uint8_t (&k)[32])
{
	Key32 out;
	std::memcpy(out.data(), k, out.size());
	return out;
}

class DataLinkTest : public testing::Test {
protected:
	DataLinkTest()
		: epoch(Clock::time_point(100h)), now(epoch), tsc(kHz, kTscAtEpoch, epoch),
		  a(PrivateKey::generate(), DeviceOptions{[this] { return wall(); }, {}, {}, true}),
		  b(PrivateKey::generate(), DeviceOptions{[this] { return wall(); }, {}, {}, false}),
		  addr_a(AddrPort::v4(kIpA, 51820)), addr_b(AddrPort::v4(kIpB, 51820)), peers(4)
	{
	}

	void SetUp() override
	{
		std::string error;
		table = KeypairTable::create(qsbr, 64, error);
		ASSERT_TRUE(table) << error;
		// Peer 0 is a filler, so that b is a's peer 1 and homed on worker 1.
		ASSERT_TRUE(a.add_peer({PrivateKey::generate().public_key(), {}, {}, {}}, now));
		a_peer = *a.add_peer({b.identity().static_public, {}, addr_b, {}}, now).value;
		b_peer = *b.add_peer({a.identity().static_public, {}, addr_a, {}}, now).value;
		link.emplace(a, peers, *table, tsc, kWorkers);
		ASSERT_TRUE(link->add_peer(a_peer, a_slot, addr_b, true));
	}

	// a's Output: applied by the link, datagrams to b, to_seal sealed as
	// a's home worker would.
	void from_a(Output &out)
	{
		link->apply(out);
		for (Datagram &d : out.datagrams)
			to_b.push_back(std::move(d.bytes));
		for (ToSeal &t : out.to_seal)
			to_b.push_back(seal(t.inner));
		out.clear();
	}
	void poll()
	{
		Output out;
		link->poll(now, out);
		from_a(out);
	}
	// Everything in flight, both ways, until nothing is.
	void deliver_all()
	{
		while (!to_a.empty() || !to_b.empty()) {
			std::vector<Bytes> for_b = std::move(to_b), for_a = std::move(to_a);
			to_b.clear();
			to_a.clear();
			for (const Bytes &m : for_b) {
				Output out;
				b.receive(m, addr_a, now, out);
				for (Datagram &d : out.datagrams)
					to_a.push_back(std::move(d.bytes));
				b_got += out.packets.size();
			}
			for (const Bytes &m : for_a)
				to_a_device(m);
		}
	}
	// A datagram for a: transport data to its workers, the rest to the Device.
	void to_a_device(const Bytes &m)
	{
		if (wireguard_type(m) == WireGuardType::transport) {
			open(m);
			return;
		}
		Output out;
		a.receive(m, addr_b, now, out);
		from_a(out);
	}

	// wg_output's part: seal under send_keypair, count.
	Bytes seal(ByteSpan inner)
	{
		DataPeer &dp = peers[a_slot];
		DataKeypair *kp = dp.send_keypair.load(std::memory_order_acquire);
		EXPECT_NE(kp, nullptr) << "the Device handed over a packet with no send keypair published";
		if (!kp)
			return {};
		Bytes plain(inner.begin(), inner.end());
		plain.resize((plain.size() + 15) / 16 * 16, 0);
		Bytes msg(Transport::header_len + plain.size() + kTagLen);
		wgmsg::store_type(msg.data(), WireGuardType::transport);
		store_le32(msg.data() + Transport::receiver, kp->remote_index);
		const uint64_t counter = kp->send_counter++;
		store_le64(msg.data() + Transport::counter, counter);
		aead_seal(key_of(kp->send_key), counter, plain, {}, msg.data() + Transport::data);
		dp.tx_packets.add();
		dp.last_tx_tsc.set(tsc.to_tsc(now));
		if (!inner.empty())
			dp.last_data_tx_tsc.set(tsc.to_tsc(now));
		return msg;
	}
	// wg_input's part: find, open, count.
	void open(ByteSpan m)
	{
		DataKeypair *kp = table->find(load_le32(m.data() + Transport::receiver));
		ASSERT_NE(kp, nullptr);
		const uint64_t counter = load_le64(m.data() + Transport::counter);
		Bytes plain(m.size() - kWireGuardTransportMinLen);
		ASSERT_TRUE(aead_open(key_of(kp->receive_key), counter, m.subspan(Transport::data), {}, plain.data()))
			<< "the published keys do not open the peer's data";
		ASSERT_TRUE(kp->window.validate(counter));
		DataPeer &dp = peers[kp->peer];
		kp->rx_packets.add();
		dp.rx_packets.add();
		dp.last_rx_tsc.set(tsc.to_tsc(now));
		if (plain.empty())
			dp.keepalives_received.add();
		else
			dp.last_data_rx_tsc.set(tsc.to_tsc(now));
		a_got += !plain.empty();
	}
	void b_sends(const Bytes &inner)
	{
		Output out;
		b.send(b_peer, inner, now, out);
		for (Datagram &d : out.datagrams)
			to_a.push_back(std::move(d.bytes));
	}
	// b's keypair under index (its local index).
	std::shared_ptr<Keypair> b_keypair(uint32_t index) const
	{
		std::optional<IndexEntry> e = b.index_table().lookup(index);
		return e ? e->keypair : nullptr;
	}
	// Virtual wall time, for the initiations' timestamps: each handshake
	// must be newer than the last.
	WallTime wall() const
	{
		const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now - epoch).count();
		return {1'700'000'000 + ns / 1'000'000'000,
			static_cast<uint32_t>(ns % 1'000'000'000)};
	}
	DataKeypair *send_keypair() { return peers[a_slot].send_keypair.load(std::memory_order_acquire); }

	Qsbr qsbr{1};
	Clock::time_point epoch, now;
	TscClock tsc;
	Device a, b;
	PeerId a_peer = 0, b_peer = 0;
	const uint32_t a_slot = 1;  // a's peer b in the link's table: homed on worker 1
	const AddrPort addr_a, addr_b;
	DataPeerTable peers;
	std::unique_ptr<KeypairTable> table;
	std::optional<DataLink> link;
	std::vector<Bytes> to_a, to_b;
	size_t a_got = 0, b_got = 0;
};

TEST_F(DataLinkTest, AddPeerSetsTheDataPeer)
{
	const DataPeer &dp = peers[a_slot];
	EXPECT_EQ(dp.home_worker.load(), a_slot % kWorkers);
	EXPECT_TRUE(dp.roaming.load());
	AddrPort e;
	ASSERT_EQ(dp.endpoint.load(e), EndpointCell::Read::found);
	EXPECT_EQ(e, addr_b);
	EXPECT_EQ(dp.generation.load(), 1) << "odd: held";
	EXPECT_EQ(link->slot_of(a_peer), a_slot);
	EXPECT_FALSE(link->slot_of(0));

	EXPECT_FALSE(link->add_peer(7, 4, {}, true)) << "outside the table";
	EXPECT_FALSE(link->add_peer(7, a_slot, {}, true)) << "held";
	EXPECT_FALSE(link->add_peer(a_peer, 2, {}, true)) << "added already";
	EXPECT_FALSE(link->slot_of(7));
	EXPECT_EQ(peers[2].generation.load(), 0) << "untouched";
}

TEST_F(DataLinkTest, WantsHandshakeStartsOneAndTheInitiatorsKeypairIsPublishedAndSentUnder)
{
	DataPeer &dp = peers[a_slot];
	dp.wants_handshake.store(true);
	dp.staged_in_flight.store(7);
	poll();
	EXPECT_FALSE(dp.wants_handshake.load()) << "taken";
	ASSERT_EQ(to_b.size(), 1u);
	EXPECT_EQ(wireguard_type(to_b[0]), WireGuardType::initiation);
	EXPECT_EQ(dp.staged_in_flight.load(), 0) << "reset when the handshake started";
	poll();
	EXPECT_EQ(to_b.size(), 1u) << "one request, one initiation";

	const Clock::time_point birth = now;
	deliver_all();
	const PeerStatus s = a.status(a_peer);
	ASSERT_TRUE(s.current);
	DataKeypair *kp = table->find(*s.current);
	ASSERT_NE(kp, nullptr);
	EXPECT_EQ(send_keypair(), kp);
	EXPECT_EQ(kp->local_index, *s.current);
	EXPECT_EQ(kp->peer, a_slot);
	EXPECT_EQ(kp->home_worker, a_slot % kWorkers);
	EXPECT_EQ(kp->reject_after_tsc, kTscAtEpoch + 180 * kHz);
	EXPECT_EQ(kp->rekey_after_tsc, kTscAtEpoch + 120 * kHz);
	EXPECT_EQ(kp->reject_after_tsc, tsc.to_tsc(birth + kRejectAfterTime));
	const std::shared_ptr<Keypair> theirs = b_keypair(kp->remote_index);
	ASSERT_TRUE(theirs);
	EXPECT_EQ(theirs->keys.remote_index, kp->local_index);
	EXPECT_EQ(key_of(kp->send_key), theirs->keys.receive);
	EXPECT_EQ(key_of(kp->receive_key), theirs->keys.send);
	// a's keepalive after the response, sealed by "its worker", confirmed
	// b's keypair: b can answer.
	EXPECT_EQ(b.events(WgEvent::keypair_confirmed), 1u);
	EXPECT_EQ(kp->send_counter, 1u);
	b_sends(ipv4_packet());
	deliver_all();
	EXPECT_EQ(a_got, 1u);
}

TEST_F(DataLinkTest, TheRespondersKeypairIsSentUnderOnlyOnceItHasReceived)
{
	Output out;
	b.initiate(b_peer, now, out);
	to_a.push_back(std::move(out.datagrams.at(0).bytes));
	to_a_device(to_a.back());
	to_a.clear();
	const PeerStatus s = a.status(a_peer);
	ASSERT_TRUE(s.next);
	DataKeypair *kp = table->find(*s.next);
	ASSERT_NE(kp, nullptr);
	EXPECT_EQ(kp->rekey_after_tsc, UINT64_MAX) << "the responder leaves time rekeys to the initiator";
	EXPECT_EQ(kp->reject_after_tsc, tsc.to_tsc(now + kRejectAfterTime));
	EXPECT_EQ(send_keypair(), nullptr);
	poll();
	EXPECT_EQ(send_keypair(), nullptr) << "nothing received under it yet";

	deliver_all();  // the response to b, b's keepalive to a's workers
	EXPECT_EQ(kp->rx_packets.get(), 1u);
	EXPECT_EQ(send_keypair(), nullptr) << "until the link polls";
	EXPECT_FALSE(a.status(a_peer).current);
	now += 1ms;
	poll();
	EXPECT_EQ(send_keypair(), kp);
	EXPECT_EQ(a.status(a_peer).current, kp->local_index);
	EXPECT_EQ(a.events(WgEvent::keypair_confirmed), 1u);
}

TEST_F(DataLinkTest, RotationRetiresAndTheLastKeypairsGoWithTheKeyMaterial)
{
	std::vector<uint32_t> indexes;
	for (int i = 0; i < 3; i++) {
		peers[a_slot].wants_handshake.store(true);
		poll();
		deliver_all();
		indexes.push_back(*a.status(a_peer).current);
		EXPECT_EQ(send_keypair(), table->find(indexes.back()));
		now += kRekeyTimeout;
	}
	EXPECT_EQ(table->find(indexes[0]), nullptr) << "the third handshake pushed the first out";
	EXPECT_NE(table->find(indexes[1]), nullptr);
	EXPECT_EQ(link->published(), 2u);
	poll();
	EXPECT_EQ(table->retired_pending(), 0u) << "no worker registered: reclaimed at once";

	// Silence for 3 x REJECT_AFTER_TIME: the Device forgets every key.
	now += 3 * kRejectAfterTime;
	Output out;
	a.tick(now, out);
	from_a(out);
	EXPECT_EQ(send_keypair(), nullptr) << "cleared before the retire";
	EXPECT_EQ(table->size(), 0u);
	EXPECT_EQ(link->published(), 0u);
	EXPECT_EQ(link->drops(LinkDrop::unknown_keypair), 0u);
}

TEST_F(DataLinkTest, RetiringTheSendKeypairWaitsForTheWorkersGracePeriod)
{
	qsbr.register_worker(0);
	peers[a_slot].wants_handshake.store(true);
	poll();
	deliver_all();
	DataKeypair *kp = send_keypair();
	ASSERT_NE(kp, nullptr);
	now += 3 * kRejectAfterTime;
	Output out;
	a.tick(now, out);
	from_a(out);
	EXPECT_EQ(send_keypair(), nullptr);
	poll();
	EXPECT_EQ(table->retired_pending(), 1u) << "a worker may still hold it";
	qsbr.quiescent(0);
	poll();
	EXPECT_EQ(table->retired_pending(), 0u);
	qsbr.unregister_worker(0);
}

TEST_F(DataLinkTest, RemovingAPeerTakesItsKeypairsOutOfTheTableAtOnce)
{
	// Two keypairs published: a's as initiator, then b's as responder
	// (a's next, unconfirmed).
	peers[a_slot].wants_handshake.store(true);
	poll();
	deliver_all();
	now += kRekeyTimeout;
	Output bout;
	b.initiate(b_peer, now, bout);
	to_a_device(bout.datagrams.at(0).bytes);
	ASSERT_EQ(link->published(), 2u);
	ASSERT_NE(send_keypair(), nullptr);

	// A pool thread's Output for the peer still on its way while it goes.
	now += kRekeyTimeout;
	Output late;
	b.initiate(b_peer, now, bout);
	a.receive(bout.datagrams.back().bytes, addr_b, now, late);
	ASSERT_FALSE(late.events.empty());

	Output out;
	ASSERT_TRUE(a.remove_peer(a_peer, out));
	link->apply(out);
	ASSERT_TRUE(link->remove_peer(a_peer));
	EXPECT_EQ(send_keypair(), nullptr);
	EXPECT_EQ(link->published(), 0u);
	EXPECT_EQ(table->size(), 0u);
	EXPECT_FALSE(a.has_peer(a_peer));
	EXPECT_FALSE(a.find_peer(b.identity().static_public));
	EXPECT_FALSE(link->remove_peer(a_peer)) << "once";

	// The late Output publishes nothing for a peer that is gone.
	const uint64_t unknown = link->drops(LinkDrop::unknown_peer);
	link->apply(late);
	EXPECT_EQ(table->size(), 0u);
	EXPECT_GT(link->drops(LinkDrop::unknown_peer), unknown);

	// b's data under the old keys now finds no keypair; a new add of the
	// same key gets a new id.
	auto again = a.add_peer({b.identity().static_public, {}, addr_b, {}}, now);
	ASSERT_TRUE(again) << again.error;
	EXPECT_NE(*again.value, a_peer);
}

// A removed peer's slot given to the next peer: its DataPeer starts from
// nothing, its generation moves on, and nothing of the last peer (a pool
// thread's late Output) reaches it.
TEST_F(DataLinkTest, AReusedSlotStartsAfreshAndHearsNothingOfItsLastPeer)
{
	peers[a_slot].wants_handshake.store(true);
	poll();
	deliver_all();
	b_sends(ipv4_packet());
	deliver_all();
	ASSERT_EQ(a_got, 1u);
	DataPeer &dp = peers[a_slot];
	ASSERT_GT(dp.rx_packets.get(), 0u);
	ASSERT_GT(dp.tx_packets.get(), 0u);
	const uint16_t held = dp.generation.load();

	now += kRekeyTimeout;
	Output bout, late;
	b.initiate(b_peer, now, bout);
	a.receive(bout.datagrams.back().bytes, addr_b, now, late);
	ASSERT_FALSE(late.events.empty());

	Output out;
	ASSERT_TRUE(a.remove_peer(a_peer, out));
	link->apply(out);
	ASSERT_TRUE(link->remove_peer(a_peer));
	EXPECT_EQ(dp.generation.load(), held + 1) << "even: free";
	dp.staged_in_flight.store(3);  // a worker's punt after the removal

	auto again = a.add_peer({b.identity().static_public, {}, {}, {}}, now);
	ASSERT_TRUE(again) << again.error;
	const PeerId old_id = a_peer;
	a_peer = *again.value;
	ASSERT_TRUE(link->add_peer(a_peer, a_slot, std::nullopt, false));
	EXPECT_EQ(dp.generation.load(), held + 2);
	EXPECT_EQ(dp.rx_packets.get(), 0u);
	EXPECT_EQ(dp.rx_bytes.get(), 0u);
	EXPECT_EQ(dp.tx_packets.get(), 0u);
	EXPECT_EQ(dp.last_rx_tsc.get(), 0u);
	EXPECT_EQ(dp.last_data_tx_tsc.get(), 0u);
	EXPECT_EQ(dp.staged_in_flight.load(), 0);
	EXPECT_FALSE(dp.roaming.load());
	AddrPort e;
	EXPECT_EQ(dp.endpoint.load(e), EndpointCell::Read::none);
	EXPECT_EQ(send_keypair(), nullptr);
	EXPECT_FALSE(link->slot_of(old_id));
	EXPECT_EQ(link->slot_of(a_peer), a_slot);

	const uint64_t unknown = link->drops(LinkDrop::unknown_peer);
	link->apply(late);
	EXPECT_EQ(table->size(), 0u) << "the last peer's keypair is not published for the new one";
	EXPECT_GT(link->drops(LinkDrop::unknown_peer), unknown);
	EXPECT_EQ(send_keypair(), nullptr);

	// The new peer's own handshake: its keypair names the slot and the
	// slot's new generation.
	a.set_endpoint(a_peer, addr_b);
	dp.wants_handshake.store(true);
	poll();
	deliver_all();
	DataKeypair *kp = send_keypair();
	ASSERT_NE(kp, nullptr);
	EXPECT_EQ(kp->peer, a_slot);
	EXPECT_EQ(kp->peer_gen, held + 2);
}

TEST_F(DataLinkTest, EndpointsBothWays)
{
	// A worker saw b roam: the Device's next initiation goes there.
	const AddrPort roamed = AddrPort::v4(kIpRoamed, 4500);
	ASSERT_TRUE(peers[a_slot].endpoint.try_store(roamed));
	poll();
	EXPECT_EQ(a.status(a_peer).endpoint, roamed);

	// b's handshake, from addr_b: the Device learns it, the workers follow.
	Output out;
	b.initiate(b_peer, now, out);
	to_a_device(out.datagrams.at(0).bytes);
	EXPECT_EQ(a.status(a_peer).endpoint, addr_b);
	AddrPort e;
	ASSERT_EQ(peers[a_slot].endpoint.load(e), EndpointCell::Read::found);
	EXPECT_EQ(e, addr_b);
	poll();
	EXPECT_EQ(a.status(a_peer).endpoint, addr_b);
}

TEST_F(DataLinkTest, ActivityRunsTheDevicesTimers)
{
	peers[a_slot].wants_handshake.store(true);
	poll();
	deliver_all();
	now += 1s;
	b_sends(ipv4_packet());
	deliver_all();
	ASSERT_EQ(a_got, 1u);
	const Clock::time_point received = now;
	now += 50ms;  // the link polls a little later: the timers run from the workers' times
	poll();
	PeerStatus s = a.status(a_peer);
	ASSERT_TRUE(s.timers.send_keepalive);
	EXPECT_EQ(*s.timers.send_keepalive, received + kKeepaliveTimeout);

	// The worker seals data: the passive keepalive is off, a new handshake
	// is due if nothing comes back.
	now += 1s;
	to_b.push_back(seal(ipv4_packet()));
	poll();
	s = a.status(a_peer);
	EXPECT_FALSE(s.timers.send_keepalive);
	EXPECT_TRUE(s.timers.new_handshake);
	poll();
	EXPECT_EQ(a.status(a_peer).timers.new_handshake, s.timers.new_handshake) << "nothing new: no activity";
}

TEST_F(DataLinkTest, EventsAppliedInTheirOrderWhateverOrderTheOutputsCameIn)
{
	// Two initiations from b, answered on two "handshake threads" whose
	// Outputs reach the link the wrong way round.
	Output first, second, i1, i2;
	b.initiate(b_peer, now, i1);
	a.receive(i1.datagrams.at(0).bytes, addr_b, now, first);
	now += kRekeyTimeout;
	b.initiate(b_peer, now, i2);
	a.receive(i2.datagrams.at(0).bytes, addr_b, now, second);
	const uint32_t newer = *a.status(a_peer).next;
	link->apply(second);
	EXPECT_EQ(table->find(newer), nullptr) << "waits for the first";
	link->apply(first);
	EXPECT_NE(table->find(newer), nullptr);
	EXPECT_EQ(link->published(), 1u) << "the first's keypair was added, then retired by the second";
	EXPECT_EQ(link->drops(LinkDrop::unknown_keypair), 0u);
}

TEST_F(DataLinkTest, EventsOfAPeerTheLinkNeverAddedAreCounted)
{
	Output out;
	a.initiate(0, now, out);  // the filler: a Device peer with no DataPeer set up
	ASSERT_FALSE(out.events.empty());
	link->apply(out);
	EXPECT_TRUE(out.events.empty());
	EXPECT_EQ(link->drops(LinkDrop::unknown_peer), 1u);
	EXPECT_STREQ(to_string(LinkDrop::unknown_peer), "unknown_peer");
}

} // namespace
} // namespace wayport::wireguard
