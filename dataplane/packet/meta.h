// The per-packet metadata every stage reads and writes: what classify
// parsed, where the packet goes next and why. It lives in an mbuf dynamic
// field, in the mbuf's second cache line, which the relay's TX rewrite
// (l2_len, l3_len) touches anyway: the private area would be a third line
// per packet.
//
// The 36 bytes DPDK reserves for dynamic fields cannot hold two IPv6
// addresses next to everything else, so the addresses stay where they are,
// in the IP header at l3_offset, and flow_key() reads them (VPP's buffer
// metadata keeps offsets the same way). Ports, protocol and ICMP type are
// parsed in.
#pragma once

#include <cstdint>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "dataplane/wire/addr.h"

namespace wayport {

// Where a packet goes after the stage that has it. The graph is fixed (see
// docs/ARCHITECTURE.md, "The workers' graph"). Stages that do not exist yet
// have no value here.
enum class Stage : uint8_t {
	relay,         // UDP to a node address on the relay port
	control,       // punted to the control thread; PacketMeta::reason is a PuntReason
	tx,            // leaves on PacketMeta::tx_port, headers final
	drop,          // counted by the stage that chose it, then freed
	wg_input,      // WireGuard transport data to the listen port
	wg_handshake,  // a WireGuard handshake message to the listen port: the handshake ring
	wg_output,     // an IP packet to be routed, perhaps into the tunnel; or one handed back to be sealed
	ip_out,        // an IP packet with no link-layer header, to be routed out of a port
	nat_in,        // a packet to a SNAT address on the exit port, handed to its external port's owner
	count
};

const char *to_string(Stage s);

enum class L3 : uint8_t { none, arp, ipv4, ipv6 };

namespace meta_flags {
inline constexpr uint8_t to_node = 1 << 0;    // destination is one of the ingress port's addresses
inline constexpr uint8_t multicast = 1 << 1;  // IPv6 multicast destination
inline constexpr uint8_t injected = 1 << 2;   // came back from the control thread (inject ring)
inline constexpr uint8_t fragment = 1 << 3;   // an IP fragment forwarded as it is: no L4 header parsed
inline constexpr uint8_t translated = 1 << 4; // nat_out rewrote it: its hop is counted, it goes to no NAT again
} // namespace meta_flags

struct PacketMeta {
	uint16_t l3_offset;       // start of the IP (or ARP) header
	uint16_t l4_offset;       // start of the TCP/UDP/ICMP header, past IPv6 extension headers
	uint16_t payload_offset;  // start of the L4 payload
	uint16_t payload_len;     // L4 payload bytes (UDP: from its length field; TCP, ICMP: to the IP end)
	uint16_t src_port;        // host order; ICMP/ICMPv6 echo: the identifier, in both ports
	uint16_t dst_port;
	uint16_t l4_checksum;     // as received, network byte order
	uint16_t ingress_port;    // DPDK port id it arrived on
	L3 l3;
	uint8_t proto;            // IPPROTO_* of the L4 header (after extension headers)
	uint8_t icmp_type;        // ICMP/ICMPv6 only
	uint8_t icmp_code;
	uint8_t flags;            // meta_flags
	Stage next;
	uint8_t reason;           // Stage::control: a PuntReason; Stage::drop: the dropping stage's reason
	uint8_t worker;           // the worker that punted it, so what comes back returns there
	uint16_t tx_port;         // Stage::tx: the egress port
	uint16_t peer_gen;        // with aux = a peer slot in a ring: the slot's DataPeer::generation then
	uint32_t aux;             // the current stage's scratch: the relay's VNI, or the neighbour slot an unresolved packet waits for
};
static_assert(sizeof(PacketMeta) == 32, "PacketMeta must fit the mbuf's dynamic field area");

// The offset of the PacketMeta dynamic field in every mbuf. Set once by
// register_packet_meta() before any port starts; read-only afterwards.
inline int g_packet_meta_offset = -1;

// Registers the dynamic field (idempotent). False when the mbuf has no room
// left for it; rte_errno says why.
bool register_packet_meta();

inline PacketMeta &meta(rte_mbuf *m)
{
	return *RTE_MBUF_DYNFIELD(m, g_packet_meta_offset, PacketMeta *);
}

inline const PacketMeta &meta(const rte_mbuf *m)
{
	return *RTE_MBUF_DYNFIELD(m, g_packet_meta_offset, const PacketMeta *);
}

// The connection 5-tuple: addresses read from the IP header at l3_offset,
// ports (or the ICMP identifier) from the metadata.
struct FlowKey {
	AddrPort src;
	AddrPort dst;
	uint8_t proto;
};

// Only for packets classify parsed as IPv4 or IPv6.
FlowKey flow_key(const rte_mbuf *m, const PacketMeta &pm);

// Both addresses from the IP header, with the parsed ports, written in
// place (the fast path's way: see relay_view).
inline void read_addrs(const rte_mbuf *m, const PacketMeta &pm, AddrPort &src, AddrPort &dst)
{
	const uint8_t *l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, pm.l3_offset);
	if (pm.l3 == L3::ipv4) {
		src.set_v4(l3 + offsetof(rte_ipv4_hdr, src_addr), pm.src_port);
		dst.set_v4(l3 + offsetof(rte_ipv4_hdr, dst_addr), pm.dst_port);
	} else {
		src.set_v6(l3 + offsetof(rte_ipv6_hdr, src_addr), pm.src_port);
		dst.set_v6(l3 + offsetof(rte_ipv6_hdr, dst_addr), pm.dst_port);
	}
}

} // namespace wayport
