// The Internet checksum's one's-complement fold, shared by the fast path's
// incremental updates and the host stack's checks.
#pragma once

#include <cstdint>

namespace wayport {

// Folds a sum of 16- or 32-bit words to 16 bits. One's-complement
// arithmetic is modulo 0xffff and 2^16 is 1 modulo 0xffff, so any width of
// partial sums folds to the same result.
inline uint16_t fold_sum(uint64_t sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return static_cast<uint16_t>(sum);
}

} // namespace wayport
