#include "dataplane/stages/output.h"

#include <rte_ethdev.h>

namespace wayport {

Output::Output(WorkerCounters &counters, uint8_t worker, uint16_t ports, uint16_t tx_queue, rte_ring *punt_ring,
	       uint16_t capacity)
	: counters_(counters), worker_(worker), tx_queue_(tx_queue), punt_ring_(punt_ring), capacity_(capacity), tx_(ports),
	  punts_(capacity), reasons_(capacity), drops_(capacity)
{
	for (auto &b : tx_)
		b.pkts.resize(capacity);
}

void Output::connect_wireguard(rte_ring *handshake, std::vector<rte_ring *> handoff)
{
	handshakes_.ring = handshake;
	handshakes_.pkts.resize(capacity_);
	handoff_.resize(handoff.size());
	for (size_t w = 0; w < handoff.size(); w++) {
		handoff_[w].ring = handoff[w];
		if (handoff[w])
			handoff_[w].pkts.resize(capacity_);
	}
}

Output::~Output()
{
	for (auto &b : tx_)
		rte_pktmbuf_free_bulk(b.pkts.data(), b.n);
	rte_pktmbuf_free_bulk(punts_.data(), n_punts_);
	rte_pktmbuf_free_bulk(handshakes_.pkts.data(), handshakes_.n);
	for (auto &h : handoff_)
		rte_pktmbuf_free_bulk(h.pkts.data(), h.n);
	rte_pktmbuf_free_bulk(drops_.data(), n_drops_);
}

void Output::send(uint16_t port)
{
	TxBuffer &b = tx_[port];
	counters_.stage(CountedStage::output, b.n);
	uint16_t sent = rte_eth_tx_burst(port, tx_queue_, b.pkts.data(), b.n);
	uint64_t bytes = 0;
	for (uint16_t k = 0; k < sent; k++)
		bytes += rte_pktmbuf_pkt_len(b.pkts[k]);
	counters_.tx_packets.add(sent);
	counters_.tx_bytes.add(bytes);
	if (sent < b.n) {
		counters_.drop(OutputDrop::tx_full, b.n - sent);
		rte_pktmbuf_free_bulk(b.pkts.data() + sent, b.n - sent);
	}
	b.n = 0;
}

void Output::enqueue_punts()
{
	counters_.stage(CountedStage::output, n_punts_);
	unsigned queued = rte_ring_sp_enqueue_burst(punt_ring_, reinterpret_cast<void **>(punts_.data()), n_punts_,
						    nullptr);
	// Counted once: as punted by reason if the ring took it, else as
	// ring_full. The reasons come from our own array: what the ring took is
	// the control thread's now, its metadata no longer ours to read.
	for (unsigned k = 0; k < queued; k++)
		counters_.punt(reasons_[k]);
	if (queued < n_punts_) {
		counters_.drop(OutputDrop::ring_full, n_punts_ - queued);
		rte_pktmbuf_free_bulk(punts_.data() + queued, n_punts_ - queued);
	}
	n_punts_ = 0;
}

void Output::enqueue(RingBuffer &b, Counter &taken, OutputDrop refused)
{
	counters_.stage(CountedStage::output, b.n);
	unsigned queued = rte_ring_sp_enqueue_burst(b.ring, reinterpret_cast<void **>(b.pkts.data()), b.n, nullptr);
	taken.add(queued);
	if (queued < b.n) {
		counters_.drop(refused, b.n - queued);
		rte_pktmbuf_free_bulk(b.pkts.data() + queued, b.n - queued);
	}
	b.n = 0;
}

void Output::free_drops()
{
	counters_.stage(CountedStage::output, n_drops_);
	rte_pktmbuf_free_bulk(drops_.data(), n_drops_);
	n_drops_ = 0;
}

void Output::flush()
{
	for (uint16_t port = 0; port < tx_.size(); port++)
		if (tx_[port].n)
			send(port);
	if (n_punts_)
		enqueue_punts();
	if (handshakes_.n)
		enqueue(handshakes_, counters_.handshakes_queued, OutputDrop::handshake_ring_full);
	for (RingBuffer &h : handoff_)
		if (h.n)
			enqueue(h, counters_.handed_off, OutputDrop::handoff_full);
	if (n_drops_)
		free_drops();
}

} // namespace wayport
