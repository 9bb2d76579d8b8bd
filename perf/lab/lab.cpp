#include "perf/lab/lab.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mempool.h>
#include <rte_prefetch.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "perf/lab/lab_common.h"


namespace wayport::perf {

namespace {

constexpr unsigned kPrefetchAhead = 4;
// Generator passes between two looks at the forwarders' drop counters.
constexpr unsigned kTopUpEvery = 64;

Snapshot operator-(const Snapshot &b, const Snapshot &a)
{
	Snapshot d;
	d.tsc = b.tsc - a.tsc;
	d.rx_packets = b.rx_packets - a.rx_packets;
	d.busy_cycles = b.busy_cycles - a.busy_cycles;
	d.offered_packets = b.offered_packets - a.offered_packets;
	d.offered_bytes = b.offered_bytes - a.offered_bytes;
	d.tx_packets = b.tx_packets - a.tx_packets;
	d.tx_bytes = b.tx_bytes - a.tx_bytes;
	d.forwarded = b.forwarded - a.forwarded;
	for (size_t r = 0; r < kPuntReasons; r++)
		d.punted[r] = b.punted[r] - a.punted[r];
	for (size_t r = 0; r < kDropReasons; r++)
		d.drops[r] = b.drops[r] - a.drops[r];
	d.bursts.resize(b.bursts.size());
	for (size_t i = 0; i < b.bursts.size(); i++)
		d.bursts[i] = b.bursts[i] - a.bursts[i];
	return d;
}

// testpmd's macswap: swap the Ethernet addresses and set the TX metadata
// an offloading NIC would read.
void macswap(rte_mbuf **pkts, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		rte_mbuf *m = pkts[i];
		auto *eth = rte_pktmbuf_mtod(m, rte_ether_hdr *);
		rte_ether_addr tmp = eth->dst_addr;
		eth->dst_addr = eth->src_addr;
		eth->src_addr = tmp;
		m->ol_flags = 0;
		m->l2_len = sizeof(rte_ether_hdr);
		m->l3_len = sizeof(rte_ipv4_hdr);
	}
}

Result make_result(Mode m, const Snapshot &a, const Snapshot &b, unsigned lcores)
{
	Result r;
	r.mode = m;
	r.tsc_hz = rte_get_tsc_hz();
	r.lcores = lcores;
	r.delta = b - a;
	r.seconds = static_cast<double>(r.delta.tsc) / static_cast<double>(r.tsc_hz);
	return r;
}

} // namespace

// Written by the thread that generates for the queue.
struct GeneratorCounters {
	Counter offered_packets;
	Counter offered_bytes;
	Counter sunk_packets;
	Counter sunk_bytes;
};

struct Lab::Forwarder {
	Forwarder(Lab *l, uint16_t q, Traffic t) : lab(l), queue(q), traffic(std::move(t)) {}

	Lab *lab;
	uint16_t queue;
	std::unique_ptr<Worker> worker;  // relay mode only
	LcoreStats stats;
	// The queue's generator and sink.
	Traffic traffic;
	alignas(64) GeneratorCounters gen;
	uint64_t allocated = 0;  // mbufs taken from the pool
	uint64_t passes = 0;
	LatencyHistogram latency;
};

double Result::mpps() const
{
	if (!delta.busy_cycles)
		return 0;
	return static_cast<double>(delta.rx_packets) * static_cast<double>(tsc_hz) * lcores /
	       static_cast<double>(delta.busy_cycles) / 1e6;
}

double Result::rx_bps() const
{
	if (!delta.offered_packets)
		return 0;
	double mean = static_cast<double>(delta.offered_bytes) / static_cast<double>(delta.offered_packets);
	return rx_pps() * mean * 8;
}

double Result::cycles_per_packet() const
{
	return delta.rx_packets ? static_cast<double>(delta.busy_cycles) / static_cast<double>(delta.rx_packets) : 0;
}

double Result::busy_share() const
{
	double total = seconds * static_cast<double>(tsc_hz) * lcores;
	return total > 0 ? static_cast<double>(delta.busy_cycles) / total : 0;
}

uint64_t Result::drops_total() const
{
	uint64_t n = 0;
	for (uint64_t d : delta.drops)
		n += d;
	return n;
}

uint64_t Result::punted_total() const
{
	uint64_t n = 0;
	for (uint64_t p : delta.punted)
		n += p;
	return n;
}

double Result::latency_ns(double q) const
{
	return static_cast<double>(latency.percentile(q)) * 1e9 / static_cast<double>(tsc_hz);
}

double Result::latency_max_ns() const
{
	return static_cast<double>(latency.max()) * 1e9 / static_cast<double>(tsc_hz);
}

