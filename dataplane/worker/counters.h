// Per-worker counters. Every packet a worker receives is counted once as
// forwarded, punted (by reason) or dropped (by reason); a forwarded packet
// the TX queue refuses, or a punted one the ring refuses, is then counted
// again as tx_full or ring_full.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/counter.h"

namespace wayport {

enum class DropReason : uint8_t {
	malformed,        // truncated or inconsistent Ethernet/IP/UDP headers
	multi_segment,    // chained mbuf; the fast path reads one segment
	fragment,         // IP fragment
	not_for_us,       // another address, protocol, ethertype or UDP port
	short_payload,    // UDP payload shorter than a Geneve header
	unknown_vni,      // no endpoint has this VNI
	entry_busy,       // the control thread was rewriting the endpoint's entry
	not_bound,        // the endpoint does not have both legs bound
	source_mismatch,  // the source is neither bound leg
	no_route,         // the egress port has no address of the leg's family
	ring_full,        // the punt ring to the control thread is full
	tx_full,          // the egress TX queue did not take the packet
	count
};

enum class PuntReason : uint8_t {
	neighbour,       // ARP, ICMP or ICMPv6 (ND, echo) for the control thread
	stun,            // STUN binding request to the relay port
	disco,           // naked disco (allocation request) to the relay port
	relay_control,   // Geneve control bit: bind handshake
	unresolved,      // forwardable, but the next hop's MAC is not known yet
	count
};

const char *to_string(DropReason r);
const char *to_string(PuntReason r);

struct alignas(64) WorkerCounters {
	Counter rx_packets;
	Counter rx_bytes;
	Counter tx_packets;
	Counter tx_bytes;
	// Relayed data by transport, [in is IPv6][out is IPv6]: the
	// transport_in/transport_out metrics of Tailscale's relay.
	Counter forwarded_packets[2][2];
	Counter forwarded_bytes[2][2];
	Counter punted[static_cast<size_t>(PuntReason::count)];
	Counter drops[static_cast<size_t>(DropReason::count)];

	void drop(DropReason r, uint64_t n = 1) { drops[static_cast<size_t>(r)].add(n); }
	void punt(PuntReason r) { punted[static_cast<size_t>(r)].add(); }
};

} // namespace wayport
