#include "perf/lab/options.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <map>

namespace wayport::perf {

namespace {

const std::map<std::string, std::vector<uint16_t>> &frame_sizes()
{
	// Simple IMIX 7:4:1 (64, 594, 1518), interleaved so bursts mix sizes.
	static const std::map<std::string, std::vector<uint16_t>> sizes = {
		{"64", {64}},
		{"86", {86}},
		{"142", {142}},
		{"1366", {1366}},
		{"1518", {1518}},
		{"imix", {64, 594, 64, 1518, 64, 594, 64, 64, 594, 64, 594, 64}},
	};
	return sizes;
}

} // namespace

std::vector<Kind> Options::mix() const
{
	switch (traffic) {
	case TrafficMix::data:
		break;
	case TrafficMix::handshake_mix:
		return make_mix(mix_share / 100, {Kind::handshake}, seed);
	case TrafficMix::garbage_mix:
		return make_mix(mix_share / 100, garbage_kinds(), seed);
	}
	return make_mix(0, {}, seed);
}

const char *to_string(Mode m)
{
	switch (m) {
	case Mode::relay:
		return "relay";
	case Mode::reference:
		return "reference";
	case Mode::both:
		return "both";
	case Mode::wg:
		return "wg";
	}
	return "?";
}

const char *to_string(TrafficMix t)
{
	switch (t) {
	case TrafficMix::data:
		return "data";
	case TrafficMix::handshake_mix:
		return "handshake-mix";
	case TrafficMix::garbage_mix:
		return "garbage-mix";
	}
	return "?";
}

const char *to_string(ReferenceFwd f)
{
	return f == ReferenceFwd::io ? "io" : "macswap";
}

const char *to_string(GeneratorPlace g)
{
	return g == GeneratorPlace::inline_lcore ? "inline" : "main";
}

const char *to_string(WgDirection d)
{
	return d == WgDirection::input ? "input" : "output";
}

int parse_options(const std::vector<std::string> &args, Options &o)
{
	CLI::App app{"The relay worker against a testpmd-style reference forward, or WireGuard's stages against "
		     "the raw AEAD batch (--mode wg), over net_ring ports fed by an in-process generator.\n"
		     "Run as: wayport-perf [EAL args] -- [options]",
		     "wayport-perf"};
	std::map<std::string, Mode> modes = {
		{"relay", Mode::relay}, {"reference", Mode::reference}, {"both", Mode::both}, {"wg", Mode::wg}};
	std::map<std::string, std::vector<WgDirection>> directions = {
		{"input", {WgDirection::input}},
		{"output", {WgDirection::output}},
		{"both", {WgDirection::input, WgDirection::output}}};
	std::map<std::string, TrafficMix> mixes = {{"data", TrafficMix::data},
						   {"handshake-mix", TrafficMix::handshake_mix},
						   {"garbage-mix", TrafficMix::garbage_mix}};
	std::map<std::string, ReferenceFwd> fwds = {{"io", ReferenceFwd::io}, {"macswap", ReferenceFwd::macswap}};
	// Names, not enums, go through CLI11: its messages then list them.
	auto names = [](const auto &map) {
		std::vector<std::string> v;
		for (const auto &kv : map)
			v.push_back(kv.first);
		return v;
	};
	std::map<std::string, GeneratorPlace> places = {{"inline", GeneratorPlace::inline_lcore},
							{"main", GeneratorPlace::main_lcore}};
	std::string mode = "both", traffic = "data", fwd = "macswap", generator = "inline", direction = "both";
	// The options of one family of modes, refused with the other.
	std::vector<CLI::Option *> relay_only, wg_only;

	app.add_option("--burst", o.burst, "packets per RX burst")->check(CLI::Range(1, 512))->capture_default_str();
	app.add_option("--nb-cores", o.nb_cores, "forwarding lcores (the main lcore generates traffic)")
		->check(CLI::Range(1, 16))
		->capture_default_str();
	app.add_option("--stats-period", o.stats_period, "seconds between periodic statistics (0: none)")
		->check(CLI::Range(0.0, 3600.0))
		->capture_default_str();
	relay_only.push_back(app.add_option("--pkt-size", o.pkt_size, "frame size in bytes with FCS, or imix (64:594:1518 as 7:4:1)")
		->check(CLI::IsMember(names(frame_sizes())))
		->capture_default_str());
	app.add_option("--duration", o.duration, "measured seconds per mode")
		->check(CLI::Range(0.1, 3600.0))
		->capture_default_str();
	app.add_option("--warmup", o.warmup, "seconds before measuring, per mode")
		->check(CLI::Range(0.0, 600.0))
		->capture_default_str();
	app.add_option("--mode", mode, "relay, reference, both (the relay and the reference forward) or wg")->check(CLI::IsMember(names(modes)))->capture_default_str();
	relay_only.push_back(app.add_option("--endpoints", o.endpoints, "bound relay endpoints (VNIs 1..N)")
				     ->check(CLI::Range(1u, 1000000u))
				     ->capture_default_str());
	relay_only.push_back(app.add_option("--traffic", traffic, "data, handshake-mix or garbage-mix")
				     ->check(CLI::IsMember(names(mixes)))
				     ->capture_default_str());
	relay_only.push_back(app.add_option("--mix-share", o.mix_share, "percent of handshake or garbage packets in a mix")
				     ->check(CLI::Range(0.0, 100.0))
				     ->capture_default_str());
	relay_only.push_back(app.add_option("--reference-fwd", fwd, "the reference forward: io or macswap")
				     ->check(CLI::IsMember(names(fwds)))
				     ->capture_default_str());
	wg_only.push_back(app.add_option("--peers", o.peers, "--mode wg: WireGuard peers, each with a keypair")
				  ->check(CLI::Range(1u, 100000u))
				  ->capture_default_str());
	wg_only.push_back(app.add_option("--inner-size", o.inner_size,
					 "--mode wg: bytes of the inner IPv4 packet (28 to the tunnel MTU, 1420)")
				  ->check(CLI::Range(28, 1420))
				  ->capture_default_str());
	wg_only.push_back(app.add_option("--direction", direction,
					 "--mode wg: input (peers to the LAN), output (the LAN to peers) or both")
				  ->check(CLI::IsMember(names(directions)))
				  ->capture_default_str());
	app.add_option("--generator", generator,
		       "where each queue's generator runs: inline (its forwarding lcore, between polls) or main "
		       "(the main lcore feeds every queue)")
		->check(CLI::IsMember(names(places)))
		->capture_default_str();
	app.add_option("--inflight", o.inflight, "packets circulating per forwarding lcore")
		->check(CLI::Range(64u, 32768u))
		->capture_default_str();
	app.add_option("--seed", o.seed, "seed of the endpoint and mix sequences")->capture_default_str();
	app.add_flag("--json", o.json, "print the final report as JSON on stdout");

	std::vector<std::string> argv_strings = {"wayport-perf"};
	argv_strings.insert(argv_strings.end(), args.begin(), args.end());
	std::vector<char *> argv;
	for (auto &s : argv_strings)
		argv.push_back(s.data());
	try {
		app.parse(static_cast<int>(argv.size()), argv.data());
	} catch (const CLI::CallForHelp &e) {
		return app.exit(e);
	} catch (const CLI::ParseError &e) {
		std::cerr << "wayport-perf: " << e.what() << "\nRun with -- --help for the options.\n";
		return 2;
	}
	o.frame_sizes = frame_sizes().at(o.pkt_size);
	o.mode = modes.at(mode);
	for (CLI::Option *opt : o.mode == Mode::wg ? relay_only : wg_only) {
		if (opt->count()) {
			std::cerr << "wayport-perf: " << opt->get_name() << " does not apply to --mode " << mode
				  << (o.mode == Mode::wg ? " (it describes relay traffic)\n" : " (only to --mode wg)\n");
			return 2;
		}
	}
	o.directions = directions.at(direction);
	o.traffic = mixes.at(traffic);
	o.reference_fwd = fwds.at(fwd);
	o.generator = places.at(generator);
	return -1;
}

} // namespace wayport::perf
