// The relay server core (spec §3): allocation, the bind handshake and
// endpoint expiry, with no I/O and no clock of its own. One control thread
// owns a Server. Relay data never comes here: the core publishes each
// endpoint's bound legs (table.h) and the workers' relay stage forwards on
// them (spec §3.8), feeding per-leg counters back (apply_activity).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "controlplane/disco/key.h"
#include "controlplane/disco/message.h"
#include "controlplane/relay/config.h"
#include "controlplane/relay/endpoint.h"
#include "controlplane/relay/mac.h"
#include "controlplane/relay/metrics.h"
#include "controlplane/relay/random.h"
#include "controlplane/relay/rate_limiter.h"
#include "controlplane/relay/table.h"
#include "controlplane/relay/vni_pool.h"
#include "dataplane/wire/addr.h"
#include "dataplane/wire/bytes.h"

namespace wayport::relay {

// Tailscale's endpoint.ServerEndpoint has the same fields as the disco
// UDPRelayEndpoint it is sent as.
using ServerEndpoint = disco::UdpRelayEndpoint;

enum class AllocError : uint8_t {
	ok,
	not_ready,       // no addresses to advertise yet (Tailscale: retry in 3 s)
	server_key,      // a client key equals ServerDisco
	bad_client_key,  // a low-order point: its box would be forgeable
	pool_exhausted,
};

const char *to_string(AllocError e);

enum class Verdict : uint8_t {
	drop,      // see PacketResult::drop
	refused,   // an allocation request; see PacketResult::refusal
	reply,     // send reply[0, reply_len) back to the packet's source
	consumed,  // taken in (a binding Answer); nothing to send
};

struct PacketResult {
	Verdict verdict = Verdict::drop;
	DropReason drop = DropReason::too_short;
	AllocRefusal refusal = AllocRefusal::not_disco;
	size_t reply_len = 0;
};

struct GcResult {
	size_t scanned = 0;  // slots looked at, free ones included
	size_t removed = 0;
};

// Slots one gc_step may look at and stay well under a millisecond even when
// all of them expire: a removal costs 0.3-0.7 us, a live slot 10-30 ns on a
// busy 2 vCPU VM (docs/PERFORMANCE.md). A million endpoints are then swept
// in about a thousand calls.
inline constexpr size_t kGcStepBudget = 1024;

// Enough for a Challenge and for an allocation response with a few
// addresses; larger responses need a larger buffer.
inline constexpr size_t kReplyBufferLen = 1500;

class Server {
public:
	// server_disco signs the handshake (ServerDisco). node_disco is the
	// node's own disco key that allocation requests are sealed to; without
	// it, allocation requests are refused.
	Server(const disco::PrivateKey &server_disco, std::optional<disco::PrivateKey> node_disco,
	       const Config &config, RandomSource &random);

	const disco::PublicKey &server_disco() const { return server_pub_; }
	const Config &config() const { return config_; }

	// The addresses advertised in every ServerEndpoint (static, by config).
	void set_addr_ports(std::vector<AddrPort> addr_ports);

	// Tailscale's AllocateEndpoint (spec §3.3). Returns the pair's existing
	// endpoint unchanged if there is one.
	AllocError allocate(const disco::PublicKey &a, const disco::PublicKey &b, Time now,
			    ServerEndpoint &out);

	// One UDP payload that arrived at the relay port from `from`: a Geneve
	// control packet (spec §3.5) or a naked disco allocation request. A
	// reply, if any, is written to `reply` and goes back to `from`. A reply
	// to a Bind is never larger than the Bind. Geneve data is dropped as
	// DropReason::data: forwarding it is the workers' job.
	PacketResult handle_packet(ByteSpan payload, const AddrPort &from, Time now,
				   std::span<uint8_t> reply);


	// Counters read from the workers (table.h). Records for an endpoint that
	// is gone or was replaced, or for a leg that is not bound, are skipped.
	// Returns how many were applied.
	size_t apply_activity(std::span<const LegActivity> activity);

