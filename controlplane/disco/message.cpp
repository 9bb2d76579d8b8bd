#include "controlplane/disco/message.h"

#include <algorithm>
#include <cstring>
#include <string_view>

namespace wayport::disco {

namespace {

constexpr size_t kRelayEndpointMinLen = kRelayEndpointFixedLen + kAddrPortLen;

struct TypeName {
	MessageType type;
	const char *name;
};

constexpr TypeName kTypeNames[] = {
	{MessageType::ping, "ping"},
	{MessageType::pong, "pong"},
	{MessageType::call_me_maybe, "call_me_maybe"},
	{MessageType::bind_udp_relay_endpoint, "bind_udp_relay_endpoint"},
	{MessageType::bind_udp_relay_endpoint_challenge, "bind_udp_relay_endpoint_challenge"},
	{MessageType::bind_udp_relay_endpoint_answer, "bind_udp_relay_endpoint_answer"},
	{MessageType::call_me_maybe_via, "call_me_maybe_via"},
	{MessageType::allocate_udp_relay_endpoint_request, "allocate_udp_relay_endpoint_request"},
	{MessageType::allocate_udp_relay_endpoint_response, "allocate_udp_relay_endpoint_response"},
};

template <size_t N>
void take(std::array<uint8_t, N> &dst, const uint8_t *src)
{
	std::memcpy(dst.data(), src, N);
}

AddrPort read_addr_port(const uint8_t *p)
{
	return AddrPort::from_16(p, load_be16(p + 16));
}

void put(Bytes &out, const void *p, size_t n)
{
	const auto *b = static_cast<const uint8_t *>(p);
	out.insert(out.end(), b, b + n);
}

void put_be16(Bytes &out, uint16_t v)
{
	uint8_t b[2];
	store_be16(b, v);
	put(out, b, sizeof(b));
}

void put_be32(Bytes &out, uint32_t v)
{
	uint8_t b[4];
	store_be32(b, v);
	put(out, b, sizeof(b));
}

void put_be64(Bytes &out, uint64_t v)
{
	uint8_t b[8];
	store_be64(b, v);
	put(out, b, sizeof(b));
}

void put_addr_port(Bytes &out, const AddrPort &a)
{
	put(out, a.ip.data(), a.ip.size());
	put_be16(out, a.port);
}

// Parses n 18-byte entries; the caller checked the length is a multiple.
std::vector<AddrPort> read_addr_ports(ByteSpan b)
{
	std::vector<AddrPort> list;
	list.reserve(b.size() / kAddrPortLen);
	for (size_t off = 0; off + kAddrPortLen <= b.size(); off += kAddrPortLen)
		list.push_back(read_addr_port(&b[off]));
	return list;
}

ParseError parse_ping(ByteSpan b, Ping &m)
{
	if (b.size() < kTxIdLen)
		return ParseError::short_body;
	take(m.tx_id, b.data());
	ByteSpan rest = b.subspan(kTxIdLen);
	// A zero node key reads as "absent" (as Tailscale's IsZero does); its
	// bytes then count as padding so that re-marshalling is exact.
	if (rest.size() >= kNodeKeyLen &&
	    std::any_of(rest.begin(), rest.begin() + kNodeKeyLen, [](uint8_t v) { return v != 0; })) {
		take(m.node_key, rest.data());
		rest = rest.subspan(kNodeKeyLen);
	}
	m.padding.assign(rest.begin(), rest.end());
	return ParseError::ok;
}

ParseError parse_pong(ByteSpan b, Pong &m, Bytes &trailing)
{
	if (b.size() < kPongLen)
		return ParseError::short_body;
	take(m.tx_id, b.data());
	m.src = read_addr_port(&b[kTxIdLen]);
	trailing.assign(b.begin() + kPongLen, b.end());
	return ParseError::ok;
}

ParseError parse_bind_common(ByteSpan b, BindCommon &m, Bytes &trailing)
{
	if (b.size() < kBindCommonLen)
		return ParseError::short_body;
	m.vni = load_be32(&b[0]);
	m.generation = load_be32(&b[4]);
	m.remote_key = PublicKey::from_raw(&b[8]);
	take(m.challenge, &b[40]);
	trailing.assign(b.begin() + kBindCommonLen, b.end());
	return ParseError::ok;
}

ParseError parse_relay_endpoint(ByteSpan b, UdpRelayEndpoint &m)
{
	if (b.size() < kRelayEndpointMinLen || (b.size() - kRelayEndpointFixedLen) % kAddrPortLen != 0)
		return ParseError::short_body;
	m.server_disco = PublicKey::from_raw(&b[0]);
	m.client_disco[0] = PublicKey::from_raw(&b[32]);
	m.client_disco[1] = PublicKey::from_raw(&b[64]);
	m.lamport_id = load_be64(&b[96]);
	m.vni = load_be32(&b[104]);
	m.bind_lifetime_ns = static_cast<int64_t>(load_be64(&b[108]));
	m.steady_state_lifetime_ns = static_cast<int64_t>(load_be64(&b[116]));
	m.addr_ports = read_addr_ports(b.subspan(kRelayEndpointFixedLen));
	return ParseError::ok;
}

ParseError parse_alloc_request(ByteSpan b, AllocateUdpRelayEndpointRequest &m, Bytes &trailing)
{
	if (b.size() < kAllocRequestLen)
		return ParseError::short_body;
	m.client_disco[0] = PublicKey::from_raw(&b[0]);
	m.client_disco[1] = PublicKey::from_raw(&b[32]);
	m.generation = load_be32(&b[64]);
	trailing.assign(b.begin() + kAllocRequestLen, b.end());
	return ParseError::ok;
}

ParseError parse_alloc_response(ByteSpan b, AllocateUdpRelayEndpointResponse &m)
{
	if (b.size() < 4)
		return ParseError::short_body;
	m.generation = load_be32(&b[0]);
	return parse_relay_endpoint(b.subspan(4), m.endpoint);
}

void put_bind_common(Bytes &out, const BindCommon &m)
{
	put_be32(out, m.vni);
	put_be32(out, m.generation);
	put(out, m.remote_key.bytes.data(), kDiscoKeyLen);
	put(out, m.challenge.data(), m.challenge.size());
}

void put_relay_endpoint(Bytes &out, const UdpRelayEndpoint &m)
{
	put(out, m.server_disco.bytes.data(), kDiscoKeyLen);
	put(out, m.client_disco[0].bytes.data(), kDiscoKeyLen);
	put(out, m.client_disco[1].bytes.data(), kDiscoKeyLen);
	put_be64(out, m.lamport_id);
	put_be32(out, m.vni);
	put_be64(out, static_cast<uint64_t>(m.bind_lifetime_ns));
	put_be64(out, static_cast<uint64_t>(m.steady_state_lifetime_ns));
	for (const auto &a : m.addr_ports)
		put_addr_port(out, a);
}

struct BodyWriter {
	Bytes &out;

