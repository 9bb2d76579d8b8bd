#include "tools/wayport-connect/options.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <set>
#include <utility>

namespace wayport::connect {

namespace {

struct Setting {
	const char *yaml;  // the key in the file
	const char *flag;
	std::optional<std::string> RawOptions::*field;
};

constexpr std::array<Setting, 9> kSettings = {{
	{"key", "--key", &RawOptions::key},
	{"peer", "--peer", &RawOptions::peer},
	{"relay", "--relay", &RawOptions::relay},
	{"relay_key", "--relay-key", &RawOptions::relay_key},
	{"api_socket", "--api-socket", &RawOptions::api_socket},
	{"listen", "--listen", &RawOptions::listen},
	{"forward", "--forward", &RawOptions::forward},
	{"source", "--source", &RawOptions::source},
	{"status", "--status", &RawOptions::status},
}};

std::string at(const std::string &path, const YAML::Mark &m)
{
	return path + ":" + std::to_string(m.line + 1) + ": ";
}

AddrPort addr_port(const RawOptions &raw, const std::string &value, const char *flag, bool port_required)
{
	auto a = AddrPort::parse(value);
	if (!a)
		throw ConfigError(raw.name(flag) + " \"" + value +
				  "\": not an IP:PORT (IPv6 in brackets: [2001:db8::1]:7777)");
	if (port_required && a->port == 0)
		throw ConfigError(raw.name(flag) + " \"" + value + "\": the port must not be 0");
	return *a;
}

disco::PublicKey disco_key(const RawOptions &raw, const std::string &value, const char *flag)
{
	auto k = disco::PublicKey::from_text(value);
	if (!k)
		throw ConfigError(raw.name(flag) + " \"" + value + "\": not a disco public key (discokey: and 64 hex digits)");
	return *k;
}

const std::string &required(const std::optional<std::string> &v, const char *flag, const char *what)
{
	if (!v) {
		std::string key = std::string(flag).substr(2);
		std::replace(key.begin(), key.end(), '-', '_');
		throw ConfigError(std::string(flag) + " (or " + key + " in the --config file) is required: " + what);
	}
	return *v;
}

} // namespace

void merge_config_file(const std::string &path, RawOptions &raw)
{
	YAML::Node root;
	try {
		root = YAML::LoadFile(path);
	} catch (const YAML::BadFile &) {
		throw ConfigError("cannot read configuration file " + path);
	} catch (const YAML::Exception &e) {
		throw ConfigError(at(path, e.mark) + e.msg);
	}
	if (root.IsNull())
		return;
	if (!root.IsMap())
		throw ConfigError(at(path, root.Mark()) + "the file must be a mapping of keys to values");
	std::set<std::string> seen;
	for (const auto &kv : root) {
		std::string name = kv.first.Scalar();
		const Setting *s = nullptr;
		for (const auto &candidate : kSettings)
			if (name == candidate.yaml)
				s = &candidate;
		if (!s)
			throw ConfigError(at(path, kv.first.Mark()) + "unknown key \"" + name + "\"");
		if (!seen.insert(name).second)
			throw ConfigError(at(path, kv.first.Mark()) + "key \"" + name + "\" given twice");
		if (kv.second.IsNull())
			throw ConfigError(at(path, kv.first.Mark()) + "\"" + name + "\" has no value");
		if (!kv.second.IsScalar())
			throw ConfigError(at(path, kv.second.Mark()) + "\"" + name + "\" must be a single value");
		auto &field = raw.*(s->field);
		if (!field) {
			field = kv.second.Scalar();
			raw.origin[s->flag] = at(path, kv.first.Mark()) + name;
		}
	}
}

Options validate(const RawOptions &raw)
{
	Options o;
	o.key_file = required(raw.key, "--key", "our disco private key file (make one with --generate-key)");
	o.peer = disco_key(raw, required(raw.peer, "--peer", "the peer's disco public key"), "--peer");
	o.listen = addr_port(raw, required(raw.listen, "--listen", "the address local WireGuard's peer endpoint points at"),
			     "--listen", true);
	o.forward = addr_port(raw, required(raw.forward, "--forward", "the address local WireGuard listens on"),
			      "--forward", true);
	if (o.listen.is_v4 && !o.forward.is_v4)
		throw ConfigError(raw.name("--forward") + " " + o.forward.to_string() + " is IPv6 but " +
				  raw.name("--listen") + " " + o.listen.to_string() +
				  " is IPv4: datagrams to WireGuard leave from the --listen socket");

	if (raw.api_socket && (raw.relay || raw.relay_key))
		throw ConfigError(raw.name("--api-socket") + " and " + raw.name(raw.relay ? "--relay" : "--relay-key") +
				  ": give either --api-socket (on the relay host) or --relay and --relay-key, not both");
	if (raw.api_socket) {
		o.api_socket = *raw.api_socket;
		if (o.api_socket.empty() || o.api_socket.front() != '/')
			throw ConfigError(raw.name("--api-socket") + " \"" + o.api_socket + "\": must be an absolute path");
	} else {
		if (!raw.relay && !raw.relay_key)
			throw ConfigError("say where to allocate: --relay and --relay-key, or --api-socket");
		o.relay = addr_port(raw, required(raw.relay, "--relay", "the relay's address, where allocation requests go"),
				    "--relay", true);
		o.relay_key = disco_key(raw, required(raw.relay_key, "--relay-key",
						 "the relay node's disco key (node_disco in wayportctl status)"),
					"--relay-key");
	}

	// A dual-stack socket reaches IPv4 and IPv6 relay addresses alike.
	o.source = addr_port(raw, raw.source.value_or("[::]:0"), "--source", false);
	if (o.relay && o.source.is_v4 && !o.relay->is_v4)
		throw ConfigError(raw.name("--relay") + " " + o.relay->to_string() + " is IPv6 but " +
				  raw.name("--source") + " " + o.source.to_string() + " is IPv4");
	if (raw.status) {
		o.status_file = *raw.status;
		if (o.status_file.empty())
			throw ConfigError(raw.name("--status") + ": the file name is empty");
	}
	return o;
}

} // namespace wayport::connect
