#include "perf/lab/ring_port.h"

#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_lcore.h>

namespace wayport::perf {

std::string open_ring_port(const std::string &name, const std::string &label, unsigned queues,
			   unsigned ring_size, rte_mempool *pool, RingPort &p)
{
	int socket = static_cast<int>(rte_socket_id());
	for (unsigned q = 0; q < queues; q++) {
		std::string suffix = name + "_" + std::to_string(q);
		p.rx.push_back(rte_ring_create(("rx_" + suffix).c_str(), ring_size, socket, RING_F_SP_ENQ | RING_F_SC_DEQ));
		p.tx.push_back(rte_ring_create(("tx_" + suffix).c_str(), ring_size, socket, RING_F_SP_ENQ | RING_F_SC_DEQ));
		if (!p.rx.back() || !p.tx.back())
			return "cannot create the rings of port " + label + ": " + rte_strerror(rte_errno);
	}
	if (rte_eth_from_rings(name.c_str(), p.rx.data(), queues, p.tx.data(), queues, socket) < 0)
		return "cannot create net_ring port " + label + ": " + rte_strerror(rte_errno);
	PortSpec spec;
	spec.name = label;
	spec.device = "net_ring_" + name;
	spec.rx_queues = spec.tx_queues = static_cast<uint16_t>(queues);
	if (std::string err = open_port(spec, pool, p.info); !err.empty())
		return err;
	p.id = p.info.port_id;
	p.open = true;
	return {};
}

void drain_ring_port(RingPort &p)
{
	for (rte_ring *r : p.rx)
		free_queued(r);
	for (rte_ring *r : p.tx)
		free_queued(r);
}

void close_ring_port(RingPort &p)
{
	if (p.open)
		close_port(p.id);
	p.open = false;
	drain_ring_port(p);
	for (rte_ring *r : p.rx)
		rte_ring_free(r);
	for (rte_ring *r : p.tx)
		rte_ring_free(r);
	p.rx.clear();
	p.tx.clear();
}

} // namespace wayport::perf
