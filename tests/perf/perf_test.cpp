// wayport-perf as a user runs it: short runs whose JSON report must have
// the stable keys and values that make sense for the traffic offered, and
// bad options that must fail with a message naming the option.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace {

using json = nlohmann::json;

const char *kEal = " --no-huge -m 512 --no-pci --no-shconf -l 0-1 --log-level=error -- ";

struct Outcome {
	int status = -1;
	std::string out;
};

// Runs wayport-perf with args; stderr_too folds stderr into out.
Outcome run(const std::string &args, bool stderr_too)
{
	std::string cmd = std::string(WAYPORT_PERF) + " " + args + (stderr_too ? " 2>&1" : " 2>/dev/null");
	Outcome r;
	FILE *p = popen(cmd.c_str(), "r");
	if (!p)
		return r;
	std::array<char, 4096> buf;
	size_t n;
	while ((n = fread(buf.data(), 1, buf.size(), p)) > 0)
		r.out.append(buf.data(), n);
	int st = pclose(p);
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return r;
}

json run_json(const std::string &options)
{
	Outcome r = run(std::string(kEal) + "--duration 1 --warmup 0.2 --endpoints 1000 --json " + options, false);
	EXPECT_EQ(r.status, 0) << r.out;
	json j = json::parse(r.out, nullptr, false);
	EXPECT_FALSE(j.is_discarded()) << r.out;
	return j;
}

const char *kDropReasons[] = {"malformed", "multi_segment", "fragment", "not_for_us", "short_payload", "unknown_vni",
			      "entry_busy", 			      "not_bound", "source_mismatch", "no_route", "ring_full", "tx_full"};

void expect_stable_keys(const json &j)
{
	for (const char *k : {"relay_mpps", "reference_mpps", "ratio", "cycles_per_packet", "drops", "latency_ns"})
		EXPECT_TRUE(j.contains(k)) << k;
	for (const char *r : kDropReasons)
		EXPECT_TRUE(j["drops"].contains(r)) << r;
	const json &lat = j["latency_ns"];
	for (const char *k : {"p50", "p90", "p99", "p999", "max"})
		ASSERT_TRUE(lat.contains(k)) << k;
	EXPECT_GT(lat["p50"].get<double>(), 0);
	EXPECT_LE(lat["p50"].get<double>(), lat["p99"].get<double>());
	EXPECT_LE(lat["p99"].get<double>(), lat["max"].get<double>());
}

TEST(PerfLab, BothModesReportRatesAndRatio)
{
	json j = run_json("--mode both");
	expect_stable_keys(j);
	EXPECT_GT(j["relay_mpps"].get<double>(), 0);
	EXPECT_GT(j["reference_mpps"].get<double>(), 0);
	EXPECT_GT(j["ratio"].get<double>(), 0);
	EXPECT_GT(j["cycles_per_packet"].get<double>(), 0);
	const json &relay = j["relay"];
	EXPECT_GT(relay["forwarded_packets"].get<uint64_t>(), 0u);
	EXPECT_GT(relay["tx_packets"].get<uint64_t>(), 0u);
	// Pure data from bound legs: nothing may be dropped or punted.
	for (const char *r : kDropReasons)
		EXPECT_EQ(j["drops"][r].get<uint64_t>(), 0u) << r;
	EXPECT_EQ(relay["punted"]["relay_control"].get<uint64_t>(), 0u);
	EXPECT_GT(j["reference"]["forwarded_packets"].get<uint64_t>(), 0u);
	EXPECT_EQ(j["config"]["endpoints"].get<uint32_t>(), 1000u);
}

TEST(PerfLab, GarbageMixIsDroppedByReason)
{
	json j = run_json("--mode relay --traffic garbage-mix --mix-share 20 --pkt-size imix");
	expect_stable_keys(j);
	EXPECT_TRUE(j["reference_mpps"].is_null());
	EXPECT_TRUE(j["ratio"].is_null());
	EXPECT_GT(j["relay"]["forwarded_packets"].get<uint64_t>(), 0u);
	for (const char *r : {"malformed", "short_payload", "unknown_vni", "source_mismatch", "not_for_us"})
		EXPECT_GT(j["drops"][r].get<uint64_t>(), 0u) << r;
	for (const char *r : {"tx_full", "ring_full", "no_route", "not_bound"})
		EXPECT_EQ(j["drops"][r].get<uint64_t>(), 0u) << r;
}

TEST(PerfLab, HandshakeMixIsPunted)
{
	json j = run_json("--mode relay --traffic handshake-mix");
	expect_stable_keys(j);
	EXPECT_GT(j["relay"]["punted"]["relay_control"].get<uint64_t>(), 0u);
	EXPECT_GT(j["relay"]["forwarded_packets"].get<uint64_t>(), 0u);
	EXPECT_EQ(j["drops"]["ring_full"].get<uint64_t>(), 0u);
}

// The human-readable report: a line per --stats-period, then the summary
// with drops by reason, cycles/packet, the burst histogram and latency.
TEST(PerfLab, TextReportHasPeriodsBurstsAndLatency)
{
	Outcome r = run(std::string(kEal) + "--mode both --duration 1.2 --warmup 0.2 --stats-period 0.5 --endpoints 1000",
			true);
	ASSERT_EQ(r.status, 0) << r.out;
	auto count = [&r](const std::string &needle) {
		size_t n = 0;
		for (size_t pos = r.out.find(needle); pos != std::string::npos; pos = r.out.find(needle, pos + 1))
			n++;
		return n;
	};
	// Two periods per mode in 1.2 s.
	EXPECT_GE(count("  relay     Rx-pps:"), 2u) << r.out;
	EXPECT_GE(count("  reference Rx-pps:"), 2u) << r.out;
	for (const char *k : {"drops by reason:", "CPU cycles/packet=", "RX-bursts:", "Latency (ns, generator to sink",
			      "ratio relay / reference:"})
		EXPECT_GE(count(k), 1u) << k << "\n" << r.out;
}

