// wayportd as a WireGuard gateway (issue 12), end to end: the real binary on
// two net_af_packet ports, two real wireguard-go clients and a LAN host (the
// kernel's stack), each in a namespace of its own.
//
//   ns c1:  veth wgc 10.96.1.2/24 fd96:1::2/64; wireguard-go wpga<pid>
//           10.99.0.2/24 fd99::2/64, the LAN routed into it
//   ns c2:  veth wgc 10.96.1.3/24 fd96:1::3/64; wireguard-go wpgb<pid>
//           10.99.0.3/24 fd99::3/64, likewise
//   ns sw:  a bridge joining c1, c2 and wayportd's "wan" port (10.96.1.1/24
//           fd96:1::1/64)
//   ns lan: veth wgl 10.96.2.2/24 fd96:2::2/64, the tunnel routed via
//           10.96.2.1 / fd96:2::1, wayportd's "lan" port
//
// wayportd's tunnel addresses are 10.99.0.1/24 and fd99::1/64; its peers are
// the two clients, each allowed its own two addresses. Its private key is
// created in the state directory at start; the test reads the public key
// from the status JSON.
//
// Needs root (CI runs as root), wireguard-go, wg and iperf3; skipped without
// them.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include "tests/integration/daemon.h"
#include "tests/integration/netns.h"
#include "tests/integration/process.h"
#include "tests/interop/text.h"
#include "tests/interop/wg_go.h"

namespace wayport::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char *kTools[] = {"/usr/bin/wireguard-go", "/usr/bin/wg", "/usr/bin/iperf3"};

bool can_run()
{
	if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK) != 0)
		return false;
	for (const char *tool : kTools)
		if (access(tool, X_OK) != 0)
			return false;
	return true;
}

// One wireguard-go client: its namespace, keys, addresses.
struct Client {
	std::unique_ptr<Netns> ns;
	std::unique_ptr<WireguardGo> wg;
	std::string public_key, key_file;
	std::string v4, v6;  // its tunnel addresses
	std::string wan;     // its address on the bridge
	uint16_t port = 0;   // its UDP source port

	std::string endpoint() const { return wan + ":" + std::to_string(port); }

	bool wg_set(const std::string &args) const { return wg->wg("set " + wg->ifname() + " " + args) == 0; }
};

