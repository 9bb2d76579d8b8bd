#include "controlplane/wireguard/index_table.h"

namespace wayport::wireguard {

uint32_t IndexTable::insert_handshake(PeerId peer)
{
	std::lock_guard lock(mu_);
	// A collision is one chance in 2^32 / size(), so this loop almost
	// never runs twice; the kernel draws the same way.
	for (;;) {
		const uint32_t index = random32_();
		if (entries_.try_emplace(index, IndexEntry{peer, nullptr}).second)
			return index;
	}
}

bool IndexTable::promote(uint32_t index, std::shared_ptr<Keypair> keypair)
{
	std::lock_guard lock(mu_);
	auto it = entries_.find(index);
	if (it == entries_.end())
		return false;
	it->second.keypair = std::move(keypair);
	return true;
}

void IndexTable::remove(uint32_t index)
{
	std::lock_guard lock(mu_);
	entries_.erase(index);
}

std::optional<IndexEntry> IndexTable::lookup(uint32_t index) const
{
	std::lock_guard lock(mu_);
	auto it = entries_.find(index);
	if (it == entries_.end())
		return std::nullopt;
	return it->second;
}

size_t IndexTable::size() const
{
	std::lock_guard lock(mu_);
	return entries_.size();
}

} // namespace wayport::wireguard
