// The wayport-connect binary as a user runs it: key commands, flags over
// the file, and exit statuses (2 for a setting, 1 at run time).
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "tests/connect/temp_dir.h"
#include "tests/support/run_tool.h"
#include "tools/wayport-connect/udp_socket.h"

namespace wayport::connect {
namespace {

using test::TempDir;
using wayport::test::run_tool;
using wayport::test::ToolRun;

ToolRun connect(const std::vector<std::string> &args)
{
	return run_tool(WAYPORT_CONNECT, args);
}

const std::string kPeer = "discokey:" + std::string(64, 'b');
const std::string kRelayKey = "discokey:" + std::string(64, 'c');

TEST(Cli, GenerateThenPrintThePublicKey)
{
	TempDir dir;
	std::string key = dir.file("disco.key");
	ToolRun gen = connect({"--generate-key", key});
	ASSERT_EQ(gen.status, 0) << gen.err;
	EXPECT_EQ(gen.out.rfind("discokey:", 0), 0u);
	EXPECT_EQ(gen.out.size(), 9 + 64 + 1u);
	struct stat st;
	ASSERT_EQ(stat(key.c_str(), &st), 0);
	EXPECT_EQ(st.st_mode & 07777, 0600u);

	ToolRun pub = connect({"--key", key, "--print-public-key"});
	ASSERT_EQ(pub.status, 0) << pub.err;
	EXPECT_EQ(pub.out, gen.out);

	// Never over an existing key.
	ToolRun again = connect({"--generate-key", key});
	EXPECT_EQ(again.status, 2);
	EXPECT_EQ(again.err, "wayport-connect: cannot create key file " + key + ": File exists\n");
}

TEST(Cli, KeyReadableByOthersIsRefused)
{
	TempDir dir;
	std::string key = dir.file("disco.key");
	ASSERT_EQ(connect({"--generate-key", key}).status, 0);
	chmod(key.c_str(), 0644);
	ToolRun r = connect({"--key", key, "--print-public-key"});
	EXPECT_EQ(r.status, 2);
	EXPECT_EQ(r.out, "");
	EXPECT_EQ(r.err, "wayport-connect: key file " + key + " has mode 0644: its group or others may access it; "
			 "run chmod 600 " + key + "\n");
}

TEST(Cli, FlagsWinOverTheConfigFile)
{
	TempDir dir;
	std::string flag_key = dir.file("flag.key"), file_key = dir.file("file.key");
	ToolRun flag_gen = connect({"--generate-key", flag_key});
	ToolRun file_gen = connect({"--generate-key", file_key});
	ASSERT_EQ(flag_gen.status, 0);
	ASSERT_EQ(file_gen.status, 0);
	std::string config = dir.write("c.yaml", "key: " + file_key + "\n");

	EXPECT_EQ(connect({"--config", config, "--print-public-key"}).out, file_gen.out);
	EXPECT_EQ(connect({"--config", config, "--key", flag_key, "--print-public-key"}).out, flag_gen.out);
}

TEST(Cli, SettingErrorsExitWithTwo)
{
	TempDir dir;
	std::string key = dir.file("disco.key");
	ASSERT_EQ(connect({"--generate-key", key}).status, 0);
	const std::vector<std::string> good = {"--key",       key,       "--peer",   kPeer,
					       "--relay",     "127.0.0.1:7777", "--relay-key", kRelayKey,
					       "--forward",   "127.0.0.1:51820"};
	auto with = [&](std::vector<std::string> extra) {
		std::vector<std::string> args = good;
		args.insert(args.end(), extra.begin(), extra.end());
		return connect(args);
	};
	ToolRun r = with({"--listen", "nonsense"});
	EXPECT_EQ(r.status, 2);
	EXPECT_EQ(r.err, "wayport-connect: --listen \"nonsense\": not an IP:PORT (IPv6 in brackets: [2001:db8::1]:7777)\n");

	std::string config = dir.write("c.yaml", "listen: 127.0.0.1:51900\nlisten_port: 1\n");
	r = with({"--config", config});
	EXPECT_EQ(r.status, 2);
	EXPECT_EQ(r.err, "wayport-connect: " + config + ":2: unknown key \"listen_port\"\n");

	r = with({});
	EXPECT_EQ(r.status, 2);
	EXPECT_EQ(r.err.rfind("wayport-connect: --listen (or listen in the --config file) is required", 0), 0u) << r.err;
}

TEST(Cli, PortInUseExitsWithOne)
{
	TempDir dir;
	std::string key = dir.file("disco.key");
	ASSERT_EQ(connect({"--generate-key", key}).status, 0);
	UdpSocket taken(*AddrPort::parse("127.0.0.1:0"));
	std::string listen = taken.local().to_string();
	ToolRun r = connect({"--key", key, "--peer", kPeer, "--relay", "127.0.0.1:7777", "--relay-key", kRelayKey,
			     "--listen", listen, "--forward", "127.0.0.1:51820"});
	EXPECT_EQ(r.status, 1);
	EXPECT_EQ(r.err, "wayport-connect: cannot bind a UDP socket on " + listen + ": Address already in use\n");
}

} // namespace
} // namespace wayport::connect
