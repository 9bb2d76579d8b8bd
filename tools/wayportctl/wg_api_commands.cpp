// wayportctl wg show / wg set: wayportd's WireGuard interface through the
// local API, in wg's own words (`wg show`, `wg show dump`, `wg set <if>
// peer ...`), so operators and scripts can use either tool.
#include <ctime>
#include <iostream>

#include <nlohmann/json.hpp>

#include "tools/wayportctl/api_client.h"
#include "tools/wayportctl/commands.h"
#include "tools/wayportctl/wg_show.h"

namespace wayport::ctl {

namespace {

using Ordered = nlohmann::ordered_json;

// What `wg show` calls the interface: wayportd has one.
constexpr const char *kInterface = "wayport";

template <typename T>
T get_or(const Ordered &j, const char *name, T fallback)
{
	if (!j.is_object() || !j.contains(name) || j[name].is_null())
		return fallback;
	try {
		return j[name].get<T>();
	} catch (const nlohmann::json::exception &) {
		throw CommandError(std::string("wayportd sent a bad '") + name + "' in /wireguard");
	}
}

WgShowInterface interface_of(const Ordered &j)
{
	WgShowInterface iface;
	iface.name = kInterface;
	iface.public_key = get_or<std::string>(j, "public_key", "");
	iface.listen_port = get_or<uint16_t>(j, "listen_port", 0);
	if (j.contains("peers") && j["peers"].is_array()) {
		for (const Ordered &p : j["peers"]) {
			WgShowPeer peer;
			peer.public_key = get_or<std::string>(p, "public_key", "");
			peer.has_preshared_key = get_or<bool>(p, "preshared_key", false);
			if (p.contains("endpoint") && p["endpoint"].is_string())
				peer.endpoint = p["endpoint"].get<std::string>();
			peer.allowed_ips = get_or<std::vector<std::string>>(p, "allowed_ips", {});
			peer.latest_handshake = get_or<int64_t>(p, "latest_handshake", 0);
			peer.rx_bytes = get_or<uint64_t>(p, "rx_bytes", 0);
			peer.tx_bytes = get_or<uint64_t>(p, "tx_bytes", 0);
			peer.persistent_keepalive = get_or<uint16_t>(p, "persistent_keepalive", 0);
			iface.peers.push_back(std::move(peer));
		}
	}
	return iface;
}

// wg's "off" or seconds.
uint32_t keepalive_seconds(const std::string &word)
{
	if (word == "off")
		return 0;
	size_t used = 0;
	unsigned long n = 0;
	try {
		n = std::stoul(word, &used);
	} catch (const std::exception &) {
		used = 0;
	}
	if (used != word.size() || word.empty() || n > 65535)
		throw CommandError("persistent-keepalive must be seconds, 1 to 65535, or off: not \"" + word + "\"");
	return static_cast<uint32_t>(n);
}

} // namespace

void cmd_wg_show(const std::string &socket, bool dump, bool json)
{
	Ordered j = api_fetch_json(socket, "GET", "/wireguard");
	if (json) {
		std::cout << j.dump(2) << '\n';
		return;
	}
	WgShowInterface iface = interface_of(j);
	std::cout << (dump ? wg_show_dump(iface) : wg_show_text(iface, static_cast<int64_t>(std::time(nullptr))))
		  << std::flush;
}

void cmd_wg_set_peer(const std::string &socket, const std::string &public_key, const std::vector<std::string> &words)
{
	Ordered body = {{"public_key", public_key}};
	for (size_t i = 0; i < words.size(); i++) {
		const std::string &w = words[i];
		auto value = [&]() -> const std::string & {
			if (i + 1 >= words.size())
				throw CommandError(w + " needs a value");
			return words[++i];
		};
		if (w == "remove") {
			body["remove"] = true;
		} else if (w == "allowed-ips") {
			// wg's comma-separated list; empty clears it.
			Ordered list = Ordered::array();
			const std::string &v = value();
			size_t start = 0;
			while (start <= v.size()) {
				size_t comma = v.find(',', start);
				std::string item = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
				item.erase(0, item.find_first_not_of(' '));
				item.erase(item.find_last_not_of(' ') + 1);
				if (!item.empty())
					list.push_back(item);
				if (comma == std::string::npos)
					break;
				start = comma + 1;
			}
			body["allowed_ips"] = list;
		} else if (w == "endpoint") {
			body["endpoint"] = value();
		} else if (w == "persistent-keepalive") {
			body["persistent_keepalive"] = keepalive_seconds(value());
		} else {
			throw CommandError("unknown peer option \"" + w +
					   "\": use allowed-ips, endpoint, persistent-keepalive or remove");
		}
	}
	api_fetch(socket, "POST", "/wireguard/peer", body.dump());
}

} // namespace wayport::ctl