class WgGateway : public testing::Test {
protected:
	static void SetUpTestSuite()
	{
		if (!can_run())
			return;
		for (const char *prefix : {"wpgg", "wpgs", "wpgl", "wpg1", "wpg2"})
			remove_stale_namespaces(prefix);
		for (const char *prefix : {"wpga", "wpgb"})
			remove_stale_uapi_sockets(prefix);
		tag_ = std::to_string(getpid());
		dir_ = std::filesystem::temp_directory_path() / ("wg_gateway_test." + tag_);
		std::filesystem::create_directories(dir_);
		gw_ = std::make_unique<Netns>("wpgg" + tag_);
		sw_ = std::make_unique<Netns>("wpgs" + tag_);
		lan_ = std::make_unique<Netns>("wpgl" + tag_);
		sw_->exec("ip link add br0 type bridge");
		sw_->exec("ip link set br0 up");
		veth(*sw_, "s0", *gw_, "gwc" + tag_);
		sw_->exec("ip link set s0 master br0");
		veth(*lan_, "wgl", *gw_, "gwl" + tag_);
		lan_->exec("ip addr add 10.96.2.2/24 dev wgl");
		lan_->exec("ip addr add fd96:2::2/64 dev wgl nodad");
		lan_->exec("ip route add 10.99.0.0/24 via 10.96.2.1");
		lan_->exec("ip -6 route add fd99::/64 via fd96:2::1");

		for (int i = 0; i < 2; i++) {
			Client &c = clients_[i];
			std::string n = std::to_string(i + 1);
			c.ns = std::make_unique<Netns>("wpg" + n + tag_);
			veth(*c.ns, "wgc", *sw_, "s" + n);
			sw_->exec("ip link set s" + n + " master br0");
			c.wan = "10.96.1." + std::to_string(i + 2);
			c.ns->exec("ip addr add " + c.wan + "/24 dev wgc");
			c.ns->exec("ip addr add fd96:1::" + std::to_string(i + 2) + "/64 dev wgc nodad");
			c.v4 = "10.99.0." + std::to_string(i + 2);
			c.v6 = "fd99::" + std::to_string(i + 2);
			c.port = static_cast<uint16_t>(40001 + 10 * i);
			int status;
			std::string key = trim(capture("wg genkey", status));
			c.public_key = trim(capture("echo '" + key + "' | wg pubkey", status));
			c.key_file = (dir_ / ("client" + n + ".key")).string();
			std::ofstream(c.key_file) << key << "\n";
			chmod(c.key_file.c_str(), 0600);
		}

		socket_ = (dir_ / "api.sock").string();
		state_dir_ = (dir_ / "state").string();
		std::ofstream config(dir_ / "wayport.yaml");
		config << "ports:\n"
			  "  - name: wan\n    device: net_af_packet0\n    vdev_args: iface=gwc" << tag_ << "\n"
			  "    ipv4: 10.96.1.1/24\n    ipv6: fd96:1::1/64\n"
			  "  - name: lan\n    device: net_af_packet1\n    vdev_args: iface=gwl" << tag_ << "\n"
			  "    ipv4: 10.96.2.1/24\n    ipv6: fd96:2::1/64\n"
			  "lcores:\n  control: 0\n  workers: [1]\n"
			  "node:\n  state_dir: " << state_dir_ << "\n"
			  "wireguard:\n  listen_port: 51820\n  addresses: [10.99.0.1/24, fd99::1/64]\n"
			  "  peers:\n";
		for (const Client &c : clients_)
			config << "    - public_key: " << c.public_key << "\n"
				  "      allowed_ips: [" << c.v4 << "/32, " << c.v6 << "/128]\n";
		config << "api:\n  socket: " << socket_ << "\n"
			  "dataplane:\n  mbufs: 4095\n";
		config.close();
		start_daemon();

		std::string gw_public = daemon_status()["wireguard"]["public_key"];
		for (int i = 0; i < 2; i++) {
			Client &c = clients_[i];
			c.wg = std::make_unique<WireguardGo>(*c.ns, std::string(i ? "wpgb" : "wpga") + tag_,
							     (dir_ / ("wireguard-go" + std::to_string(i + 1) + ".log")).string());
			c.wg_set("listen-port " + std::to_string(c.port) + " private-key " + c.key_file + " peer " + gw_public +
				 " endpoint 10.96.1.1:51820 allowed-ips 10.99.0.0/24,fd99::/64,10.96.2.0/24,fd96:2::/64");
			std::string ifname = c.wg->ifname();
			c.ns->exec("ip addr add " + c.v4 + "/24 dev " + ifname);
			c.ns->exec("ip addr add " + c.v6 + "/64 dev " + ifname + " nodad");
			c.ns->exec("ip link set " + ifname + " up");
			c.ns->exec("ip route add 10.96.2.0/24 dev " + ifname);
			c.ns->exec("ip -6 route add fd96:2::/64 dev " + ifname);
		}
		iperf_ = std::make_unique<ChildProcess>(
			std::vector<std::string>{"ip", "netns", "exec", lan_->name(), "iperf3", "-s"},
			(dir_ / "iperf3.log").string());
	}

	static void TearDownTestSuite()
	{
		iperf_.reset();
		if (daemon_) {
			int rc = daemon_->stop();
			EXPECT_EQ(rc, 0) << daemon_->log();
			// WG_GATEWAY_TRACE=1: the final report (every counter) of a
			// passing run too.
			if (std::getenv("WG_GATEWAY_TRACE"))
				std::cerr << daemon_->log();
		}
		daemon_.reset();
		for (Client &c : clients_) {
			c.wg.reset();
			c.ns.reset();
		}
		lan_.reset();
		sw_.reset();
		gw_.reset();
		if (!dir_.empty())
			std::filesystem::remove_all(dir_);
	}

	void SetUp() override
	{
		if (!can_run())
			GTEST_SKIP() << "needs root, /dev/net/tun, wireguard-go, wg and iperf3 "
					"(Debian: wireguard-go, wireguard-tools, iperf3)";
		ASSERT_TRUE(daemon_ && clients_[0].wg && clients_[1].wg) << "the set-up failed";
	}

