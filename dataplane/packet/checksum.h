// The Internet checksum's one's-complement fold and incremental update
// (RFC 1624), shared by the fast path's rewrites (relay now, NAT next) and
// the host stack's checks.
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

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), where m and m' are the sums of
// the changed fields before and after (any width: see fold_sum), so the
// cost does not depend on the packet size.
inline uint16_t incremental_checksum(uint16_t old_check, uint64_t old_sum, uint64_t new_sum)
{
	uint64_t sum = static_cast<uint16_t>(~old_check);
	sum += static_cast<uint16_t>(~fold_sum(old_sum));
	sum += fold_sum(new_sum);
	return static_cast<uint16_t>(~fold_sum(sum));
}

// A UDP checksum that computes to 0 is sent as 0xffff: 0 means the sender
// chose none (RFC 768).
inline uint16_t udp_nonzero(uint16_t check)
{
	return check == 0 ? 0xffff : check;
}

} // namespace wayport
