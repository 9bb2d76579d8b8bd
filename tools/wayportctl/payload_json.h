// `wayportctl decode`: what a UDP payload is, as JSON.
#pragma once

#include <nlohmann/json.hpp>

#include "dataplane/wire/bytes.h"
#include "tools/wayportctl/disco_json.h"

namespace wayport::ctl {

Json describe_payload(ByteSpan payload);

} // namespace wayport::ctl
