// WireGuard's protocol constants (whitepaper §6.1, the kernel's
// messages.h) and the clock every timer in controlplane/wireguard/ runs
// on. Time is always passed in (`now`), never read, so tests run the
// protocol on virtual time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "dataplane/wireguard/message_limits.h"

namespace wayport::wireguard {

using Clock = std::chrono::steady_clock;

using namespace std::chrono_literals;

// The initiator of a keypair rekeys after this age...
inline constexpr Clock::duration kRekeyAfterTime = 120s;
// ...and nobody uses a keypair older than this.
inline constexpr Clock::duration kRejectAfterTime = 180s;
// Initiations are retried for this long before the staged packets go.
inline constexpr Clock::duration kRekeyAttemptTime = 90s;
// The wait for a response before an initiation is retried, and the least
// time between two initiations to one peer.
inline constexpr Clock::duration kRekeyTimeout = 5s;
// Up to this much is added to every retry, so that two peers that started
// together do not keep colliding (the kernel's REKEY_TIMEOUT_JITTER_MAX).
inline constexpr Clock::duration kRekeyTimeoutJitterMax = 333ms;
// A peer that received data and sent nothing back for this long sends a
// keepalive: the passive keepalive.
inline constexpr Clock::duration kKeepaliveTimeout = 10s;
// Retries of one handshake: REKEY_ATTEMPT_TIME / REKEY_TIMEOUT.
inline constexpr int kMaxTimerHandshakes = static_cast<int>(kRekeyAttemptTime / kRekeyTimeout);
// A responder accepts at most this many initiations a second from one peer
// (the kernel's INITIATIONS_PER_SECOND).
inline constexpr Clock::duration kMinInitiationInterval = 1000ms / 50;
static_assert(kMinInitiationInterval == 20ms, "whole seconds / 50 would be zero");
// Packets held for a peer while its handshake completes; the oldest is
// dropped past this.
inline constexpr size_t kMaxStagedPackets = 128;
// The responder draws a new cookie secret when its secret is this old, so
// a cookie is good for two minutes at most...
inline constexpr Clock::duration kCookieSecretMaxAge = 120s;
// ...and an initiator stops using one this much sooner, for the time the
// reply took to reach it.
inline constexpr Clock::duration kCookieSecretLatency = 5s;
// Under load (the handshake queue at least 1/8 full) lasts this long after
// the queue was last seen that full.
inline constexpr Clock::duration kUnderLoadHold = 1s;

} // namespace wayport::wireguard
