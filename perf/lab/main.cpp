// wayport-perf [EAL args] -- [options]: the relay worker's forwarding rate
// next to a testpmd-style reference forward, measured in the same run over
// the same ports, lcores and packets. See docs/PERFORMANCE.md.
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_log.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/packet/meta.h"
#include "perf/lab/lab.h"
#include "perf/lab/options.h"
#include "perf/lab/report.h"
#include "perf/lab/wg_lab.h"
#include "perf/lab/wg_report.h"

using namespace wayport::perf;

namespace {

bool hugepages_free()
{
	std::ifstream in("/proc/meminfo");
	std::string key;
	long value;
	while (in >> key >> value) {
		if (key == "HugePages_Free:")
			return value > 0;
		in.ignore(256, '\n');
	}
	return false;
}

// With no EAL arguments at all: one lcore per forwarder plus the main one,
// no PCI scan, no files left behind, hugepages when the machine has some.
std::vector<std::string> default_eal_args(const Options &o)
{
	std::vector<std::string> args = {"-l", "0-" + std::to_string(o.nb_cores), "--no-pci"};
	if (hugepages_free())
		args.insert(args.end(), {"--in-memory"});
	else
		args.insert(args.end(), {"--no-huge", "-m", "2048", "--no-shconf"});
	return args;
}

// The relay modes: the relay worker, the reference forward, or both.
int run_relay(const Options &o)
{
	std::string error;
	auto lab = Lab::create(o, error);
	if (!lab) {
		std::fprintf(stderr, "wayport-perf: %s\n", error.c_str());
		return 1;
	}
	FILE *text = o.json ? stderr : stdout;
	std::fprintf(text,
		     "wayport-perf: %u forwarding lcore(s), burst %u, %s B frames, %u endpoints "
		     "(table %.1f MiB, built in %.2f s), traffic %s, %u packets in flight per lcore\n",
		     o.nb_cores, o.burst, o.pkt_size.c_str(), o.endpoints,
		     static_cast<double>(lab->table_bytes()) / (1 << 20), lab->table_build_seconds(), to_string(o.traffic),
		     o.inflight);
	auto periodic = [text](const Result &r) { print_period(text, r); };
	std::optional<Result> relay, reference;
	if (o.mode != Mode::reference) {
		relay = lab->run(Mode::relay, periodic);
		print_result(text, *relay, o);
	}
	if (o.mode != Mode::relay) {
		reference = lab->run(Mode::reference, periodic);
		print_result(text, *reference, o);
	}
	print_summary(text, relay, reference, o);
	if (o.json)
		std::printf("%s\n", report_json(relay, reference, o, *lab).dump(2).c_str());
	return 0;
}

// --mode wg: per direction, the pipeline, then the raw AEAD reference.
int run_wg(const Options &o)
{
	std::string error;
	auto lab = wg::WgLab::create(o, error);
	if (!lab) {
		std::fprintf(stderr, "wayport-perf: %s\n", error.c_str());
		return 1;
	}
	FILE *text = o.json ? stderr : stdout;
	std::fprintf(text,
		     "wayport-perf: WireGuard, %u forwarding lcore(s), burst %u, %u B inner packets, %u peers "
		     "(tables built in %.2f s), AEAD %s, %u packets in flight per lcore\n",
		     o.nb_cores, o.burst, o.inner_size, o.peers, lab->build_seconds(), lab->engine_name().c_str(), o.inflight);
	auto periodic = [text](const wg::WgResult &r) { wg::print_wg_period(text, r); };
	wg::WgPair pairs[2];
	for (WgDirection d : o.directions) {
		wg::WgPair &p = pairs[static_cast<size_t>(d)];
		p.pipeline = lab->run(d, false, periodic);
		wg::print_wg_result(text, *p.pipeline);
		p.reference = lab->run(d, true, periodic);
		wg::print_wg_result(text, *p.reference);
	}
	for (WgDirection d : o.directions)
		wg::print_wg_summary(text, d, pairs[static_cast<size_t>(d)], o);
	if (o.json)
		std::printf("%s\n", wg::wg_report_json(pairs[0], pairs[1], o, *lab).dump(2).c_str());
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	std::vector<std::string> eal = {argv[0]}, app;
	bool own = false;
	for (int i = 1; i < argc; i++) {
		if (!own && std::string(argv[i]) == "--")
			own = true;
		else
			(own ? app : eal).push_back(argv[i]);
	}
	Options o;
	if (int rc = parse_options(app, o); rc >= 0)
		return rc;
	if (eal.size() == 1) {
		auto defaults = default_eal_args(o);
		eal.insert(eal.end(), defaults.begin(), defaults.end());
	}

	// EAL logs to stdout by default; stdout is for results (and JSON).
	rte_openlog_stream(stderr);
	std::vector<char *> eal_argv;
	for (auto &a : eal)
		eal_argv.push_back(a.data());
	if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
		std::fprintf(stderr, "wayport-perf: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (!wayport::register_packet_meta()) {
		std::fprintf(stderr, "wayport-perf: cannot register the packet metadata mbuf field: %s\n",
			     rte_strerror(rte_errno));
		rte_eal_cleanup();
		return 1;
	}
	if (rte_lcore_count() < o.nb_cores + 1) {
		std::fprintf(stderr,
			     "wayport-perf: --nb-cores %u needs %u lcores (the main lcore generates traffic), "
			     "the EAL arguments give %u: use -l 0-%u\n",
			     o.nb_cores, o.nb_cores + 1, rte_lcore_count(), o.nb_cores);
		rte_eal_cleanup();
		return 2;
	}
	if (uint16_t n = rte_eth_dev_count_avail())
		std::fprintf(stderr, "wayport-perf: ignoring the %u port(s) of the EAL arguments: the lab makes its "
			     "own net_ring ports, fed by its generator\n", n);

	int rc = o.mode == Mode::wg ? run_wg(o) : run_relay(o);
	rte_eal_cleanup();
	return rc;
}
