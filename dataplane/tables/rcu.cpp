#include "dataplane/tables/rcu.h"

#include <rte_malloc.h>

#include <cstdlib>
#include <new>

namespace wayport {

Qsbr::Qsbr(unsigned max_workers)
{
	size_t size = rte_rcu_qsbr_get_memsize(max_workers);
	// Plain aligned memory: QSBR state needs no DPDK heap, so tables work
	// before (and without) EAL memory set-up.
	v_ = static_cast<rte_rcu_qsbr *>(std::aligned_alloc(RTE_CACHE_LINE_SIZE,
		(size + RTE_CACHE_LINE_SIZE - 1) / RTE_CACHE_LINE_SIZE * RTE_CACHE_LINE_SIZE));
	if (!v_ || rte_rcu_qsbr_init(v_, max_workers) != 0)
		throw std::bad_alloc();
}

Qsbr::~Qsbr()
{
	std::free(v_);
}

void Qsbr::register_worker(unsigned id)
{
	rte_rcu_qsbr_thread_register(v_, id);
	rte_rcu_qsbr_thread_online(v_, id);
}

void Qsbr::unregister_worker(unsigned id)
{
	rte_rcu_qsbr_thread_offline(v_, id);
	rte_rcu_qsbr_thread_unregister(v_, id);
}

uint64_t Qsbr::start()
{
	return rte_rcu_qsbr_start(v_);
}

bool Qsbr::done(uint64_t token)
{
	return rte_rcu_qsbr_check(v_, token, false) == 1;
}

Reclaimer::~Reclaimer()
{
	// Whoever destroys the reclaimer has stopped the workers.
	for (auto &p : pending_)
		p.free_fn();
}

void Reclaimer::retire(std::function<void()> free_fn)
{
	pending_.push_back({qsbr_.start(), std::move(free_fn)});
}

size_t Reclaimer::poll()
{
	size_t freed = 0;
	// Tokens only grow, so the oldest entries pass first.
	while (!pending_.empty() && qsbr_.done(pending_.front().token)) {
		pending_.front().free_fn();
		pending_.pop_front();
		freed++;
	}
	return freed;
}

} // namespace wayport
