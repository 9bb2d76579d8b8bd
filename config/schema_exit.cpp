// The exit section (issue 13): which port the translated traffic leaves
// by, the SNAT addresses and ports, who may use the exit, and the NAT's
// filtering, timeouts and caps.
#include <algorithm>

#include "config/names.h"
#include "config/schema_parts.h"

namespace wayport::config {

namespace {

constexpr std::string_view kSnatWhat = "a list of at most one IPv4 and one IPv6 address such as [203.0.113.1, 2001:db8::1]";
constexpr std::string_view kRangeWhat = "a port range such as 1024-65535";
constexpr std::string_view kAllowWhat = "any, or a list of WireGuard public keys";
constexpr std::string_view kFilteringWhat =
	"endpoint-independent, address-dependent or address-and-port-dependent";
constexpr std::string_view kKeyWhat = "a WireGuard public key: 44 characters of base64 as wg pubkey prints";
// Sessions are 24-bit in the NAT's tables: the same ceiling as the relay's
// endpoints.
constexpr int64_t kMaxSessions = 16777216;

const char *family(bool v4)
{
	return v4 ? "IPv4" : "IPv6";
}

// "1024-65535", lo <= hi.
std::optional<std::pair<uint16_t, uint16_t>> port_range(Diag &d, const Value &v)
{
	auto text = scalar(d, v, kRangeWhat);
	if (!text)
		return std::nullopt;
	const size_t dash = text->find('-');
	auto number = [](std::string_view s) -> std::optional<uint32_t> {
		if (s.empty() || s.size() > 5 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
			return std::nullopt;
		uint32_t n = 0;
		for (char c : s)
			n = n * 10 + static_cast<uint32_t>(c - '0');
		return n;
	};
	auto lo = dash == std::string::npos ? std::nullopt : number(std::string_view(*text).substr(0, dash));
	auto hi = dash == std::string::npos ? std::nullopt : number(std::string_view(*text).substr(dash + 1));
	if (!lo || !hi || *lo < 1 || *hi > 65535) {
		d.expected(v, "a port range such as 1024-65535, ports in 1..65535");
		return std::nullopt;
	}
	if (*lo > *hi) {
		d.error(v, *text + " is empty: the first port comes after the last");
		return std::nullopt;
	}
	return std::pair{static_cast<uint16_t>(*lo), static_cast<uint16_t>(*hi)};
}

void read_allow(Diag &d, const Value &v, Exit &e)
{
	if (v.node.IsScalar() && v.node.Scalar() == "any") {
		e.allow_any = true;
		return;
	}
	auto items = list_items(d, v, kAllowWhat);
	if (!items)
		return;
	Unique keys(d, "public key");
	for (const auto &item : *items) {
		auto text = scalar(d, item, kKeyWhat);
		if (!text)
			continue;
		auto key = wireguard::PublicKey::from_base64(*text);
		if (!key) {
			d.error(item, "expected " + std::string(kKeyWhat) + ", got " + describe(item.node) + ": " + key.error);
			continue;
		}
		if (keys.add(item, key.value->to_base64()))
			e.allow.push_back(*key.value);
	}
}

std::optional<Filtering> filtering(Diag &d, const Value &v)
{
	auto text = scalar(d, v, kFilteringWhat);
	if (!text)
		return std::nullopt;
	if (*text == "endpoint-independent")
		return Filtering::endpoint_independent;
	if (*text == "address-dependent")
		return Filtering::address_dependent;
	if (*text == "address-and-port-dependent")
		return Filtering::address_and_port_dependent;
	d.expected(v, kFilteringWhat);
	return std::nullopt;
}

// Why an SNAT address cannot be, or empty: on the exit port's network
// (its own address, or another that the node then answers ARP and ND for),
// with a default route of its family, and outside the tunnel (RFC 4787
// REQ-7: inside and outside addresses never overlap).
std::string snat_problem(const AddrPort &ip, const Port &port, const Wireguard &w)
{
	const bool v4 = ip.is_v4;
	const std::optional<IpPrefix> &net = v4 ? port.ipv4 : port.ipv6;
	const std::string text = ip_to_string(ip);
	const std::string key = v4 ? "ipv4" : "ipv6";
	if (!net)
		return text + " is " + family(v4) + " but port " + port.name + " has no " + key + " address";
	if (!(v4 ? port.gateway4 : port.gateway6))
		return "port " + port.name + " has no gateway" + (v4 ? "4" : "6") + ", and the exit's " + family(v4) +
		       " default route leaves through it";
	if (!net->contains(ip))
		return text + " is outside port " + port.name + "'s " + key + " " + net->to_string();
	if (ip == *(v4 ? port.gateway4 : port.gateway6))
		return text + " is port " + port.name + "'s gateway";
	for (const IpPrefix &a : w.addresses)
		if (a.contains(ip))
			return text + " is inside the tunnel's " + a.to_string();
	for (const WireguardPeer &p : w.peers)
		for (const Prefix &allowed : p.allowed_ips)
			if (allowed.contains(ip))
				return text + " is inside peer " + p.public_key.to_base64() + "'s allowed IP " +
				       allowed.to_string();
	return "";
}

void read_snat(Diag &d, const Value &v, const Port *port, const Wireguard &w, Exit &e)
{
	auto items = list_items(d, v, kSnatWhat);
	if (!items)
		return;
	for (const auto &item : *items) {
		auto text = scalar(d, item, kSnatWhat);
		if (!text)
			continue;
		auto ip = parse_ip(*text, text->find(':') == std::string::npos);
		if (!ip) {
			d.expected(item, "an IPv4 or IPv6 address such as 203.0.113.1");
			continue;
		}
		std::optional<AddrPort> &slot = ip->is_v4 ? e.snat4 : e.snat6;
		if (slot) {
			d.error(item, "a second " + std::string(family(ip->is_v4)) + " address; the exit takes one of each family");
			continue;
		}
		if (port)
			if (std::string why = snat_problem(*ip, *port, w); !why.empty()) {
				d.error(item, why);
				continue;
			}
		slot = *ip;
	}
	if (items->empty())
		d.expected(v, kSnatWhat);
}

// Unset: the port's own address of each family that has a default route.
void default_snat(Diag &d, const Value &v, const Port &port, const Wireguard &w, Exit &e)
{
	if (port.ipv4 && port.gateway4 && snat_problem(port.ipv4->addr, port, w).empty())
		e.snat4 = port.ipv4->addr;
	if (port.ipv6 && port.gateway6 && snat_problem(port.ipv6->addr, port, w).empty())
		e.snat6 = port.ipv6->addr;
	if (!e.snat4 && !e.snat6)
		d.error(v.line, v.path + ".snat",
			"port " + port.name + " has no address with a gateway (gateway4 or gateway6) to translate to; "
			"give the port a gateway, or name the addresses in exit.snat");
}

const Port *exit_port(Diag &d, const Value &v, const std::vector<Port> &ports)
{
	auto name = scalar(d, v, "the name of a port");
	if (!name)
		return nullptr;
	std::string names;
	for (const auto &p : ports) {
		if (p.name == *name)
			return &p;
		if (!p.name.empty())
			names += (names.empty() ? "" : ", ") + p.name;
	}
	d.error(v, "no port named " + (is_port_name(*name) ? *name : describe(v.node)) + "; ports are " + names);
	return nullptr;
}

void read_timeout(Diag &d, const MapReader &m, std::string_view key, Duration &out)
{
	auto x = m.get(key);
	if (!x)
		return;
	auto t = duration(d, *x, true);
	if (t && *t < kSecond)
		d.expected(*x, "a duration of at least 1s");
	else if (t)
		out = *t;
}

} // namespace

const char *to_string(Filtering f)
{
	switch (f) {
	case Filtering::endpoint_independent: return "endpoint-independent";
	case Filtering::address_dependent: return "address-dependent";
	case Filtering::address_and_port_dependent: return "address-and-port-dependent";
	}
	return "?";
}

void read_exit(Diag &d, const Value &v, const Config &c, Exit &e)
{
	MapReader m(d, v, {"port", "snat", "port_range", "allow", "filtering", "udp_timeout", "tcp_established_timeout",
			   "tcp_transitory_timeout", "icmp_timeout", "max_sessions", "max_sessions_per_peer"});
	if (!m.ok())
		return;
	if (!c.wireguard) {
		d.error(v, "the exit translates what comes out of the WireGuard tunnel, and there is no wireguard section");
		return;
	}
	const Port *port = nullptr;
	if (auto x = m.require("port", "the name of the port translated traffic leaves by"))
		if ((port = exit_port(d, *x, c.ports)))
			e.port = port->name;
	if (auto x = m.get("snat"))
		read_snat(d, *x, port, *c.wireguard, e);
	else if (port)
		default_snat(d, v, *port, *c.wireguard, e);
	if (auto x = m.get("port_range"))
		if (auto r = port_range(d, *x)) {
			e.port_min = r->first;
			e.port_max = r->second;
		}
	if (auto x = m.get("allow"))
		read_allow(d, *x, e);
	if (auto x = m.get("filtering"))
		if (auto f = filtering(d, *x))
			e.filtering = *f;
	read_timeout(d, m, "udp_timeout", e.udp_timeout);
	read_timeout(d, m, "tcp_established_timeout", e.tcp_established_timeout);
	read_timeout(d, m, "tcp_transitory_timeout", e.tcp_transitory_timeout);
	read_timeout(d, m, "icmp_timeout", e.icmp_timeout);
	read_int(d, m, "max_sessions", e.max_sessions, 1, kMaxSessions);
	if (auto x = m.get("max_sessions_per_peer"))
		if (auto n = integer(d, *x, 1, kMaxSessions)) {
			if (*n > e.max_sessions)
				d.error(*x, std::to_string(*n) + " is more than max_sessions " + std::to_string(e.max_sessions));
			else
				e.max_sessions_per_peer = static_cast<uint32_t>(*n);
		}
	if (!m.get("max_sessions_per_peer") && e.max_sessions_per_peer > e.max_sessions)
		e.max_sessions_per_peer = e.max_sessions;
}

} // namespace wayport::config