	// Expires endpoints as spec §3.9 says, looking at no more than `budget`
	// slots from where the last call stopped.
	GcResult gc_step(Time now, size_t budget);
	// Looks at every slot once.
	GcResult gc_all(Time now) { return gc_step(now, slots_.size()); }

	// Moves the forwarding table changes logged so far to the end of out.
	// The log grows until taken: take it after every batch of control work.
	void take_table_changes(std::vector<TableChange> &out);
	// An upsert for every live endpoint: a fresh table for a worker.
	void table_snapshot(std::vector<TableChange> &out) const;

	const Metrics &metrics() const { return metrics_; }
	const MacSecrets &mac_secrets() const { return mac_secrets_; }
	const VniPool &vni_pool() const { return vnis_; }
	size_t endpoint_count() const { return by_vni_.size(); }
	const Endpoint *find(uint32_t vni) const;
	size_t live_endpoints_for(const disco::PublicKey &client) const;

	// `tailscale debug peer-relay-sessions` (status.ServerStatus) as JSON.
	std::string sessions_json() const;

private:
	struct PairHash {
		uint64_t seed;
		size_t operator()(const std::array<disco::PublicKey, 2> &p) const;
	};
	struct KeyHash {
		uint64_t seed;
		size_t operator()(const disco::PublicKey &k) const;
	};

	PacketResult drop(DropReason r);
	PacketResult refuse(AllocRefusal r);
	PacketResult handle_control(Endpoint &e, ByteSpan frame, const AddrPort &from, Time now,
				    std::span<uint8_t> reply, size_t request_len);
	PacketResult handle_bind(Endpoint &e, int leg, const disco::BindCommon &bind,
				 const AddrPort &from, std::span<uint8_t> reply, size_t request_len);
	PacketResult handle_answer(Endpoint &e, int leg, const disco::BindCommon &answer,
				   const AddrPort &from, Time now);
	PacketResult handle_alloc_request(ByteSpan frame, const AddrPort &from, Time now,
					  std::span<uint8_t> reply);

	std::optional<disco::SharedKey> client_shared_key(const disco::PublicKey &client) const;
	void describe(const Endpoint &e, ServerEndpoint &out) const;
	void count_forwarded(const Endpoint &e, int leg, uint64_t packets, uint64_t bytes);
	void log_upsert(const Endpoint &e);
	bool expired(const Endpoint &e, Time now) const;
	void remove(uint32_t slot, Time now);

	disco::PrivateKey server_priv_;
	disco::PublicKey server_pub_;
	std::optional<disco::PrivateKey> node_priv_;
	disco::PublicKey node_pub_;
	Config config_;
	RandomSource &random_;
	std::vector<AddrPort> addr_ports_;

	MacSecrets mac_secrets_;
	VniPool vnis_;
	uint64_t lamport_id_ = 0;

	// Endpoints live in slots, so GC can walk them with a cursor.
	std::vector<Endpoint> slots_;
	std::vector<uint32_t> free_slots_;
	size_t gc_cursor_ = 0;
	std::unordered_map<uint32_t, uint32_t> by_vni_;
	std::unordered_map<std::array<disco::PublicKey, 2>, uint32_t, PairHash> by_pair_;
	// Per client key: its live endpoints (for the per-client cap) and its
	// shared key with ServerDisco, so an X25519 is paid once per client
	// rather than once per endpoint.
	struct ClientEntry {
		uint32_t endpoints = 0;
		disco::SharedKey shared;
	};
	std::unordered_map<disco::PublicKey, ClientEntry, KeyHash> per_client_;

	// Allocation requests: shared keys with the allow-listed senders, made
	// once; other senders (allow_any) cost an X25519 each.
	std::unordered_map<disco::PublicKey, disco::SharedKey, KeyHash> alloc_keys_;
	RateLimiter alloc_rate_;

	std::vector<TableChange> table_log_;
	Metrics metrics_;
	Bytes scratch_;  // reused for sealing, so replies allocate nothing
};

} // namespace wayport::relay
