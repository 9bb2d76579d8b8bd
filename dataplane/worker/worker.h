// A poll-mode worker: RX burst -> relay node -> TX burst, on one lcore.
//
// Everything a worker touches per packet is its own (counters, TX buffers,
// punt ring) or read-only and published through QSBR (relay table,
// neighbour slots). No locks, allocation, syscalls or exceptions happen
// after construction.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dataplane/packet/parse.h"
#include "dataplane/packet/rewrite.h"
#include "dataplane/tables/neighbour_slots.h"
#include "dataplane/tables/rcu.h"
#include "dataplane/tables/relay_table.h"
#include "dataplane/worker/counters.h"
#include "dataplane/worker/punt.h"

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
	// id: this worker's index for QSBR and activity counters. tx_queue:
	// its own TX queue on every port. punt: its ring to the control
	// thread (single producer, single consumer).
	Worker(unsigned id, const DataplaneShared &shared, std::vector<RxQueue> rx, uint16_t tx_queue,
	       rte_ring *punt, uint16_t burst);
	~Worker();
	Worker(const Worker &) = delete;
	Worker &operator=(const Worker &) = delete;

	// Polls every RX queue once and sends what it can; returns the number
	// of packets received.
	unsigned poll();
	// Polls until stop is set, reporting a quiescent state every loop.
	void run(const std::atomic<bool> &stop);

	// The relay node over one received vector, then the TX flush; exposed
	// so tests and the perf lab drive exactly what poll() runs.
	void process(rte_mbuf **pkts, uint16_t n);
	void flush();

	const WorkerCounters &counters() const { return counters_; }
	unsigned id() const { return id_; }

private:
	void forward_one(rte_mbuf *m, const ParsedUdp &in, EntryRead found, const RelayEntry &e, uint64_t tsc);
	void process_burst(rte_mbuf **pkts, uint16_t n);
	void send(uint16_t port);
	void punt(rte_mbuf *m, PuntReason r);
	void drop(rte_mbuf *m, DropReason r);

	unsigned id_;
	const DataplaneShared &shared_;
	std::vector<RxQueue> rx_;
	uint16_t tx_queue_;
	rte_ring *punt_ring_;
	uint16_t burst_;

	WorkerCounters counters_;
	// Per-burst scratch, sized once.
	std::vector<ParsedUdp> parsed_;
	std::vector<uint32_t> vni_;      // UINT32_MAX: not relay data
	std::vector<EntryRead> found_;
	std::vector<RelayEntry> entry_;  // copies, valid where found_ says so
	std::vector<rte_mbuf *> punts_;
	uint16_t n_punts_ = 0;
	struct TxBuffer {
		std::vector<rte_mbuf *> pkts;
		uint16_t n = 0;
	};
	std::vector<TxBuffer> tx_;      // by egress port
};

} // namespace wayport
