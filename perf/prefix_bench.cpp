// PrefixTable (dataplane/tables/prefix_table.h): bulk lookups of a
// 32-packet vector over 1,000 and 100,000 prefixes per family, and the
// cost of one IPv6 rebuild (an add, published by copy).
//
// build-h2/perf/prefix_bench (its own EAL: --no-huge, 2 GiB).
#include <benchmark/benchmark.h>

#include <rte_eal.h>
#include <rte_malloc.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "dataplane/tables/prefix_table.h"
#include "perf/bench_eal.h"

namespace wayport {
namespace {

constexpr unsigned kVector = 32;
constexpr unsigned kProbes = 4096;

// Prefixes like a FIB or a large set of allowed IPs: IPv4 /8../32, IPv6
// /16../48 (sites and /48 delegations; host routes would need a tbl8
// group per byte past /24 each and are sized separately by callers).
struct Fixture {
	Qsbr qsbr{1};
	Reclaimer reclaimer{qsbr};
	PrefixTable table;
	std::vector<uint32_t> probes4;
	std::vector<std::array<uint8_t, 16>> probes6;

	static PrefixTableConfig config(unsigned n)
	{
		PrefixTableConfig c;
		c.max_rules4 = n + 16;
		c.tbl8_groups4 = n / 2 + 16;
		c.max_rules6 = n + 16;
		c.tbl8_groups6 = 2 * n + 16;
		return c;
	}

	explicit Fixture(unsigned n) : table(qsbr, reclaimer, config(n))
	{
		std::mt19937_64 rng(n);
		std::vector<PrefixTable::Entry> entries;
		std::vector<Prefix> v4, v6;
		for (unsigned i = 0; i < n; i++) {
			uint8_t ip[16];
			uint64_t a = rng(), b = rng();
			std::memcpy(ip, &a, 8);
			std::memcpy(ip + 8, &b, 8);
			Prefix p4 = Prefix::v4(ip, static_cast<uint8_t>(8 + rng() % 25)).masked();
			Prefix p6 = Prefix::v6(ip, static_cast<uint8_t>(16 + rng() % 33)).masked();
			entries.push_back({p4, static_cast<uint32_t>(i)});
			entries.push_back({p6, static_cast<uint32_t>(i)});
			v4.push_back(p4);
			v6.push_back(p6);
		}
		if (table.assign(entries) != PrefixResult::ok)
			std::abort();
		reclaimer.poll();
		// Each probe falls inside a random installed prefix.
		for (unsigned i = 0; i < kProbes; i++) {
			const Prefix &p4 = v4[rng() % n];
			const Prefix &p6 = v6[rng() % n];
			uint32_t host = static_cast<uint32_t>(rng());
			uint32_t net = uint32_t{p4.ip[0]} << 24 | uint32_t{p4.ip[1]} << 16 | uint32_t{p4.ip[2]} << 8 | p4.ip[3];
			uint32_t mask = p4.len ? ~0u << (32 - p4.len) : 0;
			probes4.push_back(net | (host & ~mask));
			std::array<uint8_t, 16> a6 = p6.ip;
			for (unsigned b = p6.len / 8 + 1; b < 16; b++)
				a6[b] = static_cast<uint8_t>(rng());
			probes6.push_back(a6);
		}
	}
};

// Kept across a benchmark's runs (building 100,000 prefixes takes a while)
// and cleared before EAL is.
std::map<unsigned, std::unique_ptr<Fixture>> fixtures;

Fixture &fixture(unsigned n)
{
	auto &f = fixtures[n];
	if (!f)
		f = std::make_unique<Fixture>(n);
	return *f;
}

void BM_Lookup4Bulk32(benchmark::State &state)
{
	Fixture &f = fixture(static_cast<unsigned>(state.range(0)));
	uint32_t out[kVector];
	unsigned at = 0;
	for (auto _ : state) {
		f.table.lookup4_bulk(f.probes4.data() + at, out, kVector);
		benchmark::DoNotOptimize(out);
		at = (at + kVector) % kProbes;
	}
	state.SetItemsProcessed(state.iterations() * kVector);
}
BENCHMARK(BM_Lookup4Bulk32)->Arg(1000)->Arg(100000);

void BM_Lookup6Bulk32(benchmark::State &state)
{
	Fixture &f = fixture(static_cast<unsigned>(state.range(0)));
	uint32_t out[kVector];
	unsigned at = 0;
	for (auto _ : state) {
		f.table.lookup6_bulk(reinterpret_cast<const uint8_t (*)[16]>(f.probes6.data() + at), out, kVector);
		benchmark::DoNotOptimize(out);
		at = (at + kVector) % kProbes;
	}
	state.SetItemsProcessed(state.iterations() * kVector);
}
BENCHMARK(BM_Lookup6Bulk32)->Arg(1000)->Arg(100000);

// One add or remove of an IPv6 /128 with n IPv6 prefixes installed: a new
// trie built from the control-side list, swapped in, the old one freed.
void BM_Rebuild6(benchmark::State &state)
{
	Fixture &f = fixture(static_cast<unsigned>(state.range(0)));
	const uint8_t host[16] = {0xfd, 0x7a, 0x11, 0x5c, 0xa1, 0xe0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	Prefix p = Prefix::v6(host, 128);
	bool present = false;
	for (auto _ : state) {
		PrefixResult r = present ? f.table.remove(p) : f.table.add(p, 1);
		if (r != PrefixResult::ok) {
			state.SkipWithError(prefix_result_name(r));
			break;
		}
		present = !present;
		f.reclaimer.poll();
	}
	if (present)
		f.table.remove(p);
}
BENCHMARK(BM_Rebuild6)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond)->Iterations(20);

size_t heap_used()
{
	rte_malloc_socket_stats stats{};
	rte_malloc_get_socket_stats(0, &stats);
	return stats.heap_allocsz_bytes;
}

// What the tables take from the DPDK heap, for the figures in the header.
void print_memory()
{
	Qsbr qsbr{1};
	Reclaimer reclaimer{qsbr};
	size_t base = heap_used();
	PrefixTableConfig c;
	PrefixTable table(qsbr, reclaimer, c);
	size_t with4 = heap_used();
	const uint8_t ip[16] = {0x20, 0x01, 0x0d, 0xb8};
	table.add(Prefix::v6(ip, 32), 1);
	size_t with6 = heap_used();
	std::printf("memory (default config: %u/%u IPv4 rules/tbl8s, %u/%u IPv6): IPv4 %.1f MiB, IPv6 copy %.1f MiB\n",
		    c.max_rules4, c.tbl8_groups4, c.max_rules6, c.tbl8_groups6, (with4 - base) / 1048576.0,
		    (with6 - with4) / 1048576.0);
}

} // namespace
} // namespace wayport

int main(int argc, char **argv)
{
	benchmark::Initialize(&argc, argv);
	if (!wayport::perf::start_bench_eal("prefix_bench", "2048"))
		return 1;
	wayport::print_memory();
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	wayport::fixtures.clear();
	rte_eal_cleanup();
	return 0;
}
