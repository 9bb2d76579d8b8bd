// The wireguard and routes sections (issue 12): the node's tunnel, its
// peers, and the static routes for what comes out of the tunnel.
#include <algorithm>

#include "config/names.h"
#include "config/schema_parts.h"

namespace wayport::config {

namespace {

constexpr std::string_view kKeyWhat =
	"a WireGuard public key: 44 characters of base64 as wg pubkey prints";
constexpr std::string_view kAddressWhat =
	"an IPv4 or IPv6 address and prefix length such as 10.99.0.1/24 or fd99::1/64";
constexpr std::string_view kPrefixWhat =
	"an IPv4 or IPv6 network prefix such as 10.99.0.0/24, fd99::/64 or 0.0.0.0/0";
constexpr std::string_view kPeerEndpointWhat =
	"an address and port such as 192.0.2.10:51820 or \"[2001:db8::10]:51820\"";
constexpr std::string_view kKeepaliveWhat = "off, 0, or whole seconds in 1s..65535s such as 25s";
constexpr std::string_view kViaWhat = "an IPv4 or IPv6 address such as 192.0.2.254";
constexpr std::string_view kPortNameWhat = "the name of a port";

// An inner MTU; IPv6 needs links of at least 1280 bytes (RFC 8200 §5),
// IPv4 hosts must take 576-byte datagrams (RFC 791).
constexpr int64_t kMinMtu = 576, kMinMtuIpv6 = 1280, kMaxMtu = 9000;
// wg's range for persistent keepalive: a 16-bit count of seconds.
constexpr Duration kMaxKeepalive = 65535 * kSecond;
// More threads than this only contend for the cores the workers do not
// hold; wg itself has one handshake worker per CPU.
constexpr int64_t kMaxHandshakeThreads = 16;
// Peer slots are 16-bit in the data plane's peer table.
constexpr int64_t kMaxPeers = 65536;

bool is_v4_text(std::string_view s)
{
	return s.find(':') == std::string_view::npos;
}

const char *family_name(bool v4)
{
	return v4 ? "IPv4" : "IPv6";
}

// A route's or an allowed IP's prefix; host bits are refused with what the
// text probably meant, as `wg` would silently mask them.
std::optional<Prefix> network_prefix(Diag &d, const Value &v)
{
	auto text = scalar(d, v, kPrefixWhat);
	if (!text)
		return std::nullopt;
	if (auto p = Prefix::parse(*text))
		return p;
	if (auto masked = Prefix::parse_masked(*text))
		d.error(v, *text + " has host bits set; did you mean " + masked->to_string() + "?");
	else
		d.expected(v, kPrefixWhat);
	return std::nullopt;
}

std::optional<wireguard::PublicKey> public_key(Diag &d, const Value &v)
{
	auto text = scalar(d, v, kKeyWhat);
	if (!text)
		return std::nullopt;
	auto key = wireguard::PublicKey::from_base64(*text);
	if (!key) {
		d.error(v, "expected " + std::string(kKeyWhat) + ", got " + describe(v.node) + ": " +
				   key.error);
		return std::nullopt;
	}
	if (key.value->is_zero()) {
		d.error(v, "the all-zero key is nobody's key");
		return std::nullopt;
	}
	return key.value;
}

// 0 (or off) for none.
std::optional<Duration> keepalive(Diag &d, const Value &v)
{
	if (v.node.IsScalar() && v.node.Scalar() == "off")
		return Duration{0};
	auto t = duration(d, v, false);
	if (t && (*t % kSecond != 0 || *t > kMaxKeepalive)) {
		d.expected(v, kKeepaliveWhat);
		return std::nullopt;
	}
	return t;
}

// An allowed IP already taken, to find overlaps between peers.
struct Claimed {
	Prefix prefix;
	std::string path;
	int line;
	size_t peer;
};

void read_allowed_ips(Diag &d, const Value &v, size_t peer, std::vector<Prefix> &out,
		      std::vector<Claimed> &claimed)
{
	auto items = list_items(d, v, "a list of network prefixes such as [10.99.0.2/32, fd99::2/128]");
	if (!items)
		return;
	// Nested prefixes of one peer are allowed, as in WireGuard: both lead
	// to the same peer.
	Unique unique(d, "allowed ip");
	for (const auto &item : *items) {
		auto p = network_prefix(d, item);
		if (!p || !unique.add(item, p->to_string()))
			continue;
		auto other = std::find_if(claimed.begin(), claimed.end(), [&](const Claimed &c) {
			return c.peer != peer && c.prefix.overlaps(*p);
		});
		if (other != claimed.end()) {
			d.error(item, p->to_string() + " overlaps " + other->prefix.to_string() + " of " +
					      other->path + " (line " + std::to_string(other->line) +
					      "): an address in both would belong to two peers");
			continue;
		}
		claimed.push_back({*p, item.path, item.line, peer});
		out.push_back(*p);
	}
}

void read_peer(Diag &d, const Value &v, size_t index, WireguardPeer &p, Unique &keys,
	       std::vector<Claimed> &claimed)
{
	MapReader m(d, v, {"public_key", "allowed_ips", "endpoint", "persistent_keepalive",
			   "preshared_key_file", "roaming"});
	if (!m.ok())
		return;
	if (auto x = m.require("public_key", kKeyWhat))
		if (auto key = public_key(d, *x); key && keys.add(*x, key->to_base64()))
			p.public_key = *key;
	if (auto x = m.get("allowed_ips"))
		read_allowed_ips(d, *x, index, p.allowed_ips, claimed);
	if (auto x = m.get("endpoint"))
		p.endpoint = addr_port(d, *x, kPeerEndpointWhat, false);
	if (auto x = m.get("persistent_keepalive"))
		if (auto k = keepalive(d, *x))
			p.persistent_keepalive = *k;
	// The file itself (present, 0600, a key) is wayportd's to check at
	// start: the parser reads nothing from disk.
	if (auto x = m.get("preshared_key_file"))
		if (auto path = absolute_path(d, *x, std::string::npos))
			p.preshared_key_file = *path;
	if (auto x = m.get("roaming"))
		if (auto b = boolean(d, *x))
			p.roaming = *b;
}

void read_peers(Diag &d, const Value &v, std::vector<WireguardPeer> &peers)
{
	auto items = list_items(d, v, "a list of peers");
	if (!items)
		return;
	Unique keys(d, "public key");
	std::vector<Claimed> claimed;
	peers.resize(items->size());
	for (size_t i = 0; i < items->size(); i++)
		read_peer(d, (*items)[i], i, peers[i], keys, claimed);
}

const Port *port_with_address(const std::vector<Port> &ports, const AddrPort &ip)
{
	for (const auto &p : ports)
		for (const auto &net : {p.ipv4, p.ipv6})
			if (net && net->addr == ip)
				return &p;
	return nullptr;
}

void read_addresses(Diag &d, const Value &v, const std::vector<Port> &ports,
		    std::vector<IpPrefix> &out)
{
	auto items = list_items(d, v, "a list of addresses such as [10.99.0.1/24, fd99::1/64]");
	if (!items)
		return;
	Unique unique(d, "address");
	for (const auto &item : *items) {
		auto a = parse_scalar(d, item, kAddressWhat, [](std::string_view s) {
			return IpPrefix::parse(s, is_v4_text(s));
		});
		if (!a || !unique.add(item, ip_to_string(a->addr)))
			continue;
		// The same address inside and outside the tunnel would make the
		// node's own packets ambiguous.
		if (const Port *p = port_with_address(ports, a->addr)) {
			d.error(item, ip_to_string(a->addr) + " is the address of port " + p->name +
					      "; a tunnel address must be one of its own");
			continue;
		}
		out.push_back(*a);
	}
}

bool carries_ipv6(const Wireguard &w)
{
	auto v6 = [](const auto &p) { return !p.addr.is_v4; };
	return std::any_of(w.addresses.begin(), w.addresses.end(), v6) ||
	       std::any_of(w.peers.begin(), w.peers.end(), [&](const WireguardPeer &p) {
		       return std::any_of(p.allowed_ips.begin(), p.allowed_ips.end(), v6);
	       });
}

// After the addresses and peers: the lower bound depends on the families.
void read_mtu(Diag &d, const MapReader &m, Wireguard &w)
{
	auto x = m.get("mtu");
	if (!x)
		return;
	auto n = integer(d, *x, kMinMtu, kMaxMtu);
	if (n && *n < kMinMtuIpv6 && carries_ipv6(w))
		d.expected(*x, "an integer in 1280..9000 (the tunnel carries IPv6, whose minimum MTU "
			       "is 1280)");
	else if (n)
		w.mtu = static_cast<uint32_t>(*n);
}

void check_listen_port(Diag &d, const Value &v, const MapReader &m, const Config &c,
		       const Wireguard &w)
{
	if (!c.relay || c.relay->port != w.listen_port)
		return;
	auto x = m.get("listen_port");
	std::string msg = std::to_string(w.listen_port) + (x ? "" : " (the default)") +
			  " is relay.port too; the relay and WireGuard need a UDP port each";
	if (x)
		d.error(*x, msg);
	else
		d.error(v.line, v.path + ".listen_port", msg);
}

// After the peers: the configured ones must fit.
void read_max_peers(Diag &d, const Value &v, const MapReader &m, Wireguard &w)
{
	auto x = m.get("max_peers");
	if (x) {
		auto n = integer(d, *x, 1, kMaxPeers);
		if (!n)
			return;
		w.max_peers = static_cast<uint32_t>(*n);
	}
	if (w.peers.size() <= w.max_peers)
		return;
	std::string msg = std::to_string(w.peers.size()) + " peers are configured, more than max_peers " +
			  std::to_string(w.max_peers) + (x ? "" : " (the default)") +
			  "; raise wireguard.max_peers";
	if (x)
		d.error(*x, msg);
	else
		d.error(v.line, v.path + ".max_peers", msg);
}

std::string default_key_file(const std::string &state_dir)
{
	return state_dir + (state_dir.ends_with('/') ? "" : "/") + "wireguard.key";
}

const Port *route_port(Diag &d, const Value &v, const std::vector<Port> &ports)
{
	auto name = scalar(d, v, kPortNameWhat);
	if (!name)
		return nullptr;
	std::string names;
	for (const auto &p : ports) {
		if (p.name == *name)
			return &p;
		if (!p.name.empty())
			names += (names.empty() ? "" : ", ") + p.name;
	}
	d.error(v, "no port named " + (is_port_name(*name) ? *name : describe(v.node)) +
			   "; ports are " + names);
	return nullptr;
}

std::optional<AddrPort> route_via(Diag &d, const Value &v, const std::optional<Prefix> &prefix)
{
	auto text = scalar(d, v, kViaWhat);
	if (!text)
		return std::nullopt;
	auto ip = parse_ip(*text, is_v4_text(*text));
	if (!ip) {
		d.expected(v, kViaWhat);
		return std::nullopt;
	}
	if (prefix && ip->is_v4 != prefix->addr.is_v4) {
		d.error(v, ip_to_string(*ip) + " is " + family_name(ip->is_v4) + " but prefix " +
				   prefix->to_string() + " is " + family_name(prefix->addr.is_v4) +
				   ": a next hop has the route's family");
		return std::nullopt;
	}
	return ip;
}

void read_route(Diag &d, const Value &v, const std::vector<Port> &ports, Route &r,
		Unique &prefixes)
{
	MapReader m(d, v, {"prefix", "via", "port"});
	if (!m.ok())
		return;
	std::optional<Prefix> prefix;
	if (auto x = m.require("prefix", kPrefixWhat))
		prefix = network_prefix(d, *x);
	if (prefix && prefixes.add(*m.get("prefix"), prefix->to_string()))
		r.prefix = *prefix;
	const Port *port = nullptr;
	auto port_value = m.require("port", kPortNameWhat);
	if (port_value && (port = route_port(d, *port_value, ports)))
		r.port = port->name;
	auto via_value = m.get("via");
	if (via_value)
		r.via = route_via(d, *via_value, prefix);
	if (!prefix || !port)
		return;

	bool v4 = prefix->addr.is_v4;
	const std::optional<IpPrefix> &net = v4 ? port->ipv4 : port->ipv6;
	std::string net_name = "port " + port->name + "'s " + (v4 ? "ipv4" : "ipv6");
	if (!net) {
		d.error(*port_value, "port " + port->name + " has no " + (v4 ? "ipv4" : "ipv6") +
					     " address, and a route to " + prefix->to_string() +
					     " leaves through it");
		return;
	}
	if (r.via)
		if (std::string why = off_link(*r.via, *net, net_name); !why.empty())
			d.error(*via_value, why);
}

} // namespace

void read_wireguard(Diag &d, const Value &v, const Config &c, Wireguard &w)
{
	MapReader m(d, v, {"listen_port", "private_key_file", "addresses", "mtu", "peers",
			   "handshake_threads", "max_peers"});
	if (!m.ok())
		return;
	read_int(d, m, "listen_port", w.listen_port, 1, 65535);
	check_listen_port(d, v, m, c, w);
	w.private_key_file = default_key_file(c.node.state_dir);
	if (auto x = m.get("private_key_file"))
		if (auto path = absolute_path(d, *x, std::string::npos))
			w.private_key_file = *path;
	if (auto x = m.get("addresses"))
		read_addresses(d, *x, c.ports, w.addresses);
	if (auto x = m.get("peers"))
		read_peers(d, *x, w.peers);
	read_mtu(d, m, w);
	read_int(d, m, "handshake_threads", w.handshake_threads, 1, kMaxHandshakeThreads);
	read_max_peers(d, v, m, w);
}

void read_routes(Diag &d, const Value &v, const std::vector<Port> &ports, std::vector<Route> &routes)
{
	auto items = list_items(d, v, "a list of routes");
	if (!items)
		return;
	Unique prefixes(d, "route");
	routes.resize(items->size());
	for (size_t i = 0; i < items->size(); i++)
		read_route(d, (*items)[i], ports, routes[i], prefixes);
}

} // namespace wayport::config
