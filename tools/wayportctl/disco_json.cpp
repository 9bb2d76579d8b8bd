#include "tools/wayportctl/disco_json.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <set>

namespace wayport::ctl {

using json = Json;
using namespace wayport::disco;

namespace {

constexpr std::string_view kNodeKeyPrefix = "nodekey:";

bool all_zero(ByteSpan b)
{
	return std::all_of(b.begin(), b.end(), [](uint8_t v) { return v == 0; });
}

json addr_list(const std::vector<AddrPort> &list)
{
	json out = json::array();
	for (const auto &a : list)
		out.push_back(a.to_string());
	return out;
}

void put_bind_common(json &j, const BindCommon &m)
{
	j["vni"] = m.vni;
	j["generation"] = m.generation;
	j["remote_key"] = m.remote_key.to_text();
	j["challenge"] = to_hex(m.challenge);
}

void put_relay_endpoint(json &j, const UdpRelayEndpoint &m)
{
	j["server_disco"] = m.server_disco.to_text();
	j["client_disco"] = {m.client_disco[0].to_text(), m.client_disco[1].to_text()};
	j["lamport_id"] = m.lamport_id;
	j["vni"] = m.vni;
	j["bind_lifetime_ns"] = m.bind_lifetime_ns;
	j["steady_state_lifetime_ns"] = m.steady_state_lifetime_ns;
	j["addr_ports"] = addr_list(m.addr_ports);
}

struct BodyToJson {
	json &j;

	void operator()(const Ping &m)
	{
		j["tx_id"] = to_hex(m.tx_id);
		if (!all_zero(m.node_key))
			j["node_key"] = std::string(kNodeKeyPrefix) + to_hex(m.node_key);
		j["padding"] = m.padding.size();
		if (!all_zero(m.padding))
			j["padding_bytes"] = to_hex(m.padding);
	}
	void operator()(const Pong &m)
	{
		j["tx_id"] = to_hex(m.tx_id);
		j["src"] = m.src.to_string();
	}
	void operator()(const CallMeMaybe &m) { j["my_number"] = addr_list(m.my_number); }
	void operator()(const BindCommon &m) { put_bind_common(j, m); }
	void operator()(const UdpRelayEndpoint &m) { put_relay_endpoint(j, m); }
	void operator()(const AllocateUdpRelayEndpointRequest &m)
	{
		j["client_disco"] = {m.client_disco[0].to_text(), m.client_disco[1].to_text()};
		j["generation"] = m.generation;
	}
	void operator()(const AllocateUdpRelayEndpointResponse &m)
	{
		j["generation"] = m.generation;
		put_relay_endpoint(j, m.endpoint);
	}
};

// Reads the fields of one JSON object, naming the field in every error.
class Fields {
public:
	explicit Fields(const json &j) : j_(j) {}

	bool has(const char *name) const { return j_.contains(name); }

	const json &get(const char *name) const
	{
		auto it = j_.find(name);
		if (it == j_.end())
			fail(name, "is required");
		return *it;
	}

	uint64_t uint(const char *name, uint64_t max) const
	{
		const json &v = get(name);
		if (!v.is_number_unsigned() || v.get<uint64_t>() > max)
			fail(name, "must be an integer from 0 to " + std::to_string(max));
		return v.get<uint64_t>();
	}

	int64_t int64(const char *name) const
	{
		const json &v = get(name);
		if (!v.is_number_integer() ||
		    (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max())))
			fail(name, "must be a signed 64-bit integer (nanoseconds)");
		return v.get<int64_t>();
	}

	std::string string(const char *name) const
	{
		const json &v = get(name);
		if (!v.is_string())
			fail(name, "must be a string");
		return v.get<std::string>();
	}

	Bytes hex(const char *name) const
	{
		auto b = from_hex(string(name));
		if (!b)
			fail(name, "must be hex digits");
		return *b;
	}

	template <size_t N>
	std::array<uint8_t, N> fixed_hex(const char *name) const
	{
		Bytes b = hex(name);
		if (b.size() != N)
			fail(name, "must be " + std::to_string(N) + " bytes (" + std::to_string(2 * N) +
					   " hex digits)");
		std::array<uint8_t, N> out;
		std::copy(b.begin(), b.end(), out.begin());
		return out;
	}

	PublicKey disco_key(const json &v, const char *name) const
	{
		std::optional<PublicKey> k;
		if (v.is_string())
			k = PublicKey::from_text(v.get<std::string>());
		if (!k)
			fail(name, "must be a disco key: \"discokey:\" and 64 hex digits");
		return *k;
	}