	void TearDown() override
	{
		if (HasFailure() && daemon_) {
			std::cerr << "--- wayportd status:\n" << daemon_status().dump(2) << "\n";
			for (const Client &c : clients_) {
				std::string log = c.wg->log();
				std::cerr << "--- wg show " << c.wg->ifname() << ":\n" << c.wg->wg_output("show " + c.wg->ifname())
					  << "--- its log (tail):\n" << log.substr(log.size() > 3000 ? log.size() - 3000 : 0)
					  << "\n";
			}
		}
	}

	static void start_daemon()
	{
		daemon_ = std::make_unique<Daemon>(*gw_, (dir_ / "wayport.yaml").string(), socket_,
						   (dir_ / "wayportd.log").string());
	}

	static std::string ctl(const std::string &args, int &rc)
	{
		return wayportctl("--socket " + socket_ + " " + args, rc);
	}

	static json daemon_status()
	{
		int rc;
		json j = json::parse(ctl("status --json", rc), nullptr, false);
		return j.is_discarded() ? json::object() : j;
	}

	// The client's peer in the status JSON, or an empty object.
	static json peer(const Client &c)
	{
		json j = daemon_status();
		if (!j.contains("wireguard") || j["wireguard"].is_null())
			return json::object();
		for (const json &p : j["wireguard"]["peers"])
			if (p["public_key"] == c.public_key)
				return p;
		return json::object();
	}

	// `ping` in ns: true when at least one reply came back.
	static bool ping(const Netns &ns, const std::string &args, std::string *out = nullptr)
	{
		int rc;
		std::string text = capture(ns.prefix() + "ping " + args + " 2>&1", rc);
		if (out)
			*out = text;
		return rc == 0;
	}

	// Until the client's session is up: its first packets wait for the
	// handshake and the LAN neighbour.
	static void warm_up(const Client &c)
	{
		for (int i = 0; i < 5 && !ping(*c.ns, "-c 1 -W 2 10.96.2.2"); i++) {
		}
	}

	// iperf3 from the client to the LAN host's server: the bytes the
	// receiver counted, or 0 when the run failed.
	static double iperf(const Client &c, const std::string &args, std::string &out)
	{
		int rc;
		out = capture(c.ns->prefix() + "iperf3 -J -t 2 " + args + " 2>&1", rc);
		json j = json::parse(out, nullptr, false);
		if (rc != 0 || j.is_discarded() || !j.contains("end"))
			return 0;
		const json &end = j["end"];
		if (end.contains("sum_received"))
			return end["sum_received"]["bytes"].get<double>();
		// UDP: what arrived is what was sent less what was lost.
		const json &sum = end["sum"];
		return sum["bytes"].get<double>() * (1 - sum["lost_percent"].get<double>() / 100);
	}

	static inline std::string tag_;
	static inline std::filesystem::path dir_;
	static inline std::string socket_, state_dir_;
	static inline std::unique_ptr<Netns> gw_, sw_, lan_;
	static inline Client clients_[2];
	static inline std::unique_ptr<Daemon> daemon_;
	static inline std::unique_ptr<ChildProcess> iperf_;
};

TEST_F(WgGateway, CreatesItsKeyPrivateToTheOwner)
{
	struct stat st;
	ASSERT_EQ(stat((state_dir_ + "/wireguard.key").c_str(), &st), 0);
	EXPECT_EQ(st.st_mode & 0777, 0600u);
	EXPECT_EQ(daemon_status()["wireguard"]["listen_port"], 51820);
}

TEST_F(WgGateway, ClientsReachTheLanHostOverIpv4AndIpv6)
{
	for (const Client &c : clients_) {
		warm_up(c);
		std::string out;
		EXPECT_TRUE(ping(*c.ns, "-c 3 -i 0.2 -W 2 10.96.2.2", &out)) << out;
		EXPECT_TRUE(ping(*c.ns, "-6 -c 3 -i 0.2 -W 2 fd96:2::2", &out)) << out;
		json p = peer(c);
		EXPECT_GT(p["latest_handshake"].get<int64_t>(), 0) << p.dump();
		EXPECT_GT(p["rx_bytes"].get<uint64_t>(), 0u);
		EXPECT_GT(p["tx_bytes"].get<uint64_t>(), 0u);
		EXPECT_EQ(p["endpoint"], c.endpoint());
	}
}

