// The node's keys, kept across restarts. The disco key: kept in node.state_dir across restarts: clients
// seal allocation requests to it, so it must not change with every start.
// (The relay server's handshake key, ServerDisco, is new at every start, as
// in Tailscale.)
#pragma once

#include <optional>
#include <string>

#include "controlplane/disco/key.h"
#include "controlplane/wireguard/key.h"

namespace wayport {

// Loads <state_dir>/node_disco.key, or creates it (and the directory, mode
// 0700) with a new key, written atomically with mode 0600. On failure
// returns nothing and sets error to a message naming the path.
std::optional<disco::PrivateKey> load_or_create_node_key(const std::string &state_dir, std::string &error);

// wireguard.private_key_file: loaded (base64, as `wg genkey` writes it), or
// created with a new key, written atomically with mode 0600, when it does
// not exist. A file others may read is refused. On failure returns nothing
// and sets error to a message naming the path.
std::optional<wireguard::PrivateKey> load_or_create_wireguard_key(const std::string &path, std::string &error);

// A peer's preshared_key_file (base64, as `wg genpsk` writes it), mode 0600
// or stricter. On failure returns nothing and sets error naming the path.
std::optional<wireguard::Key32> read_preshared_key(const std::string &path, std::string &error);

} // namespace wayport
