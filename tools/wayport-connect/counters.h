// What wayport-connect counts; shown in its status JSON.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

namespace wayport::connect {

struct Counters {
	// WireGuard datagrams each way; bytes without the Geneve header.
	uint64_t to_relay_packets = 0;
	uint64_t to_relay_bytes = 0;
	uint64_t from_relay_packets = 0;
	uint64_t from_relay_bytes = 0;
	// From WireGuard while there was no bound path.
	uint64_t dropped_no_path = 0;
	// A socket buffer was full.
	uint64_t dropped_send = 0;
	// Larger than a UDP datagram may be (cannot happen on a sane host).
	uint64_t dropped_truncated = 0;
	// From an address that is neither local WireGuard nor the relay, or
	// something from the relay that is none of the messages we expect.
	uint64_t dropped_unexpected = 0;

	uint64_t allocations = 0;    // endpoints received
	uint64_t reallocations = 0;  // ... after the first
	uint64_t handshakes = 0;     // Answers sent after a valid Challenge
	uint64_t rebinds = 0;        // handshakes on a path we had already bound
	uint64_t pings_sent = 0;
	uint64_t pongs_received = 0;
	uint64_t pings_received = 0;
};

nlohmann::json to_json(const Counters &c);

} // namespace wayport::connect
