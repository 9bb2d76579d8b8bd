#include "perf/lab/wg_report.h"

#include <rte_version.h>

#include "dataplane/worker/counters.h"

namespace wayport::perf::wg {

namespace {

using json = nlohmann::ordered_json;

const char *title(const WgResult &r)
{
	return r.reference ? "raw AEAD + io" : "pipeline";
}

const char *path(WgDirection d)
{
	return d == WgDirection::input ? "peers -> wg_input -> ip_out -> LAN" : "LAN -> wg_output -> ip_out -> peers";
}

json run_json(const WgResult &r)
{
	json drops = json::object();
	for (size_t i = 0; i < kDropCount; i++)
		if (r.drops[i])
			drops[drop_name(i).reason] = r.drops[i];
	if (r.aead_failed)
		drops["aead_failed"] = r.aead_failed;
	json punted = json::object();
	for (size_t i = 0; i < kPuntReasons; i++)
		punted[to_string(static_cast<PuntReason>(i))] = r.punted[i];
	return {
		{"mpps", r.mpps()},
		{"cycles_per_packet", r.cycles_per_packet()},
		{"aead_mpps", r.reference ? json(r.aead_mpps()) : json(nullptr)},
		{"aead_cycles_per_packet", r.reference ? json(r.aead_cycles_per_packet()) : json(nullptr)},
		{"seconds", r.seconds},
		{"lcores", r.lcores},
		{"rx_packets", r.rx_packets},
		{"tx_packets", r.tx_packets},
		{"tx_bps", r.tx_bps()},
		{"offered_packets", r.offered_packets},
		{"busy_cycles", r.busy_cycles},
		{"busy_share", r.busy_share()},
		{"tsc_hz", r.tsc_hz},
		{"dropped", r.drops_total()},
		{"drops", drops},
		{"punted", punted},
	};
}

json pair_json(const WgPair &p)
{
	if (!p.pipeline && !p.reference)
		return nullptr;
	// A figure of a run, or null when the run is missing.
	auto of = [](const std::optional<WgResult> &r, double (WgResult::*figure)() const) {
		return r ? json(((*r).*figure)()) : json(nullptr);
	};
	return {
		{"pipeline_mpps", of(p.pipeline, &WgResult::mpps)},
		{"aead_mpps", of(p.reference, &WgResult::aead_mpps)},
		{"reference_mpps", of(p.reference, &WgResult::mpps)},
		{"ratio", p.ratio() ? json(*p.ratio()) : json(nullptr)},
		{"cycles_per_packet", of(p.pipeline, &WgResult::cycles_per_packet)},
		{"aead_cycles_per_packet", of(p.reference, &WgResult::aead_cycles_per_packet)},
		{"pipeline", p.pipeline ? run_json(*p.pipeline) : json(nullptr)},
		{"reference", p.reference ? run_json(*p.reference) : json(nullptr)},
	};
}

} // namespace

std::optional<double> WgPair::ratio() const
{
	if (!pipeline || !reference || reference->aead_mpps() <= 0)
		return std::nullopt;
	return pipeline->mpps() / reference->aead_mpps();
}

void print_wg_period(FILE *out, const WgResult &r)
{
	std::fprintf(out, "  %-6s %-13s Rx-pps: %12.0f  Tx-bps: %14.0f  cycles/pkt: %7.1f  rate: %7.3f Mpps\n",
		     to_string(r.direction), title(r), r.rx_packets / r.seconds, r.tx_bps(), r.cycles_per_packet(),
		     r.mpps());
	std::fflush(out);
}

void print_wg_result(FILE *out, const WgResult &r)
{
	std::fprintf(out, "\n  ---------------- wg %s, %s: %u forwarding lcore(s), %.2f s ----------------\n",
		     to_string(r.direction), title(r), r.lcores, r.seconds);
	std::fprintf(out, "  RX-packets: %-14lu RX-dropped: %-14lu TX-packets: %-14lu\n", r.rx_packets, r.drops_total(),
		     r.tx_packets);
	std::fprintf(out, "  punted: %lu", r.punted_total());
	for (size_t i = 0; i < kPuntReasons; i++)
		if (r.punted[i])
			std::fprintf(out, "  %s=%lu", to_string(static_cast<PuntReason>(i)), r.punted[i]);
	std::fprintf(out, "\n  drops by reason:");
	if (!r.drops_total())
		std::fprintf(out, " none");
	for (size_t i = 0; i < kDropCount; i++)
		if (r.drops[i])
			std::fprintf(out, "  %s.%s=%lu", drop_name(i).stage, drop_name(i).reason, r.drops[i]);
	if (r.aead_failed)
		std::fprintf(out, "  aead_failed=%lu", r.aead_failed);
	std::fprintf(out, "\n  CPU cycles/packet=%.2f (busy cycles=%lu / packets=%lu) at %lu MHz clock\n",
		     r.cycles_per_packet(), r.busy_cycles, r.rx_packets, r.tsc_hz / 1000000);
	if (r.reference)
		std::fprintf(out, "  AEAD alone: cycles/packet=%.2f, %.3f Mpps\n", r.aead_cycles_per_packet(),
			     r.aead_mpps());
	std::fprintf(out, "  Forwarding rate: %.3f Mpps (busy %.1f %% of the forwarding lcores' time), Tx-bps: %.0f\n",
		     r.mpps(), 100 * r.busy_share(), r.tx_bps());
}

void print_wg_summary(FILE *out, WgDirection d, const WgPair &p, const Options &o)
{
	std::fprintf(out, "\n  wg %s (%s), %u B inner, %u peers, burst %u\n", to_string(d), path(d), o.inner_size,
		     o.peers, o.burst);
	if (p.pipeline)
		std::fprintf(out, "  pipeline:        %8.3f Mpps  %8.1f cycles/packet\n", p.pipeline->mpps(),
			     p.pipeline->cycles_per_packet());
	if (p.reference) {
		std::fprintf(out, "  raw AEAD:        %8.3f Mpps  %8.1f cycles/packet\n", p.reference->aead_mpps(),
			     p.reference->aead_cycles_per_packet());
		std::fprintf(out, "  raw AEAD + io:   %8.3f Mpps  %8.1f cycles/packet\n", p.reference->mpps(),
			     p.reference->cycles_per_packet());
	}
	if (auto r = p.ratio())
		std::fprintf(out, "  ratio pipeline / raw AEAD: %.3f\n", *r);
}

json wg_report_json(const WgPair &input, const WgPair &output, const Options &o, const WgLab &lab)
{
	json j;
	j["mode"] = "wg";
	j["config"] = {
		{"mode", "wg"},
		{"nb_cores", o.nb_cores},
		{"burst", o.burst},
		{"peers", o.peers},
		{"inner_size", o.inner_size},
		{"generator", to_string(o.generator)},
		{"inflight", o.inflight},
		{"duration", o.duration},
		{"warmup", o.warmup},
		{"aead_engine", lab.engine_name()},
		{"tables_build_seconds", lab.build_seconds()},
		{"dpdk", rte_version()},
	};
	j["input"] = pair_json(input);
	j["output"] = pair_json(output);
	return j;
}

} // namespace wayport::perf::wg