Lab::Lab(const Options &o) : o_(o), addr_(default_addressing()) {}

std::unique_ptr<Lab> Lab::create(const Options &o, std::string &error)
{
	std::unique_ptr<Lab> lab(new Lab(o));
	error = lab->setup();
	if (!error.empty())
		lab.reset();
	return lab;
}

std::string Lab::setup()
{
	unsigned nq = o_.nb_cores;
	if (std::string err = pick_lcores(nq, lcores_); !err.empty())
		return err;

	int socket = static_cast<int>(rte_socket_id());
	unsigned ring_size = rte_align32pow2(o_.inflight * 2);
	std::string error;
	if (!(pool_ = make_lab_pool("wp_pool", nq, o_.inflight, error)))
		return error;
	zero_pool(pool_);

	for (unsigned side = 0; side < kSides; side++) {
		RingPort &p = ports_[side];
		if (std::string err = open_ring_port("wp" + std::to_string(side), side ? "B" : "A", nq, ring_size, pool_, p);
		    !err.empty())
			return err;
		std::memcpy(addr_.relay_mac[side], p.info.mac.addr_bytes, 6);
	}
	for (unsigned q = 0; q < nq; q++) {
		punt_.push_back(rte_ring_create(("wp_punt" + std::to_string(q)).c_str(), ring_size, socket,
						RING_F_SP_ENQ | RING_F_SC_DEQ));
		if (!punt_.back())
			return std::string("cannot create punt rings: ") + rte_strerror(rte_errno);
	}

	qsbr_ = std::make_unique<Qsbr>(nq);
	table_ = std::make_unique<RelayTable>(*qsbr_, nq);
	neighbours_ = std::make_unique<NeighbourSlots>(kSides);
	shared_.relay = table_.get();
	shared_.neighbours = neighbours_.get();
	shared_.qsbr = qsbr_.get();
	shared_.relay_port = kRelayPort;
	shared_.ports.resize(std::max(ports_[0].id, ports_[1].id) + 1u);
	for (unsigned side = 0; side < kSides; side++) {
		neighbours_->set(side, addr_.router_mac[side]);
		EgressPort &e = shared_.ports[ports_[side].id];
		std::memcpy(e.mac, addr_.relay_mac[side], 6);
		std::memcpy(e.addrs.ipv4, addr_.relay_ip[side], 4);
		e.addrs.has_ipv4 = true;
		e.offload_ipv4_cksum = ports_[side].info.offload_ipv4_cksum;
		e.offload_udp_cksum = ports_[side].info.offload_udp_cksum;
	}

	uint64_t t0 = rte_rdtsc();
	for (uint32_t i = 0; i < o_.endpoints; i++) {
		RelayEntry e;
		e.vni = i + 1;
		for (unsigned side = 0; side < kSides; side++) {
			e.leg[side] = client_leg(side, i);
			e.egress[side] = {ports_[side].id, side};
		}
		e.bound = RelayEntry::kBothBound;
		if (!table_->publish(e))
			return "out of memory for the relay table at " + std::to_string(i) + " endpoints";
	}
	build_seconds_ = static_cast<double>(rte_rdtsc() - t0) / static_cast<double>(rte_get_tsc_hz());

	return {};
}

Lab::~Lab()
{
	fwd_.clear();
	for (RingPort &p : ports_)
		close_ring_port(p);
	for (rte_ring *r : punt_)
		rte_ring_free(r);
	table_.reset();
	rte_mempool_free(pool_);
}

int Lab::relay_main(void *arg)
{
	auto &f = *static_cast<Forwarder *>(arg);
	Lab &lab = *f.lab;
	const RxQueue rxq[kSides] = {{lab.ports_[0].id, f.queue}, {lab.ports_[1].id, f.queue}};
	rte_mbuf *pkts[kMaxBurst];
	bool generate = lab.o_.generator == GeneratorPlace::inline_lcore;
	lab.qsbr_->register_worker(f.queue);
	// Worker::poll and Worker::run, with the busy cycles and burst sizes
	// testpmd's --record-core-cycles and --record-burst-stats report.
	while (!lab.stop_.load(std::memory_order_relaxed)) {
		if (generate)
			lab.serve(f);
		for (const RxQueue &rx : rxq) {
			uint64_t t0 = rte_rdtsc();
			uint16_t n = rte_eth_rx_burst(rx.port, rx.queue, pkts, lab.o_.burst);
			f.stats.bursts[n].add();
			if (!n)
				continue;
			f.worker->process(pkts, n);
			f.stats.packets.add(n);
			f.stats.busy_cycles.add(rte_rdtsc() - t0);
		}
		lab.qsbr_->quiescent(f.queue);
	}
	lab.qsbr_->unregister_worker(f.queue);
	return 0;
}

