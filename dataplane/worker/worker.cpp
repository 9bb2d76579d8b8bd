#include "worker.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_prefetch.h>

#include <limits>

#include "dataplane/wire/classify.h"
#include "dataplane/wire/disco_frame.h"
#include "dataplane/wire/geneve.h"

namespace wayport {

namespace {

constexpr uint32_t kNotRelayData = std::numeric_limits<uint32_t>::max();
constexpr uint16_t kPrefetchAhead = 4;

} // namespace

Worker::Worker(unsigned id, const DataplaneShared &shared, std::vector<RxQueue> rx, uint16_t tx_queue,
	       rte_ring *punt, uint16_t burst)
	: id_(id), shared_(shared), rx_(std::move(rx)), tx_queue_(tx_queue), punt_ring_(punt),
	  burst_(std::min(burst, kMaxBurst)), parsed_(burst_), vni_(burst_), found_(burst_), entry_(burst_), punts_(burst_),
	  tx_(shared.ports.size())
{
	for (auto &t : tx_)
		t.pkts.resize(burst_);
}

Worker::~Worker()
{
	for (uint16_t i = 0; i < n_punts_; i++)
		rte_pktmbuf_free(punts_[i]);
	for (auto &t : tx_)
		for (uint16_t i = 0; i < t.n; i++)
			rte_pktmbuf_free(t.pkts[i]);
}

void Worker::drop(rte_mbuf *m, DropReason r)
{
	counters_.drop(r);
	rte_pktmbuf_free(m);
}

void Worker::punt(rte_mbuf *m, PuntReason r)
{
	set_punt_reason(m, r);
	counters_.punt(r);
	punts_[n_punts_++] = m;
}

void Worker::process(rte_mbuf **pkts, uint16_t n)
{
	// The scratch arrays hold one burst; longer vectors go in slices.
	while (n > burst_) {
		process_burst(pkts, burst_);
		pkts += burst_;
		n = static_cast<uint16_t>(n - burst_);
	}
	process_burst(pkts, n);
}

void Worker::process_burst(rte_mbuf **pkts, uint16_t n)
{
	const RelayTable &table = *shared_.relay;

	// The mbufs' own lines first: a PMD that does not write them on RX
	// (net_ring, af_packet's copies aside) leaves them wherever the
	// producer did, and pass 1 needs each one to find the packet data.
	for (uint16_t i = 0; i < n; i++)
		rte_prefetch0(pkts[i]);

	// Pass 1: parse and classify; start fetching each data packet's table
	// entry and activity line for passes 2 and 3.
	for (uint16_t i = 0; i < n; i++) {
		if (i + kPrefetchAhead < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchAhead], void *));
		rte_mbuf *m = pkts[i];
		counters_.rx_packets.add();
		counters_.rx_bytes.add(rte_pktmbuf_pkt_len(m));
		vni_[i] = kNotRelayData;
		const EgressPort *port = m->port < shared_.ports.size() ? &shared_.ports[m->port] : nullptr;
		if (!port) {
			drop(m, DropReason::not_for_us);
			continue;
		}
		ParsedUdp &p = parsed_[i];
		switch (parse_ingress(m, port->addrs, p)) {
		case Ingress::udp:
			break;
		case Ingress::control:
			punt(m, PuntReason::neighbour);
			continue;
		case Ingress::malformed:
			drop(m, DropReason::malformed);
			continue;
		case Ingress::fragment:
			drop(m, DropReason::fragment);
			continue;
		case Ingress::not_for_us:
			drop(m, DropReason::not_for_us);
			continue;
		case Ingress::multi_segment:
			drop(m, DropReason::multi_segment);
			continue;
		}
		if (p.dst.port != shared_.relay_port) {
			drop(m, DropReason::not_for_us);
			continue;
		}
		ByteSpan payload(rte_pktmbuf_mtod_offset(m, const uint8_t *, p.payload_offset), p.payload_len);
		// Same order as Tailscale's server: STUN first. Naked disco next:
		// its magic can never be a Geneve header a client sends.
		if (is_stun_binding(payload)) {
			punt(m, PuntReason::stun);
			continue;
		}
		if (has_disco_magic(payload)) {
			punt(m, PuntReason::disco);
			continue;
		}
		GeneveHeader gh;
		if (!geneve_decode(payload, gh)) {
			drop(m, DropReason::short_payload);
			continue;
		}
		if (gh.control) {
			punt(m, PuntReason::relay_control);
			continue;
		}
		vni_[i] = gh.vni;
		table.prefetch(gh.vni);
		table.prefetch_activity(id_, gh.vni);
	}

	// Pass 2: copy the entries, whose lines are arriving. A pass of its
	// own, so the copies are settled in cache before pass 3 reads them
	// back in other widths (straight after, that would stall on store
	// forwarding).
	for (uint16_t i = 0; i < n; i++)
		if (vni_[i] != kNotRelayData)
			found_[i] = table.read(vni_[i], entry_[i]);

	// Pass 3: relay data.
	uint64_t tsc = rte_rdtsc();
	for (uint16_t i = 0; i < n; i++)
		if (vni_[i] != kNotRelayData)
			forward_one(pkts[i], parsed_[i], found_[i], entry_[i], tsc);

	flush();
}

