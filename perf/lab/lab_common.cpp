#include "perf/lab/lab_common.h"

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "dataplane/worker/worker.h"

namespace wayport::perf {

namespace {

constexpr unsigned kPoolCache = 256;

} // namespace

std::string pick_lcores(unsigned n, std::vector<unsigned> &out)
{
	unsigned lcore;
	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		if (out.size() < n)
			out.push_back(lcore);
	}
	if (out.size() < n)
		return "--nb-cores " + std::to_string(n) + " needs " + std::to_string(n + 1) +
		       " lcores (the main lcore generates traffic), the EAL arguments give " +
		       std::to_string(rte_lcore_count());
	return {};
}

rte_mempool *make_lab_pool(const char *name, unsigned queues, unsigned inflight, std::string &error)
{
	unsigned size = queues * (inflight + 2 * kMaxBurst + kGenBurst) + (queues + 1) * kPoolCache * 2;
	rte_mempool *pool = rte_pktmbuf_pool_create(name, size, kPoolCache, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
						    static_cast<int>(rte_socket_id()));
	if (!pool)
		error = std::string("cannot create the mbuf pool (") + std::to_string(size) + " mbufs): " +
			rte_strerror(rte_errno) + "; give EAL more memory (-m)";
	return pool;
}

} // namespace wayport::perf
