// The node's own disco key, kept in node.state_dir across restarts: clients
// seal allocation requests to it, so it must not change with every start.
// (The relay server's handshake key, ServerDisco, is new at every start, as
// in Tailscale.)
#pragma once

#include <optional>
#include <string>

#include "controlplane/disco/key.h"

namespace wayport {

// Loads <state_dir>/node_disco.key, or creates it (and the directory, mode
// 0700) with a new key, written atomically with mode 0600. On failure
// returns nothing and sets error to a message naming the path.
std::optional<disco::PrivateKey> load_or_create_node_key(const std::string &state_dir, std::string &error);

} // namespace wayport
