// libsodium must be initialised once before use; this does it on first call.
#pragma once

namespace wayport::disco {

void sodium_ready();

} // namespace wayport::disco
