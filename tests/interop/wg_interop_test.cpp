// wayport's WireGuard engine (wireguard::Device) against a real peer,
// Debian's wireguard-go, over kernel UDP sockets (issue 11): wireguard-go
// initiates and its pings are answered through the tunnel; wayport
// initiates and its ping is answered by the kernel behind wireguard-go;
// under load, wayport answers with a cookie reply and wireguard-go's retry
// with mac2 completes the handshake. No DPDK: the test's own thread (a
// Pump) carries datagrams between the socket and the device.
//
//   ns A: wireguard-go wpwg<pid> 10.98.0.2/24, UDP 10.97.1.1:51820
//         └─ veth wpva<pid> 10.97.1.1 ── veth wpvb<pid> 10.97.1.2 ─ ns B
//   ns B: the test's UDP socket 10.97.1.2:<any> ─ Device, "host" 10.98.0.1
//
// Needs root (CI runs as root) and wireguard-go; skipped without them.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "controlplane/wireguard/device.h"
#include "tests/integration/netns.h"
#include "tests/interop/icmp.h"
#include "tests/interop/pump.h"
#include "tests/interop/text.h"
#include "tests/interop/wg_go.h"

namespace wayport::test {
namespace {

using namespace std::chrono_literals;
using wireguard::Clock;
using wireguard::Device;
using wireguard::PeerId;
using wireguard::QueueLoad;
using wireguard::WgDrop;
using wireguard::WgEvent;

constexpr const char *kWireguardGo = "/usr/bin/wireguard-go";
constexpr const char *kWg = "/usr/bin/wg";
// Inside the tunnel: wayport's side (answered by the Pump) and the
// namespace behind wireguard-go (answered by its kernel).
constexpr Ip4 kHost = {10, 98, 0, 1};
constexpr Ip4 kPeerHost = {10, 98, 0, 2};
constexpr uint16_t kListenPort = 51820;
// A handshake queue 1/8 full: the kernel's threshold for "under load".
constexpr QueueLoad kUnderLoad{512, 4096};

class WgInterop : public testing::Test {
protected:
	void SetUp() override
	{
		if (geteuid() != 0)
			GTEST_SKIP() << "needs root: it creates network namespaces";
		for (const char *tool : {kWireguardGo, kWg})
			if (access(tool, X_OK) != 0)
				GTEST_SKIP() << tool << " is not installed (Debian: wireguard-go, wireguard-tools)";
		if (access("/dev/net/tun", R_OK | W_OK) != 0)
			GTEST_SKIP() << "no /dev/net/tun for wireguard-go";

		for (const char *prefix : {"wpia", "wpib"})
			remove_stale_namespaces(prefix);
		remove_stale_uapi_sockets("wpwg");
		tag_ = std::to_string(getpid());
		dir_ = std::filesystem::temp_directory_path() / ("wg_interop." + tag_);
		std::filesystem::create_directories(dir_);
		a_ = std::make_unique<Netns>("wpia" + tag_);
		b_ = std::make_unique<Netns>("wpib" + tag_);
		veth(*a_, "wpva" + tag_, *b_, "wpvb" + tag_);
		a_->exec("ip addr add 10.97.1.1/24 dev wpva" + tag_);
		b_->exec("ip addr add 10.97.1.2/24 dev wpvb" + tag_);
		socket_ = std::make_unique<UdpSocket>(*b_, *AddrPort::parse("10.97.1.2:0"));

		// wireguard-go's key from `wg genkey`, so that wayport also reads
		// keys in the tools' own base64.
		int status;
		std::string wg_key = trim(capture("wg genkey", status));
		ASSERT_EQ(status, 0);
		std::string wg_pub = trim(capture("echo '" + wg_key + "' | wg pubkey", status));
		ASSERT_EQ(status, 0);
		auto pub = wireguard::PublicKey::from_base64(wg_pub);
		ASSERT_TRUE(pub) << pub.error;
		wg_public_ = *pub.value;
		auto priv = wireguard::PrivateKey::from_base64(wg_key);
		ASSERT_TRUE(priv) << priv.error;
		EXPECT_EQ(priv.value->public_key(), wg_public_) << "wayport and `wg pubkey` disagree";
		std::string key_file = (dir_ / "wireguard-go.key").string();
		{
			std::ofstream(key_file) << wg_key << "\n";
		}
		chmod(key_file.c_str(), 0600);

		wg_ = std::make_unique<WireguardGo>(*a_, "wpwg" + tag_, (dir_ / "wireguard-go.log").string());
		ASSERT_EQ(wg_->wg("set " + wg_->ifname() + " listen-port " + std::to_string(kListenPort) +
				  " private-key " + key_file + " peer " + key_.public_key().to_base64() +
				  " allowed-ips 10.98.0.1/32 endpoint " + socket_->local().to_string()),
			  0);
		ASSERT_EQ(a_->exec("ip addr add 10.98.0.2/24 dev " + wg_->ifname()), 0);
		ASSERT_EQ(a_->exec("ip link set " + wg_->ifname() + " up"), 0);

		device_ = std::make_unique<Device>(key_);
	}

