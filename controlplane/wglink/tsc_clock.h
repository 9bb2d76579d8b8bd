// The workers' clock (TSC ticks, rte_rdtsc) and the Device's (Clock) side
// by side: one instant read on both, and the TSC's rate. Lets the control
// thread turn a keypair's birth into the workers' reject/rekey deadlines
// and their last_*_tsc times back into Device time; tests give fake values
// and run both on virtual time.
//
// Immutable after construction: any thread.
#pragma once

#include <cstdint>

#include "controlplane/wireguard/timers.h"

namespace wayport::wireguard {

class TscClock {
public:
	// hz > 0: TSC ticks per second (rte_get_tsc_hz()); tsc and clock: the
	// same instant read on both clocks.
	TscClock(uint64_t hz, uint64_t tsc, Clock::time_point clock) : hz_(hz), tsc_(tsc), clock_(clock) {}

	// Saturates at 0 and UINT64_MAX rather than wrap.
	uint64_t to_tsc(Clock::time_point t) const;
	Clock::time_point to_clock(uint64_t tsc) const;
	uint64_t hz() const { return hz_; }

private:
	// Nanoseconds to ticks and back, without the 128-bit product: whole
	// seconds and the remainder apart.
	uint64_t ticks(uint64_t ns) const;
	uint64_t nanoseconds(uint64_t ticks) const;

	const uint64_t hz_;
	const uint64_t tsc_;
	const Clock::time_point clock_;
};

} // namespace wayport::wireguard
