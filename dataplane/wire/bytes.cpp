#include "dataplane/wire/bytes.h"

namespace wayport {

std::string to_hex(ByteSpan b)
{
	static constexpr char digits[] = "0123456789abcdef";
	std::string out;
	out.reserve(b.size() * 2);
	for (uint8_t v : b) {
		out.push_back(digits[v >> 4]);
		out.push_back(digits[v & 0xf]);
	}
	return out;
}

int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

std::optional<Bytes> from_hex(std::string_view text)
{
	Bytes out;
	out.reserve(text.size() / 2);
	int high = -1;
	for (char c : text) {
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		int v = hex_value(c);
		if (v < 0)
			return std::nullopt;
		if (high < 0) {
			high = v;
		} else {
			out.push_back(static_cast<uint8_t>(high << 4 | v));
			high = -1;
		}
	}
	if (high >= 0)
		return std::nullopt;
	return out;
}

} // namespace wayport
