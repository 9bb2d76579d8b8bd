#pragma once

#include <cstdint>

namespace wayport {

// What the host stack did with one packet, counted by the caller.
enum class HostResult : uint8_t {
	reply,        // m now holds the reply; send it on the same port
	absorbed,     // learned from it; nothing to send (caller frees m)
	malformed,
	not_ours,     // addressed to someone else
	unsupported,  // a message type we do not handle
};

} // namespace wayport