int Lab::reference_main(void *arg)
{
	auto &f = *static_cast<Forwarder *>(arg);
	Lab &lab = *f.lab;
	bool swap = lab.o_.reference_fwd == ReferenceFwd::macswap;
	bool generate = lab.o_.generator == GeneratorPlace::inline_lcore;
	rte_mbuf *pkts[kMaxBurst];
	while (!lab.stop_.load(std::memory_order_relaxed)) {
		if (generate)
			lab.serve(f);
		for (unsigned side = 0; side < kSides; side++) {
			uint64_t t0 = rte_rdtsc();
			uint16_t n = rte_eth_rx_burst(lab.ports_[side].id, f.queue, pkts, lab.o_.burst);
			f.stats.bursts[n].add();
			if (!n)
				continue;
			if (swap)
				macswap(pkts, n);
			uint16_t sent = rte_eth_tx_burst(lab.ports_[1 - side].id, f.queue, pkts, n);
			if (sent < n) {
				f.stats.unsent.add(n - sent);
				rte_pktmbuf_free_bulk(pkts + sent, n - sent);
			}
			f.stats.packets.add(n);
			f.stats.busy_cycles.add(rte_rdtsc() - t0);
		}
	}
	return 0;
}

// Mbufs the forwarding lcore has freed: its drops.
uint64_t Lab::freed(const Forwarder &f)
{
	if (!f.worker)
		return f.stats.unsent.get();
	uint64_t n = 0;
	for (const Counter &c : f.worker->counters().drops)
		n += c.get();
	return n;
}

// One pass of a queue's generator: take what the forwarder sent and what
// it punted, re-stamp it as new client traffic into the port it left by,
// and replace what it dropped.
void Lab::serve(Forwarder &f)
{
	rte_mbuf *pkts[kGenBurst];
	unsigned q = f.queue;
	bool measuring = measuring_.load(std::memory_order_relaxed);
	uint64_t offered = 0, offered_bytes = 0, sunk = 0, sunk_bytes = 0;
	for (unsigned side = 0; side < kSides; side++) {
		RingPort &p = ports_[side];
		unsigned n = rte_ring_sc_dequeue_burst(p.tx[q], reinterpret_cast<void **>(pkts), kGenBurst, nullptr);
		if (!n)
			continue;
		uint64_t now = rte_rdtsc();
		for (unsigned i = 0; i < n; i++) {
			if (i + 2 * kPrefetchAhead < n)
				rte_prefetch0(pkts[i + 2 * kPrefetchAhead]);
			if (i + kPrefetchAhead < n)
				rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchAhead], void *));
			rte_mbuf *m = pkts[i];
			if (measuring)
				f.latency.add(now - Traffic::read_stamp(m));
			sunk_bytes += rte_pktmbuf_pkt_len(m);
			offered_bytes += f.traffic.stamp(m, side, p.id, now);
		}
		sunk += n;
		offered += n;
		// The ring holds twice the queue's packets: it cannot be full.
		rte_ring_sp_enqueue_burst(p.rx[q], reinterpret_cast<void **>(pkts), n, nullptr);
	}

	unsigned n = rte_ring_sc_dequeue_burst(punt_[q], reinterpret_cast<void **>(pkts), kGenBurst, nullptr);
	if (n) {
		uint64_t now = rte_rdtsc();
		for (unsigned i = 0; i < n; i++) {
			unsigned side = pkts[i]->port == ports_[0].id ? 0 : 1;
			offered_bytes += f.traffic.stamp(pkts[i], side, ports_[side].id, now);
			rte_ring_sp_enqueue(ports_[side].rx[q], pkts[i]);
		}
		offered += n;
	}

	// With the generator on the main lcore, the forwarder's drop counters
	// share cache lines (or adjacent-line prefetch pairs) with counters it
	// writes per packet: reading them every pass would bounce those lines.
	if (++f.passes % kTopUpEvery == 0) {
		uint64_t live = f.allocated - freed(f);
		n = live < o_.inflight ? std::min<unsigned>(kGenBurst, static_cast<unsigned>(o_.inflight - live)) & ~1u
				       : 0;
		if (n && rte_pktmbuf_alloc_bulk(pool_, pkts, n) == 0) {
			f.allocated += n;
			offered += n;
			uint64_t now = rte_rdtsc();
			for (unsigned side = 0; side < kSides; side++) {
				rte_mbuf **half = pkts + side * (n / 2);
				for (unsigned i = 0; i < n / 2; i++)
					offered_bytes += f.traffic.stamp(half[i], side, ports_[side].id, now);
				rte_ring_sp_enqueue_burst(ports_[side].rx[q], reinterpret_cast<void **>(half), n / 2,
							  nullptr);
			}
		}
	}
	f.gen.offered_packets.add(offered);
	f.gen.offered_bytes.add(offered_bytes);
	f.gen.sunk_packets.add(sunk);
	f.gen.sunk_bytes.add(sunk_bytes);
}

