#include "dataplane/worker/worker.h"

#include <rte_ethdev.h>
#include <rte_prefetch.h>

#include <algorithm>

namespace wayport {

namespace {

// How far ahead classify prefetches: the mbuf's two lines 8 packets ahead
// (the first has the data address, the second the PacketMeta classify
// writes), its data 4 ahead. A window, not the whole burst: 512 mbufs'
// lines at once would evict each other before use.
constexpr uint16_t kPrefetchMbufAhead = 8;
constexpr uint16_t kPrefetchDataAhead = 4;

void prefetch_mbuf(const rte_mbuf *m)
{
	rte_prefetch0(m);
	rte_prefetch0(&m->cacheline1);
}

Destinations destinations_of(const DataplaneShared &shared)
{
	Destinations d;
	for (const EgressPort &p : shared.ports)
		d.ports.push_back(p.addrs);
	d.relay_port = shared.relay_port;
	return d;
}

// The stages' vectors hold one burst; longer vectors go in slices.
template <typename Pass>
void in_slices(rte_mbuf **pkts, uint16_t n, uint16_t burst, Pass pass)
{
	while (n > 0) {
		uint16_t k = std::min(n, burst);
		pass(pkts, k);
		pkts += k;
		n = static_cast<uint16_t>(n - k);
	}
}

} // namespace

Worker::Worker(unsigned id, const DataplaneShared &shared, std::vector<RxQueue> rx, uint16_t tx_queue,
	       rte_ring *punt, uint16_t burst, rte_ring *inject)
	: id_(id), shared_(shared), rx_(std::move(rx)), inject_ring_(inject), burst_(std::min(burst, kMaxBurst)),
	  destinations_(destinations_of(shared)),
	  relay_shared_{shared.relay, shared.neighbours, &shared.ports, shared.relay_port},
	  output_(counters_, static_cast<uint8_t>(id), static_cast<uint16_t>(shared.ports.size()), tx_queue, punt, burst_),
	  relay_(relay_shared_, id, burst_)
{
}

void Worker::process(rte_mbuf **pkts, uint16_t n)
{
	in_slices(pkts, n, burst_, [this](rte_mbuf **p, uint16_t k) { classify_burst(p, k); });
}

void Worker::process_injected(rte_mbuf **pkts, uint16_t n)
{
	in_slices(pkts, n, burst_, [this](rte_mbuf **p, uint16_t k) { inject_burst(p, k); });
}

void Worker::classify_burst(rte_mbuf **pkts, uint16_t n)
{
	counters_.rx_bursts.add();
	counters_.rx_packets.add(n);
	counters_.stage(CountedStage::classify, n);
	uint64_t bytes = 0;
	for (uint16_t i = 0; i < std::min(n, kPrefetchMbufAhead); i++)
		prefetch_mbuf(pkts[i]);
	for (uint16_t i = 0; i < std::min(n, kPrefetchDataAhead); i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (uint16_t i = 0; i < n; i++) {
		if (i + kPrefetchMbufAhead < n)
			prefetch_mbuf(pkts[i + kPrefetchMbufAhead]);
		if (i + kPrefetchDataAhead < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchDataAhead], void *));
		rte_mbuf *m = pkts[i];
		bytes += rte_pktmbuf_pkt_len(m);
		PacketMeta &pm = meta(m);
		switch (classify(m, destinations_, pm)) {
		case Stage::relay:
			relay_.admit(m, output_);
			break;
		case Stage::control:
			output_.punt(m, static_cast<PuntReason>(pm.reason));
			break;
		// classify answers relay, control or drop only; tx and count are
		// listed for -Wswitch.
		case Stage::drop:
		case Stage::tx:
		case Stage::count:
			output_.drop(m, static_cast<ClassifyDrop>(pm.reason));
			break;
		}
	}
	counters_.rx_bytes.add(bytes);
	relay_.finish(output_, counters_);
	output_.flush();
}

// A port wayportd brought up: ids between them have no queues to send on.
bool Worker::is_port(uint16_t port) const
{
	return port < output_.ports() && port < destinations_.ports.size() &&
	       (destinations_.ports[port].has_ipv4 || destinations_.ports[port].has_ipv6);
}

void Worker::inject_burst(rte_mbuf **pkts, uint16_t n)
{
	counters_.injected_packets.add(n);
	for (uint16_t i = 0; i < n; i++) {
		rte_mbuf *m = pkts[i];
		PacketMeta &pm = meta(m);
		pm.flags |= meta_flags::injected;
		if (pm.next == Stage::relay)
			relay_.admit(m, output_);
		else if (pm.next == Stage::tx && is_port(pm.tx_port))
			output_.tx(m, pm.tx_port);
		else
			output_.drop(m, OutputDrop::bad_inject);
	}
	relay_.finish(output_, counters_);
	output_.flush();
}

unsigned Worker::poll()
{
	unsigned total = 0;
	rte_mbuf *pkts[kMaxBurst];
	for (const RxQueue &q : rx_) {
		uint16_t n = rte_eth_rx_burst(q.port, q.queue, pkts, burst_);
		if (n)
			process(pkts, n);
		total += n;
	}
	if (inject_ring_) {
		unsigned n = rte_ring_sc_dequeue_burst(inject_ring_, reinterpret_cast<void **>(pkts), burst_, nullptr);
		if (n)
			process_injected(pkts, static_cast<uint16_t>(n));
		total += n;
	}
	return total;
}

void Worker::run(const std::atomic<bool> &stop)
{
	shared_.qsbr->register_worker(id_);
	while (!stop.load(std::memory_order_relaxed)) {
		poll();
		shared_.qsbr->quiescent(id_);
	}
	shared_.qsbr->unregister_worker(id_);
}

} // namespace wayport
