// A net_ring port whose RX and TX ends are rings the test holds: enqueue
// to rx to make the port receive, dequeue from tx to see what it sent.
#pragma once

#include <string>
#include <vector>

#include <rte_mbuf.h>
#include <rte_ring.h>

namespace wayport::test {

struct RingPort {
	uint16_t port_id = 0;
	rte_ring *rx = nullptr;
	rte_ring *tx = nullptr;

	// tx_size: capacity of the TX ring (small values test TX-full drops).
	static RingPort create(const std::string &name, rte_mempool *pool, unsigned tx_size = 1024);
	void destroy();

	void inject(rte_mbuf *m);
	std::vector<rte_mbuf *> sent();
};

rte_mempool *test_pool();

} // namespace wayport::test
