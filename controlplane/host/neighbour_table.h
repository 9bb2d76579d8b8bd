// IPv4 and IPv6 neighbours of the relay's ports (ARP and ND caches), and
// the packets waiting for them.
//
// Each neighbour owns a slot in NeighbourSlots, the array workers read:
// the control thread resolves a next hop when a relay leg binds, and the
// leg's RelayEntry names the slot. Resolution, refresh and failure are all
// one atomic store into that slot.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "controlplane/host/host_io.h"
#include "dataplane/ports/port.h"
#include "dataplane/tables/neighbour_slots.h"

namespace wayport {

struct NeighbourConfig {
	int64_t reachable_ns = 300'000'000'000;  // confirmed entries are re-probed after this
	int64_t retry_ns = 1'000'000'000;        // between probes
	int max_probes = 3;                      // unanswered probes before an entry fails
	size_t queue_limit = 64;                 // packets held per unresolved neighbour
};

struct NeighbourCounters {
	uint64_t probes_sent = 0;
	uint64_t resolved = 0;       // incomplete or failed -> reachable
	uint64_t failed = 0;         // probes ran out
	uint64_t queued = 0;         // packets held for resolution
	uint64_t queue_drops = 0;    // held packets dropped: queue full or resolution failed
	uint64_t table_full = 0;     // no slot left for a new neighbour
	uint64_t probe_no_mbuf = 0;  // a probe could not be built
};

class NeighbourTable {
public:
	enum class State : uint8_t { incomplete, reachable, failed };

	struct Entry {
		uint32_t slot;
		uint16_t port_id;
		AddrPort ip;
		rte_ether_addr mac{};
		State state = State::incomplete;
		int64_t confirmed_at = 0;
		int64_t probe_at = 0;
		int64_t used_at = 0;
		int probes = 0;
		uint32_t refs = 0;
		std::deque<rte_mbuf *> pending;
	};

	NeighbourTable(NeighbourSlots &slots, const std::vector<Port> &ports, HostIo &io, NeighbourConfig cfg);
	~NeighbourTable();

	// The slot of ip's entry on the port, created (and probed) if new.
	// Nothing when every slot is taken.
	std::optional<uint32_t> slot_for(uint16_t port_id, const AddrPort &ip, int64_t now);
	// A RelayEntry that names a slot holds a reference: an entry with
	// references is never removed, so its slot is never reused under it.
	void retain(uint32_t slot);
	void release(uint32_t slot);

	// A MAC for ip seen in ARP or ND; only known entries are updated, so
	// unsolicited traffic cannot fill the table.
	void learn(uint16_t port_id, const AddrPort &ip, const rte_ether_addr &mac, int64_t now);
	// Holds m until the slot's neighbour resolves; takes ownership.
	void hold(uint32_t slot, rte_mbuf *m);
	// Probes, expiry and failure; call a few times a second.
	void tick(int64_t now);

	const Entry *find(uint16_t port_id, const AddrPort &ip) const;
	const std::map<std::pair<uint16_t, std::array<uint8_t, 17>>, Entry> &entries() const { return entries_; }
	const NeighbourCounters &counters() const { return counters_; }

private:
	using Key = std::pair<uint16_t, std::array<uint8_t, 17>>;
	static Key key(uint16_t port_id, const AddrPort &ip);
	void probe(Entry &e, int64_t now);
	void fail(Entry &e);
	void drop_pending(Entry &e);

	NeighbourSlots &slots_;
	const std::vector<Port> &ports_;
	HostIo &io_;
	NeighbourConfig cfg_;
	std::map<Key, Entry> entries_;
	std::vector<Entry *> by_slot_;
	std::vector<uint32_t> free_slots_;
	NeighbourCounters counters_;
};

const char *to_string(NeighbourTable::State s);

} // namespace wayport
