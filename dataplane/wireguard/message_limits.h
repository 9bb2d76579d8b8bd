// How many messages one keypair may carry (the kernel's messages.h), for
// the workers that count them and the slow path that rekeys.
#pragma once

#include <cstdint>

#include "dataplane/wireguard/replay_window.h"

namespace wayport::wireguard {

// A keypair's sender starts a new handshake after this many messages...
inline constexpr uint64_t kRekeyAfterMessages = uint64_t{1} << 60;
// ...and stops using it at this many (the replay window's limit).
inline constexpr uint64_t kRejectAfterMessages = ReplayWindow::kRejectAfterMessages;

} // namespace wayport::wireguard
