// The control thread's small IP host on the relay's ports: ARP, IPv6
// neighbour discovery, echo replies, and the neighbour table that resolves
// next hops for relayed traffic.
#pragma once

#include <cstdint>
#include <vector>

#include <rte_mbuf.h>

#include "controlplane/host/host_io.h"
#include "dataplane/ports/port.h"
#include "controlplane/host/host_result.h"
#include "controlplane/host/neighbour_table.h"

namespace wayport {

struct HostCounters {
	uint64_t arp_replies = 0;
	uint64_t neighbour_advertisements = 0;
	uint64_t echo_replies = 0;
	uint64_t absorbed = 0;     // ARP replies and NAs learned from
	uint64_t malformed = 0;
	uint64_t not_ours = 0;
	uint64_t unsupported = 0;
	uint64_t unknown_port = 0;
};

class Host {
public:
	Host(std::vector<Port> ports, NeighbourSlots &slots, HostIo &io, NeighbourConfig cfg);

	// A packet the workers punted for the host (PuntReason::neighbour).
	// Takes ownership: the reply is sent, anything else counted and freed.
	void input(rte_mbuf *m, int64_t now);

	const Port *port(uint16_t port_id) const;
	const std::vector<Port> &ports() const { return ports_; }
	NeighbourTable &neighbours() { return neighbours_; }
	const NeighbourTable &neighbours() const { return neighbours_; }
	const HostCounters &counters() const { return counters_; }

private:
	HostResult dispatch(rte_mbuf *m, const Port &port, int64_t now);

	std::vector<Port> ports_;
	HostIo &io_;
	NeighbourTable neighbours_;
	HostCounters counters_;
};

} // namespace wayport
