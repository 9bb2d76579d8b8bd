// Grace periods for tables that workers read without locks (DPDK QSBR).
//
// Workers report a quiescent state once per loop iteration, when they hold
// no pointer into any table. The control thread unlinks an object, then
// retires it here; it is freed once every online worker has reported since
// the unlink, so no worker can still be reading it.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>

struct rte_rcu_qsbr;

namespace wayport {

class Qsbr {
public:
	explicit Qsbr(unsigned max_workers);
	~Qsbr();
	Qsbr(const Qsbr &) = delete;
	Qsbr &operator=(const Qsbr &) = delete;

	// Worker side; worker ids are 0 .. max_workers - 1.
	void register_worker(unsigned id);
	void unregister_worker(unsigned id);
	inline void quiescent(unsigned id);

	// Control side: a token for "everything unlinked before now", and
	// whether every worker has passed a quiescent state since.
	uint64_t start();
	bool done(uint64_t token);

	rte_rcu_qsbr *raw() { return v_; }

private:
	rte_rcu_qsbr *v_;
};

// Deferred frees, owned by the control thread.
class Reclaimer {
public:
	explicit Reclaimer(Qsbr &qsbr) : qsbr_(qsbr) {}
	~Reclaimer();

	void retire(std::function<void()> free_fn);
	// Frees what has passed its grace period; returns how many.
	size_t poll();
	size_t pending() const { return pending_.size(); }

private:
	struct Pending {
		uint64_t token;
		std::function<void()> free_fn;
	};
	Qsbr &qsbr_;
	std::deque<Pending> pending_;
};

} // namespace wayport

#include <rte_rcu_qsbr.h>

inline void wayport::Qsbr::quiescent(unsigned id)
{
	rte_rcu_qsbr_quiescent(v_, id);
}
