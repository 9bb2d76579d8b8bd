// A small valid config and edits of it, for tests that break one key.
#pragma once

#include <string>

#include "config/config.h"

namespace wayport::config::test {

// Valid, with every required key and nothing else.
extern const char *const kMinimal;

// kMinimal with the value at path ("relay.port", "ports[0].ipv4") replaced
// by the YAML fragment value (a scalar, "[1, 2]", "{a: 1}", "" for null),
// or removed when remove is set.
std::string edited(const std::string &path, const std::string &value, bool remove = false);

} // namespace wayport::config::test