void Worker::forward_one(rte_mbuf *m, const ParsedUdp &in, EntryRead found, const RelayEntry &e, uint64_t tsc)
{
	switch (found) {
	case EntryRead::found:
		break;
	case EntryRead::missing:
		drop(m, DropReason::unknown_vni);
		return;
	case EntryRead::busy:
		drop(m, DropReason::entry_busy);
		return;
	}
	if (!e.forwarding()) {
		drop(m, DropReason::not_bound);
		return;
	}
	int from;
	if (in.src == e.leg[0])
		from = 0;
	else if (in.src == e.leg[1])
		from = 1;
	else {
		drop(m, DropReason::source_mismatch);
		return;
	}
	int to = 1 - from;
	const Egress &out = e.egress[to];
	uint8_t mac[6];
	if (out.port >= shared_.ports.size()) {
		drop(m, DropReason::no_route);
		return;
	}
	if (!shared_.neighbours->get(out.neighbour, mac)) {
		punt(m, PuntReason::unresolved);
		return;
	}
	if (EndpointActivity *activity = shared_.relay->activity(id_, e.vni))
		activity->leg[from].add(in.payload_len, tsc);
	if (!rewrite_udp(m, in, shared_.ports[out.port], mac, shared_.relay_port, e.leg[to])) {
		drop(m, DropReason::no_route);
		return;
	}
	bool in6 = !in.src.is_v4, out6 = !e.leg[to].is_v4;
	counters_.forwarded_packets[in6][out6].add();
	counters_.forwarded_bytes[in6][out6].add(in.payload_len);
	TxBuffer &tx = tx_[out.port];
	tx.pkts[tx.n++] = m;
	if (tx.n == burst_)
		send(out.port);
}

void Worker::send(uint16_t port)
{
	TxBuffer &tx = tx_[port];
	uint16_t sent = rte_eth_tx_burst(port, tx_queue_, tx.pkts.data(), tx.n);
	uint64_t bytes = 0;
	for (uint16_t k = 0; k < sent; k++)
		bytes += rte_pktmbuf_pkt_len(tx.pkts[k]);
	for (uint16_t k = sent; k < tx.n; k++)
		drop(tx.pkts[k], DropReason::tx_full);
	counters_.tx_packets.add(sent);
	counters_.tx_bytes.add(bytes);
	tx.n = 0;
}

void Worker::flush()
{
	for (uint16_t port = 0; port < tx_.size(); port++)
		if (tx_[port].n)
			send(port);
	if (n_punts_) {
		unsigned queued = rte_ring_sp_enqueue_burst(punt_ring_, reinterpret_cast<void **>(punts_.data()),
							    n_punts_, nullptr);
		for (unsigned k = queued; k < n_punts_; k++)
			drop(punts_[k], DropReason::ring_full);
		n_punts_ = 0;
	}
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
