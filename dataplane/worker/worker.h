// A poll-mode worker on one lcore: RX bursts, its inject ring and its
// handoff rings through a fixed graph of stages (docs/ARCHITECTURE.md):
//
//   RX -> classify -> relay ----------------------------------> output
//                  |-> wg_input -> (to a peer) wg_output -> ip_out -> output
//                  |            \-> (elsewhere) ip_out -> (out of the exit port) nat_out -> ip_out
//                  |-> wg_output (to be routed) -> ip_out
//                  |-> nat_in (to a SNAT address) -> wg_output -> ip_out
//                  \-> output (punts, handshake ring, drops)
//   inject ring (from the control thread) -> relay | wg_output | ip_out | output
//   handoff rings (from other workers) -> wg_input | wg_output | nat_in
//
// output: TX per port, the punt ring, the handshake ring, handoff rings to
// other workers, drops.
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
#include <memory>
#include <vector>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dataplane/packet/rewrite.h"
#include "dataplane/stages/classify.h"
#include "dataplane/stages/output.h"
#include "dataplane/stages/ip_out.h"
#include "dataplane/stages/nat.h"
#include "dataplane/stages/relay.h"
#include "dataplane/stages/wg_input.h"
#include "dataplane/stages/wg_output.h"
#include "dataplane/tables/neighbour_slots.h"
#include "dataplane/tables/rcu.h"
#include "dataplane/tables/relay_table.h"
#include "dataplane/worker/counters.h"

namespace wayport {

inline constexpr uint16_t kMaxBurst = 512;

// WireGuard on the workers: the stages' tables and the rings between
// threads (docs/ARCHITECTURE.md, "The thread contract WireGuard follows").
struct WireGuardShared {
	const WgInputShared *input = nullptr;
	const WgOutputShared *output = nullptr;
	const IpOutShared *ip_out = nullptr;
	const NatStageShared *nat = nullptr;  // null: no exit
	uint16_t listen_port = 0;
	unsigned workers = 1;
	// By worker id: its handshake ring (the worker produces, handshake
	// threads consume).
	std::vector<rte_ring *> handshake;
	// [from * workers + to]: the handoff ring from one worker to another
	// (single producer and consumer); null where from == to.
	std::vector<rte_ring *> handoff;
};

// What all workers share, set up before they start.
struct DataplaneShared {
	RelayTable *relay = nullptr;
	const NeighbourSlots *neighbours = nullptr;
	Qsbr *qsbr = nullptr;
	std::vector<EgressPort> ports;  // indexed by DPDK port id
	uint16_t relay_port = 0;
	const WireGuardShared *wireguard = nullptr;  // null: WireGuard off
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
	// its PacketMeta::next says (relay, wg_output, ip_out or tx).
	void process_injected(rte_mbuf **pkts, uint16_t n);
	// The same for packets another worker handed off to this one, their
	// home: to wg_input or wg_output, as PacketMeta::next says.
	void process_handoff(rte_mbuf **pkts, uint16_t n);

	const WorkerCounters &counters() const { return counters_; }
	unsigned id() const { return id_; }

private:
	void classify_burst(rte_mbuf **pkts, uint16_t n);
	void inject_burst(rte_mbuf **pkts, uint16_t n);
	void handoff_burst(rte_mbuf **pkts, uint16_t n);
	// The stages after classify (or inject), in graph order, then the flush.
	void finish_graph();
	void finish_wireguard(uint64_t now_tsc);
	void finish_nat(uint64_t now_tsc);
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
	// WireGuard's stages, or null when it is off.
	std::unique_ptr<WgInputStage> wg_input_;
	std::unique_ptr<WgOutputStage> wg_output_;
	std::unique_ptr<IpOutStage> ip_out_;
	std::unique_ptr<NatStage> nat_;  // null when there is no exit
	std::vector<rte_ring *> handoff_in_;  // the rings other workers hand off to this one on
};

} // namespace wayport