TEST(PerfLab, BadOptionsNameTheOption)
{
	struct Case {
		const char *args;
		const char *names;
	} cases[] = {
		{"--pkt-size 65", "--pkt-size"},
		{"--mode sideways", "--mode"},
		{"--endpoints 2000000", "--endpoints"},
		{"--traffic noise", "--traffic"},
		{"--burst 0", "--burst"},
		{"--no-such-option", "--no-such-option"},
	};
	for (const Case &c : cases) {
		Outcome r = run(std::string(kEal) + c.args, true);
		EXPECT_NE(r.status, 0) << c.args;
		EXPECT_NE(r.out.find(c.names), std::string::npos) << c.args << ": " << r.out;
	}
}

// --mode wg: both directions through the WireGuard stages and the raw
// AEAD reference. Every packet the generator sealed must authenticate,
// pass the replay window and the allowed IPs, and leave by the other
// port: one drop or punt means the stages or the lab are wrong.
json run_wg_json(const std::string &options)
{
	// The allowed-IPs table and the FIB's take about 128 MiB each.
	Outcome r = run(std::string(" --no-huge -m 1024 --no-pci --no-shconf -l 0-1 --log-level=error -- ") +
				"--mode wg --duration 0.5 --warmup 0.1 --json " + options,
			false);
	EXPECT_EQ(r.status, 0) << r.out;
	json j = json::parse(r.out, nullptr, false);
	EXPECT_FALSE(j.is_discarded()) << r.out;
	return j;
}

void expect_clean_wg_run(const json &run, const char *what)
{
	SCOPED_TRACE(what);
	ASSERT_TRUE(run.is_object());
	EXPECT_GT(run["rx_packets"].get<uint64_t>(), 0u);
	EXPECT_GT(run["tx_packets"].get<uint64_t>(), 0u);
	EXPECT_GT(run["mpps"].get<double>(), 0);
	EXPECT_EQ(run["dropped"].get<uint64_t>(), 0u) << run["drops"].dump();
	for (const auto &[reason, n] : run["punted"].items())
		EXPECT_EQ(n.get<uint64_t>(), 0u) << reason;
}

TEST(PerfLab, WgModeRunsBothDirectionsAgainstTheRawAead)
{
	json j = run_wg_json("--peers 100 --inner-size 64");
	EXPECT_EQ(j["mode"], "wg");
	EXPECT_EQ(j["config"]["peers"].get<uint32_t>(), 100u);
	EXPECT_EQ(j["config"]["inner_size"].get<uint32_t>(), 64u);
	EXPECT_TRUE(j["config"]["aead_engine"].is_string());
	for (const char *d : {"input", "output"}) {
		SCOPED_TRACE(d);
		const json &dir = j[d];
		ASSERT_TRUE(dir.is_object());
		for (const char *k : {"pipeline_mpps", "aead_mpps", "reference_mpps", "ratio", "cycles_per_packet",
				      "aead_cycles_per_packet"})
			EXPECT_GT(dir[k].get<double>(), 0) << k;
		expect_clean_wg_run(dir["pipeline"], "pipeline");
		expect_clean_wg_run(dir["reference"], "reference");
		// The reference's AEAD part is timed inside its busy polls.
		EXPECT_GE(dir["aead_mpps"].get<double>(), dir["reference_mpps"].get<double>());
	}
}

TEST(PerfLab, WgModeOneDirectionManyPeersFullSize)
{
	json j = run_wg_json("--peers 10000 --inner-size 1420 --direction input");
	EXPECT_TRUE(j["output"].is_null());
	ASSERT_TRUE(j["input"].is_object());
	expect_clean_wg_run(j["input"]["pipeline"], "pipeline");
	expect_clean_wg_run(j["input"]["reference"], "reference");
}

TEST(PerfLab, WgAndRelayOptionsDoNotMix)
{
	struct Case {
		const char *args;
		const char *names;
	} cases[] = {
		{"--mode wg --pkt-size 64", "--pkt-size does not apply to --mode wg"},
		{"--mode wg --endpoints 10", "--endpoints does not apply to --mode wg"},
		{"--mode relay --peers 10", "--peers does not apply to --mode relay"},
		{"--inner-size 64", "--inner-size does not apply to --mode both"},
		{"--mode wg --inner-size 2000", "--inner-size"},
		{"--mode wg --inner-size 20", "--inner-size"},
		{"--mode wg --direction up", "--direction"},
		{"--mode wg --peers 0", "--peers"},
	};
	for (const Case &c : cases) {
		Outcome r = run(std::string(kEal) + c.args, true);
		EXPECT_EQ(r.status, 2) << c.args;
		EXPECT_NE(r.out.find(c.names), std::string::npos) << c.args << ": " << r.out;
	}
}

TEST(PerfLab, MoreCoresThanLcoresIsAnError)
{
	Outcome r = run(std::string(kEal) + "--nb-cores 2", true);
	EXPECT_EQ(r.status, 2);
	EXPECT_NE(r.out.find("--nb-cores 2 needs 3 lcores"), std::string::npos) << r.out;
}

} // namespace
