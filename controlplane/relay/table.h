// What the relay core hands to the data plane and takes back from it.
//
// Workers never call into the core per packet. Instead:
//  - the core logs every change of the forwarding table, keyed by VNI: an
//    endpoint allocated, a leg bound or moved to another address, an
//    endpoint expired. The control thread drains the log with
//    Server::take_table_changes and applies it to the workers' lock-free
//    table. Workers forward only when both legs are bound (spec §3.8).
//  - workers own per-leg packet and byte counters and last-seen times; the
//    control thread reads them and feeds them back in bulk with
//    Server::apply_activity, which also keeps the endpoint alive for GC.
// lamport_id is unique per endpoint over the server's life, so counters
// read for a VNI that has since been freed and reused are recognised and
// ignored.
#pragma once

#include <array>
#include <cstdint>

#include "controlplane/relay/clock.h"
#include "dataplane/wire/addr.h"

namespace wayport::relay {

enum class TableOp : uint8_t {
	upsert,  // allocated, or a leg's binding changed: replace the entry
	remove,  // the endpoint expired: drop its VNI from the table
};

struct TableChange {
	TableOp op;
	uint32_t vni;
	uint64_t lamport_id;
	// Where data from leg[i] is accepted from; it goes to leg[1 - i].
	// Valid where bound has bit i.
	std::array<AddrPort, 2> leg;
	uint8_t bound;

	bool forwarding() const { return bound == 3; }
};

// What one leg of one endpoint did since the control thread last read it.
struct LegActivity {
	uint32_t vni;
	uint64_t lamport_id;
	uint8_t leg;        // 0 or 1, as in TableChange::leg
	uint64_t packets;   // relayed since the last read (a delta)
	uint64_t bytes;     // likewise, Geneve header included
	Time last_seen;     // the latest packet; same clock as the core's `now`
};

} // namespace wayport::relay
