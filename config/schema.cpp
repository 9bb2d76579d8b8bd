#include "config/schema.h"

#include <algorithm>
#include <limits>

#include "config/names.h"
#include "config/schema_parts.h"

namespace wayport::config {

namespace {

constexpr int64_t kU32Max = std::numeric_limits<uint32_t>::max();

constexpr std::string_view kPortNameWhat = "a name of 1 to 15 characters from a-z, 0-9, _ and -";
constexpr std::string_view kDeviceWhat =
	"a DPDK vdev name such as net_af_packet0 or a PCI address such as 0000:01:00.0";
constexpr std::string_view kVdevArgsWhat = "vdev devargs such as iface=veth0, without spaces";
constexpr std::string_view kIpv4What =
	"an IPv4 address and prefix length 1..32 such as 192.0.2.1/24";
constexpr std::string_view kIpv6What =
	"an IPv6 address and prefix length 1..128 such as 2001:db8::1/64";
constexpr std::string_view kGateway4What = "an IPv4 address such as 192.0.2.254";
constexpr std::string_view kGateway6What = "an IPv6 address such as fe80::1";
constexpr std::string_view kMacWhat = "a unicast MAC address such as 02:00:00:00:00:01";
constexpr std::string_view kLcoreWhat = "an lcore id in 0..127";
constexpr std::string_view kWorkersWhat =
	"a list of lcore ids such as [1, 2] or a range such as 1-3";
constexpr std::string_view kEndpointWhat =
	"an address and port such as 203.0.113.5:7777 or \"[2001:db8::1]:7777\"";
constexpr std::string_view kAllowWhat = "any, or a list of keys such as discokey:<64 hex digits>";
constexpr std::string_view kAllowItemWhat = "any or a key such as discokey:<64 hex digits>";
constexpr std::string_view kMetricsWhat = "an address and port such as 127.0.0.1:9100";

bool is_unspecified(const AddrPort &a)
{
	const uint8_t *p = a.is_v4 ? a.ip4() : a.ip.data();
	return std::all_of(p, p + (a.is_v4 ? 4 : 16), [](uint8_t b) { return b == 0; });
}

void read_duration(Diag &d, const MapReader &m, std::string_view key, Duration &out)
{
	if (auto v = m.get(key))
		if (auto n = duration(d, *v, true))
			out = *n;
}

std::optional<std::string> device_name(std::string_view s)
{
	if (auto pci = normalize_pci_address(s))
		return pci;
	if (is_vdev_name(s))
		return std::string(s);
	return std::nullopt;
}

std::optional<std::string> vdev_args(std::string_view s)
{
	bool bad = s.empty() || std::any_of(s.begin(), s.end(), [](char c) {
		return static_cast<unsigned char>(c) <= ' ' || c == 0x7f;
	});
	return bad ? std::nullopt : std::optional<std::string>(s);
}

// A next hop is on-link: inside the port's prefix, or for IPv6 link-local.
void check_gateway(Diag &d, const MapReader &m, const char *gw_key, const char *net_key,
		   const std::optional<AddrPort> &gw, const std::optional<IpPrefix> &net)
{
	if (!gw)
		return;
	auto v = *m.get(gw_key);
	if (!m.get(net_key)) {
		d.error(v, std::string("needs ") + net_key +
				   " on this port: a gateway must be on-link");
		return;
	}
	// A bad prefix has been reported already.
	if (!net)
		return;
	if (std::string why = off_link(*gw, *net, net_key); !why.empty())
		d.error(v, why);
}

void read_port(Diag &d, const Value &v, Port &p, Unique &names, Unique &devices)
{
	MapReader m(d, v, {"name", "device", "vdev_args", "ipv4", "ipv6", "gateway4", "gateway6",
			   "mac", "rx_queues"});
	if (!m.ok())
		return;

	if (auto x = m.require("name", kPortNameWhat)) {
		auto name = parse_scalar(d, *x, kPortNameWhat, [](std::string_view s) {
			return is_port_name(s) ? std::optional<std::string>(s) : std::nullopt;
		});
		if (name && names.add(*x, *name))
			p.name = *name;
	}
	auto device_value = m.require("device", kDeviceWhat);
	if (device_value) {
		auto device = parse_scalar(d, *device_value, kDeviceWhat, device_name);
		if (device && devices.add(*device_value, *device))
			p.device = *device;
	}
	if (auto x = m.get("vdev_args")) {
		auto args = parse_scalar(d, *x, kVdevArgsWhat, vdev_args);
		if (args && !p.device.empty() && !p.is_vdev())
			d.error(*x, "only a vdev takes devargs, and device " + p.device +
					    " is a PCI address");
		else if (args)
			p.vdev_args = *args;
	}
	if (auto x = m.get("ipv4"))
		p.ipv4 = parse_scalar(d, *x, kIpv4What,
				      [](std::string_view s) { return IpPrefix::parse(s, true); });
	if (auto x = m.get("ipv6"))
		p.ipv6 = parse_scalar(d, *x, kIpv6What,
				      [](std::string_view s) { return IpPrefix::parse(s, false); });
	if (!m.get("ipv4") && !m.get("ipv6"))
		d.error(v, "needs ipv4 or ipv6 (or both)");
	if (auto x = m.get("gateway4"))
		p.gateway4 = parse_scalar(d, *x, kGateway4What,
					  [](std::string_view s) { return parse_ip(s, true); });
	if (auto x = m.get("gateway6"))
		p.gateway6 = parse_scalar(d, *x, kGateway6What,
					  [](std::string_view s) { return parse_ip(s, false); });
	check_gateway(d, m, "gateway4", "ipv4", p.gateway4, p.ipv4);
	check_gateway(d, m, "gateway6", "ipv6", p.gateway6, p.ipv6);
	if (auto x = m.get("mac"))
		p.mac = parse_scalar(d, *x, kMacWhat, parse_unicast_mac);
	read_int(d, m, "rx_queues", p.rx_queues, 1, 64);
}

void read_ports(Diag &d, const Value &v, std::vector<Port> &ports)
{
	static constexpr std::string_view what = "a list of ports";
	auto items = list_items(d, v, what);
	if (!items)
		return;
	if (items->empty() || items->size() > kMaxPorts) {
		d.expected(v, "a list of 1 to " + std::to_string(kMaxPorts) + " ports");
		return;
	}
	Unique names(d, "port name"), devices(d, "device");
	ports.resize(items->size());
	for (size_t i = 0; i < items->size(); i++)
		read_port(d, (*items)[i], ports[i], names, devices);
}

void read_lcores(Diag &d, const Value &v, Lcores &l)
{
	MapReader m(d, v, {"control", "workers"});
	std::optional<int64_t> control;
	if (auto x = m.require("control", kLcoreWhat))
		control = integer(d, *x, 0, kMaxLcore);
	auto workers = m.require("workers", kWorkersWhat);
	if (!workers)
		return;

	// Each id with the value it came from: a list item, or the whole range.
	std::vector<std::pair<unsigned, Value>> ids;
	if (workers->node.IsScalar()) {
		auto list = parse_scalar(d, *workers, kWorkersWhat, parse_lcore_list);
		if (!list)
			return;
		for (unsigned id : *list)
			ids.push_back({id, *workers});
	} else {
		auto items = list_items(d, *workers, kWorkersWhat);
		if (!items)
			return;
		for (const auto &item : *items)
			if (auto id = integer(d, item, 0, kMaxLcore))
				ids.push_back({static_cast<unsigned>(*id), item});
		if (ids.size() != items->size())
			return;
	}
	if (ids.empty()) {
		d.expected(*workers, "at least one worker lcore");
		return;
	}
	Unique unique(d, "worker lcore");
	for (const auto &[id, from] : ids) {
		if (control && id == *control)
			d.error(from, "lcore " + std::to_string(id) + " is lcores.control; " +
					      "a worker needs an lcore of its own");
		else if (unique.add(from, std::to_string(id)))
			l.workers.push_back(id);
	}
	if (control)
		l.control = static_cast<unsigned>(*control);
}

void read_node(Diag &d, const Value &v, Node &n)
{
	MapReader m(d, v, {"state_dir"});
	if (auto x = m.require("state_dir", kPathWhat))
		if (auto path = absolute_path(d, *x, std::string::npos))
			n.state_dir = *path;
}

void read_allow(Diag &d, const Value &v, Relay &r)
{
	std::vector<Value> items;
	if (v.node.IsScalar()) {
		items.push_back(v);
	} else if (auto list = list_items(d, v, kAllowWhat)) {
		items = *list;
	} else {
		return;
	}
	Unique unique(d, "key");
	for (const auto &item : items) {
		auto text = scalar(d, item, kAllowItemWhat);
		if (!text)
			continue;
		if (*text == "any") {
			r.allow_alloc_from_any = true;
			continue;
		}
		auto key = disco::PublicKey::from_text(*text);
		if (!key)
			d.expected(item, kAllowItemWhat);
		else if (key->is_zero())
			d.error(item, "the all-zero key is nobody's key");
		else if (unique.add(item, key->to_text()))
			r.allow_alloc_from.push_back(*key);
	}
	if (r.allow_alloc_from_any && items.size() > 1)
		d.error(v, "any allows every client, so it must be the only entry");
}

void read_relay(Diag &d, const Value &v, Relay &r)
{
	MapReader m(d, v, {"port", "static_endpoints", "bind_lifetime", "steady_state_lifetime",
			   "allow_alloc_from", "alloc_rate", "alloc_burst",
			   "max_endpoints_per_client", "max_endpoints"});
	if (m.require("port", "an integer in 1..65535"))
		read_int(d, m, "port", r.port, 1, 65535);
	if (auto x = m.get("static_endpoints")) {
		if (auto items = list_items(d, *x, "a list of addresses and ports")) {
			Unique unique(d, "endpoint");
			for (const auto &item : *items) {
				auto a = addr_port(d, item, kEndpointWhat, false);
				if (a && unique.add(item, a->to_string()))
					r.static_endpoints.push_back(*a);
			}
		}
	}
	read_duration(d, m, "bind_lifetime", r.bind_lifetime);
	read_duration(d, m, "steady_state_lifetime", r.steady_state_lifetime);
	if (auto x = m.get("allow_alloc_from"))
		read_allow(d, *x, r);
	if (auto x = m.get("alloc_rate"))
		if (auto rate = positive_number(d, *x))
			r.alloc_rate = *rate;
	read_int(d, m, "alloc_burst", r.alloc_burst, 1, kU32Max);
	read_int(d, m, "max_endpoints_per_client", r.max_endpoints_per_client, 1, kMaxEndpoints);
	read_int(d, m, "max_endpoints", r.max_endpoints, 1, kMaxEndpoints);
}

void read_api(Diag &d, const Value &v, Api &a)
{
	MapReader m(d, v, {"socket", "metrics"});
	if (auto x = m.require("socket", kPathWhat))
		if (auto path = absolute_path(d, *x, kMaxSocketPath))
			a.socket = *path;
	if (auto x = m.get("metrics"))
		a.metrics = addr_port(d, *x, kMetricsWhat, true);
}

void read_dataplane(Diag &d, const Value &v, Dataplane &p)
{
	MapReader m(d, v, {"burst", "mbufs", "punt_ring_size", "neighbor_queue",
			   "neighbor_timeout"});
	read_int(d, m, "burst", p.burst, 1, 512);
	read_int(d, m, "mbufs", p.mbufs, 1023, kU32Max);
	if (auto x = m.get("punt_ring_size")) {
		// rte_ring sizes are powers of two.
		auto n = integer(d, *x, 64, 65536);
		if (n && (*n & (*n - 1)) != 0)
			d.expected(*x, "a power of two in 64..65536");
		else if (n)
			p.punt_ring_size = static_cast<uint32_t>(*n);
	}
	read_int(d, m, "neighbor_queue", p.neighbor_queue, 1, 4096);
	read_duration(d, m, "neighbor_timeout", p.neighbor_timeout);
}

} // namespace

bool Unique::add(const Value &v, const std::string &value)
{
	for (const auto &s : seen_) {
		if (s.value == value) {
			diag_.error(v, "duplicate " + what_ + " " + value + ", also at " + s.path +
					       " (line " + std::to_string(s.line) + ")");
			return false;
		}
	}
	seen_.push_back({value, v.path, v.line});
	return true;
}

std::optional<std::string> absolute_path(Diag &d, const Value &v, size_t max_len)
{
	std::string what = std::string(kPathWhat);
	if (max_len != std::string::npos)
		what += " of at most " + std::to_string(max_len) + " bytes";
	return parse_scalar(d, v, what, [&](std::string_view s) -> std::optional<std::string> {
		if (!s.starts_with('/') || s.size() > max_len || s.find('\0') != s.npos)
			return std::nullopt;
		return std::string(s);
	});
}

std::optional<AddrPort> addr_port(Diag &d, const Value &v, std::string_view what, bool listen)
{
	return parse_scalar(d, v, what, [&](std::string_view s) -> std::optional<AddrPort> {
		auto a = AddrPort::parse(s);
		if (!a || a->port == 0 || (!listen && is_unspecified(*a)))
			return std::nullopt;
		return a;
	});
}

std::string off_link(const AddrPort &gw, const IpPrefix &net, const std::string &net_name)
{
	std::string gw_text = ip_to_string(gw);
	if (gw.ip == net.addr.ip)
		return gw_text + " is the port's own address, not a next hop";
	if (!net.contains(gw) && !is_ipv6_link_local(gw))
		return gw_text + " is not on-link: it is outside " + net_name + " " + net.to_string() +
		       (gw.is_v4 ? "" : " and not link-local (fe80::/10)");
	return "";
}

void read_config(Diag &d, const Value &root, Config &c)
{
	MapReader m(d, root, {"ports", "lcores", "node", "relay", "wireguard", "routes", "exit", "api",
			      "dataplane"});
	if (auto v = m.require("ports", "a list of ports"))
		read_ports(d, *v, c.ports);
	if (auto v = m.require("lcores", "a map with control and workers"))
		read_lcores(d, *v, c.lcores);
	if (auto v = m.require("node", "a map with state_dir"))
		read_node(d, *v, c.node);
	if (auto v = m.get("relay"))
		read_relay(d, *v, c.relay.emplace());
	if (auto v = m.get("wireguard"))
		read_wireguard(d, *v, c, c.wireguard.emplace());
	if (m.ok() && !c.relay && !c.wireguard)
		d.error(root, "needs at least one role: relay or wireguard");
	if (auto v = m.get("routes")) {
		read_routes(d, *v, c.ports, c.routes);
		// Routes steer what comes out of the tunnel; without one they
		// would route nothing.
		if (!c.wireguard && v->node.IsSequence() && v->node.size() > 0)
			d.error(*v, "routes are for traffic inside the WireGuard tunnel, and there is "
				    "no wireguard section");
	}
	if (auto v = m.get("exit"))
		read_exit(d, *v, c, c.exit.emplace());
	if (auto v = m.require("api", "a map with at least socket"))
		read_api(d, *v, c.api);
	if (auto v = m.get("dataplane"))
		read_dataplane(d, *v, c.dataplane);
}

} // namespace wayport::config
