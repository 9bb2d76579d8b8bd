#include "perf/lab/report.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include <rte_version.h>

namespace wayport::perf {

namespace {

using json = nlohmann::ordered_json;

constexpr double kQuantiles[] = {0.5, 0.9, 0.99, 0.999};
constexpr const char *kQuantileNames[] = {"p50", "p90", "p99", "p999"};

const char *mode_title(const Result &r, const Options &o)
{
	if (r.mode == Mode::relay)
		return "relay";
	return o.reference_fwd == ReferenceFwd::io ? "reference (io)" : "reference (macswap)";
}

json drops_json(const Result &r)
{
	json j = json::object();
	for (size_t i = 0; i < kDropReasons; i++)
		j[drop_name(i).reason] = r.delta.drops[i];
	return j;
}

json latency_json(const Result &r)
{
	json j = json::object();
	for (size_t i = 0; i < std::size(kQuantiles); i++)
		j[kQuantileNames[i]] = std::round(r.latency_ns(kQuantiles[i]));
	j["max"] = std::round(r.latency_max_ns());
	return j;
}

// The most frequent RX burst sizes, as testpmd's --record-burst-stats.
std::vector<std::pair<size_t, uint64_t>> top_bursts(const Result &r, size_t n)
{
	std::vector<std::pair<size_t, uint64_t>> v;
	for (size_t i = 0; i < r.delta.bursts.size(); i++)
		if (r.delta.bursts[i])
			v.emplace_back(i, r.delta.bursts[i]);
	std::sort(v.begin(), v.end(), [](auto &a, auto &b) { return a.second > b.second; });
	if (v.size() > n)
		v.resize(n);
	return v;
}

} // namespace

void print_period(FILE *out, const Result &r)
{
	std::fprintf(out,
		     "  %-9s Rx-pps: %12.0f  Rx-bps: %14.0f  Tx-pps: %12.0f  Tx-bps: %14.0f  cycles/pkt: %6.1f  "
		     "forwarding rate: %7.3f Mpps\n",
		     to_string(r.mode), r.rx_pps(), r.rx_bps(), r.tx_pps(), r.tx_bps(), r.cycles_per_packet(), r.mpps());
	std::fflush(out);
}

void print_result(FILE *out, const Result &r, const Options &o)
{
	const Snapshot &d = r.delta;
	std::fprintf(out, "\n  ---------------- %s: %u forwarding lcore(s), %.2f s ----------------\n",
		     mode_title(r, o), r.lcores, r.seconds);
	std::fprintf(out, "  RX-packets: %-14lu RX-dropped: %-14lu TX-packets: %-14lu\n", d.rx_packets,
		     r.drops_total(), d.tx_packets);
	std::fprintf(out, "  forwarded: %-15lu punted: %lu", d.forwarded, r.punted_total());
	for (size_t i = 0; i < kPuntReasons; i++)
		if (d.punted[i])
			std::fprintf(out, "  %s=%lu", to_string(static_cast<PuntReason>(i)), d.punted[i]);
	std::fprintf(out, "\n  drops by reason:");
	if (!r.drops_total())
		std::fprintf(out, " none");
	for (size_t i = 0; i < kDropReasons; i++)
		if (d.drops[i])
			std::fprintf(out, "  %s=%lu", drop_name(i).reason, d.drops[i]);
	std::fprintf(out, "\n  Throughput: Rx-pps: %12.0f  Rx-bps: %14.0f  Tx-pps: %12.0f  Tx-bps: %14.0f\n",
		     r.rx_pps(), r.rx_bps(), r.tx_pps(), r.tx_bps());
	std::fprintf(out, "  CPU cycles/packet=%.2f (busy cycles=%lu / packets=%lu) at %lu MHz clock\n",
		     r.cycles_per_packet(), d.busy_cycles, d.rx_packets, r.tsc_hz / 1000000);
	std::fprintf(out, "  Forwarding rate: %.3f Mpps (busy %.1f %% of the forwarding lcores' time)\n", r.mpps(),
		     100 * r.busy_share());
	uint64_t polls = std::accumulate(d.bursts.begin(), d.bursts.end(), uint64_t{0});
	std::fprintf(out, "  RX-bursts: %lu [", polls);
	for (const auto &[size, n] : top_bursts(r, 4))
		std::fprintf(out, " %.1f%% of %zu pkts", polls ? 100.0 * n / polls : 0.0, size);
	std::fprintf(out, " ]\n");
	std::fprintf(out, "  Latency (ns, generator to sink, %lu samples):", r.latency.count());
	for (size_t i = 0; i < std::size(kQuantiles); i++)
		std::fprintf(out, " %s %.0f", kQuantileNames[i], r.latency_ns(kQuantiles[i]));
	std::fprintf(out, " max %.0f\n", r.latency_max_ns());
}

void print_summary(FILE *out, const std::optional<Result> &relay, const std::optional<Result> &reference,
		   const Options &o)
{
	std::fprintf(out, "\n");
	std::fprintf(out, "  forwarding rate (packets per busy second); throughput (per wall second, generator %s)\n",
		     to_string(o.generator));
	if (relay)
		std::fprintf(out, "  relay:     %8.3f Mpps  %7.1f cycles/packet  throughput %8.3f Mpps\n", relay->mpps(),
			     relay->cycles_per_packet(), relay->rx_pps() / 1e6);
	if (reference)
		std::fprintf(out, "  reference: %8.3f Mpps  %7.1f cycles/packet  throughput %8.3f Mpps  (%s)\n",
			     reference->mpps(), reference->cycles_per_packet(), reference->rx_pps() / 1e6,
			     to_string(o.reference_fwd));
	if (relay && reference && reference->mpps() > 0)
		std::fprintf(out, "  ratio relay / reference: %.3f (throughput %.3f)\n", relay->mpps() / reference->mpps(),
			     reference->rx_pps() > 0 ? relay->rx_pps() / reference->rx_pps() : 0.0);
}

json to_json(const Result &r)
{
	json bursts = json::object();
	for (size_t i = 0; i < r.delta.bursts.size(); i++)
		if (r.delta.bursts[i])
			bursts[std::to_string(i)] = r.delta.bursts[i];
	json punted = json::object();
	for (size_t i = 0; i < kPuntReasons; i++)
		punted[to_string(static_cast<PuntReason>(i))] = r.delta.punted[i];
	return {
		{"mpps", r.mpps()},
		{"throughput_mpps", r.rx_pps() / 1e6},
		{"seconds", r.seconds},
		{"lcores", r.lcores},
		{"rx_packets", r.delta.rx_packets},
		{"tx_packets", r.delta.tx_packets},
		{"forwarded_packets", r.delta.forwarded},
		{"rx_pps", r.rx_pps()},
		{"rx_bps", r.rx_bps()},
		{"tx_pps", r.tx_pps()},
		{"tx_bps", r.tx_bps()},
		{"cycles_per_packet", r.cycles_per_packet()},
		{"busy_cycles", r.delta.busy_cycles},
		{"busy_share", r.busy_share()},
		{"tsc_hz", r.tsc_hz},
		{"punted", punted},
		{"drops", drops_json(r)},
		{"rx_bursts", bursts},
		{"latency_samples", r.latency.count()},
		{"latency_ns", latency_json(r)},
	};
}

json report_json(const std::optional<Result> &relay, const std::optional<Result> &reference, const Options &o,
		 const Lab &lab)
{
	const Result &main = relay ? *relay : *reference;
	json j;
	j["relay_mpps"] = relay ? json(relay->mpps()) : json(nullptr);
	j["reference_mpps"] = reference ? json(reference->mpps()) : json(nullptr);
	j["ratio"] = relay && reference && reference->mpps() > 0 ? json(relay->mpps() / reference->mpps())
								  : json(nullptr);
	j["cycles_per_packet"] = main.cycles_per_packet();
	j["drops"] = drops_json(main);
	j["latency_ns"] = latency_json(main);
	j["config"] = {
		{"mode", to_string(o.mode)},
		{"nb_cores", o.nb_cores},
		{"burst", o.burst},
		{"pkt_size", o.pkt_size},
		{"endpoints", o.endpoints},
		{"traffic", to_string(o.traffic)},
		{"mix_share_percent", o.traffic == TrafficMix::data ? 0.0 : o.mix_share},
		{"reference_fwd", to_string(o.reference_fwd)},
		{"generator", to_string(o.generator)},
		{"inflight", o.inflight},
		{"duration", o.duration},
		{"warmup", o.warmup},
		{"dpdk", rte_version()},
	};
	j["table"] = {
		{"endpoints", o.endpoints},
		{"memory_bytes", lab.table_bytes()},
		{"build_seconds", lab.table_build_seconds()},
	};
	j["relay"] = relay ? to_json(*relay) : json(nullptr);
	j["reference"] = reference ? to_json(*reference) : json(nullptr);
	return j;
}

} // namespace wayport::perf
