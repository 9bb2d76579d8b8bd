// wayport-perf's output: testpmd-style text blocks, and JSON with stable
// keys for scripts (perf-compare, the tests, CI trend lines).
#pragma once

#include <cstdio>
#include <optional>

#include <nlohmann/json.hpp>

#include "perf/lab/lab.h"
#include "perf/lab/options.h"

namespace wayport::perf {

void print_period(FILE *out, const Result &r);
void print_result(FILE *out, const Result &r, const Options &o);
void print_summary(FILE *out, const std::optional<Result> &relay, const std::optional<Result> &reference,
		   const Options &o);

nlohmann::ordered_json to_json(const Result &r);
// The whole report. relay_mpps and reference_mpps are forwarding rates
// (Result::mpps), ratio their quotient; relay_mpps, reference_mpps, ratio, cycles_per_packet,
// drops (by reason name) and latency_ns {p50, p90, p99, p999, max} are
// always present; the figures of a mode that did not run are null, and the
// last three describe the relay run when there was one.
nlohmann::ordered_json report_json(const std::optional<Result> &relay, const std::optional<Result> &reference,
				   const Options &o, const Lab &lab);

} // namespace wayport::perf