TEST_F(WgGateway, LanHostReachesEachClient)
{
	for (const Client &c : clients_) {
		warm_up(c);
		std::string out;
		EXPECT_TRUE(ping(*lan_, "-c 3 -i 0.2 -W 2 " + c.v4, &out)) << out;
		EXPECT_TRUE(ping(*lan_, "-6 -c 3 -i 0.2 -W 2 " + c.v6, &out)) << out;
	}
}

TEST_F(WgGateway, ClientsReachEachOtherThroughTheNode)
{
	for (const Client &c : clients_)
		warm_up(c);
	std::string out;
	EXPECT_TRUE(ping(*clients_[0].ns, "-c 3 -i 0.2 -W 2 " + clients_[1].v4, &out)) << out;
	EXPECT_TRUE(ping(*clients_[1].ns, "-6 -c 3 -i 0.2 -W 2 " + clients_[0].v6, &out)) << out;
}

TEST_F(WgGateway, TcpAndUdpEachWay)
{
	for (const Client &c : clients_) {
		warm_up(c);
		std::string out;
		// TCP up and down, over IPv4 and IPv6 inner addresses.
		EXPECT_GT(iperf(c, "-c 10.96.2.2", out), 0) << out;
		EXPECT_GT(iperf(c, "-c 10.96.2.2 -R", out), 0) << out;
		EXPECT_GT(iperf(c, "-6 -c fd96:2::2", out), 0) << out;
		EXPECT_GT(iperf(c, "-6 -c fd96:2::2 -R", out), 0) << out;
		// UDP both ways, in datagrams that fit the tunnel's MTU.
		EXPECT_GT(iperf(c, "-c 10.96.2.2 -u -b 20M -l 1200", out), 0) << out;
		EXPECT_GT(iperf(c, "-c 10.96.2.2 -u -b 20M -l 1200 -R", out), 0) << out;
	}
}

TEST_F(WgGateway, NodeAnswersPingsToItsTunnelAddresses)
{
	const Client &c = clients_[0];
	std::string out;
	EXPECT_TRUE(ping(*c.ns, "-c 3 -i 0.2 -W 2 10.99.0.1", &out)) << out;
	EXPECT_TRUE(ping(*c.ns, "-6 -c 3 -i 0.2 -W 2 fd99::1", &out)) << out;
}

TEST_F(WgGateway, TtlRunningOutGetsTimeExceeded)
{
	const Client &c = clients_[0];
	warm_up(c);
	std::string out;
	// Out of the tunnel: from the node's tunnel address, back into it.
	EXPECT_FALSE(ping(*c.ns, "-c 1 -t 1 -W 2 10.96.2.2", &out));
	EXPECT_NE(out.find("From 10.99.0.1"), std::string::npos) << out;
	EXPECT_NE(out.find("Time to live exceeded"), std::string::npos) << out;
	// Into the tunnel: from the LAN port's address, back out of it.
	EXPECT_FALSE(ping(*lan_, "-c 1 -t 1 -W 2 " + c.v4, &out));
	EXPECT_NE(out.find("From 10.96.2.1"), std::string::npos) << out;
	EXPECT_NE(out.find("Time to live exceeded"), std::string::npos) << out;
}

TEST_F(WgGateway, WgShowDumpShowsBothPeers)
{
	for (const Client &c : clients_)
		warm_up(c);
	int rc;
	std::string dump = ctl("wg show dump", rc);
	ASSERT_EQ(rc, 0) << dump;
	std::vector<std::string> lines = split(dump, '\n');
	ASSERT_EQ(lines.size(), 3u) << dump;
	std::vector<std::string> iface = split(lines[0], '\t');
	ASSERT_EQ(iface.size(), 4u) << lines[0];
	EXPECT_EQ(iface[1], daemon_status()["wireguard"]["public_key"]);
	EXPECT_EQ(iface[2], "51820");
	for (size_t i = 0; i < 2; i++) {
		std::vector<std::string> f = split(lines[i + 1], '\t');
		ASSERT_EQ(f.size(), 8u) << lines[i + 1];
		EXPECT_EQ(f[0], clients_[i].public_key);
		EXPECT_EQ(f[3], clients_[i].v4 + "/32," + clients_[i].v6 + "/128");
		EXPECT_GT(std::stoll(f[4]), 0) << "latest handshake: " << lines[i + 1];
		EXPECT_GT(std::stoull(f[5]), 0u) << "rx bytes: " << lines[i + 1];
		EXPECT_GT(std::stoull(f[6]), 0u) << "tx bytes: " << lines[i + 1];
	}
	std::string text = ctl("wg show", rc);
	EXPECT_NE(text.find("interface: wayport\n"), std::string::npos) << text;
	EXPECT_NE(text.find("latest handshake: "), std::string::npos) << text;
	std::string metrics = ctl("metrics", rc);
	for (const Client &c : clients_)
		EXPECT_NE(metrics.find("wayport_wireguard_peer_bytes_total{peer=\"" + c.public_key + "\",direction=\"rx\"} "),
			  std::string::npos)
			<< metrics;
	EXPECT_NE(metrics.find("wayport_wireguard_under_load 0\n"), std::string::npos) << metrics;
}

