// Rings of mbufs at shutdown: what is still queued belongs to whoever
// frees the ring, once the threads on both ends have stopped.
#pragma once

#include <rte_mbuf.h>
#include <rte_ring.h>

namespace wayport {

// Frees every mbuf still on r (null: nothing).
inline void free_queued(rte_ring *r)
{
	void *m;
	while (r && rte_ring_dequeue(r, &m) == 0)
		rte_pktmbuf_free(static_cast<rte_mbuf *>(m));
}

} // namespace wayport
