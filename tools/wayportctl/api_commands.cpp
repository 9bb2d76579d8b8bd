// The online commands: each is one request to wayportd's local API.
#include "tools/wayportctl/commands.h"

#include <algorithm>
#include <iostream>
#include <vector>

#include <nlohmann/json.hpp>

#include "controlplane/disco/key.h"
#include "tools/wayportctl/api_client.h"

namespace wayport::ctl {

namespace {

// Keeps the daemon's field order, which for Tailscale's shapes is Go's.
using Ordered = nlohmann::ordered_json;
using Table = std::vector<std::vector<std::string>>;

void print_json(const Ordered &j)
{
	std::cout << j.dump(2) << '\n';
}

// Strings without their quotes, absent values as "-".
std::string cell(const Ordered &j)
{
	if (j.is_null())
		return "-";
	if (j.is_string())
		return j.get<std::string>().empty() ? "-" : j.get<std::string>();
	return j.dump();
}

Ordered field(const Ordered &j, const char *a, const char *b = nullptr)
{
	if (!j.is_object() || !j.contains(a))
		return nullptr;
	if (!b)
		return j[a];
	return field(j[a], b);
}

// Columns padded to their widest cell, two spaces apart.
void print_table(const Table &rows)
{
	std::vector<size_t> width;
	for (const auto &row : rows) {
		width.resize(std::max(width.size(), row.size()));
		for (size_t i = 0; i < row.size(); i++)
			width[i] = std::max(width[i], row[i].size());
	}
	for (const auto &row : rows) {
		std::string line;
		for (size_t i = 0; i < row.size(); i++) {
			line += row[i];
			if (i + 1 < row.size())
				line += std::string(width[i] - row[i].size() + 2, ' ');
		}
		std::cout << line << '\n';
	}
}

// Nested counter groups as dotted names: "alloc.refused".
void flatten(const Ordered &j, const std::string &prefix, Table &rows)
{
	for (const auto &[name, value] : j.items()) {
		std::string key = prefix.empty() ? name : prefix + "." + name;
		if (value.is_object())
			flatten(value, key, rows);
		else
			rows.push_back({"  " + key, cell(value)});
	}
}

disco::PublicKey read_key(const std::string &text, const char *which)
{
	auto k = disco::PublicKey::from_text(text);
	if (!k)
		throw CommandError(std::string("the ") + which +
				   " key must be a disco public key: \"discokey:\" and 64 hex digits");
	return *k;
}

} // namespace

void cmd_status(const std::string &socket, bool json)
{
	Ordered j = api_fetch_json(socket, "GET", "/status");
	if (json)
		return print_json(j);
	Table rows = {
		{"node disco", cell(field(j, "node_disco"))},
		{"relay disco", cell(field(j, "relay", "server_disco"))},
		{"relay port", cell(field(j, "relay", "port"))},
	};
	Ordered counters = field(j, "counters");
	if (counters.is_object() && !counters.empty()) {
		rows.push_back({"counters"});
		flatten(counters, "", rows);
	}
	print_table(rows);
}

void cmd_relay_sessions(const std::string &socket, bool json)
{
	Ordered j = api_fetch_json(socket, "GET", "/relay/sessions");
	if (json)
		return print_json(j);
	std::cout << "UDP port " << cell(field(j, "UDPPort")) << '\n';
	Ordered sessions = field(j, "Sessions");
	if (!sessions.is_array() || sessions.empty()) {
		std::cout << "no sessions\n";
		return;
	}
	Table rows = {{"VNI", "CLIENT 1", "ENDPOINT 1", "PACKETS 1", "CLIENT 2", "ENDPOINT 2", "PACKETS 2"}};
	for (const Ordered &s : sessions) {
		std::vector<std::string> row = {cell(field(s, "VNI"))};
		for (const char *client : {"Client1", "Client2"})
			for (const char *f : {"ShortDisco", "Endpoint", "PacketsTx"})
				row.push_back(cell(field(s, client, f)));
		rows.push_back(std::move(row));
	}
	print_table(rows);
}

void cmd_relay_allocate(const std::string &socket, const std::string &a, const std::string &b)
{
	Ordered body = {{"a", read_key(a, "first").to_text()}, {"b", read_key(b, "second").to_text()}};
	print_json(api_fetch_json(socket, "POST", "/relay/allocate", body.dump()));
}

void cmd_metrics(const std::string &socket)
{
	std::cout << api_fetch(socket, "GET", "/metrics") << std::flush;
}

} // namespace wayport::ctl
