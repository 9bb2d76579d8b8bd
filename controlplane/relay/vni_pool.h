// The Geneve VNI allocator: one bit per VNI (2^24 bits = 2 MiB, against the
// 64 MiB pool of the old Go server), sequential selection with wrap-around
// as Tailscale does (RFC 6056 "traditional BSD" port selection), and a
// quarantine so a VNI freed less than one bind lifetime ago is not handed
// out again: late packets of a dead session must not reach a new one.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "controlplane/relay/clock.h"

namespace wayport::relay {

inline constexpr uint32_t kMinVni = 1;
inline constexpr uint32_t kMaxVni = (1u << 24) - 1;

class VniPool {
public:
	explicit VniPool(Duration quarantine);

	// The next free VNI at or after the cursor, wrapping from kMaxVni to
	// kMinVni; nothing when every VNI is in use or in quarantine.
	std::optional<uint32_t> allocate(Time now);
	// The VNI becomes free once `quarantine` has passed since now.
	void release(uint32_t vni, Time now);
	// Ends the quarantines that are over; allocate does it too.
	void expire_quarantine(Time now);

	bool in_use(uint32_t vni) const;
	size_t used() const { return used_; }   // allocated, not counting quarantine
	size_t quarantined() const { return quarantine_.size(); }
	uint32_t cursor() const { return cursor_; }

private:
	struct Quarantined {
		uint32_t vni;
		Time freed_at;
	};

	std::optional<uint32_t> find_free_from(uint32_t start) const;

	// A set bit is taken (allocated or quarantined); bit 0 is VNI 0, never
	// handed out, so it is set from the start.
	std::vector<uint64_t> bits_;
	std::deque<Quarantined> quarantine_;  // oldest first
	Duration quarantine_for_;
	uint32_t cursor_ = kMinVni;
	size_t used_ = 0;
};

} // namespace wayport::relay
