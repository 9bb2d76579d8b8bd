// Keeps the workers' RelayTable in step with the relay core, both ways:
// the core's table changes go out to the workers (with each bound leg's
// egress port and next hop resolved), and the workers' per-leg counters
// come back to the core as deltas, in bounded slices.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "controlplane/host/host.h"
#include "controlplane/relay/server.h"
#include "dataplane/tables/relay_table.h"

namespace wayport {

// The egress port value for a leg nothing routes to: workers count no_route.
inline constexpr uint16_t kNoEgressPort = 0xffff;

class TableSync {
public:
	TableSync(relay::Server &server, RelayTable &table, Host &host, unsigned workers, uint64_t tsc_hz);

	// Publishes every change the core logged since the last call.
	void apply_changes(int64_t now);
	// Reads the counters of up to `budget` endpoints on every worker and
	// feeds what moved to the core. tsc_now is the TSC read with `now`.
	void feed_activity(int64_t now, uint64_t tsc_now, size_t budget);

	// The port a leg's address is reached through: the port it is on-link
	// to, else the first with a gateway of its family.
	const Port *egress_port(const AddrPort &leg) const;

	size_t tracked() const { return live_.size(); }
	// Endpoints the workers' table had no memory for: their packets are
	// dropped as unknown_vni.
	uint64_t publish_failures() const { return publish_failures_; }

private:
	struct LegSeen {
		uint64_t packets = 0;
		uint64_t bytes = 0;
	};
	struct Tracked {
		uint64_t lamport_id = 0;
		uint32_t slot[2] = {kNoSlot, kNoSlot};
		std::vector<LegSeen> seen;  // [worker * 2 + leg]
	};
	static constexpr uint32_t kNoSlot = UINT32_MAX;

	void upsert(const relay::TableChange &c, int64_t now);
	void remove(uint32_t vni);
	void release_slots(Tracked &t);

	relay::Server &server_;
	RelayTable &table_;
	Host &host_;
	unsigned workers_;
	uint64_t tsc_hz_;
	std::map<uint32_t, Tracked> live_;
	uint32_t activity_cursor_ = 0;
	uint64_t publish_failures_ = 0;
	std::vector<relay::TableChange> changes_;
	std::vector<relay::LegActivity> activity_;
};

} // namespace wayport
