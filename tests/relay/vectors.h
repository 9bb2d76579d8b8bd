// The spec's vectors (tests/data/vectors.txt: "name<TAB>hex", # comments).
#pragma once

#include <string_view>

#include "dataplane/wire/bytes.h"

namespace wayport::relay::test {

// The named vector; fails the test and returns nothing if it is missing.
Bytes vec(std::string_view name);

} // namespace wayport::relay::test
