// The output stage: where every packet leaves a worker's graph. Packets for
// TX wait in one buffer per egress port, punts in one buffer for the
// control thread's ring, drops in one buffer freed in bulk; flush() sends,
// enqueues and frees them, counting what the TX queue or the ring refused.
//
// Owned by one worker, like everything it points at; sized once, so no
// call here allocates.
#pragma once

#include <cstdint>
#include <vector>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dataplane/packet/meta.h"
#include "dataplane/worker/counters.h"

namespace wayport {

class Output {
public:
	// worker: whose output this is (punts carry it back). ports: how many
	// DPDK port ids to buffer for. capacity: the most packets one graph
	// pass hands over (a burst).
	Output(WorkerCounters &counters, uint8_t worker, uint16_t ports, uint16_t tx_queue, rte_ring *punt_ring,
	       uint16_t capacity);
	~Output();
	Output(const Output &) = delete;
	Output &operator=(const Output &) = delete;

	// m leaves on port (the caller checked port < ports()). A full buffer
	// is sent at once.
	void tx(rte_mbuf *m, uint16_t port)
	{
		TxBuffer &b = tx_[port];
		b.pkts[b.n++] = m;
		if (b.n == capacity_)
			send(port);
	}

	void punt(rte_mbuf *m, PuntReason r)
	{
		PacketMeta &pm = meta(m);
		pm.next = Stage::control;
		pm.reason = static_cast<uint8_t>(r);
		pm.worker = worker_;
		reasons_[n_punts_] = r;
		punts_[n_punts_++] = m;
		if (n_punts_ == capacity_)
			enqueue_punts();
	}

	template <typename Reason>
	void drop(rte_mbuf *m, Reason r)
	{
		counters_.drop(r);
		drops_[n_drops_++] = m;
		if (n_drops_ == capacity_)
			free_drops();
	}

	// m is done with and counted by its stage (a WireGuard keepalive): freed
	// with the drops, counted as none.
	void release(rte_mbuf *m)
	{
		drops_[n_drops_++] = m;
		if (n_drops_ == capacity_)
			free_drops();
	}

	void flush();

	uint16_t ports() const { return static_cast<uint16_t>(tx_.size()); }

private:
	struct TxBuffer {
		std::vector<rte_mbuf *> pkts;
		uint16_t n = 0;
	};

	void send(uint16_t port);
	void enqueue_punts();
	void free_drops();

	WorkerCounters &counters_;
	uint8_t worker_;
	uint16_t tx_queue_;
	rte_ring *punt_ring_;
	uint16_t capacity_;
	std::vector<TxBuffer> tx_;  // by egress port id
	std::vector<rte_mbuf *> punts_;
	std::vector<PuntReason> reasons_;  // of punts_, by index
	uint16_t n_punts_ = 0;
	std::vector<rte_mbuf *> drops_;
	uint16_t n_drops_ = 0;
};

} // namespace wayport
