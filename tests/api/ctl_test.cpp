// wayportctl's online commands end to end: the real binary against a real
// ApiServer in this process.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "tests/api/harness.h"
#include "tests/support/run_tool.h"

namespace wayport::test {
namespace {

using nlohmann::json;

const std::string kA = "discokey:" + std::string(64, '1');
const std::string kB = "discokey:" + std::string(64, '2');

using CtlRun = test::ToolRun;

CtlRun wayportctl(const std::vector<std::string> &args)
{
	return test::run_tool(WAYPORTCTL, args);
}

void expect_error(const CtlRun &r, const std::string &message)
{
	EXPECT_EQ(r.status, 1);
	EXPECT_TRUE(r.out.empty()) << r.out;
	EXPECT_EQ(r.err, "wayportctl: " + message + "\n");
}

class WayportctlOnline : public ::testing::Test {
protected:
	void SetUp() override { ASSERT_TRUE(t.started()) << t.server.error(); }
	TestServer t;
};

TEST_F(WayportctlOnline, StatusJson)
{
	CtlRun r = wayportctl({"--socket", t.socket, "status", "--json"});
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(json::parse(r.out), json::parse(kStatusJson));
	// Pretty, and in the daemon's field order.
	EXPECT_EQ(r.out.rfind("{\n  \"node_disco\"", 0), 0u) << r.out;
	// --socket after the command works too.
	EXPECT_EQ(wayportctl({"status", "--json", "--socket", t.socket}).out, r.out);
}

TEST_F(WayportctlOnline, StatusTable)
{
	CtlRun r = wayportctl({"--socket", t.socket, "status"});
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, "node disco           discokey:" + std::string(64, 'a') + "\n"
			 "relay disco          discokey:" + std::string(64, 'b') + "\n"
			 "relay port           7777\n"
			 "counters\n"
			 "  alloc_ok           3\n"
			 "  handshake.bind_ok  2\n");
}

TEST_F(WayportctlOnline, Sessions)
{
	CtlRun r = wayportctl({"--socket", t.socket, "relay", "sessions", "--json"});
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(json::parse(r.out), json::parse(kSessionsJson));

	r = wayportctl({"--socket", t.socket, "relay", "sessions"});
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, "UDP port 7777\n"
			 "VNI  CLIENT 1            ENDPOINT 1          PACKETS 1  CLIENT 2            ENDPOINT 2  PACKETS 2\n"
			 "1    d:aaaaaaaaaaaaaaaa  198.51.100.1:41641  10         d:cccccccccccccccc  -           0\n");
}

TEST_F(WayportctlOnline, Allocate)
{
	CtlRun r = wayportctl({"--socket", t.socket, "relay", "allocate", kA, kB});
	ASSERT_EQ(r.status, 0) << r.err;
	json ep = json::parse(r.out);
	EXPECT_EQ(ep["ClientDisco"], json::array({kA, kB}));
	EXPECT_EQ(ep["AddrPorts"], json::array({"203.0.113.5:7777"}));
	EXPECT_EQ(r.out.rfind("{\n  \"ServerDisco\"", 0), 0u) << r.out;

	// Upper-case hex is the same key.
	std::string upper = "discokey:" + std::string(64, 'F');
	r = wayportctl({"--socket", t.socket, "relay", "allocate", kA, upper});
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(json::parse(r.out)["ClientDisco"][1], "discokey:" + std::string(64, 'f'));

	// The daemon's refusal is the error.
	expect_error(wayportctl({"--socket", t.socket, "relay", "allocate", kA, kA}), "client disco keys must differ");
}

TEST_F(WayportctlOnline, Metrics)
{
	CtlRun r = wayportctl({"--socket", t.socket, "metrics"});
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, kMetricsText);
}

TEST_F(WayportctlOnline, WgShowDumpIsWgsFormat)
{
	CtlRun r = wayportctl({"--socket", t.socket, "wg", "show", "dump"});
	ASSERT_EQ(r.status, 0) << r.err;
	// wg show dump: the interface line (private key hidden, port, fwmark),
	// then per peer key, psk, endpoint, allowed ips, handshake, rx, tx,
	// keepalive.
	EXPECT_EQ(r.out, "(hidden)\tHIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=\t51820\toff\n"
			 "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\t(hidden)\t192.0.2.10:51820\t"
			 "10.99.0.2/32,fd99::2/128\t1700000000\t1536\t3221225472\t25\n"
			 "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=\t(none)\t(none)\t(none)\t0\t0\t0\toff\n");
}

