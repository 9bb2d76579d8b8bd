// The device's receiver indexes (whitepaper §5.4.2, the kernel's
// peer_lookup.c index_hashtable): every handshake in flight and every
// keypair has a random 32-bit local index, unique on the device, which the
// peer puts in every message it sends back. A handshake's index is kept by
// the keypair it completes, so the first data packet finds it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "controlplane/wireguard/keypair.h"

namespace wayport::wireguard {

// A peer's number on its device: its position in the device's peer list.
using PeerId = uint32_t;

struct IndexEntry {
	PeerId peer = 0;
	// Null while the index names a handshake in flight.
	std::shared_ptr<Keypair> keypair;
};

// Thread-safe: every member takes mu_.
class IndexTable {
public:
	// random32: where new indexes come from (the device's random source).
	explicit IndexTable(std::function<uint32_t()> random32) : random32_(std::move(random32)) {}

	// A fresh index for a handshake of peer, unused on the device.
	uint32_t insert_handshake(PeerId peer);
	// The handshake at index completed: the index now names its keypair.
	// false if the index is gone (removed meanwhile).
	bool promote(uint32_t index, std::shared_ptr<Keypair> keypair);
	void remove(uint32_t index);
	std::optional<IndexEntry> lookup(uint32_t index) const;
	size_t size() const;

private:
	const std::function<uint32_t()> random32_;
	mutable std::mutex mu_;
	std::unordered_map<uint32_t, IndexEntry> entries_;  // guarded by mu_
};

} // namespace wayport::wireguard
