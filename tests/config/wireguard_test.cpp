// The wireguard and routes sections, and the roles: what each key takes,
// its default, and every refusal with its file, line and key.
#include <gtest/gtest.h>

#include <string>

#include "config/config.h"
#include "tests/config/helpers.h"

namespace wayport::config {
namespace {

const std::string kKeyA = "ERERERERERERERERERERERERERERERERERERERERERE=";  // 32 x 0x11
const std::string kKeyB = "IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=";  // 32 x 0x22

// Two ports, a relay, a tunnel with two peers and a route. Edits keep the
// line numbers the messages below name.
const std::string kWireguard = R"(ports:
  - name: wan
    device: net_af_packet0
    ipv4: 192.0.2.1/24
  - name: lan
    device: net_af_packet1
    ipv6: 2001:db8:1::1/64
lcores:
  control: 0
  workers: [1]
node:
  state_dir: /var/lib/wayport
relay:
  port: 7777
wireguard:
  addresses: [10.99.0.1/24, fd99::1/64]
  peers:
    - public_key: )" + kKeyA + R"(
      allowed_ips: [10.99.0.2/32, fd99::2/128]
    - public_key: )" + kKeyB + R"(
      allowed_ips: [10.99.1.0/24]
routes:
  - prefix: 198.18.0.0/15
    via: 192.0.2.254
    port: wan
api:
  socket: /run/wayport/api.sock
)";

// kWireguard with the first from replaced by to.
std::string replaced(const std::string &from, const std::string &to)
{
	std::string s = kWireguard;
	size_t at = s.find(from);
	EXPECT_NE(at, std::string::npos) << from;
	return at == std::string::npos ? s : s.replace(at, from.size(), to);
}

LoadResult parse(const std::string &text)
{
	return parse_config(text, "test.yaml");
}

Config parse_ok(const std::string &text)
{
	auto r = parse(text);
	EXPECT_TRUE(r.ok()) << r.error_text();
	return r.config.value_or(Config{});
}

TEST(Wireguard, ReadsEveryKey)
{
	Config c = parse_ok(replaced("      allowed_ips: [10.99.1.0/24]\n",
				     "      allowed_ips: [10.99.1.0/24, 10.99.1.7/32, \"fd98::/16\"]\n"
				     "      endpoint: \"[2001:db8::10]:51821\"\n"
				     "      persistent_keepalive: 25s\n"
				     "      preshared_key_file: /etc/wayport/b.psk\n"
				     "      roaming: false\n"));
	ASSERT_TRUE(c.relay);
	ASSERT_TRUE(c.wireguard);
	const Wireguard &w = *c.wireguard;
	EXPECT_EQ(w.listen_port, 51820);
	EXPECT_EQ(w.private_key_file, "/var/lib/wayport/wireguard.key");
	ASSERT_EQ(w.addresses.size(), 2u);
	EXPECT_EQ(w.addresses[0].to_string(), "10.99.0.1/24");  // host bits kept
	EXPECT_EQ(w.addresses[1].to_string(), "fd99::1/64");
	EXPECT_EQ(w.mtu, 1420u);
	ASSERT_EQ(w.peers.size(), 2u);

	const WireguardPeer &a = w.peers[0];
	EXPECT_EQ(a.public_key.to_base64(), kKeyA);
	ASSERT_EQ(a.allowed_ips.size(), 2u);
	EXPECT_EQ(a.allowed_ips[0].to_string(), "10.99.0.2/32");
	EXPECT_EQ(a.allowed_ips[1].to_string(), "fd99::2/128");
	EXPECT_FALSE(a.endpoint);
	EXPECT_EQ(a.persistent_keepalive, 0);
	EXPECT_EQ(a.preshared_key_file, "");
	EXPECT_TRUE(a.roaming);

	// Nested prefixes within one peer, and fd98::/16 beside the other
	// peer's fd99::2/128: no overlap between peers.
	const WireguardPeer &b = w.peers[1];
	EXPECT_EQ(b.public_key.to_base64(), kKeyB);
	ASSERT_EQ(b.allowed_ips.size(), 3u);
	EXPECT_EQ(b.allowed_ips[2].to_string(), "fd98::/16");
	ASSERT_TRUE(b.endpoint);
	EXPECT_EQ(b.endpoint->to_string(), "[2001:db8::10]:51821");
	EXPECT_EQ(b.persistent_keepalive, 25 * kSecond);
	EXPECT_EQ(b.preshared_key_file, "/etc/wayport/b.psk");
	EXPECT_FALSE(b.roaming);

	ASSERT_EQ(c.routes.size(), 1u);
	EXPECT_EQ(c.routes[0].prefix.to_string(), "198.18.0.0/15");
	EXPECT_EQ(c.routes[0].via, parse_ip("192.0.2.254", true));
	EXPECT_EQ(c.routes[0].port, "wan");
}

TEST(Wireguard, TopLevelKeysAndDefaults)
{
	Config c = parse_ok(replaced("wireguard:\n", "wireguard:\n"
						     "  listen_port: 1\n"
						     "  private_key_file: /etc/wayport/wg.key\n"
						     "  mtu: 9000\n"
						     "  handshake_threads: 16\n"
						     "  max_peers: 2\n"));
	EXPECT_EQ(c.wireguard->listen_port, 1);
	EXPECT_EQ(c.wireguard->private_key_file, "/etc/wayport/wg.key");
	EXPECT_EQ(c.wireguard->mtu, 9000u);
	EXPECT_EQ(c.wireguard->handshake_threads, 16u);
	EXPECT_EQ(c.wireguard->max_peers, 2u);
	c = parse_ok(replaced("wireguard:\n", "wireguard:\n  max_peers: 65536\n  handshake_threads: 1\n"));
	EXPECT_EQ(c.wireguard->max_peers, 65536u);
	EXPECT_EQ(c.wireguard->handshake_threads, 1u);

	// An empty section is a tunnel with every default and no peers.
	c = parse_ok(std::string(test::kMinimal) + "wireguard:\n");
	ASSERT_TRUE(c.wireguard);
	EXPECT_EQ(c.wireguard->listen_port, 51820);
	EXPECT_EQ(c.wireguard->private_key_file, "/var/lib/wayport/wireguard.key");
	EXPECT_TRUE(c.wireguard->addresses.empty());
	EXPECT_EQ(c.wireguard->mtu, 1420u);
	EXPECT_EQ(c.wireguard->handshake_threads, 1u);
	EXPECT_EQ(c.wireguard->max_peers, 1024u);
	EXPECT_TRUE(c.wireguard->peers.empty());
	EXPECT_TRUE(c.routes.empty());
	// The default key file follows node.state_dir.
	c = parse_ok(test::edited("node.state_dir", "/srv/wp/") + "wireguard:\n");
	EXPECT_EQ(c.wireguard->private_key_file, "/srv/wp/wireguard.key");

	// An IPv4-only tunnel may go down to 576.
	c = parse_ok(std::string(test::kMinimal) +
		     "wireguard:\n  mtu: 576\n  addresses: [10.99.0.1/24]\n  peers:\n"
		     "    - public_key: " + kKeyA + "\n      allowed_ips: [0.0.0.0/0]\n");
	EXPECT_EQ(c.wireguard->mtu, 576u);
	EXPECT_EQ(c.wireguard->peers[0].allowed_ips[0].to_string(), "0.0.0.0/0");
}

TEST(Wireguard, GoodPeerValues)
{
	struct Case {
		const char *line;
		Duration keepalive;
	} cases[] = {
		{"persistent_keepalive: 0", 0},
		{"persistent_keepalive: off", 0},
		{"persistent_keepalive: 1s", kSecond},
		{"persistent_keepalive: 1m", kMinute},
		{"persistent_keepalive: 65535s", 65535 * kSecond},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(c.line);
		Config cfg = parse_ok(replaced("      allowed_ips: [10.99.1.0/24]\n",
					       "      allowed_ips: [10.99.1.0/24]\n      " +
						       std::string(c.line) + "\n"));
		EXPECT_EQ(cfg.wireguard->peers[1].persistent_keepalive, c.keepalive);
	}
	// Every list may be empty.
	Config cfg = parse_ok(replaced("[10.99.1.0/24]", "[]"));
	EXPECT_TRUE(cfg.wireguard->peers[1].allowed_ips.empty());
}

TEST(Wireguard, GoodRoutes)
{
	Config c = parse_ok(replaced("api:\n", "  - prefix: \"::/0\"\n"
					       "    via: fe80::1\n"
					       "    port: lan\n"
					       "  - prefix: 2001:db8:1::/64\n"
					       "    port: lan\n"
					       "  - prefix: 0.0.0.0/0\n"
					       "    via: 192.0.2.9\n"
					       "    port: wan\n"
					       "api:\n"));
	ASSERT_EQ(c.routes.size(), 4u);
	EXPECT_EQ(c.routes[1].prefix.to_string(), "::/0");
	EXPECT_EQ(c.routes[1].via, parse_ip("fe80::1", false));  // link-local: on-link
	EXPECT_EQ(c.routes[1].port, "lan");
	EXPECT_FALSE(c.routes[2].via);  // on-link through the port
	EXPECT_EQ(c.routes[3].prefix.len, 0u);
}

TEST(Wireguard, RolesAreOptionalButOneIsNeeded)
{
	// No relay, a tunnel: a WireGuard-only node.
	Config c = parse_ok(replaced("relay:\n  port: 7777\n", ""));
	EXPECT_FALSE(c.relay);
	ASSERT_TRUE(c.wireguard);
	// A relay and no tunnel, as before.
	c = parse_ok(test::kMinimal);
	EXPECT_TRUE(c.relay);
	EXPECT_FALSE(c.wireguard);

	auto r = parse(test::edited("relay", "", true));
	ASSERT_EQ(r.errors.size(), 1u) << r.error_text();
	EXPECT_EQ(r.errors[0].to_string(), "test.yaml:1: needs at least one role: relay or wireguard");
}

// More peers than the default max_peers: the message says it is the
// default, on the section's line, and what to raise.
TEST(Wireguard, PeersBeyondTheDefaultMaxPeers)
{
	std::string text = std::string(test::kMinimal) + "wireguard:\n  peers:\n";
	const uint32_t n = Wireguard{}.max_peers + 1;
	for (uint32_t i = 1; i <= n; i++) {
		wireguard::PublicKey k;
		k.bytes[0] = static_cast<uint8_t>(i);
		k.bytes[1] = static_cast<uint8_t>(i >> 8);
		text += "    - public_key: " + k.to_base64() + "\n";
	}
	auto r = parse(text);
	ASSERT_EQ(r.errors.size(), 1u) << r.error_text();
	EXPECT_EQ(r.errors[0].key, "wireguard.max_peers");
	EXPECT_EQ(r.errors[0].message, std::to_string(n) + " peers are configured, more than max_peers 1024 "
				       "(the default); raise wireguard.max_peers");

	text.replace(text.find("wireguard:\n"), 11, "wireguard:\n  max_peers: " + std::to_string(n) + "\n");
	EXPECT_EQ(parse_ok(text).wireguard->peers.size(), n);
}

TEST(Wireguard, ErrorsNameFileLineAndKey)
{
	// Removing the wireguard section (lines 15..21) moves routes to 15.
	std::string no_wireguard = kWireguard;
	size_t from = no_wireguard.find("wireguard:\n");
	no_wireguard.erase(from, no_wireguard.find("routes:") - from);

	struct Case {
		std::string text;
		std::string want;
	} cases[] = {
		// listen_port and the relay's port
		{replaced("  port: 7777\n", "  port: 51820\n"),
		 "test.yaml:15: wireguard.listen_port: 51820 (the default) is relay.port too; the relay "
		 "and WireGuard need a UDP port each"},
		{replaced("wireguard:\n", "wireguard:\n  listen_port: 7777\n"),
		 "test.yaml:16: wireguard.listen_port: 7777 is relay.port too; the relay and WireGuard "
		 "need a UDP port each"},
		{replaced("wireguard:\n", "wireguard:\n  listen_port: 0\n"),
		 "test.yaml:16: wireguard.listen_port: expected an integer in 1..65535, got \"0\""},
		// private_key_file
		{replaced("wireguard:\n", "wireguard:\n  private_key_file: wg.key\n"),
		 "test.yaml:16: wireguard.private_key_file: expected an absolute path, got \"wg.key\""},
		// mtu
		{replaced("wireguard:\n", "wireguard:\n  mtu: 1000\n"),
		 "test.yaml:16: wireguard.mtu: expected an integer in 1280..9000 (the tunnel carries "
		 "IPv6, whose minimum MTU is 1280), got \"1000\""},
		{replaced("wireguard:\n", "wireguard:\n  mtu: 9001\n"),
		 "test.yaml:16: wireguard.mtu: expected an integer in 576..9000, got \"9001\""},
		{replaced("wireguard:\n", "wireguard:\n  mtu: 575\n"),
		 "test.yaml:16: wireguard.mtu: expected an integer in 576..9000, got \"575\""},
		// handshake_threads, max_peers
		{replaced("wireguard:\n", "wireguard:\n  handshake_threads: 0\n"),
		 "test.yaml:16: wireguard.handshake_threads: expected an integer in 1..16, got \"0\""},
		{replaced("wireguard:\n", "wireguard:\n  handshake_threads: 17\n"),
		 "test.yaml:16: wireguard.handshake_threads: expected an integer in 1..16, got \"17\""},
		{replaced("wireguard:\n", "wireguard:\n  max_peers: 0\n"),
		 "test.yaml:16: wireguard.max_peers: expected an integer in 1..65536, got \"0\""},
		{replaced("wireguard:\n", "wireguard:\n  max_peers: 65537\n"),
		 "test.yaml:16: wireguard.max_peers: expected an integer in 1..65536, got \"65537\""},
		{replaced("wireguard:\n", "wireguard:\n  max_peers: 1\n"),
		 "test.yaml:16: wireguard.max_peers: 2 peers are configured, more than max_peers 1; "
		 "raise wireguard.max_peers"},
		// addresses
		{replaced("[10.99.0.1/24, fd99::1/64]", "[10.99.0.1/24, 10.99.0.1/16]"),
		 "test.yaml:16: wireguard.addresses[1]: duplicate address 10.99.0.1, also at "
		 "wireguard.addresses[0] (line 16)"},
		{replaced("[10.99.0.1/24, fd99::1/64]", "[192.0.2.1/24]"),
		 "test.yaml:16: wireguard.addresses[0]: 192.0.2.1 is the address of port wan; a tunnel "
		 "address must be one of its own"},
		{replaced("[10.99.0.1/24, fd99::1/64]", "[10.99.0.1]"),
		 "test.yaml:16: wireguard.addresses[0]: expected an IPv4 or IPv6 address and prefix "
		 "length such as 10.99.0.1/24 or fd99::1/64, got \"10.99.0.1\""},
		{replaced("[10.99.0.1/24, fd99::1/64]", "10.99.0.1/24"),
		 "test.yaml:16: wireguard.addresses: expected a list of addresses such as "
		 "[10.99.0.1/24, fd99::1/64], got \"10.99.0.1/24\""},
		// public_key
		{replaced(kKeyA, std::string(43, 'E') + "*"),
		 "test.yaml:18: wireguard.peers[0].public_key: expected a WireGuard public key: 44 "
		 "characters of base64 as wg pubkey prints, got \"" + std::string(43, 'E') +
			 "*\": key is not valid base64"},
		{replaced(kKeyA, "EREREREREREREREREREREREREREREREREREREREREQ=="),
		 "test.yaml:18: wireguard.peers[0].public_key: expected a WireGuard public key: 44 "
		 "characters of base64 as wg pubkey prints, got "
		 "\"EREREREREREREREREREREREREREREREREREREREREQ==\": key decodes to 31 bytes, want 32"},
		{replaced(kKeyA, "ERERERE="),
		 "test.yaml:18: wireguard.peers[0].public_key: expected a WireGuard public key: 44 "
		 "characters of base64 as wg pubkey prints, got \"ERERERE=\": key is 8 characters, "
		 "want 44"},
		{replaced(kKeyA, std::string(43, 'A') + "="),
		 "test.yaml:18: wireguard.peers[0].public_key: the all-zero key is nobody's key"},
		{replaced(kKeyB, kKeyA),
		 "test.yaml:20: wireguard.peers[1].public_key: duplicate public key " + kKeyA +
			 ", also at wireguard.peers[0].public_key (line 18)"},
		{replaced("    - public_key: " + kKeyB + "\n      allowed_ips", "    - allowed_ips"),
		 "test.yaml:20: wireguard.peers[1].public_key: missing; expected a WireGuard public key"},
		// allowed_ips
		{replaced("[10.99.1.0/24]", "[10.99.0.0/24]"),
		 "test.yaml:21: wireguard.peers[1].allowed_ips[0]: 10.99.0.0/24 overlaps 10.99.0.2/32 "
		 "of wireguard.peers[0].allowed_ips[0] (line 19): an address in both would belong to "
		 "two peers"},
		{replaced("[10.99.1.0/24]", "[10.99.1.0/24, \"fd00::/8\"]"),
		 "test.yaml:21: wireguard.peers[1].allowed_ips[1]: fd00::/8 overlaps fd99::2/128 of "
		 "wireguard.peers[0].allowed_ips[1] (line 19): an address in both would belong to two "
		 "peers"},
		{replaced("[10.99.1.0/24]", "[10.99.1.1/24]"),
		 "test.yaml:21: wireguard.peers[1].allowed_ips[0]: 10.99.1.1/24 has host bits set; did "
		 "you mean 10.99.1.0/24?"},
		{replaced("[10.99.1.0/24]", "[\"fd99::1/64\"]"),
		 "test.yaml:21: wireguard.peers[1].allowed_ips[0]: fd99::1/64 has host bits set; did "
		 "you mean fd99::/64?"},
		{replaced("[10.99.1.0/24]", "[10.99.1.0/24, 10.99.1.0/24]"),
		 "test.yaml:21: wireguard.peers[1].allowed_ips[1]: duplicate allowed ip 10.99.1.0/24, "
		 "also at wireguard.peers[1].allowed_ips[0] (line 21)"},
		{replaced("[10.99.1.0/24]", "[10.99.1.0/33]"),
		 "test.yaml:21: wireguard.peers[1].allowed_ips[0]: expected an IPv4 or IPv6 network "
		 "prefix such as 10.99.0.0/24, fd99::/64 or 0.0.0.0/0, got \"10.99.1.0/33\""},
		{replaced("[10.99.1.0/24]", "[10.99.1.0]"),
		 "test.yaml:21: wireguard.peers[1].allowed_ips[0]: expected an IPv4 or IPv6 network "
		 "prefix such as 10.99.0.0/24, fd99::/64 or 0.0.0.0/0, got \"10.99.1.0\""},
		// endpoint, persistent_keepalive, preshared_key_file, roaming: one
		// line added after line 21
		{replaced("[10.99.1.0/24]\n", "[10.99.1.0/24]\n      endpoint: 192.0.2.10\n"),
		 "test.yaml:22: wireguard.peers[1].endpoint: expected an address and port such as "
		 "192.0.2.10:51820 or \"[2001:db8::10]:51820\", got \"192.0.2.10\""},
		{replaced("[10.99.1.0/24]\n", "[10.99.1.0/24]\n      endpoint: 0.0.0.0:51820\n"),
		 "test.yaml:22: wireguard.peers[1].endpoint: expected an address and port such as "
		 "192.0.2.10:51820 or \"[2001:db8::10]:51820\", got \"0.0.0.0:51820\""},
		{replaced("[10.99.1.0/24]\n", "[10.99.1.0/24]\n      endpoint: 192.0.2.10:0\n"),
		 "test.yaml:22: wireguard.peers[1].endpoint: expected an address and port"},
		{replaced("[10.99.1.0/24]\n", "[10.99.1.0/24]\n      persistent_keepalive: 65536s\n"),
		 "test.yaml:22: wireguard.peers[1].persistent_keepalive: expected off, 0, or whole "
		 "seconds in 1s..65535s such as 25s, got \"65536s\""},
		{replaced("[10.99.1.0/24]\n", "[10.99.1.0/24]\n      persistent_keepalive: 1.5s\n"),
		 "test.yaml:22: wireguard.peers[1].persistent_keepalive: expected off, 0, or whole "
		 "seconds in 1s..65535s such as 25s, got \"1.5s\""},
		{replaced("[10.99.1.0/24]\n", "[10.99.1.0/24]\n      persistent_keepalive: 500ms\n"),
		 "test.yaml:22: wireguard.peers[1].persistent_keepalive: expected off, 0, or whole"},
		{replaced("[10.99.1.0/24]\n", "[10.99.1.0/24]\n      persistent_keepalive: 25\n"),
		 "test.yaml:22: wireguard.peers[1].persistent_keepalive: expected a Go duration such as "
		 "30s or 5m, got \"25\""},
		{replaced("[10.99.1.0/24]\n", "[10.99.1.0/24]\n      persistent_keepalive: -1s\n"),
		 "test.yaml:22: wireguard.peers[1].persistent_keepalive: expected a duration that is "
		 "not negative, got \"-1s\""},
		{replaced("[10.99.1.0/24]\n", "[10.99.1.0/24]\n      preshared_key_file: b.psk\n"),
		 "test.yaml:22: wireguard.peers[1].preshared_key_file: expected an absolute path, got "
		 "\"b.psk\""},
		{replaced("[10.99.1.0/24]\n", "[10.99.1.0/24]\n      roaming: yes\n"),
		 "test.yaml:22: wireguard.peers[1].roaming: expected true or false, got \"yes\""},
		{replaced("[10.99.1.0/24]\n", "[10.99.1.0/24]\n      roamin: true\n"),
		 "test.yaml:22: wireguard.peers[1]: unknown key wireguard.peers[1].roamin (did you mean "
		 "wireguard.peers[1].roaming?)"},
		// routes
		{replaced("    port: wan\napi:", "    port: lan2\napi:"),
		 "test.yaml:25: routes[0].port: no port named lan2; ports are wan, lan"},
		{replaced("    port: wan\napi:", "    port: lan\napi:"),
		 "test.yaml:25: routes[0].port: port lan has no ipv4 address, and a route to "
		 "198.18.0.0/15 leaves through it"},
		{replaced("    via: 192.0.2.254\n", "    via: 192.0.3.254\n"),
		 "test.yaml:24: routes[0].via: 192.0.3.254 is not on-link: it is outside port wan's "
		 "ipv4 192.0.2.1/24"},
		{replaced("    via: 192.0.2.254\n", "    via: 192.0.2.1\n"),
		 "test.yaml:24: routes[0].via: 192.0.2.1 is the port's own address, not a next hop"},
		{replaced("    via: 192.0.2.254\n", "    via: fe80::1\n"),
		 "test.yaml:24: routes[0].via: fe80::1 is IPv6 but prefix 198.18.0.0/15 is IPv4: a "
		 "next hop has the route's family"},
		{replaced("    via: 192.0.2.254\n", "    via: gateway\n"),
		 "test.yaml:24: routes[0].via: expected an IPv4 or IPv6 address such as 192.0.2.254, "
		 "got \"gateway\""},
		{replaced("198.18.0.0/15", "198.18.0.1/15"),
		 "test.yaml:23: routes[0].prefix: 198.18.0.1/15 has host bits set; did you mean "
		 "198.18.0.0/15?"},
		{replaced("api:\n", "  - prefix: 198.18.0.0/15\n    port: wan\napi:\n"),
		 "test.yaml:26: routes[1].prefix: duplicate route 198.18.0.0/15, also at "
		 "routes[0].prefix (line 23)"},
		{replaced("    via: 192.0.2.254\n", "    vai: 192.0.2.254\n"),
		 "test.yaml:24: routes[0]: unknown key routes[0].vai (did you mean routes[0].via?)"},
		{replaced("    port: wan\napi:", "api:"),
		 "test.yaml:23: routes[0].port: missing; expected the name of a port"},
		{no_wireguard,
		 "test.yaml:15: routes: routes are for traffic inside the WireGuard tunnel, and there "
		 "is no wireguard section"},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(c.want);
		auto r = parse(c.text);
		EXPECT_FALSE(r.ok());
		ASSERT_EQ(r.errors.size(), 1u) << r.error_text();
		EXPECT_TRUE(r.errors[0].to_string().starts_with(c.want)) << r.error_text();
	}
}

TEST(Wireguard, PrefixParse)
{
	auto p = Prefix::parse("10.99.0.0/24");
	ASSERT_TRUE(p);
	EXPECT_TRUE(p->addr.is_v4);
	EXPECT_EQ(p->len, 24u);
	EXPECT_EQ(p->to_string(), "10.99.0.0/24");
	EXPECT_EQ(Prefix::parse("::/0")->to_string(), "::/0");
	EXPECT_EQ(Prefix::parse("0.0.0.0/0")->len, 0u);
	EXPECT_EQ(Prefix::parse("2001:DB8::/32")->to_string(), "2001:db8::/32");
	EXPECT_EQ(Prefix::parse("10.99.0.2/32")->to_string(), "10.99.0.2/32");
	for (const char *t : {"", "10.99.0.0", "10.99.0.1/24", "1.0.0.0/0", "10.99.0.0/33",
			      "10.99.0.0/-1", "::1/0", "fd99::1/64", "fd99::/129", "[fd99::]/64",
			      "10.99.0.0/24 "}) {
		SCOPED_TRACE(t);
		EXPECT_FALSE(Prefix::parse(t));
	}
	EXPECT_EQ(Prefix::parse_masked("10.99.0.1/24")->to_string(), "10.99.0.0/24");
	EXPECT_EQ(Prefix::parse_masked("10.99.255.255/17")->to_string(), "10.99.128.0/17");
	EXPECT_EQ(Prefix::parse_masked("fd99::1/64")->to_string(), "fd99::/64");
	EXPECT_EQ(Prefix::parse_masked("1.2.3.4/0")->to_string(), "0.0.0.0/0");
	EXPECT_FALSE(Prefix::parse_masked("10.99.0.1"));
}

TEST(Wireguard, PrefixOverlaps)
{
	auto P = [](const char *t) { return *Prefix::parse(t); };
	EXPECT_TRUE(P("10.0.0.0/8").overlaps(P("10.99.0.2/32")));
	EXPECT_TRUE(P("10.99.0.2/32").overlaps(P("10.0.0.0/8")));
	EXPECT_TRUE(P("0.0.0.0/0").overlaps(P("192.0.2.0/24")));
	EXPECT_TRUE(P("10.0.0.0/8").overlaps(P("10.0.0.0/8")));
	EXPECT_FALSE(P("10.0.0.0/9").overlaps(P("10.128.0.0/9")));
	EXPECT_FALSE(P("0.0.0.0/0").overlaps(P("::/0")));  // families never overlap
	EXPECT_TRUE(P("::/0").overlaps(P("fd99::2/128")));
	EXPECT_FALSE(P("fd99::/64").overlaps(P("fd99:0:0:1::/64")));
	EXPECT_TRUE(P("192.0.2.0/24").contains(*parse_ip("192.0.2.77", true)));
	EXPECT_FALSE(P("192.0.2.0/24").contains(*parse_ip("192.0.3.1", true)));
}

} // namespace
} // namespace wayport::config
