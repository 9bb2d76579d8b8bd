// Why a stage drops a packet: one list of reasons per stage, counted in
// WorkerCounters::drops (drop_index() flattens them) and named in status
// and metrics by to_string(). Here, apart from the stages, so that a stage's
// inline code and the counters can both see every list.
#pragma once

#include <cstdint>

namespace wayport {

// classify: the packet is not one any stage takes.
enum class ClassifyDrop : uint8_t {
	unknown_port,   // arrived on a port that has no entry in the destination table
	multi_segment,  // chained mbuf; the fast path reads one segment
	malformed,      // truncated or inconsistent Ethernet, IP, extension or L4 header
	fragment,       // IPv4 fragment or IPv6 fragment header; not reassembled
	not_for_us,     // another address, ethertype or protocol, or a node address and port no stage takes
	not_wireguard,  // UDP to the WireGuard listen port whose type and size fit no WireGuard message
	count
};

const char *to_string(ClassifyDrop r);

// relay: a packet to the relay port that cannot be forwarded.
enum class RelayDrop : uint8_t {
	short_payload,    // UDP payload shorter than a Geneve header, and not STUN or disco
	unknown_vni,      // no endpoint has this VNI
	entry_busy,       // the control thread was rewriting the endpoint's entry
	not_bound,        // the endpoint does not have both legs bound
	source_mismatch,  // the source is neither bound leg
	no_route,         // the egress port has no address of the leg's family, or no headroom
	no_neighbour,     // held for its next hop, handed back, and still unresolved
	count
};

const char *to_string(RelayDrop r);

// wg_input: WireGuard transport data to the listen port that delivers
// nothing. Keepalives are not drops: they are counted per peer.
enum class WgInputDrop : uint8_t {
	unknown_index,     // no keypair has its receiver index
	keypair_expired,   // its keypair is older than REJECT_AFTER_TIME
	decrypt_failed,    // the Poly1305 tag does not verify
	replayed,          // a counter seen before, too far behind the window, or past REJECT_AFTER_MESSAGES
	bad_inner_packet,  // decrypted, but not an IPv4/IPv6 packet of the length it says
	not_allowed_ip,    // the inner source is not in the sending peer's allowed IPs
	count
};

const char *to_string(WgInputDrop r);

// wg_output: an inner packet for a WireGuard peer that cannot be sent.
// Packets staged for a handshake are punts, not drops.
enum class WgOutputDrop : uint8_t {
	no_peer,            // the destination is in no peer's allowed IPs
	too_big,            // longer than the tunnel MTU
	staging_full,       // no keypair yet, and kMaxStaged packets are already on their way to be staged
	no_endpoint,        // the peer's endpoint is not known
	endpoint_busy,      // the control thread was rewriting the peer's endpoint
	no_endpoint_route,  // no route to the endpoint, or its port has no address of its family
	no_room,            // the mbuf has no headroom or tailroom for the headers, padding and tag
	encrypt_failed,     // the AEAD refused the job
	keepalive_unkeyed,  // a keepalive the control thread asked for, and the peer has no usable keypair any more
	removed_peer,       // handed back by the control thread for a peer removed since (its slot moved on)
	count
};

const char *to_string(WgOutputDrop r);

// ip_out: a packet to the networks behind the ports that cannot be sent.
// Reason names are unique over all stages (the status JSON lists drops
// flat), and relay has a no_route and a no_neighbour of its own, so these
// print as no_fib_route and still_unresolved.
enum class IpOutDrop : uint8_t {
	no_route,      // the FIB has no route to the destination, or its next hop names a port with no egress
	no_neighbour,  // held for its next hop by the control thread, handed back, and still unresolved
	no_headroom,   // no room before the IP header for the Ethernet header
	count
};

const char *to_string(IpOutDrop r);

// nat (nat_out and nat_in): a packet through the exit that is not
// translated. The first six are the session table's nat::NatDrop, in its
// order (nat.cpp checks).
enum class NatStageDrop : uint8_t {
	session_limit,       // exit.max_sessions reached
	peer_session_limit,  // exit.max_sessions_per_peer reached for the peer
	ports_exhausted,     // no free external port (ICMP identifier) of the family and protocol
	no_session,          // outbound that opens nothing: a TCP RST or an echo reply with no session
	no_mapping,          // inbound to an external port no mapping holds
	filtered,            // inbound the filtering mode refuses (exit.filtering), or TCP that is no SYN
	not_exit_peer,       // the sending peer is not in exit.allow
	no_snat_address,     // the exit has no SNAT address of the packet's family
	untranslatable,      // a fragment, an extension header, a protocol or ICMP type the NAT does not take, or truncated
	bad_icmp_checksum,   // an ICMP error whose checksum, or its quoted IPv4 header's, fails (RFC 5508 REQ-3)
	unknown_flow,        // an ICMP error quoting no live session
	count
};

const char *to_string(NatStageDrop r);

// The worker's last step: what the NIC or the control thread refused.
enum class OutputDrop : uint8_t {
	ring_full,   // the punt ring to the control thread is full
	tx_full,     // the egress TX queue did not take the packet
	bad_inject,  // the control thread handed back a packet with no valid next stage or port
	handshake_ring_full,  // the worker's handshake ring to the handshake threads is full
	handoff_full,         // the handoff ring to the packet's home worker is full
	bad_handoff,          // a WireGuard packet homed on a worker that has no handoff ring from this one
	count
};

const char *to_string(OutputDrop r);

} // namespace wayport