	void operator()(const Ping &m)
	{
		put(out, m.tx_id.data(), m.tx_id.size());
		if (std::any_of(m.node_key.begin(), m.node_key.end(), [](uint8_t v) { return v != 0; }))
			put(out, m.node_key.data(), m.node_key.size());
		put(out, m.padding.data(), m.padding.size());
	}
	void operator()(const Pong &m)
	{
		put(out, m.tx_id.data(), m.tx_id.size());
		put_addr_port(out, m.src);
	}
	void operator()(const CallMeMaybe &m)
	{
		for (const auto &a : m.my_number)
			put_addr_port(out, a);
	}
	void operator()(const BindCommon &m) { put_bind_common(out, m); }
	void operator()(const UdpRelayEndpoint &m) { put_relay_endpoint(out, m); }
	void operator()(const AllocateUdpRelayEndpointRequest &m)
	{
		put(out, m.client_disco[0].bytes.data(), kDiscoKeyLen);
		put(out, m.client_disco[1].bytes.data(), kDiscoKeyLen);
		put_be32(out, m.generation);
	}
	void operator()(const AllocateUdpRelayEndpointResponse &m)
	{
		put_be32(out, m.generation);
		put_relay_endpoint(out, m.endpoint);
	}
};

} // namespace

const char *to_string(ParseError e)
{
	switch (e) {
	case ParseError::ok: return "ok";
	case ParseError::short_header: return "disco message shorter than its 2-byte header";
	case ParseError::unknown_type: return "unknown disco message type";
	case ParseError::short_body: return "disco message body too short for its type";
	}
	return "unknown parse error";
}

const char *to_string(MessageType t)
{
	for (const auto &tn : kTypeNames)
		if (tn.type == t)
			return tn.name;
	return "unknown";
}

bool message_type_from_string(std::string_view name, MessageType &out)
{
	for (const auto &tn : kTypeNames) {
		if (name == tn.name) {
			out = tn.type;
			return true;
		}
	}
	return false;
}

// The alternative for type t with every field empty.
MessageBody empty_body(MessageType t)
{
	MessageBody body;
	switch (t) {
	case MessageType::ping: body.emplace<Ping>(); break;
	case MessageType::pong: body.emplace<Pong>(); break;
	case MessageType::call_me_maybe: body.emplace<CallMeMaybe>(); break;
	case MessageType::bind_udp_relay_endpoint: body.emplace<BindUdpRelayEndpoint>(); break;
	case MessageType::bind_udp_relay_endpoint_challenge: body.emplace<BindUdpRelayEndpointChallenge>(); break;
	case MessageType::bind_udp_relay_endpoint_answer: body.emplace<BindUdpRelayEndpointAnswer>(); break;
	case MessageType::call_me_maybe_via: body.emplace<CallMeMaybeVia>(); break;
	case MessageType::allocate_udp_relay_endpoint_request: body.emplace<AllocateUdpRelayEndpointRequest>(); break;
	case MessageType::allocate_udp_relay_endpoint_response: body.emplace<AllocateUdpRelayEndpointResponse>(); break;
	}
	return body;
}

ParseError parse(ByteSpan p, Message &m)
{
	m = Message{};
	if (p.size() < kMessageHeaderLen)
		return ParseError::short_header;
	uint8_t type = p[0];
	m.version = p[1];
	ByteSpan b = p.subspan(kMessageHeaderLen);

	// Types whose whole body Tailscale ignores at a version other than 0.
	auto ignore_body = [&] {
		m.body_ignored = true;
		m.trailing.assign(b.begin(), b.end());
		return ParseError::ok;
	};

	switch (static_cast<MessageType>(type)) {
	case MessageType::ping:
		return parse_ping(b, m.body.emplace<Ping>());
	case MessageType::pong:
		return parse_pong(b, m.body.emplace<Pong>(), m.trailing);
	case MessageType::call_me_maybe: {
		auto &cmm = m.body.emplace<CallMeMaybe>();
		if (m.version != 0 || b.size() % kAddrPortLen != 0)
			return ignore_body();
		cmm.my_number = read_addr_ports(b);
		return ParseError::ok;
	}
	case MessageType::bind_udp_relay_endpoint:
		return parse_bind_common(b, m.body.emplace<BindUdpRelayEndpoint>(), m.trailing);
	case MessageType::bind_udp_relay_endpoint_challenge:
		return parse_bind_common(b, m.body.emplace<BindUdpRelayEndpointChallenge>(), m.trailing);
	case MessageType::bind_udp_relay_endpoint_answer:
		return parse_bind_common(b, m.body.emplace<BindUdpRelayEndpointAnswer>(), m.trailing);
	case MessageType::call_me_maybe_via: {
		auto &via = m.body.emplace<CallMeMaybeVia>();
		if (m.version != 0)
			return ignore_body();
		return parse_relay_endpoint(b, via);
	}
	case MessageType::allocate_udp_relay_endpoint_request: {
		auto &req = m.body.emplace<AllocateUdpRelayEndpointRequest>();
		if (m.version != 0)
			return ignore_body();
		return parse_alloc_request(b, req, m.trailing);
	}
	case MessageType::allocate_udp_relay_endpoint_response: {
		auto &resp = m.body.emplace<AllocateUdpRelayEndpointResponse>();
		if (m.version != 0)
			return ignore_body();
		return parse_alloc_response(b, resp);
	}
	}
	return ParseError::unknown_type;
}

void append_marshal(const Message &m, Bytes &out)
{
	out.push_back(static_cast<uint8_t>(m.type()));
	out.push_back(m.version);
	if (!m.body_ignored)
		std::visit(BodyWriter{out}, m.body);
	put(out, m.trailing.data(), m.trailing.size());
}

Bytes marshal(const Message &m)
{
	Bytes out;
	append_marshal(m, out);
	return out;
}

} // namespace wayport::disco
