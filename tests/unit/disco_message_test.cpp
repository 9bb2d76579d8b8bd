#include <gtest/gtest.h>

#include "controlplane/disco/message.h"
#include "tests/unit/vectors.h"

namespace wayport::disco {
namespace {

using test::vec;

constexpr const char *kTxId = "0102030405060708090a0b0c";

Bytes hex(const std::string &s)
{
	auto b = from_hex(s);
	EXPECT_TRUE(b.has_value()) << s;
	return b.value_or(Bytes{});
}

PublicKey key(const char *name)
{
	return PublicKey::from_raw(vec(name).data());
}

AddrPort addr(const char *text)
{
	auto a = AddrPort::parse(text);
	EXPECT_TRUE(a.has_value()) << text;
	return a.value_or(AddrPort{});
}

// Parses b, checks the error, and for a success that marshal gives b back.
Message parse_ok(const Bytes &b)
{
	Message m;
	EXPECT_EQ(parse(b, m), ParseError::ok) << to_hex(b);
	EXPECT_EQ(to_hex(marshal(m)), to_hex(b));
	return m;
}

void parse_fails(const Bytes &b, ParseError want)
{
	Message m;
	EXPECT_EQ(parse(b, m), want) << to_hex(b);
}

template <typename T>
const T &body(const Message &m)
{
	static const T empty{};
	const T *p = std::get_if<T>(&m.body);
	EXPECT_NE(p, nullptr) << "wrong message type " << to_string(m.type());
	return p ? *p : empty;
}

TEST(DiscoMessage, BindVectors)
{
	struct Case {
		const char *name;
		MessageType type;
		bool zero_challenge;
	} cases[] = {
		{"disco_plain_bind_A", MessageType::bind_udp_relay_endpoint, true},
		{"disco_plain_challenge_S", MessageType::bind_udp_relay_endpoint_challenge, false},
		{"disco_plain_answer_A", MessageType::bind_udp_relay_endpoint_answer, false},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(c.name);
		Message m = parse_ok(vec(c.name));
		ASSERT_EQ(m.type(), c.type);
		const BindCommon &b = std::visit(
			[](const auto &v) -> const BindCommon & {
				if constexpr (std::is_base_of_v<BindCommon, std::decay_t<decltype(v)>>)
					return v;
				static const BindCommon none;
				return none;
			},
			m.body);
		EXPECT_EQ(b.vni, 1u);
		EXPECT_EQ(b.generation, 1u);
		EXPECT_EQ(b.remote_key, key("key_B_pub"));
		Challenge want{};
		if (!c.zero_challenge)
			std::copy_n(vec("mac_v4").begin(), want.size(), want.begin());
		EXPECT_EQ(b.challenge, want);
		EXPECT_TRUE(m.trailing.empty());
	}
}

TEST(DiscoMessage, MarshalBindFromFields)
{
	Message m;
	auto &bind = m.body.emplace<BindUdpRelayEndpoint>();
	bind.vni = 1;
	bind.generation = 1;
	bind.remote_key = key("key_B_pub");
	EXPECT_EQ(marshal(m), vec("disco_plain_bind_A"));
}

TEST(DiscoMessage, PingVector)
{
	Message m = parse_ok(vec("disco_plain_ping_A"));
	const Ping &p = body<Ping>(m);
	EXPECT_EQ(to_hex(p.tx_id), kTxId);
	NodeKey k;
	k.fill(0x33);
	EXPECT_EQ(p.node_key, k);
	EXPECT_TRUE(p.padding.empty());
}

TEST(DiscoMessage, PingLenientForms)
{
	// No node key (clients up to 1.16), with padding for MTU probing.
	Message m = parse_ok(hex(std::string("0100") + kTxId + "0000000000"));
	EXPECT_EQ(body<Ping>(m).node_key, NodeKey{});
	EXPECT_EQ(body<Ping>(m).padding.size(), 5u);
	// Node key plus padding: padding counts after the key.
	m = parse_ok(hex(std::string("0100") + kTxId + std::string(64, '3') + "000000"));
	EXPECT_NE(body<Ping>(m).node_key, NodeKey{});
	EXPECT_EQ(body<Ping>(m).padding.size(), 3u);
	// The version byte is ignored for pings.
	m = parse_ok(hex(std::string("0107") + kTxId));
	EXPECT_EQ(m.version, 7);
	// A zero key reads as absent; its bytes become padding.
	m = parse_ok(hex(std::string("0100") + kTxId + std::string(64 + 4, '0')));
	EXPECT_EQ(body<Ping>(m).node_key, NodeKey{});
	EXPECT_EQ(body<Ping>(m).padding.size(), 34u);
	parse_fails(hex("0100" + std::string(22, '0')), ParseError::short_body);
}

TEST(DiscoMessage, Pong)
{
	// Our vector from spec §2.5: TxID, v4-mapped 192.0.2.10, port 41641.
	Message m = parse_ok(hex(std::string("0200") + kTxId + "00000000000000000000ffffc000020a" "a2a9"));
	EXPECT_EQ(body<Pong>(m).src, addr("192.0.2.10:41641"));
	EXPECT_TRUE(body<Pong>(m).src.is_v4);
	m = parse_ok(hex(std::string("0200") + kTxId + "20010db8000000000000000000000001" "0007"));
	EXPECT_EQ(body<Pong>(m).src, addr("[2001:db8::1]:7"));
	// Trailing bytes are ignored but kept.
	m = parse_ok(hex(std::string("0200") + kTxId + "20010db8000000000000000000000001" "0007" "ee"));
	EXPECT_EQ(m.trailing, Bytes{0xee});
	parse_fails(hex(std::string("0200") + kTxId + std::string(34, '0')), ParseError::short_body);
}

TEST(DiscoMessage, CallMeMaybe)
{
	Message m = parse_ok(hex("0300" "00000000000000000000ffffcb007105" "1e61"
				 "20010db8000000000000000000000002" "0050"));
	ASSERT_EQ(body<CallMeMaybe>(m).my_number.size(), 2u);
	EXPECT_EQ(body<CallMeMaybe>(m).my_number[0], addr("203.0.113.5:7777"));
	EXPECT_EQ(body<CallMeMaybe>(m).my_number[1], addr("[2001:db8::2]:80"));
	m = parse_ok(hex("0300"));
	EXPECT_TRUE(body<CallMeMaybe>(m).my_number.empty());
	EXPECT_FALSE(m.body_ignored);
	// Not a multiple of 18, or version != 0: an empty message, no error.
	m = parse_ok(hex("0300" "00000000000000000000ffffcb007105" "1e"));
	EXPECT_TRUE(m.body_ignored);
	EXPECT_TRUE(body<CallMeMaybe>(m).my_number.empty());
	m = parse_ok(hex("0301" "00000000000000000000ffffcb007105" "1e61"));
	EXPECT_TRUE(m.body_ignored);
	EXPECT_TRUE(body<CallMeMaybe>(m).my_number.empty());
}

std::string endpoint_body_hex(int addr_count)
{
	std::string s = to_hex(vec("key_S_pub")) + to_hex(vec("key_B_pub")) + to_hex(vec("key_A_pub")) +
			"0000000000000001" "00000001" "00000006fc23ac00" "00000045d964b800";
	for (int i = 0; i < addr_count; i++)
		s += "00000000000000000000ffffcb007105" "1e61";
	return s;
}

void expect_endpoint(const UdpRelayEndpoint &e, size_t addrs)
{
	EXPECT_EQ(e.server_disco, key("key_S_pub"));
	EXPECT_EQ(e.client_disco[0], key("key_B_pub"));
	EXPECT_EQ(e.client_disco[1], key("key_A_pub"));
	EXPECT_EQ(e.lamport_id, 1u);
	EXPECT_EQ(e.vni, 1u);
	EXPECT_EQ(e.bind_lifetime_ns, 30'000'000'000);
	EXPECT_EQ(e.steady_state_lifetime_ns, 300'000'000'000);
	ASSERT_EQ(e.addr_ports.size(), addrs);
	EXPECT_EQ(e.addr_ports[0], addr("203.0.113.5:7777"));
}

TEST(DiscoMessage, CallMeMaybeVia)
{
	Message m = parse_ok(hex("0700" + endpoint_body_hex(1)));
	expect_endpoint(body<CallMeMaybeVia>(m), 1);
	m = parse_ok(hex("0700" + endpoint_body_hex(3)));
	expect_endpoint(body<CallMeMaybeVia>(m), 3);
	// AddrPorts must be a non-empty exact multiple of 18 bytes.
	parse_fails(hex("0700" + endpoint_body_hex(0)), ParseError::short_body);
	parse_fails(hex("0700" + endpoint_body_hex(1) + "00"), ParseError::short_body);
	parse_fails(hex("0700" + endpoint_body_hex(1).substr(2)), ParseError::short_body);
	// Version != 0: a zero-valued message and no error, whatever follows.
	m = parse_ok(hex("0701" + endpoint_body_hex(0)));
	EXPECT_TRUE(m.body_ignored);
	EXPECT_EQ(body<CallMeMaybeVia>(m), CallMeMaybeVia{});
}

TEST(DiscoMessage, AllocateRequestVector)
{
	Message m = parse_ok(vec("disco_plain_alloc_req_A"));
	const auto &req = body<AllocateUdpRelayEndpointRequest>(m);
	EXPECT_EQ(req.client_disco[0], key("key_A_pub"));
	EXPECT_EQ(req.client_disco[1], key("key_B_pub"));
	EXPECT_EQ(req.generation, 1u);

	Bytes longer = vec("disco_plain_alloc_req_A");
	longer.push_back(0x99);
	m = parse_ok(longer);
	EXPECT_EQ(m.trailing, Bytes{0x99});
	parse_fails(Bytes(longer.begin(), longer.end() - 2), ParseError::short_body);
	Bytes v1 = vec("disco_plain_alloc_req_A");
	v1[1] = 1;
	m = parse_ok(v1);
	EXPECT_TRUE(m.body_ignored);
	EXPECT_EQ(body<AllocateUdpRelayEndpointRequest>(m), AllocateUdpRelayEndpointRequest{});
	m = parse_ok(hex("0801"));
	EXPECT_TRUE(m.body_ignored);
}

TEST(DiscoMessage, AllocateResponseVector)
{
	Message m = parse_ok(vec("disco_plain_alloc_resp_R"));
	const auto &resp = body<AllocateUdpRelayEndpointResponse>(m);
	EXPECT_EQ(resp.generation, 1u);
	expect_endpoint(resp.endpoint, 1);
	parse_fails(hex("0900" "000000"), ParseError::short_body);
	parse_fails(hex("0900" "00000001" + endpoint_body_hex(0)), ParseError::short_body);
	m = parse_ok(hex("0902" "000000"));
	EXPECT_TRUE(m.body_ignored);
}

TEST(DiscoMessage, DurationsAreNanosecondsBigEndian)
{
	Message m;
	auto &via = m.body.emplace<CallMeMaybeVia>();
	via.addr_ports.push_back(addr("[2001:db8::1]:7"));
	via.bind_lifetime_ns = 1'000'000'000;           // 1 s
	via.steady_state_lifetime_ns = 60'000'000'000;  // 1 min
	std::string h = to_hex(marshal(m));
	EXPECT_EQ(h.substr(4 + 2 * 108, 16), "000000003b9aca00");
	EXPECT_EQ(h.substr(4 + 2 * 116, 16), "0000000df8475800");
	// Negative durations survive as Go's int64.
	via.bind_lifetime_ns = -1;
	Message back = parse_ok(marshal(m));
	EXPECT_EQ(body<CallMeMaybeVia>(back).bind_lifetime_ns, -1);
}

TEST(DiscoMessage, V4MappedAddressesAreUnmapped)
{
	Message m = parse_ok(hex("0300" "00000000000000000000ffff01020304" "0005"
				 "00000000000000000000000001020304" "0005"));
	const auto &list = body<CallMeMaybe>(m).my_number;
	ASSERT_EQ(list.size(), 2u);
	EXPECT_TRUE(list[0].is_v4);
	EXPECT_EQ(list[0].to_string(), "1.2.3.4:5");
	EXPECT_FALSE(list[1].is_v4);  // IPv4-compatible (not mapped) stays IPv6
	EXPECT_EQ(list[1].to_string(), "[::1.2.3.4]:5");
}

TEST(DiscoMessage, HeaderErrors)
{
	parse_fails(Bytes{}, ParseError::short_header);
	parse_fails(Bytes{0x01}, ParseError::short_header);
	parse_fails(Bytes{0x00, 0x00}, ParseError::unknown_type);
	parse_fails(Bytes{0x0a, 0x00}, ParseError::unknown_type);
	parse_fails(Bytes{0xff, 0x00, 1, 2, 3}, ParseError::unknown_type);
	for (int t = 1; t <= 9; t++) {
		Message m;
		Bytes b{static_cast<uint8_t>(t), 0};
		ParseError err = parse(b, m);
		// Only CallMeMaybe accepts an empty body at version 0.
		EXPECT_EQ(err, t == 3 ? ParseError::ok : ParseError::short_body) << t;
	}
}

TEST(DiscoMessage, TypeNames)
{
	for (int t = 1; t <= 9; t++) {
		MessageType type = static_cast<MessageType>(t), back;
		ASSERT_TRUE(message_type_from_string(to_string(type), back));
		EXPECT_EQ(back, type);
	}
	MessageType unused;
	EXPECT_FALSE(message_type_from_string("pingg", unused));
}

} // namespace
} // namespace wayport::disco
