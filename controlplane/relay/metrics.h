// Counters of the relay core (spec §3.12, §3.13) and their Prometheus text
// exposition under the wayport_peer_relay_ prefix.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace wayport::relay {

// Why a packet at the relay port was dropped: the rows of spec §3.13 (every
// one silent on the wire), one counter each.
enum class DropReason : uint8_t {
	too_short,               // < 8 bytes: no Geneve header
	stun,                    // STUN binding reply: the core is no STUN client
	unknown_vni,
	control_protocol,        // control bit with a protocol other than disco
	control_not_disco,       // < 62 bytes or no disco magic behind Geneve
	control_unknown_sender,  // sender is not one of the two clients
	control_open_failed,     // the box does not open
	control_parse_error,
	control_unexpected_type, // a disco type other than Bind or Answer
	handshake_bad_vni,       // sealed VNI differs from the endpoint's
	handshake_bad_remote_key,// RemoteKey is not the other client
	bind_zero_generation,
	answer_no_handshake,     // no generation in progress on that leg
	answer_generation_mismatch,
	answer_bad_mac,          // under both secrets
	reply_no_room,           // the caller's reply buffer is too small
	data,                    // relay data: the workers forward it, the core never does
	count,
};

// Allocation requests (naked disco 0x08 sealed to the node key) that got no
// response, by reason. Tailscale only logs these; we count them.
enum class AllocRefusal : uint8_t {
	not_disco,          // no disco wrapper
	no_node_key,        // this server takes no allocation requests
	not_allowed,        // sender not allowed by configuration
	bad_sender_key,     // low-order point: no shared key
	open_failed,
	parse_error,
	not_request,        // another disco type
	version,            // version != 0: Tailscale reads a zero message
	sender_not_client,  // sender is neither ClientDisco
	rate_limited,
	per_key_cap,        // a client already has its share of endpoints
	server_key,         // a ClientDisco equals ServerDisco
	bad_client_key,     // a ClientDisco is a low-order point
	not_ready,          // no addresses to advertise yet
	pool_exhausted,
	no_room,            // the caller's reply buffer is too small
	count,
};

enum class HandshakeOutcome : uint8_t {
	challenge_sent,
	bound,      // a leg bound for the first time
	rebound,    // a bound leg moved to another address
	refreshed,  // a bound leg answered again from the same address
	count,
};

enum class AllocOutcome : uint8_t {
	allocated,  // a new endpoint
	existing,   // the pair already had one: returned unchanged
	count,
};

const char *to_string(DropReason r);
const char *to_string(AllocRefusal r);
const char *to_string(HandshakeOutcome o);
const char *to_string(AllocOutcome o);

template <typename E>
using PerReason = std::array<uint64_t, static_cast<size_t>(E::count)>;

enum Family : uint8_t { kUdp4 = 0, kUdp6 = 1 };

struct Metrics {
	PerReason<DropReason> drops{};
	PerReason<AllocRefusal> alloc_refusals{};
	PerReason<HandshakeOutcome> handshakes{};
	PerReason<AllocOutcome> allocations{};
	// [transport_in][transport_out]: relayed data only, never handshakes.
	uint64_t forwarded_packets[2][2] = {};
	uint64_t forwarded_bytes[2][2] = {};
	uint64_t endpoints_connecting = 0;  // at least one leg unbound
	uint64_t endpoints_open = 0;        // both legs bound
	uint64_t endpoints_expired = 0;

	uint64_t drop(DropReason r) const { return drops[static_cast<size_t>(r)]; }
	uint64_t refusal(AllocRefusal r) const { return alloc_refusals[static_cast<size_t>(r)]; }
	uint64_t handshake(HandshakeOutcome o) const { return handshakes[static_cast<size_t>(o)]; }
	uint64_t allocation(AllocOutcome o) const { return allocations[static_cast<size_t>(o)]; }
};

// Prometheus text exposition format 0.0.4: # HELP, # TYPE, labelled samples.
std::string render_prometheus(const Metrics &m);

} // namespace wayport::relay
