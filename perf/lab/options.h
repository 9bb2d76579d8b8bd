// wayport-perf's own options (after "--"), named as dpdk-testpmd names
// its own where it has one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "perf/lab/traffic.h"

namespace wayport::perf {

// relay, reference, both: the relay worker and the testpmd-style forward.
// wg: WireGuard's stages and the raw AEAD batch (wg_lab.h).
enum class Mode : uint8_t { relay, reference, both, wg };
// --mode wg: peers -> LAN (wg_input, ip_out), LAN -> peers (wg_output, ip_out).
enum class WgDirection : uint8_t { input, output };
enum class TrafficMix : uint8_t { data, handshake_mix, garbage_mix };
enum class ReferenceFwd : uint8_t { io, macswap };
enum class GeneratorPlace : uint8_t { inline_lcore, main_lcore };

struct Options {
	uint16_t burst = 32;
	unsigned nb_cores = 1;
	double stats_period = 0;       // seconds; 0: only the final report
	std::string pkt_size = "64";
	std::vector<uint16_t> frame_sizes = {64};
	double duration = 5;
	double warmup = 1;
	Mode mode = Mode::both;
	uint32_t endpoints = 100000;
	TrafficMix traffic = TrafficMix::data;
	double mix_share = 10;         // percent of offered packets
	ReferenceFwd reference_fwd = ReferenceFwd::macswap;
	GeneratorPlace generator = GeneratorPlace::inline_lcore;
	unsigned inflight = 1024;      // packets circulating per worker
	uint64_t seed = 1;
	bool json = false;
	// --mode wg only.
	uint32_t peers = 100;
	uint16_t inner_size = 1420;  // bytes of the inner IPv4 packet
	std::vector<WgDirection> directions = {WgDirection::input, WgDirection::output};

	std::vector<Kind> mix() const;
};

const char *to_string(Mode m);
const char *to_string(TrafficMix t);
const char *to_string(ReferenceFwd f);
const char *to_string(GeneratorPlace g);
const char *to_string(WgDirection d);

// Parses args (without the program name). Returns -1 on success;
// otherwise the exit code, after printing help or an error naming the
// option to stderr.
int parse_options(const std::vector<std::string> &args, Options &out);

} // namespace wayport::perf