	void TearDown() override
	{
		// WG_INTEROP_TRACE=1 shows the exchange of a passing test too.
		if (HasFailure() || std::getenv("WG_INTEROP_TRACE"))
			std::cerr << diagnostics();
		pump_.reset();
		wg_.reset();
		socket_.reset();
		b_.reset();
		a_.reset();
		device_.reset();
		if (!dir_.empty())
			std::filesystem::remove_all(dir_);
	}

	// wireguard-go as the device's one peer; endpoint: where to send
	// first, or nothing for a responder that learns it.
	PeerId add_peer(std::optional<AddrPort> endpoint)
	{
		wireguard::PeerConfig config;
		config.public_key = wg_public_;
		config.endpoint = endpoint;
		auto id = device_->add_peer(config, Clock::now());
		EXPECT_TRUE(id) << id.error;
		return id.value.value_or(0);
	}

	void start_pump(QueueLoad load = {})
	{
		pump_ = std::make_unique<Pump>(*device_, *socket_, kHost, load);
	}

	uint64_t events(WgEvent e) const { return device_->events(e); }
	uint64_t drops(WgDrop d) const { return device_->drops(d); }

	// wireguard-go's last completed handshake (Unix seconds; 0: none).
	uint64_t latest_handshake() const
	{
		std::string out = wg_->wg_output("show " + wg_->ifname() + " latest-handshakes");
		size_t tab = out.find('\t');
		return tab == std::string::npos ? 0 : std::strtoull(out.c_str() + tab + 1, nullptr, 10);
	}

	// Nothing a correct exchange with a correct peer would produce.
	void expect_no_protocol_errors() const
	{
		for (WgDrop d : {WgDrop::not_wireguard, WgDrop::bad_mac1, WgDrop::handshake_failed, WgDrop::unknown_peer,
				 WgDrop::unknown_index, WgDrop::bad_cookie_reply, WgDrop::decrypt_failed,
				 WgDrop::replayed_data, WgDrop::bad_inner_packet, WgDrop::no_endpoint})
			EXPECT_EQ(drops(d), 0u) << wireguard::to_string(d);
	}

	std::string diagnostics() const
	{
		std::ostringstream ss;
		if (device_) {
			ss << "--- device events:";
			for (size_t i = 0; i < static_cast<size_t>(WgEvent::count); i++)
				if (uint64_t n = events(static_cast<WgEvent>(i)))
					ss << " " << wireguard::to_string(static_cast<WgEvent>(i)) << "=" << n;
			ss << "\n--- device drops:";
			for (size_t i = 0; i < static_cast<size_t>(WgDrop::count); i++)
				if (uint64_t n = drops(static_cast<WgDrop>(i)))
					ss << " " << wireguard::to_string(static_cast<WgDrop>(i)) << "=" << n;
			ss << "\n";
		}
		if (pump_)
			ss << "--- datagrams and inner packets (seconds since the pump started):\n" << pump_->trace();
		if (wg_)
			ss << "--- wg show:\n" << wg_->wg_output("show " + wg_->ifname()) << "--- wireguard-go log:\n"
			   << wg_->log();
		return ss.str();
	}