	PublicKey disco_key(const char *name) const { return disco_key(get(name), name); }

	std::array<PublicKey, 2> disco_pair(const char *name) const
	{
		const json &v = get(name);
		if (!v.is_array() || v.size() != 2)
			fail(name, "must be a list of two disco keys");
		return {disco_key(v[0], name), disco_key(v[1], name)};
	}

	AddrPort addr_port(const char *name) const
	{
		auto a = AddrPort::parse(string(name));
		if (!a)
			fail(name, "must be \"1.2.3.4:5\" or \"[2001:db8::1]:5\"");
		return *a;
	}

	std::vector<AddrPort> addr_ports(const char *name) const
	{
		const json &v = get(name);
		if (!v.is_array())
			fail(name, "must be a list of \"ip:port\" strings");
		std::vector<AddrPort> out;
		for (const auto &e : v) {
			std::optional<AddrPort> a;
			if (e.is_string())
				a = AddrPort::parse(e.get<std::string>());
			if (!a)
				fail(name, "entries must be \"1.2.3.4:5\" or \"[2001:db8::1]:5\"");
			out.push_back(*a);
		}
		return out;
	}

	[[noreturn]] static void fail(const char *name, const std::string &what)
	{
		throw JsonInputError("field '" + std::string(name) + "' " + what);
	}

private:
	const json &j_;
};

void read_bind_common(const Fields &f, BindCommon &m, bool challenge_required)
{
	m.vni = static_cast<uint32_t>(f.uint("vni", 0xffffffff));
	m.generation = static_cast<uint32_t>(f.uint("generation", 0xffffffff));
	m.remote_key = f.disco_key("remote_key");
	if (challenge_required || f.has("challenge"))
		m.challenge = f.fixed_hex<kChallengeLen>("challenge");
}

void read_relay_endpoint(const Fields &f, UdpRelayEndpoint &m)
{
	m.server_disco = f.disco_key("server_disco");
	m.client_disco = f.disco_pair("client_disco");
	m.lamport_id = f.uint("lamport_id", std::numeric_limits<uint64_t>::max());
	m.vni = static_cast<uint32_t>(f.uint("vni", 0xffffffff));
	m.bind_lifetime_ns = f.int64("bind_lifetime_ns");
	m.steady_state_lifetime_ns = f.int64("steady_state_lifetime_ns");
	m.addr_ports = f.addr_ports("addr_ports");
	if (m.addr_ports.empty())
		Fields::fail("addr_ports", "must hold at least one address (receivers reject an empty list)");
}

NodeKey read_node_key(const Fields &f)
{
	std::string text = f.string("node_key");
	std::optional<Bytes> raw;
	if (text.starts_with(kNodeKeyPrefix))
		raw = from_hex(std::string_view(text).substr(kNodeKeyPrefix.size()));
	if (!raw || raw->size() != kNodeKeyLen)
		Fields::fail("node_key", "must be \"nodekey:\" and 64 hex digits");
	NodeKey k;
	std::copy(raw->begin(), raw->end(), k.begin());
	return k;
}

Ping read_ping(const Fields &f)
{
	Ping m;
	m.tx_id = f.fixed_hex<kTxIdLen>("tx_id");
	if (f.has("node_key"))
		m.node_key = read_node_key(f);
	if (f.has("padding_bytes")) {
		m.padding = f.hex("padding_bytes");
		if (f.has("padding") && f.uint("padding", 0xffff) != m.padding.size())
			Fields::fail("padding", "must equal the length of padding_bytes");
	} else if (f.has("padding")) {
		m.padding.assign(f.uint("padding", 0xffff), 0);
	}
	return m;
}

const std::set<std::string> &allowed_fields(MessageType t)
{
	static const std::set<std::string> endpoint = {"server_disco", "client_disco", "lamport_id", "vni",
		"bind_lifetime_ns", "steady_state_lifetime_ns", "addr_ports"};
	static const std::set<std::string> bind = {"vni", "generation", "remote_key", "challenge"};
	static const std::set<std::string> ping = {"tx_id", "node_key", "padding", "padding_bytes"};
	static const std::set<std::string> pong = {"tx_id", "src"};
	static const std::set<std::string> cmm = {"my_number"};
	static const std::set<std::string> req = {"client_disco", "generation"};
	static const std::set<std::string> resp = [] {
		auto s = endpoint;
		s.insert("generation");
		return s;
	}();
	switch (t) {
	case MessageType::ping: return ping;
	case MessageType::pong: return pong;
	case MessageType::call_me_maybe: return cmm;
	case MessageType::bind_udp_relay_endpoint:
	case MessageType::bind_udp_relay_endpoint_challenge:
	case MessageType::bind_udp_relay_endpoint_answer: return bind;
	case MessageType::call_me_maybe_via: return endpoint;
	case MessageType::allocate_udp_relay_endpoint_request: return req;
	case MessageType::allocate_udp_relay_endpoint_response: return resp;
	}
	return ping;
}

// Fields any message may carry: what decode and open print around the body.
const std::set<std::string> kCommonFields = {"type", "version", "trailing", "body_ignored", "sender", "geneve"};

void check_known_fields(const json &j, MessageType t)
{
	const auto &allowed = allowed_fields(t);
	for (const auto &[name, value] : j.items()) {
		if (!kCommonFields.contains(name) && !allowed.contains(name))
			throw JsonInputError("field '" + name + "' is not part of a " + to_string(t) + " message");
	}
}

} // namespace

