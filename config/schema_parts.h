// Inside the schema, shared by its files: the checks more than one section
// makes (unique values, paths, addresses, next hops on-link) and the
// sections that live in files of their own. Not for use outside config/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "config/reader.h"

namespace wayport::config {

inline constexpr std::string_view kPathWhat = "an absolute path";

// Values that must be unique across a list, each remembered with where it
// was first seen.
class Unique {
public:
	Unique(Diag &diag, std::string what) : diag_(diag), what_(std::move(what)) {}

	// False, and reported, when value was seen before.
	bool add(const Value &v, const std::string &value);

private:
	struct Seen {
		std::string value, path;
		int line;
	};
	Diag &diag_;
	std::string what_;
	std::vector<Seen> seen_;
};

template <class T>
void read_int(Diag &d, const MapReader &m, std::string_view key, T &out, int64_t min, int64_t max)
{
	if (auto v = m.get(key))
		if (auto n = integer(d, *v, min, max))
			out = static_cast<T>(*n);
}

// max_len std::string::npos: no limit.
std::optional<std::string> absolute_path(Diag &d, const Value &v, size_t max_len);

// A non-zero port, and for an address clients send to, a real address
// (a listener may take 0.0.0.0 or :: to mean every address).
std::optional<AddrPort> addr_port(Diag &d, const Value &v, std::string_view what, bool listen);

// Why next hop gw is not on-link for a port whose prefix of gw's family is
// net (named net_name in the message), or empty when it is: inside net and
// not the port's own address, or for IPv6 link-local.
std::string off_link(const AddrPort &gw, const IpPrefix &net, const std::string &net_name);

// The wireguard section; the other sections are read first, since its
// checks look at the ports, node.state_dir and relay.port.
void read_wireguard(Diag &d, const Value &v, const Config &c, Wireguard &w);
// The exit section, after wireguard: checked against the ports and the tunnel.
void read_exit(Diag &d, const Value &v, const Config &c, Exit &e);
// The routes section, checked against the ports.
void read_routes(Diag &d, const Value &v, const std::vector<Port> &ports, std::vector<Route> &routes);

} // namespace wayport::config
