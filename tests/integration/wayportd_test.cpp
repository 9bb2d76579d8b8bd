// wayportd end to end: the real binary on af_packet ports in a namespace,
// clients with real kernel UDP sockets in two other namespaces.
//
//   ns c1: c1v4 10.201.1.2/24, fd01:1::2/64 ── veth ── ns relay: port "one" 10.201.1.1, fd01:1::1
//   ns c2: c2v4 10.201.2.2/24, fd01:2::2/64 ── veth ── ns relay: port "two" 10.201.2.1, fd01:2::1
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "dataplane/wire/classify.h"
#include "tests/integration/daemon.h"
#include "tests/integration/relay_client.h"

namespace wayport::test {
namespace {

using nlohmann::json;

AddrPort ap(const std::string &s)
{
	return *AddrPort::parse(s);
}

class Wayportd : public testing::Test {
protected:
	static void SetUpTestSuite()
	{
		for (const char *prefix : {"wpr", "wpc1", "wpc2"})
			remove_stale_namespaces(prefix);
		std::string tag = std::to_string(getpid());
		dir_ = std::filesystem::temp_directory_path() / ("wayportd_test." + tag);
		std::filesystem::create_directories(dir_);
		relay_ = std::make_unique<Netns>("wpr" + tag);
		c1_ = std::make_unique<Netns>("wpc1" + tag);
		c2_ = std::make_unique<Netns>("wpc2" + tag);
		veth(*c1_, "c1v", *relay_, "r1v" + tag);
		veth(*c2_, "c2v", *relay_, "r2v" + tag);
		c1_->exec("ip addr add 10.201.1.2/24 dev c1v");
		c1_->exec("ip addr add fd01:1::2/64 dev c1v nodad");
		c2_->exec("ip addr add 10.201.2.2/24 dev c2v");
		c2_->exec("ip addr add fd01:2::2/64 dev c2v nodad");

		socket_ = (dir_ / "api.sock").string();
		std::ofstream(dir_ / "wayport.yaml") << "ports:\n"
			"  - name: one\n    device: net_af_packet0\n    vdev_args: iface=r1v" << tag << "\n"
			"    ipv4: 10.201.1.1/24\n    ipv6: fd01:1::1/64\n"
			"  - name: two\n    device: net_af_packet1\n    vdev_args: iface=r2v" << tag << "\n"
			"    ipv4: 10.201.2.1/24\n    ipv6: fd01:2::1/64\n"
			"lcores:\n  control: 0\n  workers: [1]\n"
			"node:\n  state_dir: " << (dir_ / "state").string() << "\n"
			"relay:\n  port: 7777\n  bind_lifetime: 3s\n  steady_state_lifetime: 4s\n"
			"  allow_alloc_from: any\n"
			"api:\n  socket: " << socket_ << "\n"
			"dataplane:\n  mbufs: 4095\n";
		daemon_ = std::make_unique<Daemon>(*relay_, (dir_ / "wayport.yaml").string(), socket_,
						   (dir_ / "wayportd.log").string());
	}

	static void TearDownTestSuite()
	{
		if (daemon_) {
			int rc = daemon_->stop();
			std::string log = daemon_->log();
			EXPECT_EQ(rc, 0) << log;
			// The final report is the status JSON with every counter.
			EXPECT_NE(log.find("\"counters\""), std::string::npos) << log;
		}
		daemon_.reset();
		c1_.reset();
		c2_.reset();
		relay_.reset();
		std::filesystem::remove_all(dir_);
	}

	static json ctl_json(const std::string &args)
	{
		int status;
		std::string out = wayportctl("--socket " + socket_ + " " + args, status);
		EXPECT_EQ(status, 0) << out;
		json j = json::parse(out, nullptr, false);
		EXPECT_FALSE(j.is_discarded()) << "wayportctl " << args << " printed no JSON:\n" << out;
		return j;
	}

