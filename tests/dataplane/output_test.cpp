// The output stage on its own, in the manner of the kernel WireGuard
// selftests: one table of what is handed to it and against which queues,
// and what must be sent, enqueued, freed and counted before the end of the
// pass and after it (flush or destruction). Every mbuf is accounted for
// through the pool's in-use count.
#include <gtest/gtest.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/stages/output.h"
#include "dataplane/stages/punt.h"
#include "dataplane/stages/relay.h"
#include "dataplane/worker/counters.h"
#include "tests/dpdk/packet_builder.h"
#include "tests/dpdk/ring_port.h"

namespace wayport {
namespace {

constexpr size_t kFrameLen = 60;
constexpr PuntReason kPuntReason = PuntReason::stun;
constexpr RelayDrop kDropReason = RelayDrop::unknown_vni;
constexpr uint8_t kWorker = 1;

enum class End { flush, destroy };

// Where the packets handed out are, and what the output counted.
struct Seen {
	unsigned sent;    // on the ports' TX rings
	unsigned queued;  // on the punt ring
	unsigned freed;   // back in the pool
	unsigned output;  // stage_packets[output]
	unsigned tx_full;
	unsigned ring_full;
};

struct Case {
	const char *name;
	uint16_t capacity;
	unsigned tx_ports;   // TX packets alternate between this many ports
	unsigned tx_ring;    // size of each port's TX ring, which holds one less
	unsigned punt_ring;  // likewise
	unsigned tx, punts, drops;  // handed out interleaved: a TX, a punt, a drop, a TX, ...
	Seen handed;  // before the end
	End end;
	Seen ended;
};

// Rings big enough never to fill, and small enough to fill at 3.
constexpr unsigned kBig = 64;
constexpr unsigned kSmall = 4;

const Case kCases[] = {
	{"nothing handed out", 4, 1, kBig, kBig, 0, 0, 0, {0, 0, 0, 0, 0, 0}, End::flush, {0, 0, 0, 0, 0, 0}},

	{"tx waits for the flush", 4, 1, kBig, kBig, 3, 0, 0, {0, 0, 0, 0, 0, 0}, End::flush, {3, 0, 0, 3, 0, 0}},
	{"a full tx buffer goes at once", 4, 1, kBig, kBig, 4, 0, 0, {4, 0, 0, 4, 0, 0}, End::flush,
	 {4, 0, 0, 4, 0, 0}},
	{"tx past capacity: a burst at once, the rest at the flush", 4, 1, kBig, kBig, 6, 0, 0, {4, 0, 0, 4, 0, 0},
	 End::flush, {6, 0, 0, 6, 0, 0}},
	{"a tx buffer per port", 4, 2, kBig, kBig, 6, 0, 0, {0, 0, 0, 0, 0, 0}, End::flush, {6, 0, 0, 6, 0, 0}},
	{"tx ring full: the rest counted tx_full and freed", 4, 1, kSmall, kBig, 6, 0, 0, {3, 0, 1, 4, 1, 0},
	 End::flush, {3, 0, 3, 6, 3, 0}},

	{"punts wait for the flush", 4, 1, kBig, kBig, 0, 3, 0, {0, 0, 0, 0, 0, 0}, End::flush, {0, 3, 0, 3, 0, 0}},
	{"a full punt buffer goes at once", 4, 1, kBig, kBig, 0, 4, 0, {0, 4, 0, 4, 0, 0}, End::flush,
	 {0, 4, 0, 4, 0, 0}},
	{"punt ring full: the rest counted ring_full and freed", 4, 1, kBig, kSmall, 0, 6, 0, {0, 3, 1, 4, 0, 1},
	 End::flush, {0, 3, 3, 6, 0, 3}},

	{"drops wait for the flush, then go in bulk", 4, 1, kBig, kBig, 0, 0, 3, {0, 0, 0, 0, 0, 0}, End::flush,
	 {0, 0, 3, 3, 0, 0}},
	{"a full drop buffer is freed at once", 4, 1, kBig, kBig, 0, 0, 4, {0, 0, 4, 4, 0, 0}, End::flush,
	 {0, 0, 4, 4, 0, 0}},

	{"each buffer fills on its own", 4, 1, kBig, kBig, 5, 5, 5, {4, 4, 4, 12, 0, 0}, End::flush,
	 {5, 5, 5, 15, 0, 0}},
	{"both queues full", 4, 1, kSmall, kSmall, 5, 5, 5, {3, 3, 6, 12, 1, 1}, End::flush, {3, 3, 9, 15, 2, 2}},
	{"capacity 1: every packet at once", 1, 1, kBig, kBig, 2, 2, 2, {2, 2, 2, 6, 0, 0}, End::flush,
	 {2, 2, 2, 6, 0, 0}},

	{"the destructor frees what is buffered", 4, 1, kBig, kBig, 3, 3, 3, {0, 0, 0, 0, 0, 0}, End::destroy,
	 {0, 0, 9, 0, 0, 0}},
	{"the destructor after a burst of each went out", 4, 1, kBig, kBig, 6, 6, 6, {4, 4, 4, 12, 0, 0},
	 End::destroy, {4, 4, 10, 12, 0, 0}},
	{"the destructor after the tx ring refused", 4, 1, kSmall, kBig, 6, 0, 0, {3, 0, 1, 4, 1, 0}, End::destroy,
	 {3, 0, 3, 4, 1, 0}},
};

// The ports and punt ring one case runs against, and an output over them.
class Rig {
public:
	explicit Rig(const Case &c)
	{
		static int n = 0;
		std::string name = "ot" + std::to_string(n++);
		for (unsigned i = 0; i < c.tx_ports; i++)
			ports_.push_back(test::RingPort::create(name + "p" + std::to_string(i), test::test_pool(), c.tx_ring));
		punt_ = rte_ring_create((name + "_punt").c_str(), c.punt_ring, SOCKET_ID_ANY,
					RING_F_SP_ENQ | RING_F_SC_DEQ);
		EXPECT_NE(punt_, nullptr);
		uint16_t highest = 0;
		for (const test::RingPort &p : ports_)
			highest = std::max(highest, p.port_id);
		out_.emplace(counters_, kWorker, static_cast<uint16_t>(highest + 1), 0, punt_, c.capacity);
	}

