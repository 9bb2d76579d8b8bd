#include "dataplane/worker/worker.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_prefetch.h>

#include <algorithm>
#include <cstring>

namespace wayport {

namespace {

// How far ahead classify prefetches: the mbuf's two lines 8 packets ahead
// (the first has the data address, the second the PacketMeta classify
// writes), its data 4 ahead. A window, not the whole burst: 512 mbufs'
// lines at once would evict each other before use.
constexpr uint16_t kPrefetchMbufAhead = 8;
constexpr uint16_t kPrefetchDataAhead = 4;

// Session-table entries the NAT's expiry looks at per poll: a bounded
// step, so no poll pays for a whole sweep (a 1M-entry table is swept in
// 16,384 polls).
constexpr uint32_t kNatExpireBudget = 64;

void prefetch_mbuf(const rte_mbuf *m)
{
	rte_prefetch0(m);
	rte_prefetch0(&m->cacheline1);
}

Destinations destinations_of(const DataplaneShared &shared)
{
	Destinations d;
	for (const EgressPort &p : shared.ports) {
		d.ports.push_back(p.addrs);
		std::array<uint8_t, 6> mac;
		std::memcpy(mac.data(), p.mac, mac.size());
		d.macs.push_back(mac);
	}
	d.relay_port = shared.relay_port;
	if (shared.wireguard) {
		d.wg_port = shared.wireguard->listen_port;
		d.forward = true;
		if (const NatStageShared *nat = shared.wireguard->nat) {
			d.exit_port = nat->exit_port;
			if ((d.snat.has_ipv4 = nat->has_snat4))
				std::memcpy(d.snat.ipv4, nat->snat4.ip4(), 4);
			if ((d.snat.has_ipv6 = nat->has_snat6))
				std::memcpy(d.snat.ipv6, nat->snat6.ip.data(), 16);
		}
	}
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
	const WireGuardShared *wg = shared.wireguard;
	if (!wg)
		return;
	// Capacities by what one pass of the graph can hand each stage:
	// wg_input a burst (from classify, or from one handoff ring);
	// wg_output that and wg_input's forwarded packets; ip_out both of those.
	wg_input_ = std::make_unique<WgInputStage>(*wg->input, id, burst_);
	wg_output_ = std::make_unique<WgOutputStage>(*wg->output, id, static_cast<uint16_t>(2 * burst_));
	ip_out_ = std::make_unique<IpOutStage>(*wg->ip_out, id, static_cast<uint16_t>(3 * burst_));
	// Each way a burst: ip_out's forwarded packets out, classify's (or one
	// handoff ring's) in.
	if (wg->nat)
		nat_ = std::make_unique<NatStage>(*wg->nat, id, burst_);
	std::vector<rte_ring *> to(wg->workers, nullptr);
	for (unsigned w = 0; w < wg->workers; w++) {
		if (w == id)
			continue;
		to[w] = wg->handoff[id * wg->workers + w];
		handoff_in_.push_back(wg->handoff[w * wg->workers + id]);
	}
	output_.connect_wireguard(wg->handshake[id], std::move(to));
}

void Worker::process(rte_mbuf **pkts, uint16_t n)
{
	in_slices(pkts, n, burst_, [this](rte_mbuf **p, uint16_t k) { classify_burst(p, k); });
}

void Worker::process_injected(rte_mbuf **pkts, uint16_t n)
{
	in_slices(pkts, n, burst_, [this](rte_mbuf **p, uint16_t k) { inject_burst(p, k); });
}

void Worker::process_handoff(rte_mbuf **pkts, uint16_t n)
{
	in_slices(pkts, n, burst_, [this](rte_mbuf **p, uint16_t k) { handoff_burst(p, k); });
}

// wg_input first: what it forwards to a peer joins wg_output's vector, and
// what wg_output seals joins ip_out's. With an exit, ip_out runs once
// before the NAT too, to route what the tunnel forwarded: what it keeps for
// the exit port goes through nat_out and back, and what nat_in translated
// joins wg_output's vector.
void Worker::finish_wireguard(uint64_t now_tsc)
{
	wg_input_->finish(now_tsc, output_, counters_);
	for (rte_mbuf *m : wg_input_->forwarded())
		if (!wg_output_->admit_if_peer(m))
			ip_out_->admit(m);
	for (rte_mbuf *m : wg_input_->to_host())
		output_.punt(m, PuntReason::wg_host);
	for (rte_mbuf *m : wg_input_->handoff())
		output_.handoff(m, meta(m).aux, Stage::wg_input);
	if (nat_)
		finish_nat(now_tsc);
	wg_output_->finish(now_tsc, output_, counters_);
	for (rte_mbuf *m : wg_output_->sealed())
		ip_out_->admit_local(m, meta(m).aux);
	for (rte_mbuf *m : wg_output_->handoff())
		output_.handoff(m, meta(m).aux, Stage::wg_output);
	ip_out_->finish(output_, counters_);
}

void Worker::finish_nat(uint64_t now_tsc)
{
	ip_out_->finish(output_, counters_);
	for (rte_mbuf *m : ip_out_->to_nat())
		nat_->admit_out(m);
	nat_->finish(now_tsc, output_, counters_);
	for (rte_mbuf *m : nat_->out())
		ip_out_->admit(m);
	for (rte_mbuf *m : nat_->in())
		wg_output_->admit(m);
	for (rte_mbuf *m : nat_->handoff())
		output_.handoff(m, meta(m).aux, Stage::nat_in);
}

void Worker::finish_graph()
{
	relay_.finish(output_, counters_);
	if (wg_input_)
		finish_wireguard(rte_rdtsc());
	output_.flush();
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
		// classify routes to the WireGuard stages only when they exist.
		case Stage::wg_input:
			wg_input_->admit(m);
			break;
		case Stage::wg_handshake:
			output_.handshake(m);
			break;
		case Stage::wg_output:
			wg_output_->admit(m);
			break;
		// ... and to nat_in only when there is an exit.
		case Stage::nat_in:
			nat_->admit_in(m);
			break;
		// classify answers none of these; they are listed for -Wswitch.
		case Stage::drop:
		case Stage::tx:
		case Stage::ip_out:
		case Stage::count:
			output_.drop(m, static_cast<ClassifyDrop>(pm.reason));
			break;
		}
	}
	counters_.rx_bytes.add(bytes);
	finish_graph();
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
		else if (pm.next == Stage::wg_output && wg_output_)
			wg_output_->admit_for_peer(m, pm.aux, output_);
		else if (pm.next == Stage::ip_out && ip_out_)
			ip_out_->admit(m);
		else
			output_.drop(m, OutputDrop::bad_inject);
	}
	finish_graph();
}

// Another worker found these homed here; it did not touch them.
void Worker::handoff_burst(rte_mbuf **pkts, uint16_t n)
{
	counters_.handoffs_received.add(n);
	for (uint16_t i = 0; i < n; i++) {
		rte_mbuf *m = pkts[i];
		const Stage next = meta(m).next;
		if (next == Stage::wg_input)
			wg_input_->admit(m);
		else if (next == Stage::nat_in && nat_)
			nat_->admit_in(m);
		else
			wg_output_->admit(m);
	}
	finish_graph();
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
	for (rte_ring *r : handoff_in_) {
		unsigned n = rte_ring_sc_dequeue_burst(r, reinterpret_cast<void **>(pkts), burst_, nullptr);
		if (n)
			process_handoff(pkts, static_cast<uint16_t>(n));
		total += n;
	}
	if (nat_)
		nat_->expire(rte_rdtsc(), kNatExpireBudget);
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
