// What the workers know of the relay core, for tests that run the core
// without a data plane: the table the core publishes (table_snapshot),
// the forwarding decision the relay stage makes on it (spec §3.8), and the
// activity the workers feed back. The data plane's own relay stage is
// tested against real packets in tests/dataplane; this is its reference in
// a few lines, so relay and client tests can relay data at all now that
// the core never forwards.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "controlplane/relay/server.h"

namespace wayport::relay::test {

class RelayMirror {
public:
	explicit RelayMirror(Server &server) : server_(server) {}

	// What the workers' table would hold now. From the snapshot, not the
	// change log, so tests that read the log themselves still see it all.
	void sync()
	{
		std::vector<TableChange> now;
		server_.table_snapshot(now);
		table_.clear();
		for (const TableChange &c : now)
			table_[c.vni] = c;
	}

	struct Decision {
		std::optional<AddrPort> to;  // where the packet goes, or nothing
		std::string drop;            // else the relay stage's reason: unknown_vni, not_bound, source_mismatch
		int from_leg = -1;
	};

	Decision forward(uint32_t vni, const AddrPort &from)
	{
		sync();
		Decision d;
		auto it = table_.find(vni);
		if (it == table_.end()) {
			d.drop = "unknown_vni";
			return d;
		}
		const TableChange &e = it->second;
		if (!e.forwarding()) {
			d.drop = "not_bound";
			return d;
		}
		for (int i = 0; i < 2; i++) {
			if (from == e.leg[i]) {
				d.to = e.leg[1 - i];
				d.from_leg = i;
				return d;
			}
		}
		d.drop = "source_mismatch";
		return d;
	}

	// Forwards like forward() and tells the core, as the workers' counters
	// would: one packet of `bytes` seen at `now` on the sending leg.
	Decision relay(uint32_t vni, const AddrPort &from, uint64_t bytes, Time now)
	{
		Decision d = forward(vni, from);
		if (d.to) {
			LegActivity a{vni, table_[vni].lamport_id, static_cast<uint8_t>(d.from_leg), 1, bytes, now};
			server_.apply_activity(std::span(&a, 1));
		}
		return d;
	}

private:
	Server &server_;
	std::map<uint32_t, TableChange> table_;
};

} // namespace wayport::relay::test
