#include "tests/dpdk/ring_port.h"

#include <gtest/gtest.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>

namespace wayport::test {

rte_mempool *test_pool()
{
	static rte_mempool *pool = rte_pktmbuf_pool_create("test_pool", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
							   SOCKET_ID_ANY);
	return pool;
}

RingPort RingPort::create(const std::string &name, rte_mempool *pool, unsigned tx_size)
{
	RingPort p;
	p.rx = rte_ring_create((name + "_rx").c_str(), 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	p.tx = rte_ring_create((name + "_tx").c_str(), tx_size, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	EXPECT_TRUE(p.rx && p.tx);
	int id = rte_eth_from_rings(name.c_str(), &p.rx, 1, &p.tx, 1, SOCKET_ID_ANY);
	EXPECT_GE(id, 0);
	p.port_id = static_cast<uint16_t>(id);
	rte_eth_conf conf{};
	EXPECT_EQ(rte_eth_dev_configure(p.port_id, 1, 1, &conf), 0);
	EXPECT_EQ(rte_eth_rx_queue_setup(p.port_id, 0, 1024, SOCKET_ID_ANY, nullptr, pool), 0);
	EXPECT_EQ(rte_eth_tx_queue_setup(p.port_id, 0, 1024, SOCKET_ID_ANY, nullptr), 0);
	EXPECT_EQ(rte_eth_dev_start(p.port_id), 0);
	return p;
}

void RingPort::destroy()
{
	for (rte_mbuf *m : sent())
		rte_pktmbuf_free(m);
	rte_eth_dev_stop(port_id);
	rte_eth_dev_close(port_id);
	rte_ring_free(rx);
	rte_ring_free(tx);
}

void RingPort::inject(rte_mbuf *m)
{
	ASSERT_NE(m, nullptr);
	m->port = port_id;
	ASSERT_EQ(rte_ring_enqueue(rx, m), 0);
}

std::vector<rte_mbuf *> RingPort::sent()
{
	std::vector<rte_mbuf *> out;
	void *m;
	while (rte_ring_dequeue(tx, &m) == 0)
		out.push_back(static_cast<rte_mbuf *>(m));
	return out;
}

} // namespace wayport::test
