// The exit section: every key, its default, and every refusal with its
// file, line and key.
#include <gtest/gtest.h>

#include <string>

#include "config/config.h"
#include "tests/config/helpers.h"

namespace wayport::config {
namespace {

const std::string kKeyA = "ERERERERERERERERERERERERERERERERERERERERERE=";  // 32 x 0x11
const std::string kKeyB = "IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=";  // 32 x 0x22

// A WAN with both families and gateways, a LAN, a tunnel with one peer;
// the exit section starts on line 24.
const std::string kBase = R"(ports:
  - name: wan
    device: net_af_packet0
    ipv4: 203.0.113.1/24
    gateway4: 203.0.113.254
    ipv6: 2001:db8:203::1/64
    gateway6: fe80::1
  - name: lan
    device: net_af_packet1
    ipv4: 10.0.0.1/24
lcores:
  control: 0
  workers: [1]
node:
  state_dir: /var/lib/wayport
wireguard:
  addresses: [10.99.0.1/24, fd99::1/64]
  peers:
    - public_key: )" + kKeyA + R"(
      allowed_ips: [10.99.0.2/32, fd99::2/128]
api:
  socket: /run/wayport/api.sock
)";

std::string with_exit(const std::string &exit)
{
	return kBase + "exit:\n" + exit;
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

TEST(Exit, AbsentIsOff)
{
	EXPECT_FALSE(parse_ok(kBase).exit);
}

TEST(Exit, DefaultsAreTheIssuesAndTheRfcs)
{
	Config c = parse_ok(with_exit("  port: wan\n"));
	ASSERT_TRUE(c.exit);
	const Exit &e = *c.exit;
	EXPECT_EQ(e.port, "wan");
	EXPECT_EQ(e.snat4, parse_ip("203.0.113.1", true)) << "the port's own address";
	EXPECT_EQ(e.snat6, parse_ip("2001:db8:203::1", false));
	EXPECT_EQ(e.port_min, 1024);
	EXPECT_EQ(e.port_max, 65535);
	EXPECT_FALSE(e.allow_any);
	EXPECT_TRUE(e.allow.empty()) << "nobody, until allowed";
	EXPECT_EQ(e.filtering, Filtering::address_dependent);
	EXPECT_EQ(e.udp_timeout, 5 * kMinute);
	EXPECT_EQ(e.tcp_established_timeout, 2 * kHour + 4 * kMinute);
	EXPECT_EQ(e.tcp_transitory_timeout, 4 * kMinute);
	EXPECT_EQ(e.icmp_timeout, 60 * kSecond);
	EXPECT_EQ(e.max_sessions, 1000000u);
	EXPECT_EQ(e.max_sessions_per_peer, 20000u);
}

TEST(Exit, ReadsEveryKey)
{
	Config c = parse_ok(with_exit("  port: wan\n"
				      "  snat: [203.0.113.9, \"2001:db8:203::9\"]\n"
				      "  port_range: 20000-29999\n"
				      "  allow: [" + kKeyA + ", " + kKeyB + "]\n"
				      "  filtering: endpoint-independent\n"
				      "  udp_timeout: 2m\n"
				      "  tcp_established_timeout: 3h\n"
				      "  tcp_transitory_timeout: 5m\n"
				      "  icmp_timeout: 90s\n"
				      "  max_sessions: 5000\n"
				      "  max_sessions_per_peer: 100\n"));
	const Exit &e = *c.exit;
	EXPECT_EQ(e.snat4, parse_ip("203.0.113.9", true));
	EXPECT_EQ(e.snat6, parse_ip("2001:db8:203::9", false));
	EXPECT_EQ(e.port_min, 20000);
	EXPECT_EQ(e.port_max, 29999);
	ASSERT_EQ(e.allow.size(), 2u);
	EXPECT_EQ(e.allow[1].to_base64(), kKeyB);
	EXPECT_EQ(e.filtering, Filtering::endpoint_independent);
	EXPECT_EQ(e.udp_timeout, 2 * kMinute);
	EXPECT_EQ(e.tcp_established_timeout, 3 * kHour);
	EXPECT_EQ(e.tcp_transitory_timeout, 5 * kMinute);
	EXPECT_EQ(e.icmp_timeout, 90 * kSecond);
	EXPECT_EQ(e.max_sessions, 5000u);
	EXPECT_EQ(e.max_sessions_per_peer, 100u);

	c = parse_ok(with_exit("  port: wan\n  allow: any\n  snat: [203.0.113.1]\n  filtering: address-and-port-dependent\n"
			       "  max_sessions: 10\n"));
	EXPECT_TRUE(c.exit->allow_any);
	EXPECT_FALSE(c.exit->snat6) << "only the family named";
	EXPECT_EQ(c.exit->filtering, Filtering::address_and_port_dependent);
	EXPECT_EQ(c.exit->max_sessions_per_peer, 10u) << "the default lowered to max_sessions";
	EXPECT_STREQ(to_string(Filtering::address_dependent), "address-dependent");
}

TEST(Exit, APortWithOneGatewayDefaultsToThatFamilyAlone)
{
	std::string text = with_exit("  port: wan\n");
	text.erase(text.find("    gateway6: fe80::1\n"), std::string("    gateway6: fe80::1\n").size());
	Config c = parse_ok(text);
	EXPECT_TRUE(c.exit->snat4);
	EXPECT_FALSE(c.exit->snat6) << "no IPv6 default route";
}

TEST(Exit, ErrorsNameFileLineAndKey)
{
	struct Case {
		std::string text;
		std::string want;
	} cases[] = {
		{with_exit("  snat: [203.0.113.1]\n"), "test.yaml:23: exit.port: missing; expected the name of the port "
						       "translated traffic leaves by"},
		{with_exit("  port: dmz\n"), "test.yaml:24: exit.port: no port named dmz; ports are wan, lan"},
		{with_exit("  port: lan\n"),
		 "test.yaml:23: exit.snat: port lan has no address with a gateway (gateway4 or gateway6) to translate to; "
		 "give the port a gateway, or name the addresses in exit.snat"},
		{with_exit("  port: lan\n  snat: [10.0.0.1]\n"),
		 "test.yaml:25: exit.snat[0]: port lan has no gateway4, and the exit's IPv4 default route leaves through it"},
		{with_exit("  port: wan\n  snat: [198.51.100.1]\n"),
		 "test.yaml:25: exit.snat[0]: 198.51.100.1 is outside port wan's ipv4 203.0.113.1/24"},
		{with_exit("  port: wan\n  snat: [203.0.113.254]\n"),
		 "test.yaml:25: exit.snat[0]: 203.0.113.254 is port wan's gateway"},
		{with_exit("  port: wan\n  snat: [203.0.113.1, 203.0.113.2]\n"),
		 "test.yaml:25: exit.snat[1]: a second IPv4 address; the exit takes one of each family"},
		{with_exit("  port: wan\n  snat: [203.0.113.1/24]\n"),
		 "test.yaml:25: exit.snat[0]: expected an IPv4 or IPv6 address such as 203.0.113.1, got \"203.0.113.1/24\""},
		{with_exit("  port: wan\n  snat: []\n"),
		 "test.yaml:25: exit.snat: expected a list of at most one IPv4 and one IPv6 address such as "
		 "[203.0.113.1, 2001:db8::1], got a list"},
		{with_exit("  port: wan\n  port_range: 2000\n"),
		 "test.yaml:25: exit.port_range: expected a port range such as 1024-65535, ports in 1..65535, got \"2000\""},
		{with_exit("  port: wan\n  port_range: 0-100\n"),
		 "test.yaml:25: exit.port_range: expected a port range such as 1024-65535, ports in 1..65535, got \"0-100\""},
		{with_exit("  port: wan\n  port_range: 1024-65536\n"),
		 "test.yaml:25: exit.port_range: expected a port range such as 1024-65535, ports in 1..65535, got "
		 "\"1024-65536\""},
		{with_exit("  port: wan\n  port_range: 3000-2000\n"),
		 "test.yaml:25: exit.port_range: 3000-2000 is empty: the first port comes after the last"},
		{with_exit("  port: wan\n  allow: everyone\n"),
		 "test.yaml:25: exit.allow: expected any, or a list of WireGuard public keys, got \"everyone\""},
		{with_exit("  port: wan\n  allow: [" + kKeyA + ", " + kKeyA + "]\n"),
		 "test.yaml:25: exit.allow[1]: duplicate public key " + kKeyA + ", also at exit.allow[0] (line 25)"},
		{with_exit("  port: wan\n  filtering: full-cone\n"),
		 "test.yaml:25: exit.filtering: expected endpoint-independent, address-dependent or "
		 "address-and-port-dependent, got \"full-cone\""},
		{with_exit("  port: wan\n  udp_timeout: 0s\n"),
		 "test.yaml:25: exit.udp_timeout: expected a duration greater than 0, got \"0s\""},
		{with_exit("  port: wan\n  icmp_timeout: 500ms\n"),
		 "test.yaml:25: exit.icmp_timeout: expected a duration of at least 1s, got \"500ms\""},
		{with_exit("  port: wan\n  max_sessions: 0\n"),
		 "test.yaml:25: exit.max_sessions: expected an integer in 1..16777216, got \"0\""},
		{with_exit("  port: wan\n  max_sessions: 100\n  max_sessions_per_peer: 101\n"),
		 "test.yaml:26: exit.max_sessions_per_peer: 101 is more than max_sessions 100"},
		{with_exit("  port: wan\n  masquerade: true\n"), "test.yaml:25: exit: unknown key exit.masquerade"},
	};
	for (const Case &c : cases) {
		auto r = parse(c.text);
		EXPECT_FALSE(r.ok()) << c.want;
		EXPECT_NE(r.error_text().find(c.want), std::string::npos) << "want: " << c.want << "\ngot:  " << r.error_text();
	}
}

TEST(Exit, SnatAddressesStayOutsideTheTunnel)
{
	// RFC 4787 REQ-7: an inside address as the outside one would make
	// answers to it ambiguous.
	std::string text = kBase;
	text.replace(text.find("10.99.0.1/24"), 12, "203.0.113.100/28");
	auto r = parse(text + "exit:\n  port: wan\n  snat: [203.0.113.101]\n");
	EXPECT_FALSE(r.ok());
	EXPECT_NE(r.error_text().find("203.0.113.101 is inside the tunnel's 203.0.113.100/28"), std::string::npos)
		<< r.error_text();
}

TEST(Exit, NeedsTheTunnel)
{
	auto r = parse(std::string(test::kMinimal) + "exit:\n  port: wan\n");
	EXPECT_FALSE(r.ok());
	EXPECT_NE(r.error_text().find("exit: the exit translates what comes out of the WireGuard tunnel, and there "
				      "is no wireguard section"),
		  std::string::npos)
		<< r.error_text();
}

} // namespace
} // namespace wayport::config
