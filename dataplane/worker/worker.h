// A poll-mode worker on one lcore: RX bursts and its inject ring through
// a fixed graph of stages (docs/ARCHITECTURE.md):
//
//   RX -> classify -> relay -> output (TX per port, punt ring, drops)
//                  \---------> output
//   inject ring (from the control thread) -> relay | output
//
// Each stage is one function over a vector that appends every packet to
// the vector of its next stage; the worker runs them in that order once
// per burst. The relay stage's first pass (admit) is per packet and runs
// inside classify's loop (stages/relay.h says why). Everything a worker touches per packet is its own (counters,
// vectors, TX buffers, punt and inject rings) or read-only and published
// through QSBR (relay table, neighbour slots). No locks, allocation,
// syscalls or exceptions happen after construction.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dataplane/packet/rewrite.h"
#include "dataplane/stages/classify.h"
#include "dataplane/stages/output.h"
#include "dataplane/stages/relay.h"
#include "dataplane/tables/neighbour_slots.h"
#include "dataplane/tables/rcu.h"
#include "dataplane/tables/relay_table.h"
#include "dataplane/worker/counters.h"

namespace wayport {

inline constexpr uint16_t kMaxBurst = 512;

// What all workers share, set up before they start.
struct DataplaneShared {
	RelayTable *relay = nullptr;
	const NeighbourSlots *neighbours = nullptr;
	Qsbr *qsbr = nullptr;
	std::vector<EgressPort> ports;  // indexed by DPDK port id
	uint16_t relay_port = 0;
};

struct RxQueue {
	uint16_t port;
	uint16_t queue;
};

class Worker {
public:
	// id: this worker's index for QSBR, activity counters and PacketMeta.
	// tx_queue: its own TX queue on every port. punt: its ring to the
	// control thread; inject: the control thread's ring to it (both single
	// producer, single consumer; inject may be null).
	Worker(unsigned id, const DataplaneShared &shared, std::vector<RxQueue> rx, uint16_t tx_queue,
	       rte_ring *punt, uint16_t burst, rte_ring *inject = nullptr);
	Worker(const Worker &) = delete;
	Worker &operator=(const Worker &) = delete;

	// Polls every RX queue and the inject ring once; returns the packets
	// taken in.
	unsigned poll();
	// Polls until stop is set, reporting a quiescent state every loop.
	void run(const std::atomic<bool> &stop);

	// The graph over received packets, then the output flush; exposed so
	// tests and the perf lab drive exactly what poll() runs.
	void process(rte_mbuf **pkts, uint16_t n);
	// The same for packets the control thread handed back: each goes where
	// its PacketMeta::next says (relay or tx).
	void process_injected(rte_mbuf **pkts, uint16_t n);

	const WorkerCounters &counters() const { return counters_; }
	unsigned id() const { return id_; }

private:
	void classify_burst(rte_mbuf **pkts, uint16_t n);
	void inject_burst(rte_mbuf **pkts, uint16_t n);
	bool is_port(uint16_t port) const;

	unsigned id_;
	const DataplaneShared &shared_;
	std::vector<RxQueue> rx_;
	rte_ring *inject_ring_;
	uint16_t burst_;
	Destinations destinations_;
	RelayShared relay_shared_;

	WorkerCounters counters_;
	Output output_;
	RelayStage relay_;  // its first pass runs inside classify's (and inject's) loop
};

} // namespace wayport
