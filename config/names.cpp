#include "config/names.h"

#include <charconv>
#include <cstdio>

namespace wayport::config {

namespace {

bool is_lower_or_digit(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Exactly n hex digits, as a number.
std::optional<unsigned> hex_field(std::string_view s, size_t n)
{
	unsigned v = 0;
	if (s.size() != n)
		return std::nullopt;
	for (char c : s)
		if (!is_hex(c))
			return std::nullopt;
	std::from_chars(s.data(), s.data() + s.size(), v, 16);
	return v;
}

std::optional<unsigned> lcore_id(std::string_view s)
{
	unsigned v = 0;
	auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
	if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v > kMaxLcore)
		return std::nullopt;
	return v;
}

} // namespace

bool is_port_name(std::string_view name)
{
	if (name.empty() || name.size() > 15)
		return false;
	for (char c : name)
		if (!is_lower_or_digit(c) && c != '_' && c != '-')
			return false;
	return true;
}

bool is_vdev_name(std::string_view name)
{
	static constexpr std::string_view prefix = "net_";
	if (!name.starts_with(prefix) || name.size() == prefix.size() || name.size() > 63)
		return false;
	for (char c : name)
		if (!is_lower_or_digit(c) && c != '_')
			return false;
	return true;
}

std::optional<std::string> normalize_pci_address(std::string_view text)
{
	// [domain:]bus:device.function with 4, 2, 2 and 1 hex digits.
	unsigned domain = 0;
	if (text.size() == 12) {
		auto d = hex_field(text.substr(0, 4), 4);
		if (!d || text[4] != ':')
			return std::nullopt;
		domain = *d;
		text.remove_prefix(5);
	}
	if (text.size() != 7 || text[2] != ':' || text[5] != '.')
		return std::nullopt;
	auto bus = hex_field(text.substr(0, 2), 2);
	auto dev = hex_field(text.substr(3, 2), 2);
	auto fn = hex_field(text.substr(6, 1), 1);
	// A PCI device number is 5 bits and a function 3 bits.
	if (!bus || !dev || !fn || *dev > 0x1f || *fn > 7)
		return std::nullopt;
	char buf[16];
	std::snprintf(buf, sizeof(buf), "%04x:%02x:%02x.%x", domain, *bus, *dev, *fn);
	return std::string(buf);
}

std::optional<std::vector<unsigned>> parse_lcore_list(std::string_view text)
{
	std::vector<unsigned> ids;
	while (true) {
		size_t comma = text.find(',');
		std::string_view item = text.substr(0, comma);
		size_t dash = item.find('-');
		auto first = lcore_id(item.substr(0, dash));
		bool range = dash != std::string_view::npos;
		auto last = range ? lcore_id(item.substr(dash + 1)) : first;
		if (!first || !last || *first > *last)
			return std::nullopt;
		for (unsigned id = *first; id <= *last; id++)
			ids.push_back(id);
		if (comma == std::string_view::npos)
			return ids;
		text.remove_prefix(comma + 1);
	}
}

} // namespace wayport::config
