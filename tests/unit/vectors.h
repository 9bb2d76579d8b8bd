// The byte-exact vectors of tests/data/vectors.txt (a copy of the spec's).
#pragma once

#include <map>
#include <string>

#include "dataplane/wire/bytes.h"

namespace wayport::test {

// All vectors by name; aborts the test run if the file cannot be read.
const std::map<std::string, Bytes> &vectors();

// One vector; fails the current test if it is missing.
const Bytes &vec(const std::string &name);

} // namespace wayport::test
