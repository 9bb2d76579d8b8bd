// The classify stage: parses every received packet once into its
// PacketMeta and picks its next stage from the destination table.
//
//   ARP; ICMP/ICMPv6 to a node address; ICMPv6 to a multicast group (ND)
//                                          -> control (PuntReason::neighbour)
//   UDP to a node address, relay port      -> relay
//   UDP to a node address, WireGuard listen port:
//     transport data (type 4, >= 32 bytes) -> wg_input
//     initiation, response, cookie reply
//     at their exact sizes                 -> wg_handshake
//     anything else                        -> drop not_wireguard
//   on the exit port, to a SNAT address, and none of the above: TCP, UDP,
//   ICMP echo replies and errors (ICMP queries stay the control thread's)
//                                          -> nat_in
//   IPv4/IPv6 to another address, sent to the port's MAC, when the node
//   forwards (WireGuard on); fragments too -> wg_output
//   anything else                          -> drop, with its ClassifyDrop reason
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include <rte_mbuf.h>

#include "dataplane/packet/meta.h"
#include "dataplane/ports/port.h"
#include "dataplane/stages/drops.h"

namespace wayport {

// Built from the configuration before the workers start; read-only after.
struct Destinations {
	std::vector<PortAddrs> ports;  // by DPDK port id; a port with neither address takes nothing
	std::vector<std::array<uint8_t, 6>> macs;  // by DPDK port id: what a frame to be forwarded is sent to
	uint16_t relay_port = 0;       // UDP port of the relay stage; 0: no relay
	uint16_t wg_port = 0;          // WireGuard's listen port; 0: no WireGuard
	bool forward = false;          // packets to other addresses go to wg_output (else not_for_us)
	// The exit (NAT on): its port id, kNoPort when there is none, and its
	// SNAT addresses (the port's own or others on its networks).
	static constexpr uint16_t kNoPort = UINT16_MAX;
	uint16_t exit_port = kNoPort;
	PortAddrs snat;
};

// Parses m into pm and returns pm.next. For Stage::drop, pm.reason is a
// ClassifyDrop; for Stage::control, a PuntReason. Reads at most the
// first segment's data and never writes the packet.
Stage classify(const rte_mbuf *m, const Destinations &d, PacketMeta &pm);

// The same parse for a packet with no link-layer header, such as one out
// of a tunnel: data[0, len) holds an IPv4 or IPv6 packet (and perhaps
// padding after it), ours the addresses that count as the node's. The
// caller resets pm first and keeps what it needs (ingress port, aux).
// Returns Stage::control for ICMP/ICMPv6 to ours (or ND multicast), and
// Stage::drop otherwise, with pm.reason saying how far it got: not_for_us
// (parsed whole, to_node set when it is addressed to ours), fragment
// (parsed to the fragment's L4 offset) or malformed.
Stage classify_inner(const uint8_t *data, uint32_t len, const PortAddrs &ours, PacketMeta &pm);

} // namespace wayport
