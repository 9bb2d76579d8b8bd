#include "controlplane/tunnel/slot_pool.h"

#include <rte_pause.h>

namespace wayport::tunnel {

SlotPool::SlotPool(uint32_t capacity, Qsbr &qsbr) : capacity_(capacity), qsbr_(qsbr)
{
	for (uint32_t s = 0; s < capacity; s++)
		free_.insert(free_.end(), s);
}

void SlotPool::take_back_done()
{
	while (!quarantine_.empty() && qsbr_.done(quarantine_.front().token)) {
		free_.insert(quarantine_.front().slot);
		quarantine_.pop_front();
	}
}

std::optional<uint32_t> SlotPool::acquire(std::chrono::nanoseconds patience)
{
	take_back_done();
	if (free_.empty() && !quarantine_.empty() && patience.count() > 0) {
		const auto until = std::chrono::steady_clock::now() + patience;
		do {
			rte_pause();
			take_back_done();
		} while (free_.empty() && std::chrono::steady_clock::now() < until);
	}
	if (free_.empty())
		return std::nullopt;
	uint32_t slot = *free_.begin();
	free_.erase(free_.begin());
	held_++;
	return slot;
}

void SlotPool::give_back(uint32_t slot)
{
	free_.insert(slot);
	held_--;
}

void SlotPool::release(uint32_t slot)
{
	quarantine_.push_back({slot, qsbr_.start()});
	held_--;
}

} // namespace wayport::tunnel
