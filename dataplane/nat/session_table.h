// One worker's NAT state: mappings (an inside endpoint and its external
// port, endpoint-independent: RFC 4787 REQ-1, RFC 5382 REQ-1, RFC 5508
// REQ-1a) and sessions (a mapping and one remote endpoint, with the TCP
// state and the expiry), on a clock the caller gives, in whatever unit
// its timeouts are in (TSC cycles on a worker, nanoseconds in a test).
//
// Where state lives: all of a peer's traffic is on its home worker
// (wg_input and wg_output hand off to it), so its mappings and sessions
// are in that worker's table alone and a peer's cap needs no atomics.
// The external ports are shared (PortPool, one per family and protocol,
// in NatShared); an answer arriving on another worker is handed to the
// port's owner before in() is called. The global session cap is one
// atomic counter in NatShared, touched once per session made or freed.
//
// Mapping: out() for an inside endpoint with no mapping takes a port
// (preserved when free, else same class and parity: port_pool.h). The
// mapping lives while it has sessions and `mapping_linger` after the last
// one goes (RFC 6888 REQ-8: no other endpoint gets the port for 2 min;
// the same endpoint coming back gets its old port).
//
// Filtering (RFC 4787 REQ-8, RFC 5382 REQ-3): in() for a remote endpoint
// with no session is allowed, and makes one, when
//   endpoint_independent        the mapping has a session;
//   address_dependent           the mapping has a session with that remote address;
//   address_and_port_dependent  never;
// else it is dropped as `filtered`. A TCP packet so allowed must be a
// SYN (out_syn, 6 s: RFC 5382 REQ-4); anything else with no session is
// `filtered` too. ICMP queries: only replies come in, and only on a session.
//
// Expiry: a session past its expiry is treated as gone by every lookup
// of it (so its timeout holds to the tick), and reclaimed either then or
// by expire(), which looks at a bounded number of entries per call.
// Filtering counts the sessions not yet reclaimed: an expired session can
// let its address in until the sweep reaches it (one full sweep is
// capacity / budget calls of expire()).
// Timers refresh on traffic both ways (REQ-6 and REQ-6a), TCP by its state
// machine (tcp_state.h).
//
// Thread contract: one worker calls everything; no locks, no allocation
// after create().
#pragma once

#include <rte_hash.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/nat/port_pool.h"
#include "dataplane/nat/tcp_state.h"
#include "dataplane/wire/addr.h"

namespace wayport::nat {

enum class NatProto : uint8_t { tcp, udp, icmp, count };
const char *to_string(NatProto p);

enum class Filtering : uint8_t { endpoint_independent, address_dependent, address_and_port_dependent };
const char *to_string(Filtering f);

// In the caller's clock unit.
struct NatTimeouts {
	uint64_t udp = 0;
	uint64_t tcp_established = 0;
	uint64_t tcp_transitory = 0;
	uint64_t tcp_incoming_syn = 0;
	uint64_t icmp = 0;
	uint64_t mapping_linger = 0;
};

// Why out() or in() refused a packet: the NAT stages' drop reasons.
enum class NatDrop : uint8_t {
	session_limit,       // exit.max_sessions reached (or this worker's share of the table)
	peer_session_limit,  // exit.max_sessions_per_peer reached for the packet's peer
	ports_exhausted,     // no free external port (ICMP identifier) of the family and protocol
	no_session,          // outbound TCP that opens nothing (a RST with no session)
	no_mapping,          // inbound to an external port no mapping of this worker holds
	filtered,            // inbound from a remote the filtering mode refuses, or TCP that is no SYN
	count
};
const char *to_string(NatDrop d);

// What every worker shares: the SNAT addresses' ports and the global cap.
class NatShared {
public:
	// Ports lo..hi for TCP and UDP (ICMP identifiers: all of 0..65535).
	NatShared(uint16_t lo, uint16_t hi, uint32_t max_sessions);

	PortPool &pool(bool v4, NatProto p) { return *pools_[v4 ? 0 : 1][static_cast<size_t>(p)]; }
	// Before the workers start: port of protocol p is never handed out,
	// in either family (PortPool::reserve).
	void reserve(NatProto p, uint16_t port)
	{
		pool(true, p).reserve(port);
		pool(false, p).reserve(port);
	}
	uint32_t max_sessions() const { return max_sessions_; }
	uint32_t sessions() const { return sessions_.load(std::memory_order_relaxed); }