	static uint64_t drops(const char *reason)
	{
		return ctl_json("status --json")["counters"]["dataplane"]["drops"][reason].get<uint64_t>();
	}

	// Binds both clients to a fresh endpoint from the API; returns its VNI.
	uint32_t bound_pair(RelayClient &a, const AddrPort &relay_a, RelayClient &b, const AddrPort &relay_b,
			    uint32_t generation = 1)
	{
		json ep = ctl_json("relay allocate " + a.pub.to_text() + " " + b.pub.to_text());
		uint32_t vni = ep["VNI"];
		auto server = *disco::PublicKey::from_text(ep["ServerDisco"].get<std::string>());
		EXPECT_TRUE(a.bind(relay_a, server, vni, b.pub, generation));
		EXPECT_TRUE(b.bind(relay_b, server, vni, a.pub, generation));
		// The Answers are consumed with no reply; give the control thread
		// a moment to publish the binding.
		std::this_thread::sleep_for(std::chrono::milliseconds(100));
		return vni;
	}

	// Sends body from `from` and checks `to` gets it unchanged from relay_to.
	void expect_relayed(RelayClient &from, const AddrPort &relay_from, RelayClient &to,
			    const AddrPort &relay_to, uint32_t vni, const Bytes &body)
	{
		Bytes pkt = RelayClient::data_packet(vni, body);
		ASSERT_TRUE(from.sock.send(pkt, relay_from));
		Bytes got;
		AddrPort src;
		ASSERT_TRUE(to.sock.recv(got, src)) << "nothing relayed to " << to.sock.local().to_string();
		EXPECT_EQ(to_hex(got), to_hex(pkt));
		EXPECT_EQ(src, relay_to);
	}

	static inline std::filesystem::path dir_;
	static inline std::string socket_;
	static inline std::unique_ptr<Netns> relay_, c1_, c2_;
	static inline std::unique_ptr<Daemon> daemon_;

