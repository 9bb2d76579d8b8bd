// wayport-perf --mode wg's output: a testpmd-style block per run, the
// summary of each direction (the pipeline against the raw AEAD batch), and
// JSON with stable keys for scripts.
#pragma once

#include <cstdio>
#include <optional>

#include <nlohmann/json.hpp>

#include "perf/lab/options.h"
#include "perf/lab/wg_lab.h"

namespace wayport::perf::wg {

// One direction's two runs.
struct WgPair {
	std::optional<WgResult> pipeline;
	std::optional<WgResult> reference;
	// pipeline / raw AEAD (the goal: >= 0.8 at 1420 B), null when
	// either is missing.
	std::optional<double> ratio() const;
};

void print_wg_period(FILE *out, const WgResult &r);
void print_wg_result(FILE *out, const WgResult &r);
void print_wg_summary(FILE *out, WgDirection d, const WgPair &p, const Options &o);

// {"mode": "wg", "config": {...}, "input": {...} | null, "output": {...} |
// null}; a direction has pipeline_mpps, aead_mpps, reference_mpps, ratio,
// cycles_per_packet, aead_cycles_per_packet, and the two runs whole.
nlohmann::ordered_json wg_report_json(const WgPair &input, const WgPair &output, const Options &o,
				      const WgLab &lab);

} // namespace wayport::perf::wg
