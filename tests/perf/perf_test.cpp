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

TEST(PerfLab, MoreCoresThanLcoresIsAnError)
{
	Outcome r = run(std::string(kEal) + "--nb-cores 2", true);
	EXPECT_EQ(r.status, 2);
	EXPECT_NE(r.out.find("--nb-cores 2 needs 3 lcores"), std::string::npos) << r.out;
}

} // namespace
