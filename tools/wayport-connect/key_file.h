// Disco private keys in files: 64 hex digits and a newline, the form
// wayportd keeps its node key in and `wayportctl keygen` prints.
#pragma once

#include <string>

#include "controlplane/disco/key.h"

namespace wayport::connect {

// Throws ConfigError when the file cannot be read, holds no key, or can be
// read or written by its group or by others: a disco key lets its holder
// speak for this client to the relay and the peer.
disco::PrivateKey read_key_file(const std::string &path);

// Writes a new key to path, which must not exist yet, with mode 0600.
disco::PublicKey generate_key_file(const std::string &path);

} // namespace wayport::connect