	// One session more, if the cap allows.
	bool reserve_session();
	void release_session() { sessions_.fetch_sub(1, std::memory_order_relaxed); }

private:
	std::unique_ptr<PortPool> pools_[2][static_cast<size_t>(NatProto::count)];
	const uint32_t max_sessions_;
	std::atomic<uint32_t> sessions_{0};
};

// A flow as the inside sees it. ICMP queries: the ports are the echo
// identifier (inside) and 0 (remote).
struct Flow {
	NatProto proto = NatProto::udp;
	AddrPort inside;
	AddrPort remote;
};

struct SessionView {
	Flow flow;
	uint16_t external_port = 0;
	uint32_t peer = 0;
	TcpState tcp = TcpState::closed;
	uint64_t expires = 0;
	bool inbound = false;  // made by an inbound packet the filtering let in
};

struct OutVerdict {
	bool ok = false;
	NatDrop drop = NatDrop::count;
	uint16_t external_port = 0;  // the new source port (identifier)
	uint32_t session = 0;
};

struct InVerdict {
	bool ok = false;
	NatDrop drop = NatDrop::count;
	AddrPort inside;             // the new destination
	uint32_t peer = 0;           // whose tunnel it goes into
	uint32_t session = 0;
};

struct SessionTableConfig {
	uint32_t capacity = 0;          // sessions (and mappings) this worker can hold
	uint32_t max_per_peer = 0;      // exit.max_sessions_per_peer
	uint32_t peers = 0;             // peer slots (wireguard.max_peers)
	Filtering filtering = Filtering::address_dependent;
	NatTimeouts timeouts;
	uint8_t worker = 0;             // the owner this table's ports are taken for
};

class SessionTable {
public:
	// Null, with error saying why, when DPDK cannot make its hashes.
	static std::unique_ptr<SessionTable> create(const SessionTableConfig &cfg, NatShared &shared, std::string &error);
	~SessionTable();
	SessionTable(const SessionTable &) = delete;
	SessionTable &operator=(const SessionTable &) = delete;

	// A packet from the inside for flow, of peer; tcp_flags for TCP.
	OutVerdict out(const Flow &flow, uint32_t peer, uint8_t tcp_flags, uint64_t now);
	// A packet from remote to external_port of the v4 or v6 SNAT address.
	InVerdict in(NatProto proto, bool v4, uint16_t external_port, const AddrPort &remote, uint8_t tcp_flags,
		     uint64_t now);

	// The live session an ICMP error quotes, without refreshing it or
	// moving its TCP state (RFC 5508 REQ-6, RFC 5382 REQ-10, RFC 4787
	// REQ-12: no ICMP message ends a mapping). An error from the internet
	// quotes what the NAT sent: from external_port to remote.
	InVerdict quoted_in(NatProto proto, bool v4, uint16_t external_port, const AddrPort &remote, uint64_t now);
	// An error from the inside quotes what it received: flow reversed.
	OutVerdict quoted_out(const Flow &flow, uint64_t now);

	// Frees what has expired among the next `budget` sessions and
	// mappings; returns how many were freed.
	size_t expire(uint64_t now, uint32_t budget);

	uint32_t sessions() const { return sessions_; }
	uint32_t mappings() const { return mappings_; }
	uint32_t peer_sessions(uint32_t peer) const { return peer < per_peer_.size() ? per_peer_[peer] : 0; }
	// Live sessions (expired ones not yet reclaimed left out), for listing.
	std::vector<SessionView> list(uint64_t now) const;

private:
	struct Session;
	struct Mapping;
	struct HashFree {
		void operator()(rte_hash *h) const;
	};
	using Hash = std::unique_ptr<rte_hash, HashFree>;

	SessionTable(const SessionTableConfig &cfg, NatShared &shared);
	bool make_hashes(std::string &error);

	// The flow's live session; -1 when it has none, or had one that
	// expired (reclaimed now).
	int32_t find_session(const Flow &flow, uint64_t now);
	// A session of the flow through mapping m, counted; -1 when a cap or
	// the table refuses (drop says which).
	int32_t new_session(const Flow &flow, uint32_t m, bool inbound, NatDrop &drop);
	void free_session(uint32_t s, uint64_t now);
	// The inside endpoint's mapping, made (and made set) if it has none;
	// -1 when no port is free.
	int32_t find_or_map(const Flow &flow, uint32_t peer, bool &made);
	void free_mapping(uint32_t m);
	// Whether address-dependent filtering lets remote in through mapping m.
	bool knows_address(uint32_t m, const AddrPort &remote) const;
	void count_address(uint32_t m, const AddrPort &remote, int delta);
	void step(Session &s, Side from, uint8_t tcp_flags, uint64_t now) const;

	const SessionTableConfig cfg_;
	NatShared &shared_;
	// Each hash's key positions are the indexes of the array beside it
	// (rte_hash gives 0 .. entries - 1, and takes a position back on delete).
	Hash by_flow_;       // (protocol, inside, remote) -> session_
	Hash by_inside_;     // inside endpoint -> mapping_
	Hash by_address_;    // (mapping, remote address) -> address_count_; address_dependent only
	std::vector<Session> session_;
	std::vector<Mapping> mapping_;
	std::vector<uint32_t> address_count_;
	// External port -> mapping index + 1 (0: none), per family and protocol.
	std::vector<uint32_t> by_port_[2][static_cast<size_t>(NatProto::count)];
	std::vector<uint32_t> per_peer_;
	uint32_t sessions_ = 0, mappings_ = 0;
	uint32_t sweep_session_ = 0, sweep_mapping_ = 0;
	uint32_t seed_ = 0x9e3779b9;
};

} // namespace wayport::nat
