// Relay core settings. Defaults are Tailscale's lifetimes and a closed
// allocation policy: nobody may allocate until configuration says who.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "controlplane/disco/key.h"
#include "controlplane/relay/clock.h"
#include "controlplane/relay/mac.h"
#include "controlplane/relay/rate_limiter.h"

namespace wayport::relay {

struct AllocPolicy {
	// Senders whose requests are honoured. Ignored when allow_any is set;
	// an empty list with allow_any unset refuses everyone.
	std::vector<disco::PublicKey> allow;
	bool allow_any = false;
	RateLimit rate;                     // per source IP
	uint32_t max_endpoints_per_client = 64;
};

struct Config {
	Duration bind_lifetime = 30 * kSecond;
	Duration steady_state_lifetime = 5 * kMinute;
	Duration mac_rotation_interval = kMacRotationInterval;
	AllocPolicy alloc;
	// Live endpoints at most, whoever allocates them: the operator's bound
	// on memory, below the VNI space.
	uint32_t max_endpoints = (1u << 24) - 1;
	// Only shown in status, as Tailscale's ServerStatus.UDPPort.
	std::optional<uint16_t> udp_port;
};

} // namespace wayport::relay