TEST_F(WayportctlOnline, WgShowText)
{
	CtlRun r = wayportctl({"--socket", t.socket, "wg", "show"});
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out.rfind("interface: wayport\n  public key: HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=\n"
			      "  private key: (hidden)\n  listening port: 51820\n\n"
			      "peer: xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\n  preshared key: (hidden)\n"
			      "  endpoint: 192.0.2.10:51820\n  allowed ips: 10.99.0.2/32, fd99::2/128\n",
			      0),
		  0u)
		<< r.out;
	EXPECT_NE(r.out.find("  transfer: 1.50 KiB received, 3.00 GiB sent\n  persistent keepalive: every 25 seconds\n"),
		  std::string::npos)
		<< r.out;
	EXPECT_NE(r.out.find("peer: TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=\n  allowed ips: (none)\n"),
		  std::string::npos)
		<< r.out;
	r = wayportctl({"--socket", t.socket, "wg", "show", "--json"});
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(json::parse(r.out), json::parse(kWireguardJson));
}

TEST_F(WayportctlOnline, WgSetPeerSpeaksWgsWords)
{
	const std::string key = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
	CtlRun r = wayportctl({"--socket", t.socket, "wg", "set", "peer", key, "allowed-ips", "10.0.0.2/32, fd00::2/128",
			       "endpoint", "192.0.2.1:51820", "persistent-keepalive", "off"});
	EXPECT_EQ(r.status, 0) << r.err;
	// As wg set: nothing printed on success.
	EXPECT_EQ(r.out, "");
	EXPECT_EQ(wayportctl({"--socket", t.socket, "wg", "set", "peer", key, "remove"}).status, 0);
	expect_error(wayportctl({"--socket", t.socket, "wg", "set", "peer", key, "persistent-keepalive", "99999"}),
		     "persistent-keepalive must be seconds, 1 to 65535, or off: not \"99999\"");
	expect_error(wayportctl({"--socket", t.socket, "wg", "set", "peer", key, "endpoint"}), "endpoint needs a value");
	expect_error(wayportctl({"--socket", t.socket, "wg", "set", "peer", key, "fwmark", "1"}),
		     "unknown peer option \"fwmark\": use allowed-ips, endpoint, persistent-keepalive or remove");
}

TEST(WayportctlOffline, CannotReach)
{
	TempDir dir;
	std::string path = (dir.path / "none.sock").string();
	for (auto args : std::vector<std::vector<std::string>>{
		     {"status", "--json"}, {"status"}, {"relay", "sessions"}, {"metrics"}, {"relay", "allocate", kA, kB}}) {
		args.insert(args.begin(), {"--socket", path});
		expect_error(wayportctl(args), "cannot reach wayportd at " + path + ": No such file or directory");
	}
	// A file that is not a socket.
	std::ofstream(dir.path / "file") << "x";
	expect_error(wayportctl({"--socket", (dir.path / "file").string(), "metrics"}),
		     "cannot reach wayportd at " + (dir.path / "file").string() + ": Connection refused");
}

TEST(WayportctlOffline, BadKeysAreCaughtBeforeConnecting)
{
	// No daemon at this path: the key error comes first.
	std::string path = "/nonexistent/api.sock";
	const std::string why = " key must be a disco public key: \"discokey:\" and 64 hex digits";
	expect_error(wayportctl({"--socket", path, "relay", "allocate", "discokey:00", kB}), "the first" + why);
	expect_error(wayportctl({"--socket", path, "relay", "allocate", kA, std::string(64, '2')}), "the second" + why);
	CtlRun r = wayportctl({"--socket", path, "relay", "allocate", kA});
	EXPECT_NE(r.status, 0);
	EXPECT_NE(r.err.find("b is required"), std::string::npos) << r.err;
}

TEST(WayportctlOffline, BusyDaemon)
{
	ServerOptions opt;
	opt.control = false;
	opt.limits.call_timeout = std::chrono::milliseconds(100);
	TestServer t(std::move(opt));
	ASSERT_TRUE(t.started()) << t.server.error();
	expect_error(wayportctl({"--socket", t.socket, "status", "--json"}), "control thread busy");
}

TEST(WayportctlOffline, ServerErrorWithoutJson)
{
	ServerOptions opt;
	opt.handler = [](api::Call &c) {
		c.http_status = 500;
		c.content_type = "text/plain";
		c.body = "oops";
	};
	TestServer t(std::move(opt));
	ASSERT_TRUE(t.started()) << t.server.error();
	expect_error(wayportctl({"--socket", t.socket, "metrics"}), "wayportd answered 500 Internal Server Error");
}

} // namespace
} // namespace wayport::test
