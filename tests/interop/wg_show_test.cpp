// `wayportctl wg show` and `wg show dump` against the real `wg`: a
// wireguard-go interface is given peers with `wg set`, `wg show` and
// `wg show dump` print them, and wayportctl's formatters, fed what the
// dump says, must print the same bytes (the dump's private and preshared
// key columns aside: wayportctl hides them, see wg_show.h).
//
// Needs root and wireguard-go, as the handshake interop test; skipped
// without them.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <sys/stat.h>

#include "tests/integration/netns.h"
#include "tests/integration/process.h"
#include "tests/interop/text.h"
#include "tests/interop/wg_go.h"
#include "tools/wayportctl/wg_show.h"

namespace wayport::test {
namespace {

using ctl::WgShowInterface;
using ctl::WgShowPeer;

// The dump as wg prints it, read back into what the formatters take.
WgShowInterface parse_dump(const std::string &name, const std::string &dump)
{
	WgShowInterface iface;
	iface.name = name;
	std::vector<std::string> lines = split(dump, '\n');
	EXPECT_FALSE(lines.empty());
	if (lines.empty())
		return iface;
	std::vector<std::string> f = split(lines[0], '\t');
	EXPECT_EQ(f.size(), 4u) << lines[0];
	if (f.size() == 4) {
		iface.public_key = f[1];
		iface.listen_port = static_cast<uint16_t>(std::stoul(f[2]));
	}
	for (size_t i = 1; i < lines.size(); i++) {
		f = split(lines[i], '\t');
		EXPECT_EQ(f.size(), 8u) << lines[i];
		if (f.size() != 8)
			continue;
		WgShowPeer p;
		p.public_key = f[0];
		p.has_preshared_key = f[1] != "(none)";
		if (f[2] != "(none)")
			p.endpoint = f[2];
		if (f[3] != "(none)")
			p.allowed_ips = split(f[3], ',');
		p.latest_handshake = std::stoll(f[4]);
		p.rx_bytes = std::stoull(f[5]);
		p.tx_bytes = std::stoull(f[6]);
		p.persistent_keepalive = f[7] == "off" ? 0 : static_cast<uint16_t>(std::stoul(f[7]));
		iface.peers.push_back(p);
	}
	return iface;
}

// wg's dump with the columns wayportctl hides replaced as it does.
std::string hide_keys(const std::string &dump)
{
	std::string out;
	std::vector<std::string> lines = split(dump, '\n');
	for (size_t i = 0; i < lines.size(); i++) {
		std::vector<std::string> f = split(lines[i], '\t');
		size_t secret = i == 0 ? 0 : 1;  // the private key; a peer's preshared key
		if (f.size() > secret && f[secret] != "(none)")
			f[secret] = "(hidden)";
		for (size_t j = 0; j < f.size(); j++)
			out += f[j] + (j + 1 < f.size() ? "\t" : "\n");
	}
	return out;
}

std::string wg_key(const char *cmd)
{
	int status;
	std::string key = capture(cmd, status);
	EXPECT_EQ(status, 0) << cmd;
	while (!key.empty() && key.back() == '\n')
		key.pop_back();
	return key;
}

class WgShow : public testing::Test {
protected:
	void SetUp() override
	{
		if (geteuid() != 0)
			GTEST_SKIP() << "needs root: it creates a network namespace";
		for (const char *tool : {"/usr/bin/wireguard-go", "/usr/bin/wg"})
			if (access(tool, X_OK) != 0)
				GTEST_SKIP() << tool << " is not installed (Debian: wireguard-go, wireguard-tools)";
		if (access("/dev/net/tun", R_OK | W_OK) != 0)
			GTEST_SKIP() << "no /dev/net/tun for wireguard-go";
		remove_stale_namespaces("wpsh");
		remove_stale_uapi_sockets("wpws");
		std::string tag = std::to_string(getpid());
		dir_ = std::filesystem::temp_directory_path() / ("wg_show." + tag);
		std::filesystem::create_directories(dir_);
		ns_ = std::make_unique<Netns>("wpsh" + tag);
		wg_ = std::make_unique<WireguardGo>(*ns_, "wpws" + tag, (dir_ / "wireguard-go.log").string());
		std::string key = write_secret("private.key", wg_key("wg genkey"));
		ASSERT_EQ(wg("listen-port 51820 private-key " + key), 0);
	}

	void TearDown() override
	{
		wg_.reset();
		ns_.reset();
		if (!dir_.empty())
			std::filesystem::remove_all(dir_);
	}

	std::string write_secret(const std::string &name, const std::string &value)
	{
		std::string path = (dir_ / name).string();
		std::ofstream(path) << value << "\n";
		chmod(path.c_str(), 0600);
		return path;
	}

	int wg(const std::string &set_args) { return wg_->wg("set " + wg_->ifname() + " " + set_args); }

	// What wg prints and what wayportctl prints from wg's dump.
	void expect_same_output()
	{
		std::string dump = wg_->wg_output("show " + wg_->ifname() + " dump");
		std::string text = wg_->wg_output("show " + wg_->ifname());
		WgShowInterface iface = parse_dump(wg_->ifname(), dump);
		EXPECT_EQ(ctl::wg_show_dump(iface), hide_keys(dump));
		// No handshake has happened, so "now" is never printed.
		EXPECT_EQ(ctl::wg_show_text(iface, 0), text);
	}

	std::filesystem::path dir_;
	std::unique_ptr<Netns> ns_;
	std::unique_ptr<WireguardGo> wg_;
};

TEST_F(WgShow, InterfaceWithoutPeers)
{
	expect_same_output();
}

// One peer at a time: wireguard-go lists several in no fixed order.
TEST_F(WgShow, EachPeerShapeAsWgPrintsIt)
{
	struct Case {
		const char *name;
		std::string args;  // after "peer <key>"
	} cases[] = {
		{"bare", ""},
		{"one allowed ip", "allowed-ips 10.99.0.2/32"},
		{"everything over IPv4",
		 "preshared-key " + write_secret("psk", wg_key("wg genpsk")) +
			 " endpoint 192.0.2.10:51820 allowed-ips 10.99.0.2/32,fd99::2/128,198.18.0.0/15"
			 " persistent-keepalive 25"},
		{"IPv6 endpoint, a long keepalive", "endpoint [2001:db8::7]:4500 allowed-ips ::/0 persistent-keepalive 3725"},
		{"default routes", "allowed-ips 0.0.0.0/0,::/0 persistent-keepalive 1"},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(c.name);
		std::string peer = wg_key("wg genkey | wg pubkey");
		ASSERT_EQ(wg("peer " + peer + " " + c.args), 0);
		expect_same_output();
		ASSERT_EQ(wg("peer " + peer + " remove"), 0);
	}
}

} // namespace
} // namespace wayport::test
