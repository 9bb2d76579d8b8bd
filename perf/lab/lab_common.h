// What the relay lab (lab.h) and the WireGuard lab (wg_lab.h) do alike:
// their forwarding lcores, their mbuf pool and the main lcore's time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <rte_cycles.h>
#include <rte_mempool.h>

namespace wayport::perf {

// Packets a generator moves per ring operation, at most.
inline constexpr unsigned kGenBurst = 64;

// The first n worker lcores into out; else why not.
std::string pick_lcores(unsigned n, std::vector<unsigned> &out);

// A pool for queues queues circulating inflight packets each, with room for
// the bursts in the stages and the generator's; null with error set.
rte_mempool *make_lab_pool(const char *name, unsigned queues, unsigned inflight, std::string &error);

// Lets time pass on the main lcore until until: calling generate() for
// every queue when it generates (--generator main), else sleeping a
// millisecond at a time; every period cycles (0: never) calls tick().
template <typename Generate, typename Tick>
void pass_time(uint64_t until, uint64_t period, bool generating, Generate generate, Tick tick)
{
	uint64_t next = period ? rte_rdtsc() + period : UINT64_MAX;
	for (;;) {
		if (generating)
			generate();
		else
			rte_delay_us_sleep(1000);
		uint64_t now = rte_rdtsc();
		if (now >= until)
			return;
		if (now >= next) {
			tick();
			next += period;
		}
	}
}

} // namespace wayport::perf
