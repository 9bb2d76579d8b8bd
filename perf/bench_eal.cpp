#include "perf/bench_eal.h"

#include <rte_eal.h>

#include <cstdio>
#include <string>
#include <vector>

#include "dataplane/packet/meta.h"

namespace wayport::perf {

bool start_bench_eal(const char *program, const char *memory_mb)
{
	std::vector<std::string> args = {program, "-l", "0", "--no-huge", "-m", memory_mb, "--no-pci",
					 "--no-shconf", "--log-level=error"};
	std::vector<char *> argv;
	for (auto &a : args)
		argv.push_back(a.data());
	if (rte_eal_init(static_cast<int>(argv.size()), argv.data()) < 0 || !register_packet_meta()) {
		std::fprintf(stderr, "%s: DPDK start-up failed\n", program);
		return false;
	}
	return true;
}

} // namespace wayport::perf
