// The receive replay window of one WireGuard keypair: an RFC 6479 bitmap
// with the Linux kernel's counter_validate() semantics and constants
// (8192 bits of history in 64-bit words, 8128 of them usable).
//
// Contract:
// - One writer, no locks, no atomics. A keypair's window is owned by its
//   peer's home worker (docs/ARCHITECTURE.md, "The thread contract
//   WireGuard will follow"); transport data for a keypair homed elsewhere
//   is handed off to the home worker before validate() is called. No other
//   thread may call validate() or reset(), nor read the state while the
//   owner runs.
// - validate() is called only after the packet's Poly1305 tag verified.
//   The window moves forward on every accepted counter, so checking an
//   unauthenticated counter would let anyone who can send a packet jump
//   the window ahead and make every genuine packet look too old.
// - Header-only, fast-path safe: no allocation, no exceptions, no DPDK.
//   The state is a fixed 1032-byte value embedded in the keypair.
//
// Acceptance rule (H = highest counter accepted so far, W = kWindowSize):
// a counter c is accepted iff c < kRejectAfterMessages, c was not
// accepted before, and c > H or H - c <= W. Counter 0 is an ordinary
// value, accepted by a fresh window.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace wayport::wireguard {

class ReplayWindow {
public:
	// One ring slot. Fixed at 64 bits on every target, so the constants
	// below are the kernel's 64-bit ones even on a 32-bit build.
	static constexpr uint64_t kWordBits = 64;
	// COUNTER_BITS_TOTAL: bits of history kept in the ring.
	static constexpr uint64_t kBitsTotal = 8192;
	static constexpr size_t kWords = kBitsTotal / kWordBits;
	// COUNTER_WINDOW_SIZE: how far behind the highest counter a counter
	// may be and still be accepted. One word less than the ring: one of
	// the ring's words is the one holding the highest counter, partly
	// filled with counters not reached yet (it was cleared whole when the
	// window moved into it), so only the kWords - 1 words behind it are
	// guaranteed history, whatever the highest counter's bit position.
	static constexpr uint64_t kWindowSize = kBitsTotal - kWordBits;
	// REJECT_AFTER_MESSAGES as the kernel defines it for 64-bit. No
	// counter at or above it is ever accepted: the sender must rekey
	// first. It also leaves room for the window arithmetic below, so
	// nothing in validate() can overflow.
	static constexpr uint64_t kRejectAfterMessages =
		std::numeric_limits<uint64_t>::max() - kWindowSize - 1;

	static_assert((kWords & (kWords - 1)) == 0, "the ring index is a mask: kWords must be a power of two");
	static_assert(kBitsTotal % kWordBits == 0);

	// true: the counter is fresh and is now marked as seen. false: it was
	// seen before, it is too far behind the window, or it is at or above
	// kRejectAfterMessages. A rejected counter changes nothing.
	[[nodiscard]] bool validate(uint64_t counter) noexcept
	{
		if (counter >= kRejectAfterMessages) [[unlikely]]
			return false;
		// Work in counter + 1, as the kernel does, so that next_ == 0
		// means "nothing accepted yet" and the ring's bit layout is the
		// kernel's (its selftest then checks the same bits). No overflow:
		// counter + 1 <= kRejectAfterMessages, and adding kWindowSize to
		// that still stays below the maximum.
		const uint64_t shifted = counter + 1;
		if (shifted + kWindowSize < next_) [[unlikely]]
			return false;  // too old: more than kWindowSize behind

		const uint64_t word = shifted / kWordBits;
		if (shifted > next_) [[likely]] {
			// The window moves forward. Clear the words between the old
			// highest word (exclusive) and the new one (inclusive): they
			// still hold bits of counters one ring length older. A jump
			// of a full ring or more clears the ring once, not per word
			// skipped, so the cost is bounded by kWords.
			const uint64_t current_word = next_ / kWordBits;
			const uint64_t advance = word - current_word;
			const uint64_t to_clear = advance < kWords ? advance : kWords;
			for (uint64_t i = 1; i <= to_clear; ++i)
				bits_[(current_word + i) & kWordMask] = 0;
			next_ = shifted;
		}

		uint64_t &slot = bits_[word & kWordMask];
		const uint64_t bit = uint64_t{1} << (shifted & (kWordBits - 1));
		if (slot & bit)
			return false;  // replayed
		slot |= bit;
		return true;
	}

	// Back to the fresh state: nothing seen. For a new keypair that reuses
	// this storage; a live keypair's window is never reset.
	void reset() noexcept
	{
		next_ = 0;
		bits_.fill(0);
	}

private:
	static constexpr uint64_t kWordMask = kWords - 1;

	// Highest accepted counter + 1; 0 while nothing has been accepted.
	// Always <= kRejectAfterMessages, since only accepted counters are
	// stored: that makes the kernel's second limit check (its stored
	// counter above REJECT_AFTER_MESSAGES) unreachable here.
	uint64_t next_ = 0;
	// Ring of kBitsTotal bits: bit (c + 1) % kBitsTotal is set once counter
	// c has been accepted, until the window moves a ring length past it.
	std::array<uint64_t, kWords> bits_{};
};

} // namespace wayport::wireguard
