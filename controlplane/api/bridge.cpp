#include "controlplane/api/bridge.h"

#include <thread>

namespace wayport::api {

bool Bridge::call(const std::shared_ptr<Call> &c, std::chrono::milliseconds timeout)
{
	if (!submit(c))
		return false;
	auto deadline = std::chrono::steady_clock::now() + timeout;
	// The control thread answers within one loop iteration (microseconds);
	// a short sleep keeps this thread off the CPU the workers poll on.
	while (!c->done.load(std::memory_order_acquire)) {
		if (std::chrono::steady_clock::now() >= deadline)
			return false;
		std::this_thread::sleep_for(std::chrono::microseconds(200));
	}
	return true;
}

} // namespace wayport::api
