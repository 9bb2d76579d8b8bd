// The control thread: everything the workers punt, the relay core, the
// host stack, the table sync, GC and the local API, in one poll loop that
// never blocks.
#pragma once

#include <rte_mbuf.h>
#include <rte_ring.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "controlplane/api/bridge.h"
#include "controlplane/control/table_sync.h"
#include "controlplane/control/tunnel_io.h"
#include "controlplane/host/host.h"
#include "controlplane/relay/server.h"
#include "dataplane/tables/fib.h"
#include "dataplane/tables/neighbour_index.h"
#include "dataplane/tables/relay_table.h"
#include "dataplane/worker/counters.h"

namespace wayport {

struct ControlCounters {
	uint64_t punts[static_cast<size_t>(PuntReason::count)] = {};
	uint64_t stun_replies = 0;
	uint64_t stun_malformed = 0;
	uint64_t relay_replies = 0;
	uint64_t relay_dropped = 0;     // the core dropped or refused it (its metrics say why)
	uint64_t relay_malformed = 0;   // a punted packet that no longer parses
	uint64_t held_forwarded = 0;    // held for a next hop, then handed back to its worker's relay stage
	uint64_t held_dropped = 0;      // held, but that worker's inject ring was full
	uint64_t tx_sent = 0;           // replies, ARP/ND and probes handed to a worker to send
	uint64_t tx_failed = 0;         // ... that found the worker's inject ring full
	uint64_t no_wireguard = 0;      // a WireGuard punt, and this control thread runs no WireGuard core
	uint64_t ip_no_route = 0;       // an IP packet to route (built here, or ip_out's unresolved) with no route now
	uint64_t ip_no_neighbour = 0;   // ... whose next hop got no neighbour slot (the table is full)
	uint64_t ip_held = 0;           // ... held for its next hop, then handed to a worker's ip_out
	uint64_t no_mbuf = 0;
	uint64_t reply_too_big = 0;
};

struct ControlTimers {
	int64_t gc_interval = 10'000'000;           // 10 ms
	int64_t neighbour_interval = 100'000'000;   // 100 ms
	int64_t activity_interval = 50'000'000;     // 50 ms
	size_t activity_budget = 4096;              // endpoints per activity read
	size_t punts_per_ring = 64;                 // per loop, so no ring starves another
	size_t api_calls_per_loop = 8;
};

// One worker's two rings to the control thread: punts come in on one,
// packets to send (and held packets to relay) go back on the other. Both
// single producer, single consumer.
struct WorkerRings {
	rte_ring *punt = nullptr;
	rte_ring *inject = nullptr;
};

// What the status and metrics views read besides the control thread's own.
struct StatusSources {
	std::string node_disco;
	// False when the config has no relay section: status says "relay":
	// null and the relay's API calls are refused.
	bool relay_on = true;
	std::vector<const WorkerCounters *> workers;
};

// WireGuard's tables the control thread routes with (the tunnel's FIB and
// the neighbour index ip_out reads), and its engine.
struct TunnelAttach {
	TunnelCore *core = nullptr;
	const Fib *fib = nullptr;
	NeighbourIndex *neighbours = nullptr;
};

class Control : private HostIo, public TunnelIo {
public:
	Control(relay::Server &server, RelayTable &table, NeighbourSlots &slots, std::vector<Port> ports,
		NeighbourConfig neighbour_cfg, std::vector<WorkerRings> rings, rte_mempool *pool,
		api::Bridge *bridge, StatusSources sources, uint64_t tsc_hz, ControlTimers timers = {});
	~Control() override;

	// One loop iteration at time `now` (ns, monotonic) and TSC `tsc`.
	// Returns the packets and API calls it handled (0: idle).
	size_t poll(int64_t now, uint64_t tsc);

	// The bodies of the API's answers; also printed at exit.
	std::string status_json() const;
	std::string metrics_text() const;

	// WireGuard on: before the first poll(). Everything must outlive this.
	void attach_tunnel(const TunnelAttach &tunnel) { tunnel_ = tunnel; }

	// TunnelIo.
	rte_mbuf *alloc() override;
	void route(rte_mbuf *m) override;
	bool to_worker(rte_mbuf *m, unsigned worker) override;

	const ControlCounters &counters() const { return counters_; }
	Host &host() { return host_; }
	TableSync &table_sync() { return sync_; }

private:
	// HostIo: the host stack's way out, and its held packets coming back.
	void send(const Port &port, rte_mbuf *m) override;
	void resolved(rte_mbuf *m) override;

	void punt(rte_mbuf *m, int64_t now);
	void relay_input(rte_mbuf *m, PuntReason reason, int64_t now);
	void hold_unresolved(rte_mbuf *m);
	// An IP packet for ip_out (data at its IP header): its next hop found
	// in the FIB, the neighbour made if new, and the packet held there
	// until the MAC is known; then back to pm.worker's ip_out.
	void hold_for_ip_out(rte_mbuf *m);
	// Hands m to a worker's inject ring; false (m freed) when it is full.
	bool inject(rte_mbuf *m, unsigned worker);
	void serve_api(api::Call &call, int64_t now);

	relay::Server &server_;
	// The neighbours ip_out uses are the NeighbourIndex's entries: each
	// holds one reference on its slot, never released (bounded by the
	// index's size: the next hops on the ports' networks).
	TunnelAttach tunnel_;
	RelayTable &table_;
	std::vector<WorkerRings> rings_;
	unsigned current_worker_ = 0;  // whose punts are being handled: replies go back through it
	rte_mempool *pool_;
	api::Bridge *bridge_;
	StatusSources sources_;
	ControlTimers timers_;
	Host host_;
	TableSync sync_;
	ControlCounters counters_;
	std::array<uint8_t, relay::kReplyBufferLen> reply_{};
	int64_t now_ = 0;  // the current poll's time
	int64_t next_gc_ = 0, next_neighbour_ = 0, next_activity_ = 0;
};

} // namespace wayport