	std::string tag_;
	std::filesystem::path dir_;
	std::unique_ptr<Netns> a_, b_;
	std::unique_ptr<UdpSocket> socket_;
	wireguard::PrivateKey key_ = wireguard::PrivateKey::generate();
	wireguard::PublicKey wg_public_;
	std::unique_ptr<WireguardGo> wg_;
	std::unique_ptr<Device> device_;
	std::unique_ptr<Pump> pump_;  // reset first: it drives the rest
};

// wireguard-go's ping starts its handshake: wayport responds, confirms
// the keypair on the first data packet, and every echo comes back.
TEST_F(WgInterop, WireguardGoInitiates)
{
	add_peer(std::nullopt);
	start_pump();
	int status;
	std::string ping = capture(a_->prefix() + "ping -c 3 -i 0.2 -W 2 10.98.0.1", status);
	EXPECT_EQ(status, 0) << ping;
	// wireguard-go holds the first ping until the handshake is done, so
	// none is lost.
	EXPECT_NE(ping.find(" 3 received"), std::string::npos) << ping;
	EXPECT_EQ(pump_->echoes_answered(), 3u);
	EXPECT_GE(events(WgEvent::initiation_received), 1u);
	EXPECT_GE(events(WgEvent::data_received), 3u);
	EXPECT_GE(events(WgEvent::keypair_confirmed), 1u);
	EXPECT_GE(events(WgEvent::data_sent), 3u);
	EXPECT_EQ(events(WgEvent::initiation_sent), 0u);
	EXPECT_GT(latest_handshake(), 0u);
	expect_no_protocol_errors();
}

// wayport has a packet for wireguard-go and no keypair: the device stages
// it and initiates, and on the response sends it; the kernel behind
// wireguard-go answers the echo, which comes back decrypted.
TEST_F(WgInterop, WayportInitiates)
{
	PeerId peer = add_peer(AddrPort::parse("10.97.1.1:" + std::to_string(kListenPort)));
	start_pump();
	const uint8_t data[] = "wayport interop";
	for (uint16_t seq = 1; seq <= 2; seq++) {
		const uint16_t id = 0x7770;
		pump_->send(peer, icmp_echo(kHost, kPeerHost, kIcmpEchoRequest, id, seq, data));
		auto reply = pump_->wait_for(
			[&](ByteSpan p) {
				std::optional<Echo> e = parse_echo(p);
				return e && e->type == kIcmpEchoReply && e->src == kPeerHost && e->dst == kHost &&
				       e->id == id && e->seq == seq;
			},
			5s);
		ASSERT_TRUE(reply) << "no echo reply " << seq;
		// The payload came back byte for byte after the 28 bytes of headers.
		EXPECT_EQ(Bytes(reply->begin() + 28, reply->end()), Bytes(std::begin(data), std::end(data)));
	}
	EXPECT_EQ(events(WgEvent::initiation_sent), 1u) << "the second echo went under the same keypair";
	EXPECT_GE(events(WgEvent::response_received), 1u);
	EXPECT_GE(events(WgEvent::data_sent), 2u);
	EXPECT_GE(events(WgEvent::data_received), 2u);
	EXPECT_TRUE(device_->status(peer).last_handshake.has_value());
	EXPECT_GT(latest_handshake(), 0u);
	expect_no_protocol_errors();
}

// Every datagram comes through a handshake queue 1/8 full: wireguard-go's
// first initiation gets a cookie reply instead of a response, and its
// retry after REKEY_TIMEOUT (5 s) carries mac2 and is answered; the ping
// it held meanwhile then goes through.
TEST_F(WgInterop, CookieUnderLoad)
{
	add_peer(std::nullopt);
	start_pump(kUnderLoad);
	int status;
	std::string ping = capture(a_->prefix() + "ping -c 1 -W 15 10.98.0.1", status);
	EXPECT_EQ(status, 0) << ping;
	EXPECT_GE(events(WgEvent::cookie_sent), 1u);
	EXPECT_GE(events(WgEvent::initiation_received), 1u);
	EXPECT_GE(events(WgEvent::keypair_confirmed), 1u);
	EXPECT_GE(pump_->echoes_answered(), 1u);
	EXPECT_TRUE(wg_->log().find("Receiving cookie response") != std::string::npos)
		<< "wireguard-go never took the cookie";
	EXPECT_GT(latest_handshake(), 0u);
	expect_no_protocol_errors();
}

} // namespace
} // namespace wayport::test