	AddrPort relay1_v4 = ap("10.201.1.1:7777"), relay2_v4 = ap("10.201.2.1:7777");
	AddrPort relay1_v6 = ap("[fd01:1::1]:7777"), relay2_v6 = ap("[fd01:2::1]:7777");
};

TEST_F(Wayportd, AnswersArpNeighbourDiscoveryAndPing)
{
	EXPECT_EQ(c1_->exec("ping -c 2 -W 2 10.201.1.1 >/dev/null"), 0);
	EXPECT_EQ(c2_->exec("ping -c 2 -W 2 fd01:2::1 >/dev/null"), 0);
	json s = ctl_json("status --json");
	EXPECT_GE(s["counters"]["host"]["echo_replies"].get<uint64_t>(), 4u);
	EXPECT_GE(s["counters"]["host"]["arp_replies"].get<uint64_t>(), 1u);
	EXPECT_GE(s["counters"]["host"]["neighbour_advertisements"].get<uint64_t>(), 1u);
	EXPECT_TRUE(s["node_disco"].get<std::string>().starts_with("discokey:"));
	EXPECT_TRUE(s["relay"]["server_disco"].get<std::string>().starts_with("discokey:"));
	EXPECT_EQ(s["relay"]["port"], 7777);
}

TEST_F(Wayportd, AnswersStunWithTheObservedAddress)
{
	RelayClient c(*c1_, ap("10.201.1.2:0"));
	Bytes req = *from_hex("00010000" "2112a442" "0102030405060708090a0b0c");
	ASSERT_TRUE(c.sock.send(req, relay1_v4));
	Bytes resp;
	AddrPort from;
	ASSERT_TRUE(c.sock.recv(resp, from));
	ASSERT_GE(resp.size(), 32u);
	EXPECT_EQ(load_be16(&resp[0]), 0x0101);
	EXPECT_EQ(to_hex(ByteSpan(resp).subspan(8, 12)), "0102030405060708090a0b0c");
	// XOR-MAPPED-ADDRESS: port ^ 0x2112, address ^ magic cookie.
	EXPECT_EQ(load_be16(&resp[20]), 0x0020);
	EXPECT_EQ(load_be16(&resp[26]) ^ 0x2112, c.sock.local().port);
	EXPECT_EQ(resp[28] ^ 0x21, 10);
	EXPECT_EQ(resp[31] ^ 0x42, 2);
}

TEST_F(Wayportd, TwoClientsRelayAllFamilies)
{
	RelayClient a(*c1_, ap("10.201.1.2:0")), b(*c2_, ap("10.201.2.2:0"));
	uint32_t vni = bound_pair(a, relay1_v4, b, relay2_v4);
	expect_relayed(a, relay1_v4, b, relay2_v4, vni, Bytes(100, 0xa1));
	expect_relayed(b, relay2_v4, a, relay1_v4, vni, Bytes(1300, 0xb2));
	// The core hears of the traffic through the activity feed. Checked
	// now, not at the end: sessions idle out after 4 s in this config and
	// the rest of the test can take that long under ASan.
	std::this_thread::sleep_for(std::chrono::milliseconds(200));
	json sessions = ctl_json("relay sessions --json");
	bool found = false;
	for (const auto &s : sessions["Sessions"])
		if (s["VNI"] == vni)
			found = s["Client1"]["PacketsTx"].get<uint64_t>() + s["Client2"]["PacketsTx"].get<uint64_t>() == 2;
	EXPECT_TRUE(found) << sessions.dump();

	RelayClient a6(*c1_, ap("[fd01:1::2]:0")), b6(*c2_, ap("[fd01:2::2]:0"));
	uint32_t vni6 = bound_pair(a6, relay1_v6, b6, relay2_v6);
	expect_relayed(a6, relay1_v6, b6, relay2_v6, vni6, Bytes(64, 0xc3));
	expect_relayed(b6, relay2_v6, a6, relay1_v6, vni6, Bytes(64, 0xd4));

	// Crossed: a client on IPv4 talks to one on IPv6.
	RelayClient x4(*c1_, ap("10.201.1.2:0")), y6(*c2_, ap("[fd01:2::2]:0"));
	uint32_t vnix = bound_pair(x4, relay1_v4, y6, relay2_v6);
	expect_relayed(x4, relay1_v4, y6, relay2_v6, vnix, Bytes(200, 0xe5));
	expect_relayed(y6, relay2_v6, x4, relay1_v4, vnix, Bytes(200, 0xf6));

	json m = ctl_json("status --json");
	EXPECT_GE(m["counters"]["dataplane"]["forwarded_packets"].get<uint64_t>(), 6u);
}

TEST_F(Wayportd, SealedUdpAllocationGivesTheSameEndpoint)
{
	RelayClient a(*c1_, ap("10.201.1.2:0")), b(*c2_, ap("10.201.2.2:0"));
	auto node = *disco::PublicKey::from_text(ctl_json("status --json")["node_disco"].get<std::string>());
	auto resp = a.allocate(relay1_v4, node, b.pub, 42);
	ASSERT_TRUE(resp.has_value());
	EXPECT_EQ(resp->generation, 42u);
	json api = ctl_json("relay allocate " + b.pub.to_text() + " " + a.pub.to_text());
	EXPECT_EQ(api["VNI"].get<uint32_t>(), resp->endpoint.vni);
	EXPECT_EQ(api["LamportID"].get<uint64_t>(), resp->endpoint.lamport_id);
	EXPECT_EQ(api["ServerDisco"], resp->endpoint.server_disco.to_text());
	// The endpoint works: bind and relay.
	EXPECT_TRUE(a.bind(relay1_v4, resp->endpoint.server_disco, resp->endpoint.vni, b.pub, 1));
	EXPECT_TRUE(b.bind(relay2_v4, resp->endpoint.server_disco, resp->endpoint.vni, a.pub, 1));
	std::this_thread::sleep_for(std::chrono::milliseconds(100));
	expect_relayed(a, relay1_v4, b, relay2_v4, resp->endpoint.vni, Bytes(32, 0x11));
}

TEST_F(Wayportd, SpoofedSourcesAndUnknownVnisAreDroppedAndCounted)
{
	RelayClient a(*c1_, ap("10.201.1.2:0")), b(*c2_, ap("10.201.2.2:0"));
	uint32_t vni = bound_pair(a, relay1_v4, b, relay2_v4);
	RelayClient intruder(*c1_, ap("10.201.1.2:0"));

	uint64_t mismatch = drops("source_mismatch"), unknown = drops("unknown_vni");
	ASSERT_TRUE(intruder.sock.send(RelayClient::data_packet(vni, Bytes(40, 1)), relay1_v4));
	ASSERT_TRUE(a.sock.send(RelayClient::data_packet(0xabcdef, Bytes(40, 1)), relay1_v4));
	Bytes got;
	AddrPort from;
	EXPECT_FALSE(b.sock.recv(got, from, 300));
	EXPECT_EQ(drops("source_mismatch"), mismatch + 1);
	EXPECT_EQ(drops("unknown_vni"), unknown + 1);
}

TEST_F(Wayportd, RebindingFromANewPortMovesTheFlow)
{
	RelayClient a(*c1_, ap("10.201.1.2:0")), b(*c2_, ap("10.201.2.2:0"));
	json ep = ctl_json("relay allocate " + a.pub.to_text() + " " + b.pub.to_text());
	uint32_t vni = ep["VNI"];
	auto server = *disco::PublicKey::from_text(ep["ServerDisco"].get<std::string>());
	ASSERT_TRUE(a.bind(relay1_v4, server, vni, b.pub, 1));
	ASSERT_TRUE(b.bind(relay2_v4, server, vni, a.pub, 1));
	std::this_thread::sleep_for(std::chrono::milliseconds(100));
	expect_relayed(a, relay1_v4, b, relay2_v4, vni, Bytes(50, 1));

	// B's new socket (a new source port) with the same key handshakes again.
	RelayClient b_moved(*c2_, ap("10.201.2.2:0"));
	b_moved.key = b.key;
	b_moved.pub = b.pub;
	ASSERT_TRUE(b_moved.bind(relay2_v4, server, vni, a.pub, 2));
	std::this_thread::sleep_for(std::chrono::milliseconds(100));
	expect_relayed(a, relay1_v4, b_moved, relay2_v4, vni, Bytes(50, 2));
	expect_relayed(b_moved, relay2_v4, a, relay1_v4, vni, Bytes(50, 3));
	Bytes got;
	AddrPort from;
	EXPECT_FALSE(b.sock.recv(got, from, 200)) << "the old binding still gets traffic";
}

TEST_F(Wayportd, IdleEndpointsExpire)
{
	RelayClient a(*c1_, ap("10.201.1.2:0")), b(*c2_, ap("10.201.2.2:0"));
	uint32_t vni = bound_pair(a, relay1_v4, b, relay2_v4);
	expect_relayed(a, relay1_v4, b, relay2_v4, vni, Bytes(20, 9));
	// Steady-state lifetime is 4 s in this config.
	bool gone = false;
	for (int i = 0; i < 100 && !gone; i++) {
		std::this_thread::sleep_for(std::chrono::milliseconds(100));
		gone = true;
		json sessions = ctl_json("relay sessions --json");
		for (const auto &s : sessions["Sessions"])
			gone = gone && s["VNI"] != vni;
	}
	EXPECT_TRUE(gone);
	uint64_t unknown = drops("unknown_vni");
	ASSERT_TRUE(a.sock.send(RelayClient::data_packet(vni, Bytes(20, 9)), relay1_v4));
	Bytes got;
	AddrPort from;
	EXPECT_FALSE(b.sock.recv(got, from, 300));
	EXPECT_EQ(drops("unknown_vni"), unknown + 1);
}

} // namespace
} // namespace wayport::test
