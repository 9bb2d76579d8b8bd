// A WireGuard session (the kernel's noise_keypair) and the three slots a
// peer keeps them in: previous, current and next (whitepaper §6.2, the
// kernel's noise.c add_new_keypair / received_with_keypair).
//
// The rule the slots encode: a responder cannot send under the keys its
// response derived until the initiator proves it has them too, by sending
// the first data packet under them. So the responder's new keypair waits
// in `next`; the initiator's goes straight to `current`.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "controlplane/wireguard/handshake.h"
#include "controlplane/wireguard/timers.h"
#include "dataplane/wireguard/replay_window.h"

namespace wayport::wireguard {

// Immutable after creation except where noted. Shared (shared_ptr) between
// the peer's slots and the device's index table; the keys are zeroed when
// the last holder lets go (TransportKeys' destructor).
struct Keypair {
	TransportKeys keys;
	Clock::time_point birth;
	bool i_am_initiator = false;

	// Guarded by the owning peer's mutex (docs/ARCHITECTURE.md: on the
	// workers, the peer's home worker owns both).
	uint64_t send_counter = 0;  // the next nonce to send under
	ReplayWindow receive_window;

	Keypair(const TransportKeys &k, Clock::time_point now, bool initiator)
		: keys(k), birth(now), i_am_initiator(initiator) {}

	bool can_send(Clock::time_point now) const
	{
		return send_counter < kRejectAfterMessages && now - birth < kRejectAfterTime;
	}
	bool can_receive(Clock::time_point now) const { return now - birth < kRejectAfterTime; }
};

// A peer's slots. Guarded by the owning peer's mutex.
class Keypairs {
public:
	// Keypairs pushed out of the slots, for the caller to unlink from the
	// index table; empty entries are null.
	using Retired = std::array<std::shared_ptr<Keypair>, 3>;

	// A handshake completed.
	Retired add(std::shared_ptr<Keypair> fresh);

	// Data authenticated under kp. If kp is `next`, the responder's wait is
	// over: next becomes current, current previous. Returns true then, with
	// the keypair it retired (the old previous) in retired.
	bool received_with(const Keypair *kp, std::shared_ptr<Keypair> &retired);

	// All three, emptied (the zero-key-material timer, a removed peer).
	Retired clear();

	const std::shared_ptr<Keypair> &previous() const { return previous_; }
	const std::shared_ptr<Keypair> &current() const { return current_; }
	const std::shared_ptr<Keypair> &next() const { return next_; }

private:
	std::shared_ptr<Keypair> previous_, current_, next_;
};

} // namespace wayport::wireguard
