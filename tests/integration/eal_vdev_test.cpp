// A port given the usual DPDK way, as a vdev on the EAL command line with
// one queue pair, serves one worker: the control thread's replies leave
// through that worker's TX queue (its inject ring), so the port needs no
// queue of the control thread's own. With more workers than the device has
// queues, wayportd refuses to start and says what to change.
//
//   ns c: cv 10.202.1.2/24, fd02:1::2/64 ── veth ── ns relay: port "one" 10.202.1.1, fd02:1::1
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>

#include "tests/integration/daemon.h"

namespace wayport::test {
namespace {

using nlohmann::json;

class EalVdev : public testing::Test {
protected:
	void SetUp() override
	{
		for (const char *prefix : {"wpe", "wpec"})
			remove_stale_namespaces(prefix);
		tag_ = std::to_string(getpid());
		dir_ = std::filesystem::temp_directory_path() / ("eal_vdev_test." + tag_);
		std::filesystem::create_directories(dir_);
		relay_ = std::make_unique<Netns>("wpe" + tag_);
		client_ = std::make_unique<Netns>("wpec" + tag_);
		veth(*client_, "cv", *relay_, iface());
		client_->exec("ip addr add 10.202.1.2/24 dev cv");
		client_->exec("ip addr add fd02:1::2/64 dev cv nodad");
	}

	void TearDown() override
	{
		client_.reset();
		relay_.reset();
		std::filesystem::remove_all(dir_);
	}

	std::string iface() const { return "re" + tag_; }
	std::string socket() const { return (dir_ / "api.sock").string(); }

	// A port with no vdev_args: the device must come from the EAL arguments.
	std::string config(const std::string &workers) const
	{
		std::string path = (dir_ / "wayport.yaml").string();
		std::ofstream(path) << "ports:\n"
			"  - name: one\n    device: net_af_packet0\n"
			"    ipv4: 10.202.1.1/24\n    ipv6: fd02:1::1/64\n"
			"lcores:\n  control: 0\n  workers: " << workers << "\n"
			"node:\n  state_dir: " << (dir_ / "state").string() << "\n"
			"relay:\n  port: 7777\n"
			"api:\n  socket: " << socket() << "\n"
			"dataplane:\n  mbufs: 4095\n";
		return path;
	}

	std::vector<std::string> eal(const std::string &lcores) const
	{
		return {"--lcores", lcores, "--no-huge", "-m", "512", "--no-pci", "--no-shconf", "--log-level=error",
			"--vdev=net_af_packet0,iface=" + iface()};
	}

	std::string tag_;
	std::filesystem::path dir_;
	std::unique_ptr<Netns> relay_, client_;
};

TEST_F(EalVdev, OneQueuePairServesOneWorker)
{
	Daemon d(*relay_, config("[1]"), socket(), (dir_ / "wayportd.log").string(), eal("0@0,1@1"));
	EXPECT_EQ(client_->exec("ping -c 2 -W 2 10.202.1.1 >/dev/null"), 0) << d.log();
	EXPECT_EQ(client_->exec("ping -c 2 -W 2 fd02:1::1 >/dev/null"), 0) << d.log();

	int status;
	std::string out = wayportctl("--socket " + socket() + " status --json", status);
	ASSERT_EQ(status, 0) << out;
	json s = json::parse(out);
	// Every reply (ARP, ND, echo) went out through the worker.
	uint64_t replies = s["counters"]["host"]["echo_replies"].get<uint64_t>() +
			   s["counters"]["host"]["arp_replies"].get<uint64_t>() +
			   s["counters"]["host"]["neighbour_advertisements"].get<uint64_t>();
	EXPECT_GE(s["counters"]["host"]["echo_replies"].get<uint64_t>(), 4u);
	EXPECT_GE(s["counters"]["control"]["tx_sent"].get<uint64_t>(), replies);
	EXPECT_EQ(s["counters"]["control"]["tx_failed"].get<uint64_t>(), 0u);
	EXPECT_GE(s["counters"]["dataplane"]["injected_packets"].get<uint64_t>(), replies);
	EXPECT_EQ(d.stop(), 0) << d.log();
}

TEST_F(EalVdev, MoreWorkersThanQueuePairsSaysWhatToChange)
{
	// Two workers on the one CPU left; the device has one queue pair.
	try {
		Daemon d(*relay_, config("[1, 2]"), socket(), (dir_ / "wayportd.log").string(), eal("0@0,1@1,2@1"));
		FAIL() << "wayportd started with two workers on one queue pair:\n" << d.log();
	} catch (const std::runtime_error &e) {
		std::string log = e.what();
		EXPECT_NE(log.find("port one (net_af_packet0)"), std::string::npos) << log;
		EXPECT_NE(log.find("one TX queue per worker"), std::string::npos) << log;
		EXPECT_NE(log.find("qpairs=2"), std::string::npos) << log;
	}
}

} // namespace
} // namespace wayport::test
