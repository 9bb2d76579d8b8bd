// `wayportctl decode` and `wg decode`: what a UDP payload is, as JSON.
#pragma once

#include <nlohmann/json.hpp>

#include "dataplane/wire/bytes.h"
#include "tools/wayportctl/disco_json.h"

namespace wayport::ctl {

Json describe_payload(ByteSpan payload);
// A WireGuard message's type, length and cleartext fields; for a message of
// no WireGuard type and size, only type "none" and the length.
Json describe_wireguard(ByteSpan message);

} // namespace wayport::ctl
