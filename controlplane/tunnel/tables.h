// The tables and rings WireGuard puts between the control thread and the
// workers (docs/ARCHITECTURE.md, "The thread contract WireGuard follows"),
// built from the configuration before the workers start, and what the
// workers' stages are given to read them (WireGuardShared).
//
// Ownership: this object owns every table and ring below and outlives the
// workers. After create() the control thread is the one writer of each
// table, under that table's own contract (keypair_table.h, prefix_table.h,
// fib.h, neighbour_index.h, data_peer.h); the rings are the workers' and
// the handshake threads' as WireGuardShared says. At start peer slots are
// the configuration's order: peer i of wireguard.peers is slot i; a peer's
// home worker is its slot modulo the worker count. The engine hands out
// and reuses slots afterwards (slot_pool.h).
#pragma once

#include <rte_ring.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "dataplane/nat/session_table.h"
#include "dataplane/stages/nat.h"
#include "dataplane/tables/fib.h"
#include "dataplane/tables/neighbour_index.h"
#include "dataplane/tables/prefix_table.h"
#include "dataplane/tables/rcu.h"
#include "dataplane/wireguard/data_peer.h"
#include "dataplane/wireguard/keypair_table.h"
#include "dataplane/worker/worker.h"

namespace wayport::tunnel {

// How big the tables are made, beyond what the configuration needs at
// start: room for peers and allowed IPs added at run time.
struct TableSizes {
	uint32_t max_peers = 1024;
	uint32_t keypairs_per_peer = 4;          // previous, current, next, and one handshake in flight
	uint32_t neighbours = 4096;              // next hops ip_out resolves on the ports' networks
	uint32_t fib_next_hops = 1024;           // two builds' worth (fib.h)
	uint32_t handshake_ring = 4096;          // per worker: the kernel's MAX_QUEUED_INCOMING_HANDSHAKES
	uint32_t handoff_ring = 1024;            // per pair of workers
};

class Tables {
public:
	// ports: as described_ports made them, in the configuration's order
	// (routes name ports by name: cfg.ports[i] is ports[i]). Null, with
	// error naming the table or ring and what to change, when DPDK cannot
	// make one (EAL memory) or the configuration does not fit the sizes.
	// slots: the neighbours' MACs, shared with the relay (the host stack
	// resolves both).
	static std::unique_ptr<Tables> create(const config::Config &cfg, const std::vector<Port> &ports,
					      unsigned workers, Qsbr &qsbr, const NeighbourSlots &slots,
					      const TableSizes &sizes, std::string &error);
	~Tables();
	Tables(const Tables &) = delete;
	Tables &operator=(const Tables &) = delete;

	// What the workers read; valid as long as this object.
	const WireGuardShared &shared() const { return shared_; }

	wireguard::KeypairTable &keypairs() { return *keypairs_; }
	wireguard::DataPeerTable &peers() { return *peers_; }
	PrefixTable &allowed_ips() { return *allowed_; }
	Fib &fib() { return *fib_; }
	NeighbourIndex &neighbour_index() { return *neighbour_index_; }
	// Deferred frees of the allowed-IPs table; the control loop polls it.
	Reclaimer &reclaimer() { return reclaimer_; }
	// The workers' grace periods, which every table here waits on.
	Qsbr &qsbr() { return qsbr_; }
	uint32_t peer_count() const { return peer_count_; }

	// The exit (exit:), or nothing without one. A peer's flag is set by
	// its key (exit.allow) before its allowed IPs are published, and
	// cleared when it goes: the control thread's.
	bool has_exit() const { return nat_ != nullptr; }
	void set_exit_peer(uint32_t slot, const wireguard::PublicKey &key);
	void clear_exit_peer(uint32_t slot);
	bool exit_peer(uint32_t slot) const;

private:
	explicit Tables(Qsbr &qsbr) : qsbr_(qsbr), reclaimer_(qsbr) {}
	bool build(const config::Config &cfg, const std::vector<Port> &ports, unsigned workers, Qsbr &qsbr,
		   const NeighbourSlots &slots, const TableSizes &sizes, std::string &error);
	bool make_rings(unsigned workers, const TableSizes &sizes, std::string &error);
	bool make_exit(const config::Config &cfg, const std::vector<Port> &ports, unsigned workers,
		       uint32_t max_peers, std::string &error);

	Qsbr &qsbr_;
	Reclaimer reclaimer_;
	std::unique_ptr<wireguard::KeypairTable> keypairs_;
	std::unique_ptr<wireguard::DataPeerTable> peers_;
	std::unique_ptr<PrefixTable> allowed_;
	std::unique_ptr<Fib> fib_;
	std::unique_ptr<NeighbourIndex> neighbour_index_;
	std::vector<EgressPort> egress_;
	uint32_t peer_count_ = 0;

	WgInputShared input_;
	WgOutputShared output_;
	IpOutShared ip_out_;
	WireGuardShared shared_;

	// The exit's, when there is one: the ports and the session cap every
	// worker shares, each worker's session table (only that worker touches
	// it), and by peer slot whether the peer may use the exit.
	std::unique_ptr<nat::NatShared> nat_;
	std::vector<std::unique_ptr<nat::SessionTable>> sessions_;
	std::unique_ptr<std::atomic<uint8_t>[]> exit_allowed_;
	uint32_t exit_slots_ = 0;
	bool exit_any_ = false;
	std::vector<wireguard::PublicKey> exit_allow_;
	NatStageShared nat_stage_;
};

} // namespace wayport::tunnel
