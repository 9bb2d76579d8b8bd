// The classify stage, in the manner of the kernel WireGuard selftests: one
// table of frames and what classify must make of them, one loop over it.
// Then random damage to valid frames, which the sanitizer build turns into
// a check that classify never reads outside the frame.
#include <gtest/gtest.h>

#include <rte_mbuf.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <iterator>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "dataplane/packet/meta.h"
#include "dataplane/stages/classify.h"
#include "dataplane/stages/punt.h"
#include "dataplane/wire/bytes.h"
#include "dataplane/wire/wireguard.h"
#include "tests/dpdk/packet_builder.h"
#include "tests/dpdk/ring_port.h"

namespace wayport {
namespace {

constexpr uint16_t kRelayPort = 7777;
constexpr uint16_t kWgPort = 51820;
constexpr uint16_t kPeerPort = 40000;
constexpr uint16_t kEchoId = 0x1234;

// The destination table every case runs against, by DPDK port id.
constexpr uint16_t kPortBoth = 0;
constexpr uint16_t kPortV4Only = 1;
constexpr uint16_t kPortNone = 2;
constexpr uint16_t kPortOutOfRange = 3;

constexpr uint8_t kTcp = 6;
constexpr uint8_t kUdp = 17;
constexpr uint8_t kIcmp = 1;
constexpr uint8_t kIcmpv6 = 58;
constexpr uint8_t kGre = 47;
constexpr uint8_t kHopByHop = 0;
constexpr uint8_t kRouting = 43;
constexpr uint8_t kFragment = 44;
constexpr uint8_t kNoNextHeader = 59;
constexpr uint8_t kDestinationOptions = 60;

// Marks, not sums: classify passes checksums through unchecked.
constexpr uint16_t kUdpChecksum = 0xbeef;
constexpr uint16_t kTcpChecksum = 0xcafe;
constexpr uint16_t kIcmpChecksum = 0xf00d;

// Where headers start in frames with no IPv4 options or IPv6 extensions.
constexpr uint16_t kL3 = 14;
constexpr uint16_t kL4v4 = kL3 + 20;
constexpr uint16_t kL4v6 = kL3 + 40;
// Header fields, as frame offsets, that cases patch.
constexpr size_t kIpv4VersionIhl = kL3;
constexpr size_t kIpv4TotalLength = kL3 + 2;
constexpr size_t kIpv4Fragment = kL3 + 6;
constexpr size_t kIpv6Version = kL3;
constexpr size_t kIpv6PayloadLength = kL3 + 4;
constexpr size_t kUdpLengthV4 = kL4v4 + 4;
constexpr size_t kUdpLengthV6 = kL4v6 + 4;
constexpr size_t kTcpDataOffset = kL4v4 + 12;

const Bytes kNode4 = {192, 0, 2, 1};
const Bytes kPeer4 = {198, 51, 100, 7};
const Bytes kOther4 = {192, 0, 2, 99};
const Bytes kNode6 = *from_hex("20010db8000000000000000000000001");
const Bytes kPeer6 = *from_hex("20010db8000000010000000000000007");
const Bytes kOther6 = *from_hex("20010db8000000000000000000000099");
const Bytes kSolicitedNode6 = *from_hex("ff0200000000000000000001ff000001");
const Bytes kMdns6 = *from_hex("ff0200000000000000000000000000fb");

Bytes operator+(Bytes a, const Bytes &b)
{
	a.insert(a.end(), b.begin(), b.end());
	return a;
}

Bytes be16(size_t v)
{
	return {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}

Bytes filler(size_t n)
{
	return Bytes(n, 0x5a);
}

Bytes ethernet(uint16_t type, const Bytes &l3)
{
	return Bytes{0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0xaa} + be16(type) + l3;
}

Bytes ipv4(uint8_t proto, const Bytes &dst, const Bytes &l4, const Bytes &options = {})
{
	size_t header = 20 + options.size();
	Bytes h = Bytes{static_cast<uint8_t>(0x40 | header / 4), 0} + be16(header + l4.size()) +
		  Bytes{0, 0, 0, 0, 64, proto, 0, 0} + kPeer4 + dst;
	return h + options + l4;
}

Bytes v4(uint8_t proto, const Bytes &dst, const Bytes &l4)
{
	return ethernet(0x0800, ipv4(proto, dst, l4));
}

// rest: extension headers and the L4 header, all in payload_length.
Bytes v6(uint8_t next, const Bytes &dst, const Bytes &rest)
{
	Bytes h = Bytes{0x60, 0, 0, 0} + be16(rest.size()) + Bytes{next, 64} + kPeer6 + dst;
	return ethernet(0x86dd, h + rest);
}

// An extension header of (units + 1) * 8 bytes.
Bytes extension(uint8_t next, uint8_t units = 0)
{
	Bytes h((units + 1u) * 8, 0);
	h[0] = next;
	h[1] = units;
	return h;
}

// n 8-byte extension headers, hop-by-hop first (the IPv6 header's next
// header), destination options after; the last one names last.
Bytes extension_chain(unsigned n, uint8_t last)
{
	Bytes b;
	for (unsigned i = 0; i < n; i++)
		b = b + extension(i + 1 == n ? last : kDestinationOptions);
	return b;
}

Bytes fragment_header(uint8_t next)
{
	return Bytes{next, 0, 0, 1, 0, 0, 0, 42};  // offset 0, more fragments
}

Bytes udp(uint16_t dst_port, size_t payload)
{
	return be16(kPeerPort) + be16(dst_port) + be16(8 + payload) + be16(kUdpChecksum) + filler(payload);
}

Bytes udp_with(uint16_t dst_port, const Bytes &payload)
{
	return be16(kPeerPort) + be16(dst_port) + be16(8 + payload.size()) + be16(kUdpChecksum) + payload;
}

// A WireGuard message's first four bytes (type, three reserved zeros) and
// filler to its size.
Bytes wg_message(uint8_t type, size_t size)
{
	Bytes b{type, 0, 0, 0};
	b.resize(size, 0x5a);
	return b;
}

Bytes tcp(uint16_t dst_port, size_t options, size_t payload)
{
	auto data_offset = static_cast<uint8_t>((20 + options) / 4 << 4);
	return be16(kPeerPort) + be16(dst_port) + Bytes{0, 0, 0, 1, 0, 0, 0, 0, data_offset, 0x18, 0xff, 0xff} +
	       be16(kTcpChecksum) + Bytes{0, 0} + filler(options + payload);
}

Bytes icmp(uint8_t type, uint8_t code, uint16_t id, size_t payload)
{
	return Bytes{type, code} + be16(kIcmpChecksum) + be16(id) + Bytes{0, 1} + filler(payload);
}

Bytes arp()
{
	return ethernet(0x0806, *from_hex("0001080006040001" "0200000000aa" "c6336407" "000000000000" "c0000201"));
}

Bytes patch(Bytes b, size_t offset, const Bytes &with)
{
	std::copy(with.begin(), with.end(), b.begin() + static_cast<ptrdiff_t>(offset));
	return b;
}

Bytes cut(Bytes b, size_t n)
{
	b.resize(n);
	return b;
}

Bytes pad(Bytes b, size_t n)
{
	b.resize(n, 0);
	return b;
}

constexpr uint8_t why(ClassifyDrop r)
{
	return static_cast<uint8_t>(r);
}

constexpr uint8_t why(PuntReason r)
{
	return static_cast<uint8_t>(r);
}

constexpr uint8_t kMalformed = why(ClassifyDrop::malformed);
constexpr uint8_t kNotForUs = why(ClassifyDrop::not_for_us);
constexpr uint8_t kFragmentDrop = why(ClassifyDrop::fragment);
constexpr uint8_t kUnknownPort = why(ClassifyDrop::unknown_port);
constexpr uint8_t kNeighbour = why(PuntReason::neighbour);
constexpr uint8_t kNotWireGuard = why(ClassifyDrop::not_wireguard);

struct Input {
	Bytes frame;
	uint16_t port = kPortBoth;
	uint16_t first_segment = 0;  // nonzero: the frame is two chained mbufs, split after this many bytes
	uint16_t relay_port = kRelayPort;
	uint16_t wg_port = 0;
	bool forward = false;
	bool exit = false;  // the exit on kPortBoth: SNAT kNode4 (its own) and kOther6 (another of its network)
};

// Fields a case leaves out are not checked, except flags: every case
// says which it expects, so none is set by accident.
struct Expect {
	std::optional<L3> l3 = {};
	std::optional<uint16_t> l4_offset = {};
	std::optional<uint16_t> payload_offset = {};
	std::optional<uint16_t> payload_len = {};
	std::optional<uint16_t> src_port = {};
	std::optional<uint16_t> dst_port = {};
	std::optional<uint16_t> l4_checksum = {};  // host order here; the metadata keeps network order
	std::optional<uint8_t> proto = {};
	std::optional<uint8_t> icmp_type = {};
	std::optional<uint8_t> icmp_code = {};
	uint8_t flags = 0;
};

struct Case {
	const char *name;
	Input in;
	Stage stage;
	uint8_t reason;
	Expect expect = {};
};

constexpr uint8_t kToNode = meta_flags::to_node;
constexpr uint8_t kMulticast = meta_flags::multicast;
constexpr L3 kV4 = L3::ipv4;
constexpr L3 kV6 = L3::ipv6;

const Bytes kRelay4 = v4(kUdp, kNode4, udp(kRelayPort, 16));
const Bytes kRelay6 = v6(kUdp, kNode6, udp(kRelayPort, 16));
const Bytes kTcp4 = v4(kTcp, kNode4, tcp(kRelayPort, 0, 0));
const Bytes kWgData4 = v4(kUdp, kNode4, udp_with(kWgPort, wg_message(4, 32)));
const Bytes kWgData6 = v6(kUdp, kNode6, udp_with(kWgPort, wg_message(4, 1436)));
const Bytes kInitiation4 = v4(kUdp, kNode4, udp_with(kWgPort, wg_message(1, 148)));
const Bytes kOnward4 = v4(kUdp, kOther4, udp(53, 16));
const Bytes kOnward6 = v6(kTcp, kOther6, tcp(443, 0, 10));
const Bytes kBroadcastMac = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
const Bytes kAnotherMac = {0x02, 0, 0, 0, 0, 0x02};
// The WireGuard listen port taken, and packets to other addresses forwarded.
constexpr uint16_t kWg = kWgPort;
constexpr bool kForward = true;

const Case kCases[] = {
	// What the relay takes.
	{"ipv4 udp to the relay port", {kRelay4}, Stage::relay, 0,
	 {.l3 = kV4, .l4_offset = kL4v4, .payload_offset = kL4v4 + 8, .payload_len = 16, .src_port = kPeerPort,
	  .dst_port = kRelayPort, .l4_checksum = kUdpChecksum, .proto = kUdp, .flags = kToNode}},
	{"ipv6 udp to the relay port", {kRelay6}, Stage::relay, 0,
	 {.l3 = kV6, .l4_offset = kL4v6, .payload_offset = kL4v6 + 8, .payload_len = 16, .src_port = kPeerPort,
	  .dst_port = kRelayPort, .l4_checksum = kUdpChecksum, .proto = kUdp, .flags = kToNode}},
	{"udp header alone to the relay port", {v4(kUdp, kNode4, udp(kRelayPort, 0))}, Stage::relay, 0,
	 {.payload_offset = kL4v4 + 8, .payload_len = 0, .flags = kToNode}},
	{"ipv4 udp to the relay port on an ipv4-only port", {kRelay4, kPortV4Only}, Stage::relay, 0, {.flags = kToNode}},
	{"ipv4 with options to the relay port", {ethernet(0x0800, ipv4(kUdp, kNode4, udp(kRelayPort, 16), {1, 1, 1, 0}))},
	 Stage::relay, 0, {.l4_offset = kL4v4 + 4, .payload_offset = kL4v4 + 12, .payload_len = 16, .flags = kToNode}},
	{"ethernet padding after a short ipv4 packet", {pad(v4(kUdp, kNode4, udp(kRelayPort, 2)), 60)}, Stage::relay, 0,
	 {.payload_offset = kL4v4 + 8, .payload_len = 2, .flags = kToNode}},
	{"bytes after the ipv6 payload", {pad(v6(kUdp, kNode6, udp(kRelayPort, 0)), 70)}, Stage::relay, 0,
	 {.payload_len = 0, .flags = kToNode}},
	{"udp length short of the ip payload", {patch(kRelay4, kUdpLengthV4, be16(8 + 10))}, Stage::relay, 0,
	 {.payload_len = 10, .flags = kToNode}},
	{"ipv4 dont-fragment is no fragment", {patch(kRelay4, kIpv4Fragment, {0x40, 0})}, Stage::relay, 0,
	 {.flags = kToNode}},
	{"ipv6 hop-by-hop and destination options to the relay port",
	 {v6(kHopByHop, kNode6, extension(kDestinationOptions) + extension(kUdp, 1) + udp(kRelayPort, 16))}, Stage::relay,
	 0, {.l4_offset = kL4v6 + 8 + 16, .payload_offset = kL4v6 + 32, .payload_len = 16, .proto = kUdp, .flags = kToNode}},
	{"ipv6 routing header to the relay port", {v6(kRouting, kNode6, extension(kUdp) + udp(kRelayPort, 16))},
	 Stage::relay, 0, {.l4_offset = kL4v6 + 8, .flags = kToNode}},
	{"8 chained ipv6 extension headers", {v6(kHopByHop, kNode6, extension_chain(8, kUdp) + udp(kRelayPort, 16))},
	 Stage::relay, 0, {.l4_offset = kL4v6 + 64, .flags = kToNode}},

	// Not the relay's.
	{"ipv4 udp to another node port", {v4(kUdp, kNode4, udp(53, 16))}, Stage::drop, kNotForUs,
	 {.payload_len = 16, .src_port = kPeerPort, .dst_port = 53, .proto = kUdp, .flags = kToNode}},
	{"ipv6 udp to another node port", {v6(kUdp, kNode6, udp(53, 16))}, Stage::drop, kNotForUs,
	 {.dst_port = 53, .flags = kToNode}},
	{"ipv4 udp to another address", {v4(kUdp, kOther4, udp(kRelayPort, 16))}, Stage::drop, kNotForUs,
	 {.dst_port = kRelayPort}},
	{"ipv6 udp to another address", {v6(kUdp, kOther6, udp(kRelayPort, 16))}, Stage::drop, kNotForUs,
	 {.dst_port = kRelayPort}},
	{"ipv6 udp to the node's ipv6 address on an ipv4-only port", {kRelay6, kPortV4Only}, Stage::drop, kNotForUs},
	{"ipv6 udp to a multicast group", {v6(kUdp, kMdns6, udp(5353, 16))}, Stage::drop, kNotForUs,
	 {.dst_port = 5353, .flags = kMulticast}},
	{"relay port 0 is no relay", {.frame = kRelay4, .relay_port = 0}, Stage::drop, kNotForUs,
	 {.dst_port = kRelayPort, .flags = kToNode}},
	{"ipv4 tcp to the node", {v4(kTcp, kNode4, tcp(kRelayPort, 4, 10))}, Stage::drop, kNotForUs,
	 {.l3 = kV4, .l4_offset = kL4v4, .payload_offset = kL4v4 + 24, .payload_len = 10, .src_port = kPeerPort,
	  .dst_port = kRelayPort, .l4_checksum = kTcpChecksum, .proto = kTcp, .flags = kToNode}},
	{"ipv6 tcp to the node", {v6(kTcp, kNode6, tcp(kRelayPort, 0, 10))}, Stage::drop, kNotForUs,
	 {.payload_offset = kL4v6 + 20, .payload_len = 10, .src_port = kPeerPort, .dst_port = kRelayPort,
	  .proto = kTcp, .flags = kToNode}},
	{"tcp header filling the packet", {kTcp4}, Stage::drop, kNotForUs,
	 {.payload_offset = kL4v4 + 20, .payload_len = 0, .flags = kToNode}},
	{"gre to the node", {v4(kGre, kNode4, filler(8))}, Stage::drop, kNotForUs,
	 {.l4_offset = kL4v4, .payload_offset = kL4v4, .payload_len = 8, .src_port = 0, .dst_port = 0, .proto = kGre,
	  .flags = kToNode}},
	{"ipv6 no next header", {v6(kNoNextHeader, kNode6, {})}, Stage::drop, kNotForUs,
	 {.l4_offset = kL4v6, .payload_len = 0, .proto = kNoNextHeader, .flags = kToNode}},
	{"icmp in ipv6", {v6(kIcmp, kNode6, icmp(8, 0, kEchoId, 8))}, Stage::drop, kNotForUs,
	 {.payload_offset = kL4v6, .payload_len = 16, .src_port = 0, .proto = kIcmp, .flags = kToNode}},
	{"icmpv6 in ipv4", {v4(kIcmpv6, kNode4, icmp(128, 0, kEchoId, 8))}, Stage::drop, kNotForUs,
	 {.src_port = 0, .proto = kIcmpv6, .flags = kToNode}},
	{"vlan tag", {ethernet(0x8100, Bytes{0, 1, 0x08, 0} + ipv4(kUdp, kNode4, udp(kRelayPort, 16)))}, Stage::drop,
	 kNotForUs, {.l3 = L3::none}},
	{"unknown ethertype", {ethernet(0x88cc, filler(46))}, Stage::drop, kNotForUs, {.l3 = L3::none}},

	// The control thread's.
	{"arp", {arp()}, Stage::control, kNeighbour, {.l3 = L3::arp}},
	{"arp on an ipv4-only port", {arp(), kPortV4Only}, Stage::control, kNeighbour, {.l3 = L3::arp}},
	{"icmp echo request to the node", {v4(kIcmp, kNode4, icmp(8, 0, kEchoId, 8))}, Stage::control, kNeighbour,
	 {.l3 = kV4, .l4_offset = kL4v4, .payload_offset = kL4v4 + 8, .payload_len = 8, .src_port = kEchoId,
	  .dst_port = kEchoId, .l4_checksum = kIcmpChecksum, .proto = kIcmp, .icmp_type = 8, .icmp_code = 0,
	  .flags = kToNode}},
	{"icmp echo reply to the node", {v4(kIcmp, kNode4, icmp(0, 0, kEchoId, 8))}, Stage::control, kNeighbour,
	 {.src_port = kEchoId, .dst_port = kEchoId, .icmp_type = 0, .flags = kToNode}},
	{"icmp port unreachable to the node", {v4(kIcmp, kNode4, icmp(3, 3, kEchoId, 28))}, Stage::control, kNeighbour,
	 {.payload_len = 28, .src_port = 0, .dst_port = 0, .icmp_type = 3, .icmp_code = 3, .flags = kToNode}},
	{"icmp of 8 bytes", {v4(kIcmp, kNode4, icmp(8, 0, kEchoId, 0))}, Stage::control, kNeighbour,
	 {.payload_len = 0, .flags = kToNode}},
	{"icmp to another address", {v4(kIcmp, kOther4, icmp(8, 0, kEchoId, 8))}, Stage::drop, kNotForUs,
	 {.src_port = kEchoId, .icmp_type = 8}},
	{"icmpv6 echo request to the node", {v6(kIcmpv6, kNode6, icmp(128, 0, kEchoId, 8))}, Stage::control, kNeighbour,
	 {.l3 = kV6, .l4_offset = kL4v6, .payload_offset = kL4v6 + 8, .payload_len = 8, .src_port = kEchoId,
	  .dst_port = kEchoId, .l4_checksum = kIcmpChecksum, .proto = kIcmpv6, .icmp_type = 128, .flags = kToNode}},
	{"icmpv6 echo reply to the node", {v6(kIcmpv6, kNode6, icmp(129, 0, kEchoId, 8))}, Stage::control, kNeighbour,
	 {.src_port = kEchoId, .dst_port = kEchoId, .icmp_type = 129, .flags = kToNode}},
	{"icmpv6 neighbour solicitation to a solicited-node group", {v6(kIcmpv6, kSolicitedNode6, icmp(135, 0, 0, 16))},
	 Stage::control, kNeighbour,
	 {.payload_len = 16, .src_port = 0, .dst_port = 0, .proto = kIcmpv6, .icmp_type = 135, .flags = kMulticast}},
	{"icmpv6 multicast listener report after hop-by-hop",
	 {v6(kHopByHop, kSolicitedNode6, extension(kIcmpv6) + icmp(143, 0, 0, 20))}, Stage::control, kNeighbour,
	 {.l4_offset = kL4v6 + 8, .icmp_type = 143, .flags = kMulticast}},
	{"icmpv6 to another unicast address", {v6(kIcmpv6, kOther6, icmp(128, 0, kEchoId, 8))}, Stage::drop, kNotForUs,
	 {.icmp_type = 128}},

	// Truncated or inconsistent, layer by layer.
	{"13 bytes of ethernet", {cut(kRelay4, 13)}, Stage::drop, kMalformed, {.l3 = L3::none}},
	{"ethernet header alone", {cut(kRelay4, 14)}, Stage::drop, kMalformed, {.l3 = kV4}},
	{"ipv4 header of 19 bytes", {cut(kRelay4, kL3 + 19)}, Stage::drop, kMalformed},
	{"ipv4 ihl 4", {patch(kRelay4, kIpv4VersionIhl, {0x44})}, Stage::drop, kMalformed},
	{"ipv4 version 6", {patch(kRelay4, kIpv4VersionIhl, {0x65})}, Stage::drop, kMalformed},
	{"ipv4 total_length below the header", {patch(kRelay4, kIpv4TotalLength, be16(19))}, Stage::drop, kMalformed},
	{"ipv4 total_length below the header with options",
	 {patch(ethernet(0x0800, ipv4(kUdp, kNode4, udp(kRelayPort, 16), {1, 1, 1, 0})), kIpv4TotalLength, be16(23))},
	 Stage::drop, kMalformed},
	{"ipv4 total_length past the frame", {patch(kRelay4, kIpv4TotalLength, be16(20 + 24 + 1))}, Stage::drop,
	 kMalformed},
	{"ipv6 header of 39 bytes", {cut(kRelay6, kL3 + 39)}, Stage::drop, kMalformed, {.l3 = kV6}},
	{"ipv6 version 4", {patch(kRelay6, kIpv6Version, {0x40})}, Stage::drop, kMalformed},
	{"ipv6 payload_length past the frame", {patch(kRelay6, kIpv6PayloadLength, be16(24 + 1))}, Stage::drop,
	 kMalformed},
	{"ipv6 extension header past the packet", {v6(kHopByHop, kNode6, cut(extension(kUdp, 2), 8))}, Stage::drop,
	 kMalformed, {.flags = kToNode}},
	{"ipv6 extension header of 4 bytes", {v6(kHopByHop, kNode6, cut(extension(kUdp), 4))}, Stage::drop, kMalformed,
	 {.flags = kToNode}},
	{"9 chained ipv6 extension headers", {v6(kHopByHop, kNode6, extension_chain(9, kUdp) + udp(kRelayPort, 16))},
	 Stage::drop, kMalformed, {.flags = kToNode}},
	{"udp header of 7 bytes", {v4(kUdp, kNode4, cut(udp(kRelayPort, 0), 7))}, Stage::drop, kMalformed,
	 {.proto = kUdp, .flags = kToNode}},
	{"udp length 7", {patch(kRelay4, kUdpLengthV4, be16(7))}, Stage::drop, kMalformed, {.flags = kToNode}},
	{"udp length past the ipv4 payload", {patch(kRelay4, kUdpLengthV4, be16(24 + 1))}, Stage::drop, kMalformed,
	 {.flags = kToNode}},
	{"udp length past the ipv6 payload", {patch(kRelay6, kUdpLengthV6, be16(24 + 1))}, Stage::drop, kMalformed,
	 {.flags = kToNode}},
	{"udp length in the ethernet padding", {patch(pad(v4(kUdp, kNode4, udp(kRelayPort, 2)), 60), kUdpLengthV4,
						 be16(8 + 3))},
	 Stage::drop, kMalformed, {.flags = kToNode}},
	{"tcp header of 19 bytes", {v4(kTcp, kNode4, cut(tcp(kRelayPort, 0, 0), 19))}, Stage::drop, kMalformed, {.proto = kTcp, .flags = kToNode}},
	{"tcp data offset 4", {patch(kTcp4, kTcpDataOffset, {0x40})}, Stage::drop, kMalformed, {.flags = kToNode}},
	{"tcp data offset past the packet", {patch(kTcp4, kTcpDataOffset, {0x60})}, Stage::drop, kMalformed,
	 {.flags = kToNode}},
	{"icmp of 7 bytes", {v4(kIcmp, kNode4, cut(icmp(8, 0, kEchoId, 0), 7))}, Stage::drop, kMalformed,
	 {.flags = kToNode}},
	{"icmpv6 of 7 bytes", {v6(kIcmpv6, kNode6, cut(icmp(128, 0, kEchoId, 0), 7))}, Stage::drop, kMalformed,
	 {.flags = kToNode}},

	// Fragments, wherever they go.
	{"ipv4 more-fragments to the node", {patch(kRelay4, kIpv4Fragment, {0x20, 0})}, Stage::drop, kFragmentDrop,
	 {.l4_offset = kL4v4, .payload_offset = kL4v4, .payload_len = 24, .src_port = 0, .proto = kUdp,
	  .flags = kToNode}},
	{"ipv4 fragment offset to the node", {patch(kRelay4, kIpv4Fragment, {0, 1})}, Stage::drop, kFragmentDrop,
	 {.flags = kToNode}},
	{"ipv4 more-fragments to another address",
	 {patch(v4(kUdp, kOther4, udp(kRelayPort, 16)), kIpv4Fragment, {0x20, 0})}, Stage::drop, kFragmentDrop},
	{"ipv4 fragment offset to another address",
	 {patch(v4(kUdp, kOther4, udp(kRelayPort, 16)), kIpv4Fragment, {0x1f, 0xff})}, Stage::drop, kFragmentDrop},
	{"ipv6 fragment header", {v6(kFragment, kNode6, fragment_header(kUdp) + udp(kRelayPort, 16))}, Stage::drop,
	 kFragmentDrop,
	 {.l4_offset = kL4v6 + 8, .payload_offset = kL4v6 + 8, .payload_len = 24, .src_port = 0, .proto = kUdp,
	  .flags = kToNode}},
	{"ipv6 fragment header after hop-by-hop",
	 {v6(kHopByHop, kNode6, extension(kFragment) + fragment_header(kUdp) + udp(kRelayPort, 16))}, Stage::drop,
	 kFragmentDrop, {.l4_offset = kL4v6 + 16, .flags = kToNode}},
	{"ipv6 fragment header to another address", {v6(kFragment, kOther6, fragment_header(kUdp) + udp(kRelayPort, 16))},
	 Stage::drop, kFragmentDrop},
	{"ipv6 fragment header after 8 extension headers",
	 {v6(kHopByHop, kNode6, extension_chain(8, kFragment) + fragment_header(kUdp) + udp(kRelayPort, 16))},
	 Stage::drop, kFragmentDrop, {.flags = kToNode}},
	{"ipv6 fragment header of 4 bytes", {v6(kFragment, kNode6, cut(fragment_header(kUdp), 4))}, Stage::drop,
	 kMalformed, {.flags = kToNode}},

	// The WireGuard listen port.
	{"ipv4 keepalive to the wireguard port", {.frame = kWgData4, .wg_port = kWg}, Stage::wg_input, 0,
	 {.l3 = kV4, .payload_offset = kL4v4 + 8, .payload_len = 32, .dst_port = kWgPort, .proto = kUdp,
	  .flags = kToNode}},
	{"ipv6 transport data to the wireguard port", {.frame = kWgData6, .wg_port = kWg}, Stage::wg_input, 0,
	 {.l3 = kV6, .payload_offset = kL4v6 + 8, .payload_len = 1436, .flags = kToNode}},
	{"initiation", {.frame = kInitiation4, .wg_port = kWg}, Stage::wg_handshake, 0,
	 {.payload_len = 148, .flags = kToNode}},
	{"response", {.frame = v6(kUdp, kNode6, udp_with(kWgPort, wg_message(2, 92))), .wg_port = kWg},
	 Stage::wg_handshake, 0, {.payload_len = 92, .flags = kToNode}},
	{"cookie reply", {.frame = v4(kUdp, kNode4, udp_with(kWgPort, wg_message(3, 64))), .wg_port = kWg},
	 Stage::wg_handshake, 0, {.payload_len = 64, .flags = kToNode}},
	{"initiation a byte short", {.frame = v4(kUdp, kNode4, udp_with(kWgPort, wg_message(1, 147))), .wg_port = kWg},
	 Stage::drop, kNotWireGuard, {.flags = kToNode}},
	{"response a byte long", {.frame = v4(kUdp, kNode4, udp_with(kWgPort, wg_message(2, 93))), .wg_port = kWg},
	 Stage::drop, kNotWireGuard, {.flags = kToNode}},
	{"transport data shorter than a keepalive",
	 {.frame = v4(kUdp, kNode4, udp_with(kWgPort, wg_message(4, 31))), .wg_port = kWg}, Stage::drop, kNotWireGuard,
	 {.flags = kToNode}},
	{"message type 5", {.frame = v4(kUdp, kNode4, udp_with(kWgPort, wg_message(5, 64))), .wg_port = kWg},
	 Stage::drop, kNotWireGuard, {.flags = kToNode}},
	{"reserved bytes not zero", {.frame = patch(kWgData4, kL4v4 + 8 + 2, {1}), .wg_port = kWg}, Stage::drop,
	 kNotWireGuard, {.flags = kToNode}},
	{"empty udp to the wireguard port", {.frame = v4(kUdp, kNode4, udp(kWgPort, 0)), .wg_port = kWg}, Stage::drop,
	 kNotWireGuard, {.flags = kToNode}},
	{"udp length short of a keepalive", {.frame = patch(kWgData4, kUdpLengthV4, be16(8 + 31)), .wg_port = kWg},
	 Stage::drop, kNotWireGuard, {.payload_len = 31, .flags = kToNode}},
	{"wireguard off", {.frame = kWgData4}, Stage::drop, kNotForUs, {.flags = kToNode}},
	{"transport data to another address", {.frame = v4(kUdp, kOther4, udp_with(kWgPort, wg_message(4, 32))),
	 .wg_port = kWg}, Stage::drop, kNotForUs},
	{"the relay port is the relay's", {.frame = kRelay4, .wg_port = kWg}, Stage::relay, 0, {.flags = kToNode}},

	// Forwarding: what is not the node's, sent to its MAC, goes to wg_output.
	{"ipv4 udp to another address, forwarded", {.frame = kOnward4, .forward = kForward}, Stage::wg_output, 0,
	 {.l3 = kV4, .payload_len = 16, .dst_port = 53, .proto = kUdp}},
	{"ipv6 tcp to another address, forwarded", {.frame = kOnward6, .forward = kForward}, Stage::wg_output, 0,
	 {.l3 = kV6, .dst_port = 443, .proto = kTcp}},
	{"icmp to another address, forwarded", {.frame = v4(kIcmp, kOther4, icmp(8, 0, kEchoId, 8)), .forward = kForward},
	 Stage::wg_output, 0, {.src_port = kEchoId, .icmp_type = 8}},
	{"gre to another address, forwarded", {.frame = v4(kGre, kOther4, filler(8)), .forward = kForward},
	 Stage::wg_output, 0, {.proto = kGre}},
	{"ipv4 fragment to another address, forwarded marked",
	 {.frame = patch(kOnward4, kIpv4Fragment, {0x20, 0}), .forward = kForward}, Stage::wg_output, 0,
	 {.payload_offset = kL4v4, .flags = meta_flags::fragment}},
	{"ipv6 fragment to another address, forwarded marked",
	 {.frame = v6(kFragment, kOther6, fragment_header(kUdp) + udp(53, 8)), .forward = kForward}, Stage::wg_output,
	 0, {.proto = kUdp, .flags = meta_flags::fragment}},
	{"ipv4 fragment to the node, forwarding on", {.frame = patch(kRelay4, kIpv4Fragment, {0x20, 0}),
	 .forward = kForward}, Stage::drop, kFragmentDrop, {.flags = kToNode}},
	{"tcp to the node, forwarding on", {.frame = kTcp4, .forward = kForward}, Stage::drop, kNotForUs,
	 {.flags = kToNode}},
	{"to another host's mac", {.frame = patch(kOnward4, 0, kAnotherMac), .forward = kForward}, Stage::drop,
	 kNotForUs},
	{"to the broadcast mac", {.frame = patch(kOnward4, 0, kBroadcastMac), .forward = kForward}, Stage::drop,
	 kNotForUs},
	{"ipv6 multicast, forwarding on", {.frame = v6(kUdp, kMdns6, udp(5353, 16)), .forward = kForward}, Stage::drop,
	 kNotForUs, {.flags = kMulticast}},
	{"malformed, forwarding on", {.frame = patch(kOnward4, kIpv4TotalLength, be16(2000)), .forward = kForward},
	 Stage::drop, kMalformed},
	{"unknown ethertype, forwarding on", {.frame = ethernet(0x88cc, filler(46)), .forward = kForward}, Stage::drop,
	 kNotForUs, {.l3 = L3::none}},
	{"forwarding on a port with no mac known", {.frame = kOnward4, .port = kPortV4Only, .forward = kForward},
	 Stage::drop, kNotForUs},

	// The exit: what no node stage takes, to a SNAT address on the exit port.
	{"udp to the snat address", {.frame = v4(kUdp, kNode4, udp(53, 16)), .wg_port = kWg, .exit = true},
	 Stage::nat_in, 0, {.l3 = kV4, .dst_port = 53, .proto = kUdp, .flags = kToNode}},
	{"tcp to the snat address", {.frame = kTcp4, .exit = true}, Stage::nat_in, 0, {.proto = kTcp, .flags = kToNode}},
	{"ipv6 udp to a snat address not the port's own", {.frame = v6(kUdp, kOther6, udp(53, 16)), .exit = true},
	 Stage::nat_in, 0, {.l3 = kV6, .proto = kUdp}},
	{"echo reply to the snat address", {.frame = v4(kIcmp, kNode4, icmp(0, 0, kEchoId, 8)), .exit = true},
	 Stage::nat_in, 0, {.src_port = kEchoId, .icmp_type = 0, .flags = kToNode}},
	{"port unreachable to the snat address", {.frame = v4(kIcmp, kNode4, icmp(3, 3, 0, 28)), .exit = true},
	 Stage::nat_in, 0, {.icmp_type = 3, .icmp_code = 3, .flags = kToNode}},
	{"icmpv6 echo reply to the snat address", {.frame = v6(kIcmpv6, kOther6, icmp(129, 0, kEchoId, 8)),
	 .exit = true}, Stage::nat_in, 0, {.icmp_type = 129}},
	{"echo request to the snat address is the node's", {.frame = v4(kIcmp, kNode4, icmp(8, 0, kEchoId, 8)),
	 .exit = true}, Stage::control, kNeighbour, {.icmp_type = 8, .flags = kToNode}},
	{"wireguard to the snat address is wireguard's", {.frame = kWgData4, .wg_port = kWg, .exit = true},
	 Stage::wg_input, 0, {.flags = kToNode}},
	{"the relay port on the snat address is the relay's", {.frame = kRelay4, .exit = true}, Stage::relay, 0,
	 {.flags = kToNode}},
	{"udp to the node on a port that is not the exit",
	 {.frame = v4(kUdp, kNode4, udp(53, 16)), .port = kPortV4Only, .exit = true}, Stage::drop, kNotForUs,
	 {.flags = kToNode}},
	{"a fragment to the snat address", {.frame = patch(kRelay4, kIpv4Fragment, {0x20, 0}), .exit = true},
	 Stage::drop, kFragmentDrop, {.flags = kToNode}},

	// Before any header is read.
	{"port with no addresses", {kRelay4, kPortNone}, Stage::drop, kUnknownPort, {.l3 = L3::none}},
	{"arp on a port with no addresses", {arp(), kPortNone}, Stage::drop, kUnknownPort, {.l3 = L3::none}},
	{"port out of range", {kRelay4, kPortOutOfRange}, Stage::drop, kUnknownPort},
	{"two segments", {.frame = kRelay4, .first_segment = kL4v4}, Stage::drop, why(ClassifyDrop::multi_segment),
	 {.l3 = L3::none}},
};

Destinations destinations(uint16_t relay_port, uint16_t wg_port = 0, bool forward = false, bool exit = false)
{
	Destinations d;
	d.wg_port = wg_port;
	d.forward = forward;
	if (exit) {
		d.exit_port = kPortBoth;
		d.snat.has_ipv4 = d.snat.has_ipv6 = true;
		std::memcpy(d.snat.ipv4, kNode4.data(), 4);
		std::memcpy(d.snat.ipv6, kOther6.data(), 16);
	}
	// Only the port with both families has a MAC here; the ipv4-only one
	// shows a port the table knows no MAC for.
	d.macs.resize(kPortBoth + 1);
	d.macs[kPortBoth] = {0x02, 0, 0, 0, 0, 0x01};
	d.ports.resize(kPortOutOfRange);
	PortAddrs &both = d.ports[kPortBoth];
	both.has_ipv4 = both.has_ipv6 = true;
	std::memcpy(both.ipv4, kNode4.data(), 4);
	std::memcpy(both.ipv6, kNode6.data(), 16);
	PortAddrs &v4_only = d.ports[kPortV4Only];
	v4_only.has_ipv4 = true;
	std::memcpy(v4_only.ipv4, kNode4.data(), 4);
	d.relay_port = relay_port;
	return d;
}

rte_mbuf *build(const Input &in)
{
	rte_mempool *pool = test::test_pool();
	if (!in.first_segment)
		return test::build_raw(pool, in.frame, in.port);
	auto split = in.frame.begin() + in.first_segment;
	rte_mbuf *head = test::build_raw(pool, Bytes(in.frame.begin(), split), in.port);
	rte_mbuf *tail = test::build_raw(pool, Bytes(split, in.frame.end()), in.port);
	EXPECT_EQ(rte_pktmbuf_chain(head, tail), 0);
	return head;
}

std::string outcome(Stage s, uint8_t reason)
{
	std::string out = to_string(s);
	if (s == Stage::drop)
		out = out + "/" + to_string(static_cast<ClassifyDrop>(reason));
	else if (s == Stage::control)
		out = out + "/" + to_string(static_cast<PuntReason>(reason));
	else
		out = out + "/" + std::to_string(reason);
	return out;
}

// What holds for every packet classify returns, whatever it made of it.
void expect_invariants(const rte_mbuf *m, Stage got, const PacketMeta &pm)
{
	EXPECT_EQ(got, pm.next);
	EXPECT_TRUE(got == Stage::relay || got == Stage::control || got == Stage::drop || got == Stage::wg_input ||
		    got == Stage::wg_handshake || got == Stage::wg_output || got == Stage::nat_in)
		<< to_string(got);
	if (got == Stage::drop) {
		EXPECT_LT(pm.reason, why(ClassifyDrop::count));
	} else if (got == Stage::control) {
		EXPECT_EQ(pm.reason, kNeighbour);
	} else if (got == Stage::relay || got == Stage::wg_input || got == Stage::wg_handshake) {
		EXPECT_EQ(pm.reason, 0);
		EXPECT_EQ(pm.proto, kUdp);
		EXPECT_TRUE(pm.flags & meta_flags::to_node);
	} else if (got == Stage::nat_in) {
		EXPECT_EQ(pm.reason, 0);
		EXPECT_TRUE(pm.l3 == L3::ipv4 || pm.l3 == L3::ipv6);
	} else if (got == Stage::wg_output) {
		EXPECT_EQ(pm.reason, 0);
		EXPECT_TRUE(pm.l3 == L3::ipv4 || pm.l3 == L3::ipv6);
		EXPECT_FALSE(pm.flags & (meta_flags::to_node | meta_flags::multicast));
	}
	if (got == Stage::wg_input) {
		EXPECT_GE(pm.payload_len, kWireGuardTransportMinLen);
	}
	EXPECT_EQ(pm.ingress_port, m->port);
	EXPECT_LE(pm.l4_offset, rte_pktmbuf_data_len(m));
	EXPECT_LE(pm.payload_offset + pm.payload_len, rte_pktmbuf_data_len(m));
	EXPECT_FALSE(pm.flags & meta_flags::injected);
	EXPECT_EQ(pm.worker, 0);
	EXPECT_EQ(pm.tx_port, 0);
	EXPECT_EQ(pm.peer_gen, 0);
	EXPECT_EQ(pm.aux, 0u);
}

template <typename T>
void expect_field(const char *field, const std::optional<T> &want, T got)
{
	if (want) {
		EXPECT_EQ(unsigned(got), unsigned(*want)) << field;
	}
}

TEST(Classify, Cases)
{
	for (const Case &c : kCases) {
		SCOPED_TRACE(c.name);
		Destinations d = destinations(c.in.relay_port, c.in.wg_port, c.in.forward, c.in.exit);
		rte_mbuf *m = build(c.in);
		ASSERT_NE(m, nullptr);
		PacketMeta pm;
		std::memset(&pm, 0xee, sizeof(pm));  // what the mbuf's last use left
		Stage got = classify(m, d, pm);
		EXPECT_EQ(outcome(got, pm.reason), outcome(c.stage, c.reason));
		expect_invariants(m, got, pm);
		const Expect &e = c.expect;
		expect_field("l3", e.l3, pm.l3);
		if (pm.l3 != L3::none) {
			EXPECT_EQ(pm.l3_offset, kL3);
		}
		expect_field("l4_offset", e.l4_offset, pm.l4_offset);
		expect_field("payload_offset", e.payload_offset, pm.payload_offset);
		expect_field("payload_len", e.payload_len, pm.payload_len);
		expect_field("src_port", e.src_port, pm.src_port);
		expect_field("dst_port", e.dst_port, pm.dst_port);
		expect_field("l4_checksum", e.l4_checksum, rte_be_to_cpu_16(pm.l4_checksum));
		expect_field("proto", e.proto, pm.proto);
		expect_field("icmp_type", e.icmp_type, pm.icmp_type);
		expect_field("icmp_code", e.icmp_code, pm.icmp_code);
		EXPECT_EQ(unsigned(pm.flags), unsigned(e.flags)) << "flags";
		rte_pktmbuf_free(m);
	}
}

FlowKey classified_flow(const Bytes &frame)
{
	Destinations d = destinations(kRelayPort);
	rte_mbuf *m = test::build_raw(test::test_pool(), frame);
	PacketMeta pm;
	classify(m, d, pm);
	FlowKey k = flow_key(m, pm);
	rte_pktmbuf_free(m);
	return k;
}

TEST(Classify, FlowKeyV4)
{
	FlowKey k = classified_flow(kRelay4);
	EXPECT_EQ(k.src, AddrPort::v4(kPeer4.data(), kPeerPort)) << k.src.to_string();
	EXPECT_EQ(k.dst, AddrPort::v4(kNode4.data(), kRelayPort)) << k.dst.to_string();
	EXPECT_EQ(k.proto, kUdp);
}

TEST(Classify, FlowKeyV6PastExtensionHeaders)
{
	FlowKey k = classified_flow(v6(kHopByHop, kNode6, extension(kUdp) + udp(kRelayPort, 16)));
	EXPECT_EQ(k.src, AddrPort::v6(kPeer6.data(), kPeerPort)) << k.src.to_string();
	EXPECT_EQ(k.dst, AddrPort::v6(kNode6.data(), kRelayPort)) << k.dst.to_string();
	EXPECT_EQ(k.proto, kUdp);
}

TEST(Classify, FlowKeyOfAnEchoIsItsIdentifier)
{
	FlowKey k = classified_flow(v4(kIcmp, kNode4, icmp(8, 0, kEchoId, 8)));
	EXPECT_EQ(k.src, AddrPort::v4(kPeer4.data(), kEchoId)) << k.src.to_string();
	EXPECT_EQ(k.dst, AddrPort::v4(kNode4.data(), kEchoId)) << k.dst.to_string();
	EXPECT_EQ(k.proto, kIcmp);
}

TEST(Classify, MetadataLivesInTheMbuf)
{
	int offset = g_packet_meta_offset;
	ASSERT_GE(offset, 0);
	ASSERT_TRUE(register_packet_meta());
	EXPECT_EQ(g_packet_meta_offset, offset);
	EXPECT_EQ(offset % alignof(PacketMeta), 0u);
	EXPECT_LE(offset + sizeof(PacketMeta), sizeof(rte_mbuf));

	Destinations d = destinations(kRelayPort);
	rte_mbuf *m = test::build_raw(test::test_pool(), kRelay4);
	EXPECT_EQ(classify(m, d, meta(m)), Stage::relay);
	EXPECT_EQ(meta(static_cast<const rte_mbuf *>(m)).dst_port, kRelayPort);
	EXPECT_EQ(test::mbuf_bytes(m), kRelay4);
	rte_pktmbuf_free(m);
}

// An mbuf whose data is exactly the frame, in a heap block of its own: a
// read past the frame is one the address sanitizer reports (the mempool's
// buffers are larger and not tracked).
class ExactMbuf {
public:
	ExactMbuf(const Bytes &frame, uint16_t port) : data_(std::make_unique<uint8_t[]>(frame.size()))
	{
		std::copy(frame.begin(), frame.end(), data_.get());
		shinfo_.free_cb = [](void *, void *) {};
		rte_mbuf_ext_refcnt_set(&shinfo_, 1);
		m_ = rte_pktmbuf_alloc(test::test_pool());
		auto len = static_cast<uint16_t>(frame.size());
		rte_pktmbuf_attach_extbuf(m_, data_.get(), 0, len, &shinfo_);
		m_->data_len = len;
		m_->pkt_len = len;
		m_->port = port;
	}
	~ExactMbuf() { rte_pktmbuf_free(m_); }
	ExactMbuf(const ExactMbuf &) = delete;
	ExactMbuf &operator=(const ExactMbuf &) = delete;

	const rte_mbuf *get() const { return m_; }

private:
	std::unique_ptr<uint8_t[]> data_;
	rte_mbuf_ext_shared_info shinfo_{};
	rte_mbuf *m_ = nullptr;
};

Bytes damaged(const Bytes &frame, std::mt19937 &rng)
{
	// Values that steer the parse somewhere: IHL 5 and versions, lengths
	// near zero and near the maximum, protocol and extension numbers.
	static constexpr uint8_t kInteresting[] = {0x00, 0x01, 0x05, 0x06, 0x08, 0x11, 0x2b, 0x2c,
						   0x3a, 0x3c, 0x45, 0x60, 0x7f, 0x80, 0xfe, 0xff};
	Bytes b = frame;
	unsigned mutations = rng() % 5;
	for (unsigned i = 0; i < mutations && !b.empty(); i++) {
		// Mostly the headers: the first 128 bytes hold every one.
		size_t at = rng() % std::min<size_t>(b.size(), 128);
		b[at] = rng() % 2 ? kInteresting[rng() % sizeof(kInteresting)] : static_cast<uint8_t>(rng());
	}
	if (rng() % 3 == 0)
		b.resize(rng() % (b.size() + 1));
	return b;
}

TEST(Classify, DamagedFramesNeverEscapeTheFrame)
{
	std::mt19937 rng(20221);
	Destinations d = destinations(kRelayPort, kWgPort, kForward);
	for (int i = 0; i < 20000; i++) {
		const Case &seed = kCases[rng() % std::size(kCases)];
		Bytes frame = damaged(seed.in.frame, rng);
		uint16_t port = rng() % 8 ? kPortBoth : static_cast<uint16_t>(rng() % (kPortOutOfRange + 1));
		ExactMbuf m(frame, port);
		PacketMeta pm;
		Stage got = classify(m.get(), d, pm);
		SCOPED_TRACE(testing::Message() << "from " << seed.name << ": " << to_hex(frame));
		expect_invariants(m.get(), got, pm);
		if (testing::Test::HasFailure())
			break;
	}
}

} // namespace
} // namespace wayport
