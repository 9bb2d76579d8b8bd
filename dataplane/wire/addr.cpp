#include "dataplane/wire/addr.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace wayport {

AddrPort AddrPort::from_16(const uint8_t ip16[16], uint16_t port)
{
	if (std::memcmp(ip16, kV4MappedPrefix, sizeof(kV4MappedPrefix)) == 0)
		return v4(ip16 + 12, port);
	return v6(ip16, port);
}

bool AddrPort::is_zero() const
{
	return *this == AddrPort{};
}

std::string AddrPort::ip_string() const
{
	char buf[INET6_ADDRSTRLEN];
	if (is_v4)
		inet_ntop(AF_INET, ip4(), buf, sizeof(buf));
	else
		inet_ntop(AF_INET6, ip.data(), buf, sizeof(buf));
	return buf;
}

std::string AddrPort::to_string() const
{
	std::string out = is_v4 ? ip_string() : "[" + ip_string() + "]";
	out.append(":").append(std::to_string(port));
	return out;
}

static std::optional<uint16_t> parse_port(std::string_view s)
{
	unsigned v = 0;
	auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
	if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v > 0xffff)
		return std::nullopt;
	return static_cast<uint16_t>(v);
}

std::optional<AddrPort> AddrPort::parse(std::string_view text)
{
	std::string host;
	std::string_view port_text;
	bool bracketed = !text.empty() && text.front() == '[';
	if (bracketed) {
		size_t close = text.find("]:");
		if (close == std::string_view::npos)
			return std::nullopt;
		host = std::string(text.substr(1, close - 1));
		port_text = text.substr(close + 2);
	} else {
		size_t colon = text.rfind(':');
		if (colon == std::string_view::npos)
			return std::nullopt;
		host = std::string(text.substr(0, colon));
		port_text = text.substr(colon + 1);
	}
	auto port = parse_port(port_text);
	if (!port)
		return std::nullopt;
	uint8_t buf[16];
	if (!bracketed && inet_pton(AF_INET, host.c_str(), buf) == 1)
		return v4(buf, *port);
	if (bracketed && inet_pton(AF_INET6, host.c_str(), buf) == 1)
		return v6(buf, *port);
	return std::nullopt;
}

} // namespace wayport