	~Rig()
	{
		out_.reset();
		for (test::RingPort &p : ports_)
			p.destroy();
		void *m;
		while (punt_ && rte_ring_dequeue(punt_, &m) == 0)
			rte_pktmbuf_free(static_cast<rte_mbuf *>(m));
		rte_ring_free(punt_);
	}

	Rig(const Rig &) = delete;
	Rig &operator=(const Rig &) = delete;

	bool ready() const { return punt_ != nullptr; }
	Output &out() { return *out_; }
	void destroy_output() { out_.reset(); }
	const WorkerCounters &counters() const { return counters_; }
	uint16_t port(unsigned i) const { return ports_[i % ports_.size()].port_id; }
	rte_ring *punt_ring() const { return punt_; }

	void expect_seen(const Seen &want, unsigned in_use_before, unsigned built) const
	{
		unsigned sent = 0;
		for (const test::RingPort &p : ports_)
			sent += rte_ring_count(p.tx);
		EXPECT_EQ(sent, want.sent) << "sent";
		EXPECT_EQ(rte_ring_count(punt_), want.queued) << "queued";
		EXPECT_EQ(rte_mempool_in_use_count(test::test_pool()), in_use_before + built - want.freed) << "freed";
		EXPECT_EQ(counters_.stage_packets[static_cast<size_t>(CountedStage::output)].get(), want.output)
			<< "stage_packets[output]";
		EXPECT_EQ(counters_.dropped(OutputDrop::tx_full), want.tx_full) << "tx_full";
		EXPECT_EQ(counters_.dropped(OutputDrop::ring_full), want.ring_full) << "ring_full";
		EXPECT_EQ(counters_.tx_packets.get(), want.sent) << "tx_packets";
		EXPECT_EQ(counters_.tx_bytes.get(), want.sent * kFrameLen) << "tx_bytes";
	}

private:
	WorkerCounters counters_;
	std::vector<test::RingPort> ports_;
	rte_ring *punt_ = nullptr;
	std::optional<Output> out_;
};

rte_mbuf *frame()
{
	return test::build_raw(test::test_pool(), Bytes(kFrameLen, 0x5a));
}

TEST(OutputTest, Cases)
{
	for (const Case &c : kCases) {
		SCOPED_TRACE(c.name);
		unsigned in_use = rte_mempool_in_use_count(test::test_pool());
		{
			Rig rig(c);
			ASSERT_TRUE(rig.ready());
			// Built before any is handed out, so the pool count moves
			// only by what the output frees.
			std::vector<rte_mbuf *> pkts(c.tx + c.punts + c.drops);
			for (rte_mbuf *&m : pkts) {
				m = frame();
				ASSERT_NE(m, nullptr);
			}
			unsigned built = static_cast<unsigned>(pkts.size());
			auto next = pkts.begin();
			for (unsigned i = 0; i < std::max({c.tx, c.punts, c.drops}); i++) {
				if (i < c.tx)
					rig.out().tx(*next++, rig.port(i));
				if (i < c.punts)
					rig.out().punt(*next++, kPuntReason);
				if (i < c.drops)
					rig.out().drop(*next++, kDropReason);
			}
			EXPECT_EQ(rig.counters().dropped(kDropReason), c.drops) << "drops count when handed out";
			{
				SCOPED_TRACE("handed out");
				rig.expect_seen(c.handed, in_use, built);
			}
			if (c.end == End::flush)
				rig.out().flush();
			else
				rig.destroy_output();
			{
				SCOPED_TRACE(c.end == End::flush ? "flushed" : "destroyed");
				rig.expect_seen(c.ended, in_use, built);
			}
			void *m;
			while (rte_ring_dequeue(rig.punt_ring(), &m) == 0) {
				const PacketMeta &pm = meta(static_cast<rte_mbuf *>(m));
				EXPECT_EQ(pm.next, Stage::control);
				EXPECT_EQ(static_cast<PuntReason>(pm.reason), kPuntReason);
				EXPECT_EQ(pm.worker, kWorker);
				rte_pktmbuf_free(static_cast<rte_mbuf *>(m));
			}
		}
		EXPECT_EQ(rte_mempool_in_use_count(test::test_pool()), in_use) << "leaked";
	}
}

// A punt the ring refuses is counted once, as ring_full, not also as
// punted: punted says what reached the control thread.
TEST(OutputTest, ARefusedPuntIsCountedOnlyAsRingFull)
{
	const Case c = {"punt ring full", 4, 1, kBig, kSmall, 0, 6, 0, {}, End::flush, {}};
	Rig rig(c);
	ASSERT_TRUE(rig.ready());
	for (unsigned i = 0; i < c.punts; i++)
		rig.out().punt(frame(), kPuntReason);
	rig.out().flush();
	EXPECT_EQ(rig.counters().dropped(OutputDrop::ring_full), 3u);
	EXPECT_EQ(rig.counters().punts(kPuntReason), 3u) << "only what the control thread got";
}

} // namespace
} // namespace wayport