json message_to_json(const Message &m)
{
	json j;
	j["type"] = to_string(m.type());
	j["version"] = m.version;
	if (m.body_ignored)
		j["body_ignored"] = true;
	else
		std::visit(BodyToJson{j}, m.body);
	if (!m.trailing.empty())
		j["trailing"] = to_hex(m.trailing);
	return j;
}

Message message_from_json(const json &j)
{
	if (!j.is_object())
		throw JsonInputError("a disco message must be a JSON object");
	Fields f(j);
	MessageType type;
	if (!message_type_from_string(f.string("type"), type))
		Fields::fail("type", "must be one of ping pong call_me_maybe bind_udp_relay_endpoint "
				     "bind_udp_relay_endpoint_challenge bind_udp_relay_endpoint_answer "
				     "call_me_maybe_via allocate_udp_relay_endpoint_request "
				     "allocate_udp_relay_endpoint_response");
	check_known_fields(j, type);

	Message m;
	if (f.has("version"))
		m.version = static_cast<uint8_t>(f.uint("version", 255));
	if (f.has("trailing"))
		m.trailing = f.hex("trailing");
	if (f.has("body_ignored")) {
		const json &v = f.get("body_ignored");
		if (!v.is_boolean())
			Fields::fail("body_ignored", "must be true or false");
		m.body_ignored = v.get<bool>();
	}

	if (m.body_ignored) {
		m.body = disco::empty_body(type);
		return m;
	}
	switch (type) {
	case MessageType::ping:
		m.body = read_ping(f);
		break;
	case MessageType::pong: {
		Pong p;
		p.tx_id = f.fixed_hex<kTxIdLen>("tx_id");
		p.src = f.addr_port("src");
		m.body = p;
		break;
	}
	case MessageType::call_me_maybe:
		m.body = CallMeMaybe{f.addr_ports("my_number")};
		break;
	case MessageType::bind_udp_relay_endpoint:
		read_bind_common(f, m.body.emplace<BindUdpRelayEndpoint>(), false);
		break;
	case MessageType::bind_udp_relay_endpoint_challenge:
		read_bind_common(f, m.body.emplace<BindUdpRelayEndpointChallenge>(), true);
		break;
	case MessageType::bind_udp_relay_endpoint_answer:
		read_bind_common(f, m.body.emplace<BindUdpRelayEndpointAnswer>(), true);
		break;
	case MessageType::call_me_maybe_via:
		read_relay_endpoint(f, m.body.emplace<CallMeMaybeVia>());
		break;
	case MessageType::allocate_udp_relay_endpoint_request: {
		auto &req = m.body.emplace<AllocateUdpRelayEndpointRequest>();
		req.client_disco = f.disco_pair("client_disco");
		req.generation = static_cast<uint32_t>(f.uint("generation", 0xffffffff));
		break;
	}
	case MessageType::allocate_udp_relay_endpoint_response: {
		auto &resp = m.body.emplace<AllocateUdpRelayEndpointResponse>();
		resp.generation = static_cast<uint32_t>(f.uint("generation", 0xffffffff));
		read_relay_endpoint(f, resp.endpoint);
		break;
	}
	}
	return m;
}

json geneve_to_json(const GeneveHeader &h)
{
	return {{"version", h.version}, {"control", h.control},
		{"protocol", geneve_protocol_name(h.protocol)}, {"vni", h.vni}};
}

std::string geneve_protocol_name(uint16_t protocol)
{
	if (protocol == kGeneveProtocolDisco)
		return "disco";
	if (protocol == kGeneveProtocolWireGuard)
		return "wireguard";
	char buf[8];
	std::snprintf(buf, sizeof(buf), "0x%04x", protocol);
	return buf;
}

} // namespace wayport::ctl
