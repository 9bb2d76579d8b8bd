#include "dataplane/stages/classify.h"

#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include <cstring>

#include "dataplane/stages/punt.h"
#include "dataplane/wire/wireguard.h"

namespace wayport {

const char *to_string(ClassifyDrop r)
{
	switch (r) {
	case ClassifyDrop::unknown_port: return "unknown_port";
	case ClassifyDrop::multi_segment: return "multi_segment";
	case ClassifyDrop::malformed: return "malformed";
	case ClassifyDrop::fragment: return "fragment";
	case ClassifyDrop::not_for_us: return "not_for_us";
	case ClassifyDrop::not_wireguard: return "not_wireguard";
	case ClassifyDrop::count: break;
	}
	return "unknown";
}

namespace {

constexpr uint8_t kIpv6HopByHop = 0;
constexpr uint8_t kIpv6Routing = 43;
constexpr uint8_t kIpv6Fragment = 44;
constexpr uint8_t kIpv6DestinationOptions = 60;
// Real traffic carries one or two; the bound keeps a crafted chain from
// costing the worker more than a few cache lines.
constexpr unsigned kMaxIpv6ExtensionHeaders = 8;
// Every extension header is a multiple of 8 bytes, at least one.
constexpr uint32_t kIpv6ExtensionUnit = 8;

constexpr uint8_t kIcmpv6EchoRequest = 128;
constexpr uint8_t kIcmpv6EchoReply = 129;
// Type, code and checksum, then the 4 bytes every message has: the echo
// identifier and sequence number, or what other types keep there.
constexpr uint32_t kIcmpHeaderLen = sizeof(rte_icmp_hdr);

Stage drop(PacketMeta &pm, ClassifyDrop r)
{
	pm.reason = static_cast<uint8_t>(r);
	return pm.next = Stage::drop;
}

Stage punt(PacketMeta &pm, PuntReason r)
{
	pm.reason = static_cast<uint8_t>(r);
	return pm.next = Stage::control;
}

// A protocol classify does not parse (or a fragment, whose L4 header may be
// in another packet): all of it to the IP end is payload.
Stage drop_unparsed(PacketMeta &pm, uint32_t ip_end, ClassifyDrop r)
{
	pm.payload_offset = pm.l4_offset;
	pm.payload_len = static_cast<uint16_t>(ip_end - pm.l4_offset);
	return drop(pm, r);
}

// The UDP ports stages listen on at the node's addresses; 0: none.
struct Listeners {
	uint16_t relay = 0;
	uint16_t wireguard = 0;
};

// UDP to the WireGuard listen port: transport data for wg_input,
// handshake messages at their exact sizes for the handshake threads.
Stage classify_wireguard(const uint8_t *payload, uint32_t len, PacketMeta &pm)
{
	switch (wireguard_type(ByteSpan(payload, len))) {
	case WireGuardType::transport:
		return pm.next = Stage::wg_input;
	case WireGuardType::initiation:
	case WireGuardType::response:
	case WireGuardType::cookie_reply:
		return pm.next = Stage::wg_handshake;
	case WireGuardType::none:
		break;
	}
	return drop(pm, ClassifyDrop::not_wireguard);
}

Stage classify_udp(const uint8_t *l4, uint32_t left, Listeners listen, PacketMeta &pm)
{
	if (left < sizeof(rte_udp_hdr))
		return drop(pm, ClassifyDrop::malformed);
	const auto *udp = reinterpret_cast<const rte_udp_hdr *>(l4);
	uint32_t udp_len = rte_be_to_cpu_16(udp->dgram_len);
	if (udp_len < sizeof(rte_udp_hdr) || udp_len > left)
		return drop(pm, ClassifyDrop::malformed);
	pm.src_port = rte_be_to_cpu_16(udp->src_port);
	pm.dst_port = rte_be_to_cpu_16(udp->dst_port);
	pm.l4_checksum = udp->dgram_cksum;
	pm.payload_offset = static_cast<uint16_t>(pm.l4_offset + sizeof(rte_udp_hdr));
	pm.payload_len = static_cast<uint16_t>(udp_len - sizeof(rte_udp_hdr));
	if (pm.flags & meta_flags::to_node) {
		if (listen.relay != 0 && pm.dst_port == listen.relay)
			return pm.next = Stage::relay;
		if (listen.wireguard != 0 && pm.dst_port == listen.wireguard)
			return classify_wireguard(l4 + sizeof(rte_udp_hdr), pm.payload_len, pm);
	}
	return drop(pm, ClassifyDrop::not_for_us);
}

// Parsed so that counters and later stages (NAT) see the ports; no stage
// takes TCP yet.
Stage classify_tcp(const uint8_t *l4, uint32_t left, PacketMeta &pm)
{
	if (left < sizeof(rte_tcp_hdr))
		return drop(pm, ClassifyDrop::malformed);
	const auto *tcp = reinterpret_cast<const rte_tcp_hdr *>(l4);
	uint32_t header = (tcp->data_off >> 4) * 4u;
	if (header < sizeof(rte_tcp_hdr) || header > left)
		return drop(pm, ClassifyDrop::malformed);
	pm.src_port = rte_be_to_cpu_16(tcp->src_port);
	pm.dst_port = rte_be_to_cpu_16(tcp->dst_port);
	pm.l4_checksum = tcp->cksum;
	pm.payload_offset = static_cast<uint16_t>(pm.l4_offset + header);
	pm.payload_len = static_cast<uint16_t>(left - header);
	return drop(pm, ClassifyDrop::not_for_us);
}

// ICMP and ICMPv6 share the header layout; only the echo types differ.
Stage classify_icmp(const uint8_t *l4, uint32_t left, bool for_control, uint8_t echo_request,
		    uint8_t echo_reply, PacketMeta &pm)
{
	if (left < kIcmpHeaderLen)
		return drop(pm, ClassifyDrop::malformed);
	const auto *icmp = reinterpret_cast<const rte_icmp_hdr *>(l4);
	pm.icmp_type = icmp->icmp_type;
	pm.icmp_code = icmp->icmp_code;
	pm.l4_checksum = icmp->icmp_cksum;
	// The identifier is what a NAT keys an echo flow on, as it does a port.
	if (pm.icmp_type == echo_request || pm.icmp_type == echo_reply)
		pm.src_port = pm.dst_port = rte_be_to_cpu_16(icmp->icmp_ident);
	pm.payload_offset = static_cast<uint16_t>(pm.l4_offset + kIcmpHeaderLen);
	pm.payload_len = static_cast<uint16_t>(left - kIcmpHeaderLen);
	if (for_control)
		return punt(pm, PuntReason::neighbour);
	return drop(pm, ClassifyDrop::not_for_us);
}

// pm.l3, proto, l4_offset and flags are set; ip_end is where the IP
// packet ends (before any Ethernet padding).
Stage classify_l4(const uint8_t *data, uint32_t ip_end, Listeners listen, PacketMeta &pm)
{
	const uint8_t *l4 = data + pm.l4_offset;
	uint32_t left = ip_end - pm.l4_offset;
	switch (pm.proto) {
	case IPPROTO_UDP:
		return classify_udp(l4, left, listen, pm);
	case IPPROTO_TCP:
		return classify_tcp(l4, left, pm);
	case IPPROTO_ICMP:
		if (pm.l3 != L3::ipv4)
			break;
		return classify_icmp(l4, left, pm.flags & meta_flags::to_node, RTE_IP_ICMP_ECHO_REQUEST,
				     RTE_IP_ICMP_ECHO_REPLY, pm);
	case IPPROTO_ICMPV6:
		if (pm.l3 != L3::ipv6)
			break;
		// Neighbour discovery goes to our unicast address or to a
		// multicast group (solicited-node, all-nodes): both are the
		// control thread's.
		return classify_icmp(l4, left, pm.flags & (meta_flags::to_node | meta_flags::multicast),
				     kIcmpv6EchoRequest, kIcmpv6EchoReply, pm);
	}
	return drop_unparsed(pm, ip_end, ClassifyDrop::not_for_us);
}

Stage classify_ipv4(const uint8_t *data, uint32_t len, const PortAddrs &ours, Listeners listen, PacketMeta &pm)
{
	pm.l3 = L3::ipv4;
	uint32_t l3 = pm.l3_offset;
	if (len - l3 < sizeof(rte_ipv4_hdr))
		return drop(pm, ClassifyDrop::malformed);
	const auto *ip = reinterpret_cast<const rte_ipv4_hdr *>(data + l3);
	uint32_t header = (ip->version_ihl & 0x0f) * 4u;
	// Ethernet pads short frames to 60 bytes, so total_length, not the
	// frame, says where the packet ends.
	uint32_t total = rte_be_to_cpu_16(ip->total_length);
	if ((ip->version_ihl >> 4) != 4 || header < sizeof(rte_ipv4_hdr) || total < header || total > len - l3)
		return drop(pm, ClassifyDrop::malformed);
	pm.proto = ip->next_proto_id;
	pm.l4_offset = static_cast<uint16_t>(l3 + header);
	if (ours.has_ipv4 && std::memcmp(&ip->dst_addr, ours.ipv4, 4) == 0)
		pm.flags = meta_flags::to_node;
	uint32_t ip_end = l3 + total;
	// A fragment is not reassembled: to the node it counts as one (how much
	// traffic the fast path cannot take), and one to another address is
	// forwarded as it is, marked, when the node forwards (forward_or_drop).
	if (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
		return drop_unparsed(pm, ip_end, ClassifyDrop::fragment);
	return classify_l4(data, ip_end, listen, pm);
}

bool is_walked_extension(uint8_t next)
{
	return next == kIpv6HopByHop || next == kIpv6Routing || next == kIpv6DestinationOptions;
}

Stage classify_ipv6(const uint8_t *data, uint32_t len, const PortAddrs &ours, Listeners listen, PacketMeta &pm)
{
	pm.l3 = L3::ipv6;
	uint32_t l3 = pm.l3_offset;
	if (len - l3 < sizeof(rte_ipv6_hdr))
		return drop(pm, ClassifyDrop::malformed);
	const auto *ip = reinterpret_cast<const rte_ipv6_hdr *>(data + l3);
	uint32_t payload = rte_be_to_cpu_16(ip->payload_len);
	if ((data[l3] >> 4) != 6 || payload > len - l3 - sizeof(rte_ipv6_hdr))
		return drop(pm, ClassifyDrop::malformed);
	if (ip->dst_addr[0] == 0xff)
		pm.flags = meta_flags::multicast;
	else if (ours.has_ipv6 && std::memcmp(ip->dst_addr, ours.ipv6, 16) == 0)
		pm.flags = meta_flags::to_node;
	uint32_t ip_end = l3 + sizeof(rte_ipv6_hdr) + payload;
	uint32_t off = l3 + sizeof(rte_ipv6_hdr);
	uint8_t next = ip->proto;
	for (unsigned walked = 0; is_walked_extension(next); walked++) {
		if (walked == kMaxIpv6ExtensionHeaders || ip_end - off < kIpv6ExtensionUnit)
			return drop(pm, ClassifyDrop::malformed);
		uint32_t ext_len = (data[off + 1] + 1u) * kIpv6ExtensionUnit;
		if (ext_len > ip_end - off)
			return drop(pm, ClassifyDrop::malformed);
		next = data[off];
		off += ext_len;
	}
	if (next == kIpv6Fragment) {
		if (ip_end - off < sizeof(rte_ipv6_fragment_ext))
			return drop(pm, ClassifyDrop::malformed);
		pm.proto = data[off];
		pm.l4_offset = static_cast<uint16_t>(off + sizeof(rte_ipv6_fragment_ext));
		return drop_unparsed(pm, ip_end, ClassifyDrop::fragment);
	}
	pm.proto = next;
	pm.l4_offset = static_cast<uint16_t>(off);
	return classify_l4(data, ip_end, listen, pm);
}

// A packet no stage of the node takes (not_for_us or fragment): routed on
// by wg_output when the node forwards and the frame was sent to this
// port's MAC (a router takes only what is addressed to it at layer 2), and
// it is no multicast and not to a node address.
Stage forward_or_drop(const rte_ether_hdr *eth, const Destinations &d, PacketMeta &pm)
{
	if (!d.forward || (pm.flags & (meta_flags::to_node | meta_flags::multicast)) ||
	    (pm.reason != static_cast<uint8_t>(ClassifyDrop::not_for_us) &&
	     pm.reason != static_cast<uint8_t>(ClassifyDrop::fragment)))
		return Stage::drop;
	if (pm.ingress_port >= d.macs.size() ||
	    std::memcmp(eth->dst_addr.addr_bytes, d.macs[pm.ingress_port].data(), RTE_ETHER_ADDR_LEN) != 0)
		return Stage::drop;
	if (pm.reason == static_cast<uint8_t>(ClassifyDrop::fragment))
		pm.flags |= meta_flags::fragment;
	pm.reason = 0;
	return pm.next = Stage::wg_output;
}

// ICMP that answers a flow (echo reply) or reports on one (errors):
// what nat_in translates. Queries to a SNAT address stay the node's.
bool icmp_for_nat(const PacketMeta &pm)
{
	if (pm.l3 == L3::ipv4 && pm.proto == IPPROTO_ICMP)
		return pm.icmp_type == RTE_IP_ICMP_ECHO_REPLY || pm.icmp_type == 3 || pm.icmp_type == 4 ||
		       pm.icmp_type == 5 || pm.icmp_type == 11 || pm.icmp_type == 12;
	if (pm.l3 == L3::ipv6 && pm.proto == IPPROTO_ICMPV6)
		return (pm.icmp_type >= 1 && pm.icmp_type <= 4) || pm.icmp_type == kIcmpv6EchoReply;
	return false;
}

bool to_snat(const uint8_t *data, const PacketMeta &pm, const PortAddrs &snat)
{
	const uint8_t *l3 = data + pm.l3_offset;
	if (pm.l3 == L3::ipv4)
		return snat.has_ipv4 && std::memcmp(l3 + offsetof(rte_ipv4_hdr, dst_addr), snat.ipv4, 4) == 0;
	return snat.has_ipv6 && std::memcmp(l3 + offsetof(rte_ipv6_hdr, dst_addr), snat.ipv6, 16) == 0;
}

// After the IP parse: what no node stage took, arriving on the exit port
// for a SNAT address, is nat_in's; the rest is forwarded or dropped.
Stage nat_forward_or_drop(const uint8_t *data, const Destinations &d, PacketMeta &pm, Stage s)
{
	if (pm.ingress_port == d.exit_port && to_snat(data, pm, d.snat) &&
	    ((s == Stage::drop && pm.reason == static_cast<uint8_t>(ClassifyDrop::not_for_us)) ||
	     (s == Stage::control && icmp_for_nat(pm)))) {
		pm.reason = 0;
		return pm.next = Stage::nat_in;
	}
	return s == Stage::drop ? forward_or_drop(reinterpret_cast<const rte_ether_hdr *>(data), d, pm) : s;
}

} // namespace

[[gnu::flatten]] Stage classify_inner(const uint8_t *data, uint32_t len, const PortAddrs &ours, PacketMeta &pm)
{
	pm.l3_offset = 0;
	if (len == 0)
		return drop(pm, ClassifyDrop::malformed);
	switch (data[0] >> 4) {
	case 4:
		return classify_ipv4(data, len, ours, {}, pm);
	case 6:
		return classify_ipv6(data, len, ours, {}, pm);
	default:
		return drop(pm, ClassifyDrop::malformed);
	}
}

// Flattened: the per-layer helpers as one function, no calls per packet.
[[gnu::flatten]] Stage classify(const rte_mbuf *m, const Destinations &d, PacketMeta &pm)
{
	pm = PacketMeta{};
	pm.ingress_port = m->port;
	if (m->port >= d.ports.size())
		return drop(pm, ClassifyDrop::unknown_port);
	const PortAddrs &ours = d.ports[m->port];
	if (!ours.has_ipv4 && !ours.has_ipv6)
		return drop(pm, ClassifyDrop::unknown_port);
	if (!rte_pktmbuf_is_contiguous(m))
		return drop(pm, ClassifyDrop::multi_segment);
	const auto *data = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m);
	if (len < sizeof(rte_ether_hdr))
		return drop(pm, ClassifyDrop::malformed);
	pm.l3_offset = sizeof(rte_ether_hdr);
	const auto *eth = reinterpret_cast<const rte_ether_hdr *>(data);
	const Listeners listen{d.relay_port, d.wg_port};
	Stage s;
	switch (rte_be_to_cpu_16(eth->ether_type)) {
	case RTE_ETHER_TYPE_IPV4:
		s = classify_ipv4(data, len, ours, listen, pm);
		return nat_forward_or_drop(data, d, pm, s);
	case RTE_ETHER_TYPE_IPV6:
		s = classify_ipv6(data, len, ours, listen, pm);
		return nat_forward_or_drop(data, d, pm, s);
	case RTE_ETHER_TYPE_ARP:
		pm.l3 = L3::arp;
		return punt(pm, PuntReason::neighbour);
	default:
		return drop(pm, ClassifyDrop::not_for_us);
	}
}

} // namespace wayport