Snapshot Lab::snapshot() const
{
	Snapshot s;
	s.tsc = rte_rdtsc();
	s.bursts.assign(o_.burst + 1u, 0);
	for (const auto &f : fwd_) {
		s.rx_packets += f->stats.packets.get();
		s.busy_cycles += f->stats.busy_cycles.get();
		for (size_t i = 0; i < s.bursts.size(); i++)
			s.bursts[i] += f->stats.bursts[i].get();
		if (f->worker) {
			const WorkerCounters &c = f->worker->counters();
			for (const auto &row : c.forwarded_packets)
				for (const Counter &x : row)
					s.forwarded += x.get();
			for (size_t r = 0; r < kPuntReasons; r++)
				s.punted[r] += c.punted[r].get();
			for (size_t r = 0; r < kDropReasons; r++)
				s.drops[r] += c.drops[r].get();
		} else {
			uint64_t unsent = f->stats.unsent.get();
			s.forwarded += f->stats.packets.get() - unsent;
			s.drops[drop_index(OutputDrop::tx_full)] += unsent;
		}
	}
	for (const auto &f : fwd_) {
		s.offered_packets += f->gen.offered_packets.get();
		s.offered_bytes += f->gen.offered_bytes.get();
		s.tx_packets += f->gen.sunk_packets.get();
		s.tx_bytes += f->gen.sunk_bytes.get();
	}
	return s;
}

void Lab::pass_time(uint64_t until, uint64_t period, const std::function<void(const Result &)> *periodic)
{
	Snapshot last = period ? snapshot() : Snapshot();
	perf::pass_time(
		until, period, o_.generator == GeneratorPlace::main_lcore,
		[this] {
			for (auto &f : fwd_)
				serve(*f);
		},
		[&] {
			Snapshot s = snapshot();
			(*periodic)(make_result(mode_, last, s, static_cast<unsigned>(fwd_.size())));
			last = std::move(s);
		});
}

void Lab::drain()
{
	for (RingPort &p : ports_)
		drain_ring_port(p);
	for (rte_ring *r : punt_)
		free_queued(r);
}

Result Lab::run(Mode m, const std::function<void(const Result &)> &periodic)
{
	mode_ = m;
	stop_.store(false);
	measuring_.store(false);
	fwd_.clear();
	for (unsigned q = 0; q < lcores_.size(); q++) {
		auto f = std::make_unique<Forwarder>(
			this, static_cast<uint16_t>(q),
			Traffic(addr_, o_.frame_sizes, o_.endpoints, o_.mix(), o_.seed + q));
		if (m == Mode::relay)
			f->worker = std::make_unique<Worker>(
				q, shared_, std::vector<RxQueue>{{ports_[0].id, f->queue}, {ports_[1].id, f->queue}},
				f->queue, punt_[q], o_.burst);
		fwd_.push_back(std::move(f));
	}
	for (unsigned q = 0; q < lcores_.size(); q++)
		rte_eal_remote_launch(m == Mode::relay ? relay_main : reference_main, fwd_[q].get(), lcores_[q]);

	double hz = static_cast<double>(rte_get_tsc_hz());
	pass_time(rte_rdtsc() + static_cast<uint64_t>(o_.warmup * hz), 0, nullptr);
	Snapshot a = snapshot();
	measuring_.store(true);
	pass_time(a.tsc + static_cast<uint64_t>(o_.duration * hz), static_cast<uint64_t>(o_.stats_period * hz),
		  &periodic);
	measuring_.store(false);
	Snapshot b = snapshot();

	stop_.store(true);
	for (unsigned lcore : lcores_)
		rte_eal_wait_lcore(lcore);
	drain();
	Result r = make_result(m, a, b, static_cast<unsigned>(lcores_.size()));
	for (const auto &f : fwd_)
		r.latency.merge(f->latency);
	fwd_.clear();
	if (unsigned leaked = rte_mempool_in_use_count(pool_))
		std::fprintf(stderr, "wayport-perf: %u mbufs not returned to the pool after the %s run\n", leaked,
			     to_string(m));
	return r;
}

} // namespace wayport::perf
