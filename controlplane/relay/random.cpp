#include "controlplane/relay/random.h"

#include <sodium.h>

#include "controlplane/disco/sodium_ready.h"

namespace wayport::relay {

void SystemRandom::fill(std::span<uint8_t> out)
{
	disco::sodium_ready();
	randombytes_buf(out.data(), out.size());
}

} // namespace wayport::relay
