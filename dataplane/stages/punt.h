// Why a worker hands a packet to the control thread. The reason travels in
// PacketMeta::reason; the control thread dispatches on it.
#pragma once

#include <cstdint>

namespace wayport {

enum class PuntReason : uint8_t {
	neighbour,       // ARP, ICMP or ICMPv6 (ND, echo) for the control thread's host stack
	stun,            // STUN binding request to the relay port
	disco,           // naked disco (allocation request) to the relay port
	relay_control,   // Geneve control bit: bind handshake
	unresolved,      // relay data whose next hop's MAC is not known yet; PacketMeta::aux is the neighbour slot
	ttl_exceeded,    // ip_out: TTL or hop limit would reach 0; the control thread answers with ICMP Time Exceeded
	wg_staged,       // an inner IP packet for a WireGuard peer with no usable keypair; PacketMeta::aux is the peer slot
	ip_unresolved,   // ip_out: the next hop's MAC is not known yet; tx_port is the egress port, aux the neighbour slot or IpOutStage::kUnknownSlot
	wg_host,         // an inner packet out of the tunnel to one of the node's tunnel addresses; PacketMeta::aux is the peer slot
	count
};

const char *to_string(PuntReason r);

} // namespace wayport