TEST_F(WgGateway, ClientChangingItsSourcePortKeepsWorking)
{
	Client &c = clients_[0];
	warm_up(c);
	c.port = 40002;
	ASSERT_TRUE(c.wg_set("listen-port 40002"));
	std::string out;
	EXPECT_TRUE(ping(*c.ns, "-c 3 -i 0.3 -W 3 10.96.2.2", &out)) << out;
	EXPECT_EQ(peer(c)["endpoint"], c.endpoint());
	// Back the way the LAN host answers: to the new port too.
	EXPECT_TRUE(ping(*lan_, "-c 2 -i 0.2 -W 2 " + c.v4, &out)) << out;
}

TEST_F(WgGateway, PeerRemovedAndAddedBackThroughTheApi)
{
	Client &c = clients_[1];
	warm_up(c);
	int rc;
	std::string out = ctl("wg set peer " + c.public_key + " remove", rc);
	ASSERT_EQ(rc, 0) << out;
	EXPECT_TRUE(peer(c).empty());
	// Its traffic stops at once, both ways; the other client's does not.
	EXPECT_FALSE(ping(*c.ns, "-c 2 -i 0.2 -W 1 10.96.2.2", &out)) << out;
	EXPECT_FALSE(ping(*lan_, "-c 2 -i 0.2 -W 1 " + c.v4, &out)) << out;
	EXPECT_TRUE(ping(*clients_[0].ns, "-c 2 -i 0.2 -W 2 10.96.2.2", &out)) << out;

	out = ctl("wg set peer " + c.public_key + " allowed-ips " + c.v4 + "/32," + c.v6 + "/128", rc);
	ASSERT_EQ(rc, 0) << out;
	// Back after the client's next handshake (it retries on its own).
	bool ok = false;
	for (int i = 0; i < 30 && !ok; i++)
		ok = ping(*c.ns, "-c 1 -W 1 10.96.2.2", &out);
	EXPECT_TRUE(ok) << out;
	EXPECT_EQ(peer(c)["allowed_ips"], json::array({c.v4 + "/32", c.v6 + "/128"}));

	out = ctl("wg set peer " + clients_[0].public_key + " persistent-keepalive 25", rc);
	EXPECT_EQ(rc, 0) << out;
	EXPECT_EQ(peer(clients_[0])["persistent_keepalive"], 25);
	out = ctl("wg set peer " + c.public_key + " endpoint nowhere", rc);
	EXPECT_NE(rc, 0);
	EXPECT_NE(out.find("endpoint: \"nowhere\" is not an address and port"), std::string::npos) << out;
}

TEST_F(WgGateway, ClientsRecoverAfterARestart)
{
	warm_up(clients_[0]);
	ASSERT_EQ(daemon_->stop(), 0) << daemon_->log();
	start_daemon();
	// The node's sessions are gone: the clients' data draws no answer until
	// they rekey, which wireguard-go does by itself (REKEY_TIMEOUT after
	// data with no reply, about 15 s).
	for (const Client &c : clients_) {
		std::string out;
		bool ok = false;
		for (int i = 0; i < 30 && !ok; i++)
			ok = ping(*c.ns, "-c 1 -W 1 10.96.2.2", &out);
		EXPECT_TRUE(ok) << out;
		EXPECT_GT(peer(c)["latest_handshake"].get<int64_t>(), 0);
	}
}

} // namespace
} // namespace wayport::test
