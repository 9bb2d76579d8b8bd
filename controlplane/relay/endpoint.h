// One relay endpoint: the server side of a VNI shared by two clients (spec
// §3.4), kept to at most 256 bytes so a million of them fit in 256 MB.
#pragma once

#include <array>
#include <cstdint>

#include "controlplane/disco/key.h"
#include "controlplane/relay/clock.h"
#include "dataplane/wire/addr.h"

namespace wayport::relay {

struct Endpoint {
	std::array<disco::PublicKey, 2> client;  // sorted: [0] is the smaller key
	// ServerDisco with each client, computed once at allocation so the
	// handshake costs no X25519.
	std::array<disco::SharedKey, 2> shared;
	uint64_t lamport_id = 0;
	Time allocated_at = 0;
	// Refreshed by a successful Answer and by relayed data from that leg
	// (never by a Bind): the steady-state lifetime runs from here.
	std::array<Time, 2> last_seen{};
	std::array<uint64_t, 2> packets_rx{};  // from client i, to be relayed
	std::array<uint64_t, 2> bytes_rx{};    // Geneve header included
	std::array<AddrPort, 2> bound{};       // valid where bound_mask has bit i
	// Zero when no handshake is in progress on that leg (or it just ended).
	std::array<uint32_t, 2> in_progress_generation{};
	uint32_t vni = 0;                      // 0: the slot is free
	uint8_t bound_mask = 0;

	bool is_bound(int leg) const { return (bound_mask >> leg & 1) != 0; }
	bool fully_bound() const { return bound_mask == 3; }
};

static_assert(sizeof(Endpoint) <= 256, "per-endpoint state must stay within 256 bytes");

} // namespace wayport::relay
