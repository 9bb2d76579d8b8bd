// The output stage: where every packet leaves a worker's graph. Packets for
// TX wait in one buffer per egress port, punts in one buffer for the
// control thread's ring, WireGuard handshake messages in one for the
// handshake ring, packets for another worker in one per worker, drops in
// one buffer freed in bulk; flush() sends, enqueues and frees them,
// counting what the TX queue or a ring refused.
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

	// WireGuard's rings (docs/ARCHITECTURE.md, "The thread contract
	// WireGuard follows"): this worker's handshake ring (single producer,
	// this worker; consumers, the handshake threads) and its handoff ring to
	// each worker, by worker id (single producer and consumer; null for
	// itself). Before the first packet; allocates.
	void connect_wireguard(rte_ring *handshake, std::vector<rte_ring *> handoff);

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

	// A WireGuard handshake message for the handshake threads, untouched
	// (only after connect_wireguard).
	void handshake(rte_mbuf *m) { add(handshakes_, m, counters_.handshakes_queued, OutputDrop::handshake_ring_full); }

	// A WireGuard packet for its home worker, whose stage `next` (wg_input
	// or wg_output) takes it from there.
	void handoff(rte_mbuf *m, uint32_t worker, Stage next)
	{
		if (worker >= handoff_.size() || !handoff_[worker].ring) {
			drop(m, OutputDrop::bad_handoff);
			return;
		}
		meta(m).next = next;
		add(handoff_[worker], m, counters_.handed_off, OutputDrop::handoff_full);
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
	// Packets for a ring that takes them with no reasons attached (the
	// handshake ring, a handoff ring).
	struct RingBuffer {
		rte_ring *ring = nullptr;
		std::vector<rte_mbuf *> pkts;
		uint16_t n = 0;
	};

	void add(RingBuffer &b, rte_mbuf *m, Counter &taken, OutputDrop refused)
	{
		b.pkts[b.n++] = m;
		if (b.n == capacity_)
			enqueue(b, taken, refused);
	}

	void send(uint16_t port);
	void enqueue_punts();
	// What the ring takes counts in taken, what it refuses as refused.
	void enqueue(RingBuffer &b, Counter &taken, OutputDrop refused);
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
	RingBuffer handshakes_;
	std::vector<RingBuffer> handoff_;  // by worker id
	std::vector<rte_mbuf *> drops_;
	uint16_t n_drops_ = 0;
};

} // namespace wayport
