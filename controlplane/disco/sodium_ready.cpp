#include "controlplane/disco/sodium_ready.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>

namespace wayport::disco {

void sodium_ready()
{
	static const bool ready = [] {
		if (sodium_init() < 0) {
			std::fputs("wayport: libsodium failed to initialise\n", stderr);
			std::abort();
		}
		return true;
	}();
	(void)ready;
}

} // namespace wayport::disco
