// The external ports (ICMP identifiers) of one SNAT address and protocol,
// shared by every worker, and which worker's sessions hold each.
//
// A worker that maps a new inside endpoint takes a port here (one atomic
// compare-and-swap on a bitmap word per new mapping, none per packet), and
// records itself as the port's owner; nat_in, on whatever worker the
// answer arrives, reads the owner to hand the packet to the worker whose
// tables hold the session. Nothing else is shared between workers.
//
// Which port (RFC 4787 REQ-1..4, RFC 6056, RFC 6888 REQ-15):
// - the inside port itself when it is free and in the range (preservation);
// - else a free port of the same class (0-1023 or 1024-65535, REQ-3a)
//   when the range has any, and of the same parity (REQ-4), searched from
//   a place the caller draws at random, so external ports are not
//   sequential; then any parity, then any class in the range;
// - never a port another mapping holds (REQ-3: no port overloading).
//
// Thread contract: take() and give_back() from any worker at once; a port
// is given back only by the worker that took it. owner() from any thread:
// kNoOwner while the port is free, the taker's worker id from before take()
// returns until give_back().
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>

namespace wayport::nat {

class PortPool {
public:
	static constexpr uint8_t kNoOwner = 0xff;

	// Ports lo..hi inclusive (lo <= hi). class_preserving: TCP and UDP
	// (REQ-3a); ICMP identifiers have no classes.
	PortPool(uint16_t lo, uint16_t hi, bool class_preserving);

	// A free port for inside port `wanted` taken for worker (< kNoOwner);
	// none when the range is exhausted. seed picks where the search starts.
	std::optional<uint16_t> take(uint16_t wanted, uint8_t worker, uint32_t seed);
	void give_back(uint16_t port);
	// Before the workers start: port is never handed out (the node's own
	// listeners on the SNAT address). Its owner stays kNoOwner.
	void reserve(uint16_t port);

	uint8_t owner(uint16_t port) const { return owners_[port].load(std::memory_order_acquire); }
	uint32_t size() const { return uint32_t(hi_) - lo_ + 1; }
	uint32_t in_use() const { return in_use_.load(std::memory_order_relaxed); }

private:
	static constexpr size_t kWords = 65536 / 64;

	bool try_take(uint16_t port, uint8_t worker);
	// A free port in first..last whose bits match mask (parity), searched
	// from seed's place and round.
	std::optional<uint16_t> search(uint32_t first, uint32_t last, uint64_t mask, uint8_t worker, uint32_t seed);

	const uint16_t lo_, hi_;
	const bool class_preserving_;
	// Bit set: taken. Bits outside lo..hi are set from the start, so a
	// search never finds them.
	std::array<std::atomic<uint64_t>, kWords> taken_{};
	std::unique_ptr<std::atomic<uint8_t>[]> owners_;
	std::atomic<uint32_t> in_use_{0};
};

} // namespace wayport::nat
