// JSON in Tailscale's shapes: endpoint.ServerEndpoint, as the debug and
// legacy PeerAPI paths print it (Go encoding/json field order, Go duration
// strings).
#pragma once

#include <string>

#include "controlplane/relay/server.h"

namespace wayport::relay {

std::string server_endpoint_json(const ServerEndpoint &ep);

} // namespace wayport::relay
