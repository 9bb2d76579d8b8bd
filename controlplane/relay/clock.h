// Virtual time for the relay core: every entry point is handed `now`, so the
// core never reads a clock and tests can step time by hand.
#pragma once

#include <cstdint>

#include "controlplane/common/go_duration.h"

namespace wayport::relay {

// A monotonic instant in nanoseconds; spans are Go durations (wayport::Duration).
using Time = int64_t;

} // namespace wayport::relay
