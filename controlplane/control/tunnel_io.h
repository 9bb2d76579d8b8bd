// What the control thread and its WireGuard engine (controlplane/tunnel/
// engine.h) give each other. The control thread owns the punt and inject
// rings and the neighbour table; the engine owns the WireGuard Device and
// its link to the workers' tables. Both run on the control thread: no
// call here takes a lock or blocks.
#pragma once

#include <rte_mbuf.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "controlplane/api/bridge.h"
#include "dataplane/stages/punt.h"

namespace wayport {

// The control thread's side, for the engine.
class TunnelIo {
public:
	virtual ~TunnelIo() = default;
	// nullptr when the pool is empty (counted).
	virtual rte_mbuf *alloc() = 0;
	// An IP packet this node built (data at its IP header, checksums done,
	// PacketMeta l3 set): routed by the FIB and sent by a worker's ip_out,
	// held first while its next hop's MAC is unknown. Takes ownership.
	virtual void route(rte_mbuf *m) = 0;
	// A packet for worker's graph, PacketMeta next (and aux) set. Takes
	// ownership; false when the inject ring was full (m freed, counted).
	virtual bool to_worker(rte_mbuf *m, unsigned worker) = 0;
};

// The engine's side, for the control thread.
class TunnelCore {
public:
	virtual ~TunnelCore() = default;
	// A WireGuard punt: wg_staged, wg_host or ttl_exceeded. Takes ownership.
	virtual void punt(rte_mbuf *m, PuntReason reason, int64_t now) = 0;
	// One control-loop turn at `now` (ns, monotonic); returns the work done.
	virtual size_t poll(int64_t now) = 0;
	// The "wireguard" object of the status JSON, and GET /wireguard.
	virtual std::string status_json() const = 0;
	// POST /wireguard/peer: the HTTP status and the JSON body.
	virtual std::pair<int, std::string> set_peer(const api::WgPeerChange &change, int64_t now) = 0;
	// Its lines of the Prometheus text.
	virtual std::string metrics_text() const = 0;
};

} // namespace wayport
