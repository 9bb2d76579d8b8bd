// The bind handshake's challenge (spec §3.6): a keyed BLAKE2s-256 MAC over
// the Bind's VNI, Generation, RemoteKey and the sender's address, so the
// server keeps no per-source state between Challenge and Answer. Two
// secrets are honoured: the current one and the one before it.
#pragma once

#include <array>
#include <cstdint>

#include "controlplane/disco/key.h"
#include "controlplane/disco/message.h"
#include "controlplane/relay/clock.h"
#include "controlplane/relay/random.h"
#include "dataplane/wire/addr.h"

namespace wayport::relay {

inline constexpr size_t kMacSecretLen = 32;
inline constexpr Duration kMacRotationInterval = 2 * kMinute;

using MacSecret = std::array<uint8_t, kMacSecretLen>;

// Tailscale's blakeMACFromBindMsg. The address is Go's
// netip.AddrPort.AppendBinary: 4 bytes for IPv4, 16 for IPv6, then the port
// little-endian. The Challenge field is not an input.
disco::Challenge bind_mac(const MacSecret &secret, const AddrPort &src,
			  const disco::BindCommon &common);

class MacSecrets {
public:
	explicit MacSecrets(Duration interval = kMacRotationInterval) : interval_(interval) {}

	// Tailscale's maybeRotateMACSecretLocked: lazy, on each control packet.
	// The first call creates a secret; one made `interval` or longer after
	// the last rotation moves the current secret to [1] and draws a new [0].
	void maybe_rotate(Time now, RandomSource &random);

	size_t count() const { return count_; }
	// [0] is the current secret.
	const MacSecret &operator[](size_t i) const { return secrets_[i]; }

private:
	std::array<MacSecret, 2> secrets_{};
	size_t count_ = 0;
	Time rotated_at_ = 0;
	Duration interval_;
};

} // namespace wayport::relay
