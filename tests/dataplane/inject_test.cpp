// What the control thread hands back to a worker (Worker::process_injected
// and the inject ring Worker::poll drains), in the manner of the kernel
// WireGuard selftests: one table of handed-back packets and where each must
// go, then the ring's place in the poll loop.
//
// Two kinds are handed back: replies the control thread built, to leave
// as they are on a port (next = tx), and relay data it held while the next
// hop resolved (next = relay), which must come out exactly as a packet
// forwarded fresh would.
#include <gtest/gtest.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/packet/meta.h"
#include "dataplane/stages/punt.h"
#include "dataplane/worker/counters.h"
#include "dataplane/worker/worker.h"
#include "tests/dataplane/counter_names.h"
#include "tests/dpdk/packet_builder.h"
#include "tests/dpdk/ring_port.h"

namespace wayport {
namespace {

using test::Frame;
using test::Received;
using test::CounterMap;
using test::counter_map;
using test::counter_delta;
using test::expect_counters;
using test::drop_key;
using test::forwarded_key;

constexpr uint16_t kRelayPort = 7777;
// Not 0, so a punt that does not say which worker it came from shows.
constexpr unsigned kWorker = 1;
constexpr unsigned kWorkers = 2;
constexpr uint16_t kBurst = 8;
constexpr uint8_t kPortMac[6] = {0x02, 0, 0, 0, 0, 0x01};
constexpr uint8_t kMacA[6] = {0x02, 0, 0, 0, 0, 0xaa};
constexpr uint8_t kMacB[6] = {0x02, 0, 0, 0, 0, 0xbb};
constexpr uint32_t kSlotA = 1;
constexpr uint32_t kSlotB = 2;  // unresolved when each case starts
constexpr uint32_t kVni = 5;

const AddrPort kOurs4 = *AddrPort::parse("10.0.0.1:7777");
const AddrPort kA4 = *AddrPort::parse("10.0.0.2:1000");
const AddrPort kB4 = *AddrPort::parse("10.0.0.3:2000");
const AddrPort kB4Moved = *AddrPort::parse("10.0.0.3:2001");

Bytes geneve_wg_payload(uint32_t vni, uint8_t tag)
{
	// Geneve, protocol WireGuard, then a transport-shaped WireGuard message.
	Bytes b = *from_hex("00007a1200000000" "04000000" "78563412" "0000000000000000"
			    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	store_be32(&b[4], vni << 8);
	b.back() = tag;
	return b;
}

// How the handed-back packet came to be.
enum class Handed {
	reply,  // built by the control thread, PacketMeta set by it alone
	held,   // relay data kA4 -> kB4 the worker punted as unresolved
};

// What happened while the control thread held a relay packet.
enum class Meanwhile {
	nothing,
	resolved,  // kB4's next hop got its MAC
	moved,     // kB4 rebound as kB4Moved, next hop resolved
	erased,    // the endpoint went away
};

// Where a reply's PacketMeta::tx_port points.
enum class TxPort { ours, past_the_table, highest };

enum class Fate {
	unchanged,  // sent on the port byte for byte as handed back
	as_fresh,   // sent on the port exactly as the same packet forwarded fresh
	dropped,
};

struct Case {
	const char *name;
	Handed handed;
	Stage next;
	TxPort tx_port;
	Meanwhile meanwhile;
	Fate fate;
	size_t drop = 0;   // dropped: drop_index() of the reason
	AddrPort to = {};  // as_fresh: the leg it goes to
};

constexpr size_t kBadInject = drop_index(OutputDrop::bad_inject);

const Case kCases[] = {
	{"reply to the port", Handed::reply, Stage::tx, TxPort::ours, Meanwhile::nothing, Fate::unchanged},
	{"reply to a port past the table", Handed::reply, Stage::tx, TxPort::past_the_table, Meanwhile::nothing,
	 Fate::dropped, kBadInject},
	{"reply to port 65535", Handed::reply, Stage::tx, TxPort::highest, Meanwhile::nothing, Fate::dropped,
	 kBadInject},
	{"reply with next drop", Handed::reply, Stage::drop, TxPort::ours, Meanwhile::nothing, Fate::dropped,
	 kBadInject},
	{"reply with next control", Handed::reply, Stage::control, TxPort::ours, Meanwhile::nothing, Fate::dropped,
	 kBadInject},
	{"reply with next count", Handed::reply, Stage::count, TxPort::ours, Meanwhile::nothing, Fate::dropped,
	 kBadInject},
	{"reply with next no stage at all", Handed::reply, static_cast<Stage>(0xc8), TxPort::ours, Meanwhile::nothing,
	 Fate::dropped, kBadInject},

	{"held relay data, next hop resolved", Handed::held, Stage::relay, TxPort::ours, Meanwhile::resolved,
	 Fate::as_fresh, 0, kB4},
	{"held relay data, leg moved meanwhile", Handed::held, Stage::relay, TxPort::ours, Meanwhile::moved,
	 Fate::as_fresh, 0, kB4Moved},
	{"held relay data, still unresolved", Handed::held, Stage::relay, TxPort::ours, Meanwhile::nothing,
	 Fate::dropped, drop_index(RelayDrop::no_neighbour)},
	{"held relay data, endpoint gone", Handed::held, Stage::relay, TxPort::ours, Meanwhile::erased, Fate::dropped,
	 drop_index(RelayDrop::unknown_vni)},
};

class InjectTest : public testing::Test {
protected:
	void SetUp() override
	{
		static int n = 0;
		std::string name = "it" + std::to_string(n++);
		port_ = test::RingPort::create(name, test::test_pool());
		punt_ = rte_ring_create((name + "_punt").c_str(), 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		inject_ = rte_ring_create((name + "_inject").c_str(), 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		ASSERT_NE(punt_, nullptr);
		ASSERT_NE(inject_, nullptr);
		qsbr_ = std::make_unique<Qsbr>(kWorkers);
		table_ = std::make_unique<RelayTable>(*qsbr_, kWorkers);
		neighbours_ = std::make_unique<NeighbourSlots>(16);
		neighbours_->set(kSlotA, kMacA);

		shared_.relay = table_.get();
		shared_.neighbours = neighbours_.get();
		shared_.qsbr = qsbr_.get();
		shared_.relay_port = kRelayPort;
		shared_.ports.resize(port_.port_id + 1u);
		EgressPort &p = shared_.ports[port_.port_id];
		std::memcpy(p.mac, kPortMac, 6);
		p.addrs.has_ipv4 = true;
		std::memcpy(p.addrs.ipv4, kOurs4.ip4(), 4);
		worker_ = std::make_unique<Worker>(kWorker, shared_, std::vector<RxQueue>{{port_.port_id, 0}}, 0, punt_,
						   kBurst, inject_);
	}

	void TearDown() override
	{
		worker_.reset();
		for (rte_ring *r : {punt_, inject_}) {
			void *m;
			while (r && rte_ring_dequeue(r, &m) == 0)
				rte_pktmbuf_free(static_cast<rte_mbuf *>(m));
			rte_ring_free(r);
		}
		table_.reset();
		port_.destroy();
	}

	void bind(const AddrPort &b)
	{
		RelayEntry e;
		e.vni = kVni;
		e.leg[0] = kA4;
		e.leg[1] = b;
		e.egress[0] = {port_.port_id, kSlotA};
		e.egress[1] = {port_.port_id, kSlotB};
		e.bound = RelayEntry::kBothBound;
		ASSERT_TRUE(table_->publish(e));
	}

	// Relay data kA4 -> kB4, as it arrives.
	rte_mbuf *relay_data(uint8_t tag = 0)
	{
		Frame f;
		f.src = kA4;
		f.dst = kOurs4;
		f.payload = geneve_wg_payload(kVni, tag);
		rte_mbuf *m = test::build_udp(test::test_pool(), f);
		if (m)
			m->port = port_.port_id;
		return m;
	}

	// A packet the control thread built (a reply from the relay port),
	// with the metadata only it set.
	rte_mbuf *reply(Stage next, uint16_t tx_port, uint8_t tag = 0)
	{
		Frame f;
		f.src = kOurs4;
		f.dst = kA4;
		f.payload = {0x01, 0x02, tag};
		rte_mbuf *m = test::build_udp(test::test_pool(), f);
		if (!m)
			return nullptr;
		PacketMeta &pm = meta(m);
		pm = PacketMeta{};
		pm.next = next;
		pm.tx_port = tx_port;
		return m;
	}

	uint16_t tx_port(TxPort p) const
	{
		switch (p) {
		case TxPort::ours: return port_.port_id;
		case TxPort::past_the_table: return static_cast<uint16_t>(shared_.ports.size());
		case TxPort::highest: return 0xffff;
		}
		return 0;
	}

	// Runs relay data through the worker with its next hop unresolved and
	// takes it off the punt ring, as the control thread does.
	void hold(rte_mbuf *&held)
	{
		rte_mbuf *m = relay_data();
		ASSERT_NE(m, nullptr);
		worker_->process(&m, 1);
		for (rte_mbuf *sent : port_.sent()) {
			ADD_FAILURE() << "sent with its next hop unresolved";
			rte_pktmbuf_free(sent);
		}
		void *out;
		ASSERT_EQ(rte_ring_dequeue(punt_, &out), 0);
		held = static_cast<rte_mbuf *>(out);
		const PacketMeta &pm = meta(held);
		EXPECT_EQ(static_cast<PuntReason>(pm.reason), PuntReason::unresolved);
		EXPECT_EQ(pm.aux, kSlotB) << "the neighbour slot it waits for";
		EXPECT_EQ(pm.worker, kWorker) << "the worker it goes back to";
	}

	// What the same packet becomes when it is forwarded fresh, now.
	Bytes forwarded_fresh()
	{
		rte_mbuf *m = relay_data();
		if (!m)
			return {};
		worker_->process(&m, 1);
		std::vector<rte_mbuf *> out = port_.sent();
		EXPECT_EQ(out.size(), 1u) << "forwarded fresh";
		Bytes b = out.empty() ? Bytes{} : test::mbuf_bytes(out[0]);
		for (rte_mbuf *s : out)
			rte_pktmbuf_free(s);
		return b;
	}

	void meanwhile(Meanwhile what)
	{
		switch (what) {
		case Meanwhile::nothing:
			break;
		case Meanwhile::resolved:
			neighbours_->set(kSlotB, kMacB);
			break;
		case Meanwhile::moved:
			bind(kB4Moved);
			neighbours_->set(kSlotB, kMacB);
			break;
		case Meanwhile::erased:
			table_->erase(kVni);
			break;
		}
	}

	// The counters one handed-back packet of c must move.
	CounterMap want_delta(const Case &c, size_t sent_len)
	{
		WorkerCounters zero;
		auto d = counter_map(zero);
		d["injected_packets"] = 1;
		d["stage output"] = 1;
		if (c.next == Stage::relay)
			d["stage relay"] = 1;
		if (c.fate == Fate::dropped) {
			d[drop_key(c.drop)] = 1;
		} else {
			d["tx_packets"] = 1;
			d["tx_bytes"] = sent_len;
		}
		if (c.fate == Fate::as_fresh) {
			d["forwarded packets " + forwarded_key(false, false)] = 1;
			d["forwarded bytes " + forwarded_key(false, false)] = geneve_wg_payload(kVni, 0).size();
		}
		return d;
	}

	test::RingPort port_;
	rte_ring *punt_ = nullptr;
	rte_ring *inject_ = nullptr;
	std::unique_ptr<Qsbr> qsbr_;
	std::unique_ptr<RelayTable> table_;
	std::unique_ptr<NeighbourSlots> neighbours_;
	DataplaneShared shared_;
	std::unique_ptr<Worker> worker_;
};

TEST_F(InjectTest, Cases)
{
	for (const Case &c : kCases) {
		SCOPED_TRACE(c.name);
		unsigned in_use = rte_mempool_in_use_count(test::test_pool());
		bind(kB4);
		neighbours_->clear(kSlotB);

		rte_mbuf *m = nullptr;
		Bytes want;
		if (c.handed == Handed::reply) {
			m = reply(c.next, tx_port(c.tx_port));
			ASSERT_NE(m, nullptr);
			want = test::mbuf_bytes(m);
		} else {
			hold(m);
			ASSERT_FALSE(HasFatalFailure());
			meanwhile(c.meanwhile);
			if (c.fate == Fate::as_fresh)
				want = forwarded_fresh();
			// What Control::resolved() does before handing it back.
			meta(m).next = c.next;
		}

		auto before = counter_map(worker_->counters());
		worker_->process_injected(&m, 1);
		std::vector<rte_mbuf *> out = port_.sent();
		EXPECT_EQ(rte_ring_count(punt_), 0u) << "nothing handed back is punted again";
		if (c.fate == Fate::dropped) {
			EXPECT_TRUE(out.empty());
		} else if (out.size() != 1) {
			ADD_FAILURE() << out.size() << " packets sent, want 1";
		} else {
			EXPECT_EQ(to_hex(test::mbuf_bytes(out[0])), to_hex(want));
			Received r;
			if (c.fate == Fate::as_fresh && test::read_udp(out[0], r)) {
				EXPECT_EQ(r.dst.to_string(), c.to.to_string());
				EXPECT_EQ(std::memcmp(r.dst_mac, kMacB, 6), 0);
			}
		}
		size_t sent_len = out.size() == 1 ? rte_pktmbuf_pkt_len(out[0]) : 0;
		expect_counters(counter_delta(counter_map(worker_->counters()), before), want_delta(c, sent_len));
		for (rte_mbuf *s : out)
			rte_pktmbuf_free(s);
		EXPECT_EQ(rte_mempool_in_use_count(test::test_pool()), in_use) << "leaked";
	}
}

TEST_F(InjectTest, PollTakesTheInjectRingAfterTheRxQueues)
{
	unsigned in_use = rte_mempool_in_use_count(test::test_pool());
	bind(kB4);
	neighbours_->set(kSlotB, kMacB);
	rte_mbuf *r = reply(Stage::tx, port_.port_id);
	ASSERT_NE(r, nullptr);
	Bytes reply_bytes = test::mbuf_bytes(r);
	ASSERT_EQ(rte_ring_enqueue(inject_, r), 0);
	port_.inject(relay_data());

	EXPECT_EQ(worker_->poll(), 2u);
	std::vector<rte_mbuf *> out = port_.sent();
	ASSERT_EQ(out.size(), 2u);
	Received first;
	ASSERT_TRUE(test::read_udp(out[0], first));
	EXPECT_EQ(first.dst.to_string(), kB4.to_string()) << "the received packet first, relayed";
	EXPECT_EQ(to_hex(test::mbuf_bytes(out[1])), to_hex(reply_bytes)) << "then the reply, as handed back";
	for (rte_mbuf *m : out)
		rte_pktmbuf_free(m);
	const WorkerCounters &c = worker_->counters();
	EXPECT_EQ(c.rx_packets.get(), 1u);
	EXPECT_EQ(c.injected_packets.get(), 1u);
	EXPECT_EQ(c.tx_packets.get(), 2u);
	EXPECT_EQ(rte_mempool_in_use_count(test::test_pool()), in_use) << "leaked";
}

TEST_F(InjectTest, PollTakesTheInjectRingABurstAtATime)
{
	unsigned in_use = rte_mempool_in_use_count(test::test_pool());
	constexpr unsigned kHanded = kBurst + 3;
	std::vector<Bytes> want;
	for (unsigned i = 0; i < kHanded; i++) {
		rte_mbuf *m = reply(Stage::tx, port_.port_id, static_cast<uint8_t>(i));
		ASSERT_NE(m, nullptr);
		want.push_back(test::mbuf_bytes(m));
		ASSERT_EQ(rte_ring_enqueue(inject_, m), 0);
	}
	EXPECT_EQ(worker_->poll(), kBurst);
	EXPECT_EQ(rte_ring_count(inject_), kHanded - kBurst);
	EXPECT_EQ(worker_->poll(), kHanded - kBurst);
	EXPECT_EQ(rte_ring_count(inject_), 0u);
	EXPECT_EQ(worker_->poll(), 0u);
	std::vector<rte_mbuf *> out = port_.sent();
	ASSERT_EQ(out.size(), kHanded);
	for (unsigned i = 0; i < kHanded; i++) {
		EXPECT_EQ(to_hex(test::mbuf_bytes(out[i])), to_hex(want[i])) << "in the order handed back: " << i;
		rte_pktmbuf_free(out[i]);
	}
	EXPECT_EQ(worker_->counters().injected_packets.get(), kHanded);
	EXPECT_EQ(worker_->counters().tx_packets.get(), kHanded);
	EXPECT_EQ(rte_mempool_in_use_count(test::test_pool()), in_use) << "leaked";
}

TEST_F(InjectTest, HeldPacketComesBackThroughTheRing)
{
	unsigned in_use = rte_mempool_in_use_count(test::test_pool());
	bind(kB4);
	rte_mbuf *held = nullptr;
	hold(held);
	ASSERT_FALSE(HasFatalFailure());
	neighbours_->set(kSlotB, kMacB);
	Bytes want = forwarded_fresh();
	meta(held).next = Stage::relay;
	ASSERT_EQ(rte_ring_enqueue(inject_, held), 0);

	EXPECT_EQ(worker_->poll(), 1u);
	std::vector<rte_mbuf *> out = port_.sent();
	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(to_hex(test::mbuf_bytes(out[0])), to_hex(want));
	rte_pktmbuf_free(out[0]);
	EndpointActivity *a = table_->activity(kWorker, kVni);
	ASSERT_NE(a, nullptr);
	EXPECT_EQ(a->leg[0].packets.get(), 2u) << "the fresh one and the held one, each once";
	EXPECT_EQ(rte_mempool_in_use_count(test::test_pool()), in_use) << "leaked";
}

} // namespace
} // namespace wayport
