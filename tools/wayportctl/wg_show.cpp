#include "tools/wayportctl/wg_show.h"

#include <algorithm>
#include <cstdio>

namespace wayport::ctl {

namespace {

std::string plural(uint64_t n, const char *unit)
{
	return std::to_string(n) + " " + unit + (n == 1 ? "" : "s");
}

std::string ago(int64_t then, int64_t now)
{
	if (now == then)
		return "Now";
	if (now < then)
		return "(System clock wound backward; connection problems may ensue.)";
	return wg_pretty_time(static_cast<uint64_t>(now - then)) + " ago";
}

std::string join(const std::vector<std::string> &items, const char *sep)
{
	std::string out;
	for (const auto &s : items)
		out += (out.empty() ? "" : sep) + s;
	return out;
}

} // namespace

std::string wg_pretty_time(uint64_t left)
{
	// wg's units: a year is 365 days.
	static constexpr struct {
		uint64_t seconds;
		const char *name;
	} units[] = {{365 * 86400, "year"}, {86400, "day"}, {3600, "hour"}, {60, "minute"}, {1, "second"}};
	std::string out;
	for (const auto &u : units) {
		uint64_t n = left / u.seconds;
		left %= u.seconds;
		if (n)
			out += (out.empty() ? "" : ", ") + plural(n, u.name);
	}
	return out;
}

std::string wg_bytes(uint64_t b)
{
	static constexpr const char *units[] = {"KiB", "MiB", "GiB", "TiB"};
	if (b < 1024)
		return std::to_string(b) + " B";
	double v = static_cast<double>(b) / 1024;
	size_t u = 0;
	for (uint64_t limit = 1024ull * 1024; u < 3 && b >= limit; limit *= 1024) {
		v /= 1024;
		u++;
	}
	char buf[64];
	std::snprintf(buf, sizeof buf, "%.2f %s", v, units[u]);
	return buf;
}

std::string wg_show_text(const WgShowInterface &iface, int64_t now)
{
	std::string out = "interface: " + iface.name + "\n";
	out += "  public key: " + iface.public_key + "\n";
	out += "  private key: (hidden)\n";
	if (iface.listen_port)
		out += "  listening port: " + std::to_string(iface.listen_port) + "\n";

	std::vector<const WgShowPeer *> peers;
	for (const auto &p : iface.peers)
		peers.push_back(&p);
	// Never-handshaken peers last; otherwise the most recent first.
	std::stable_sort(peers.begin(), peers.end(), [](const WgShowPeer *a, const WgShowPeer *b) {
		if ((a->latest_handshake == 0) != (b->latest_handshake == 0))
			return b->latest_handshake == 0;
		return a->latest_handshake > b->latest_handshake;
	});
	if (!peers.empty())
		out += "\n";
	for (size_t i = 0; i < peers.size(); i++) {
		const WgShowPeer &p = *peers[i];
		out += "peer: " + p.public_key + "\n";
		if (p.has_preshared_key)
			out += "  preshared key: (hidden)\n";
		if (p.endpoint)
			out += "  endpoint: " + *p.endpoint + "\n";
		out += "  allowed ips: " + (p.allowed_ips.empty() ? "(none)" : join(p.allowed_ips, ", ")) + "\n";
		if (p.latest_handshake)
			out += "  latest handshake: " + ago(p.latest_handshake, now) + "\n";
		if (p.rx_bytes || p.tx_bytes)
			out += "  transfer: " + wg_bytes(p.rx_bytes) + " received, " + wg_bytes(p.tx_bytes) + " sent\n";
		if (p.persistent_keepalive)
			out += "  persistent keepalive: every " + wg_pretty_time(p.persistent_keepalive) + "\n";
		if (i + 1 < peers.size())
			out += "\n";
	}
	return out;
}

std::string wg_show_dump(const WgShowInterface &iface)
{
	std::string out = "(hidden)\t" + iface.public_key + "\t" + std::to_string(iface.listen_port) + "\toff\n";
	for (const auto &p : iface.peers) {
		out += p.public_key + "\t";
		out += std::string(p.has_preshared_key ? "(hidden)" : "(none)") + "\t";
		out += p.endpoint.value_or("(none)") + "\t";
		out += (p.allowed_ips.empty() ? "(none)" : join(p.allowed_ips, ",")) + "\t";
		out += std::to_string(p.latest_handshake) + "\t";
		out += std::to_string(p.rx_bytes) + "\t" + std::to_string(p.tx_bytes) + "\t";
		out += (p.persistent_keepalive ? std::to_string(p.persistent_keepalive) : "off") + "\n";
	}
	return out;
}

} // namespace wayport::ctl
