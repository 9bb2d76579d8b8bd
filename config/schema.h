// The config's keys: which exist, which are required, what each accepts,
// and the checks that span keys (gateways on-link, unique names, lcores).
#pragma once

#include "config/config.h"
#include "config/reader.h"

namespace wayport::config {

// Fills config from the document's root, reporting every problem to diag.
// config is only meaningful when diag has no errors afterwards.
void read_config(Diag &diag, const Value &root, Config &config);

} // namespace wayport::config
