// EAL start-up for the Google Benchmark programs that need DPDK: one lcore,
// no hugepages, no PCI, no shared files, the packet metadata field
// registered (as tests/dpdk/eal_main.cpp does for tests).
#pragma once

namespace wayport::perf {

// memory_mb: EAL's -m. False, with the reason on stderr, when EAL or the
// metadata field does not start.
bool start_bench_eal(const char *program, const char *memory_mb);

} // namespace wayport::perf
