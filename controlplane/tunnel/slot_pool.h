// The data path's peer slots (DataPeerTable indexes, the values of the
// allowed-IPs table), handed out lowest first and taken back when a peer is
// removed.
//
// A released slot is quarantined until the workers' grace period that began
// after its release has passed: by then no worker holds a lookup result, a
// keypair or a DataPeer reference that names it, since the caller unlinked
// all of those (allowed IPs removed, keypairs retired, send keypair
// cleared) before release(). Packets that name the slot in a ring can
// outlive any grace period; DataPeer::generation catches those
// (data_peer.h).
//
// Thread contract: the control thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <set>

#include "dataplane/tables/rcu.h"

namespace wayport::tunnel {

class SlotPool {
public:
	// Slots 0 .. capacity - 1, all free. qsbr must outlive the pool.
	SlotPool(uint32_t capacity, Qsbr &qsbr);

	// The lowest free slot, or none when every slot is held or still in
	// quarantine. With none free but some in quarantine, waits up to
	// `patience` for the oldest one's grace period: workers pass a
	// quiescent state every loop (microseconds), so a peer removed and
	// added again at once finds its slot, and only a stalled worker makes
	// the caller give up.
	std::optional<uint32_t> acquire(std::chrono::nanoseconds patience = {});
	// After every reference the workers could take to it is unlinked.
	void release(uint32_t slot);
	// A slot acquired and never published (its add refused before the
	// workers could see it): free at once, with no grace period.
	void give_back(uint32_t slot);

	uint32_t capacity() const { return capacity_; }
	uint32_t held() const { return held_; }
	// Released and still waiting for their grace period, as of the last
	// acquire().
	size_t quarantined() const { return quarantine_.size(); }

private:
	void take_back_done();

	struct Quarantined {
		uint32_t slot;
		uint64_t token;
	};

	const uint32_t capacity_;
	Qsbr &qsbr_;
	std::set<uint32_t> free_;
	// In release order, so in token order: the first not done stops the scan.
	std::deque<Quarantined> quarantine_;
	uint32_t held_ = 0;
};

} // namespace wayport::tunnel
