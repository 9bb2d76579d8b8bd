// Byte helpers shared by every wire format: big- and little-endian loads
// and stores (WireGuard's integers are little-endian), hex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wayport {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;

inline uint16_t load_be16(const uint8_t *p)
{
	return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

inline uint32_t load_be32(const uint8_t *p)
{
	return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

inline uint64_t load_be64(const uint8_t *p)
{
	return uint64_t{load_be32(p)} << 32 | load_be32(p + 4);
}

inline void store_be16(uint8_t *p, uint16_t v)
{
	p[0] = static_cast<uint8_t>(v >> 8);
	p[1] = static_cast<uint8_t>(v);
}

inline void store_be32(uint8_t *p, uint32_t v)
{
	store_be16(p, static_cast<uint16_t>(v >> 16));
	store_be16(p + 2, static_cast<uint16_t>(v));
}

inline void store_be64(uint8_t *p, uint64_t v)
{
	store_be32(p, static_cast<uint32_t>(v >> 32));
	store_be32(p + 4, static_cast<uint32_t>(v));
}

inline uint32_t load_le32(const uint8_t *p)
{
	return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

inline uint64_t load_le64(const uint8_t *p)
{
	return uint64_t{load_le32(p)} | uint64_t{load_le32(p + 4)} << 32;
}

inline void store_le32(uint8_t *p, uint32_t v)
{
	p[0] = static_cast<uint8_t>(v);
	p[1] = static_cast<uint8_t>(v >> 8);
	p[2] = static_cast<uint8_t>(v >> 16);
	p[3] = static_cast<uint8_t>(v >> 24);
}

inline void store_le64(uint8_t *p, uint64_t v)
{
	store_le32(p, static_cast<uint32_t>(v));
	store_le32(p + 4, static_cast<uint32_t>(v >> 32));
}

// The value of one hex digit (either case), or -1.
int hex_value(char c);

// Lowercase hex, no separators.
std::string to_hex(ByteSpan b);

// Accepts upper or lower case and ignores ASCII whitespace between digits.
// Returns nothing for an odd digit count or a non-hex character.
std::optional<Bytes> from_hex(std::string_view text);

} // namespace wayport
