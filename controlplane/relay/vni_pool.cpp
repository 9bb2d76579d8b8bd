#include "controlplane/relay/vni_pool.h"

#include <bit>

namespace wayport::relay {

namespace {

constexpr size_t kWords = (size_t{kMaxVni} + 1) / 64;

} // namespace

VniPool::VniPool(Duration quarantine)
	: bits_(kWords, 0), quarantine_for_(quarantine)
{
	bits_[0] = 1;  // VNI 0
}

bool VniPool::in_use(uint32_t vni) const
{
	return vni <= kMaxVni && (bits_[vni / 64] >> (vni % 64) & 1) != 0;
}

// Scans 64 VNIs per step, so even a full pool is a 256 Ki-word sweep.
std::optional<uint32_t> VniPool::find_free_from(uint32_t start) const
{
	size_t w = start / 64;
	uint64_t free = ~bits_[w] & (~uint64_t{0} << (start % 64));
	for (size_t n = 0; n <= kWords; n++) {
		if (free != 0)
			return static_cast<uint32_t>(w * 64 + std::countr_zero(free));
		w = (w + 1) % kWords;
		free = ~bits_[w];
	}
	return std::nullopt;
}

std::optional<uint32_t> VniPool::allocate(Time now)
{
	expire_quarantine(now);
	auto vni = find_free_from(cursor_);
	if (!vni)
		return std::nullopt;
	bits_[*vni / 64] |= uint64_t{1} << (*vni % 64);
	cursor_ = *vni == kMaxVni ? kMinVni : *vni + 1;
	used_++;
	return vni;
}

void VniPool::release(uint32_t vni, Time now)
{
	if (vni < kMinVni || vni > kMaxVni || !in_use(vni))
		return;
	used_--;
	if (quarantine_for_ <= 0) {
		bits_[vni / 64] &= ~(uint64_t{1} << (vni % 64));
		return;
	}
	quarantine_.push_back({vni, now});
}

void VniPool::expire_quarantine(Time now)
{
	while (!quarantine_.empty() && now - quarantine_.front().freed_at >= quarantine_for_) {
		uint32_t vni = quarantine_.front().vni;
		bits_[vni / 64] &= ~(uint64_t{1} << (vni % 64));
		quarantine_.pop_front();
	}
}

} // namespace wayport::relay
