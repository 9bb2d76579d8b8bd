// The perf labs' ports: net_ring ports whose rings the generator holds.
// What it enqueues on rx[q] the port receives on queue q, and what the
// port sends on queue q waits on tx[q] for the generator's sink, so no
// packet crosses a kernel or a wire and the forwarding lcore's cost is
// all that is measured.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <rte_mempool.h>
#include <rte_ring.h>

#include "dataplane/packet/mbuf_ring.h"
#include "drivers/port.h"

namespace wayport::perf {

struct RingPort {
	uint16_t id = 0;
	PortInfo info;
	std::vector<rte_ring *> rx;  // by queue: generator -> port RX
	std::vector<rte_ring *> tx;  // by queue: port TX -> sink
	bool open = false;           // the ethdev is started
};

// name: unique among the process's rings and ports ("wp0"); label: the
// port's name in messages. ring_size: a power of two above the packets a
// queue circulates. Empty on success, else what failed; close_ring_port
// undoes what was made either way.
std::string open_ring_port(const std::string &name, const std::string &label, unsigned queues,
			   unsigned ring_size, rte_mempool *pool, RingPort &out);
void close_ring_port(RingPort &p);
// Frees what waits on every ring of p (its threads stopped).
void drain_ring_port(RingPort &p);

} // namespace wayport::perf
