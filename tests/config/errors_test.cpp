// Configs that are wrong: each must give a clear error naming the file,
// line and key, and never throw or crash.
#include <gtest/gtest.h>

#include "config/config.h"
#include "tests/config/helpers.h"

namespace wayport::config {
namespace {

using test::edited;
using test::kMinimal;

const std::string kKeyA = "discokey:" + std::string(64, 'a');

LoadResult parse(const std::string &text)
{
	return parse_config(text, "test.yaml");
}

// Exactly one error, on key, whose message contains want.
void expect_one_error(const LoadResult &r, const std::string &key, const std::string &want)
{
	EXPECT_FALSE(r.ok());
	EXPECT_FALSE(r.config);
	ASSERT_EQ(r.errors.size(), 1u) << r.error_text();
	EXPECT_EQ(r.errors[0].file, "test.yaml");
	EXPECT_GT(r.errors[0].line, 0);
	EXPECT_EQ(r.errors[0].key, key);
	EXPECT_NE(r.errors[0].message.find(want), std::string::npos) << r.error_text();
}

TEST(ConfigErrors, EveryKeyRefusesBadValues)
{
	struct Case {
		const char *path;
		std::string value;
		const char *want;
		const char *key = nullptr;  // the error's key when not path
	} cases[] = {
		// ports
		{"ports", "{a: 1}", "expected a list of ports, got a map"},
		{"ports", "wan", "expected a list of ports, got \"wan\""},
		{"ports", "[]", "expected a list of 1 to 32 ports"},
		{"ports[0]", "wan", "expected a map with the keys name, device, vdev_args"},
		{"ports[0].name", "WAN", "expected a name of 1 to 15 characters"},
		{"ports[0].name", "abcdefghijklmnop", "expected a name of 1 to 15"},
		{"ports[0].name", "wan!", "got \"wan!\""},
		{"ports[0].name", "", "got nothing"},
		{"ports[0].name", "[wan]", "got a list"},
		{"ports[0].device", "eth0", "expected a DPDK vdev name such as net_af_packet0 or a PCI"},
		{"ports[0].device", "net_", "expected a DPDK vdev name"},
		{"ports[0].device", "0000:01:00", "expected a DPDK vdev name"},
		{"ports[0].device", "0000:01:00.8", "expected a DPDK vdev name"},
		{"ports[0].device", "0000:01:20.0", "expected a DPDK vdev name"},
		{"ports[0].vdev_args", "", "expected vdev devargs such as iface=veth0, without spaces, got nothing"},
		{"ports[0].vdev_args", "iface=veth0 x", "expected vdev devargs"},
		{"ports[0].ipv4", "192.0.2.1", "expected an IPv4 address and prefix length 1..32"},
		{"ports[0].ipv4", "192.0.2.1/0", "expected an IPv4 address and prefix"},
		{"ports[0].ipv4", "192.0.2.1/33", "got \"192.0.2.1/33\""},
		{"ports[0].ipv4", "300.0.2.1/24", "expected an IPv4 address and prefix"},
		{"ports[0].ipv4", "2001:db8::1/64", "expected an IPv4 address and prefix"},
		{"ports[0].ipv6", "2001:db8::1", "expected an IPv6 address and prefix length 1..128"},
		{"ports[0].ipv6", "2001:db8::1/129", "expected an IPv6 address and prefix"},
		{"ports[0].ipv6", "192.0.2.1/24", "expected an IPv6 address and prefix"},
		{"ports[0].gateway4", "192.0.3.1", "192.0.3.1 is not on-link: it is outside ipv4 192.0.2.1/24"},
		{"ports[0].gateway4", "192.0.2.1", "192.0.2.1 is the port's own address"},
		{"ports[0].gateway4", "2001:db8::fe", "expected an IPv4 address such as 192.0.2.254"},
		{"ports[0].gateway4", "192.0.2", "expected an IPv4 address"},
		{"ports[0].gateway6", "fe80::1", "needs ipv6 on this port: a gateway must be on-link"},
		{"ports[0].mac", "01:00:5e:00:00:01", "expected a unicast MAC address"},
		{"ports[0].mac", "00:00:00:00:00:00", "expected a unicast MAC address"},
		{"ports[0].mac", "02:00:00:00:00", "expected a unicast MAC address"},
		{"ports[0].mac", "02-00-00-00-00-01", "expected a unicast MAC address"},
		{"ports[0].rx_queues", "0", "expected an integer in 1..64, got \"0\""},
		{"ports[0].rx_queues", "65", "expected an integer in 1..64"},
		{"ports[0].rx_queues", "-1", "expected an integer in 1..64"},
		{"ports[0].rx_queues", "1.5", "expected an integer in 1..64"},
		{"ports[0].rx_queues", "0x2", "expected an integer in 1..64"},
		{"ports[0].rx_queues", "99999999999999999999", "expected an integer in 1..64"},
		// lcores
		{"lcores", "[0, 1]", "expected a map with the keys control, workers, got a list"},
		{"lcores.control", "-1", "expected an integer in 0..127"},
		{"lcores.control", "128", "expected an integer in 0..127"},
		{"lcores.control", "first", "expected an integer in 0..127"},
		{"lcores.workers", "[]", "expected at least one worker lcore"},
		{"lcores.workers", "", "expected at least one worker lcore"},
		{"lcores.workers", "[0]", "lcore 0 is lcores.control", "lcores.workers[0]"},
		{"lcores.workers", "0-2", "lcore 0 is lcores.control"},
		{"lcores.workers", "[1, 2, 1]", "duplicate worker lcore 1, also at lcores.workers[0]",
		 "lcores.workers[2]"},
		{"lcores.workers", "[1, 128]", "expected an integer in 0..127", "lcores.workers[1]"},
		{"lcores.workers", "[1-3]", "expected an integer in 0..127", "lcores.workers[0]"},
		{"lcores.workers", "3-1", "expected a list of lcore ids such as [1, 2] or a range"},
		{"lcores.workers", "1-", "expected a list of lcore ids"},
		{"lcores.workers", "1-200", "expected a list of lcore ids"},
		{"lcores.workers", "{a: 1}", "expected a list of lcore ids"},
		// node
		{"node", "/var/lib/wayport", "expected a map with the keys state_dir"},
		{"node.state_dir", "var/lib/wayport", "expected an absolute path, got \"var/lib/wayport\""},
		{"node.state_dir", "", "expected an absolute path, got nothing"},
		// relay
		{"relay.port", "0", "expected an integer in 1..65535, got \"0\""},
		{"relay.port", "65536", "expected an integer in 1..65535"},
		{"relay.port", "[7777]", "expected an integer in 1..65535, got a list"},
		{"relay.static_endpoints", "203.0.113.5:7777", "expected a list of addresses and ports"},
		{"relay.static_endpoints", "[\"203.0.113.5\"]", "expected an address and port such as",
		 "relay.static_endpoints[0]"},
		{"relay.static_endpoints", "[\"203.0.113.5:0\"]", "expected an address and port",
		 "relay.static_endpoints[0]"},
		{"relay.static_endpoints", "[\"0.0.0.0:7777\"]", "expected an address and port",
		 "relay.static_endpoints[0]"},
		{"relay.static_endpoints", "[\"[::]:7777\"]", "expected an address and port",
		 "relay.static_endpoints[0]"},
		{"relay.static_endpoints", "[\"2001:db8::1:7777\"]", "expected an address and port",
		 "relay.static_endpoints[0]"},
		{"relay.static_endpoints", "[\"1.2.3.4:5\", \"1.2.3.4:5\"]",
		 "duplicate endpoint 1.2.3.4:5, also at relay.static_endpoints[0]",
		 "relay.static_endpoints[1]"},
		{"relay.bind_lifetime", "30 seconds",
		 "expected a Go duration such as 30s or 5m, got \"30 seconds\""},
		{"relay.bind_lifetime", "30", "expected a Go duration such as 30s or 5m, got \"30\""},
		{"relay.bind_lifetime", "0", "expected a duration greater than 0, got \"0\""},
		{"relay.bind_lifetime", "-1s", "expected a duration that is not negative, got \"-1s\""},
		{"relay.bind_lifetime", "9999999999h",
		 "expected a duration of at most 2562047h47m16.854775807s"},
		{"relay.bind_lifetime", "[30s]", "expected a Go duration such as 30s or 5m, got a list"},
		{"relay.steady_state_lifetime", "0s", "expected a duration greater than 0"},
		{"relay.steady_state_lifetime", "5 m", "expected a Go duration"},
		{"relay.allow_alloc_from", "[any, " + kKeyA + "]",
		 "any allows every client, so it must be the only entry"},
		{"relay.allow_alloc_from", "[any, any]", "must be the only entry"},
		{"relay.allow_alloc_from", "[nobody]", "expected any or a key such as discokey:",
		 "relay.allow_alloc_from[0]"},
		{"relay.allow_alloc_from", "[discokey:abcd]", "expected any or a key",
		 "relay.allow_alloc_from[0]"},
		{"relay.allow_alloc_from", "[\"" + std::string(64, 'a') + "\"]",
		 "expected any or a key", "relay.allow_alloc_from[0]"},
		{"relay.allow_alloc_from", "[discokey:" + std::string(64, '0') + "]",
		 "the all-zero key is nobody's key", "relay.allow_alloc_from[0]"},
		{"relay.allow_alloc_from", "[" + kKeyA + ", discokey:" + std::string(64, 'A') + "]",
		 "duplicate key", "relay.allow_alloc_from[1]"},
		{"relay.allow_alloc_from", "{any: 1}", "expected any, or a list of keys"},
		{"relay.alloc_rate", "0", "expected a number greater than 0 such as 10 or 0.5"},
		{"relay.alloc_rate", "-1", "expected a number greater than 0"},
		{"relay.alloc_rate", "ten", "expected a number greater than 0"},
		{"relay.alloc_rate", ".inf", "expected a number greater than 0"},
		{"relay.alloc_rate", "inf", "expected a number greater than 0"},
		{"relay.alloc_rate", "nan", "expected a number greater than 0"},
		{"relay.alloc_rate", "1e999", "expected a number greater than 0"},
		{"relay.alloc_burst", "0", "expected an integer of at least 1"},
		{"relay.alloc_burst", "4294967296", "expected an integer of at least 1"},
		{"relay.max_endpoints_per_client", "0", "expected an integer in 1..16777215"},
		{"relay.max_endpoints_per_client", "16777216", "expected an integer in 1..16777215"},
		{"relay.max_endpoints", "0", "expected an integer in 1..16777215"},
		{"relay.max_endpoints", "16777216", "expected an integer in 1..16777215"},
		// api
		{"api.socket", "run/api.sock", "expected an absolute path of at most 107 bytes"},
		{"api.socket", "/" + std::string(107, 's'), "expected an absolute path of at most 107"},
		{"api.metrics", "127.0.0.1", "expected an address and port such as 127.0.0.1:9100"},
		{"api.metrics", "127.0.0.1:0", "expected an address and port"},
		{"api.metrics", "localhost:9100", "expected an address and port"},
		{"api.metrics", "127.0.0.1:65536", "expected an address and port"},
		// dataplane
		{"dataplane", "fast", "expected a map with the keys burst, mbufs"},
		{"dataplane.burst", "0", "expected an integer in 1..512"},
		{"dataplane.burst", "513", "expected an integer in 1..512"},
		{"dataplane.mbufs", "1022", "expected an integer of at least 1023"},
		{"dataplane.mbufs", "4294967296", "expected an integer of at least 1023"},
		{"dataplane.punt_ring_size", "1000", "expected a power of two in 64..65536"},
		{"dataplane.punt_ring_size", "32", "expected an integer in 64..65536"},
		{"dataplane.punt_ring_size", "131072", "expected an integer in 64..65536"},
		{"dataplane.neighbor_queue", "0", "expected an integer in 1..4096"},
		{"dataplane.neighbor_queue", "4097", "expected an integer in 1..4096"},
		{"dataplane.neighbor_timeout", "0", "expected a duration greater than 0"},
		{"dataplane.neighbor_timeout", "1x", "expected a Go duration such as 30s or 5m"},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(std::string(c.path) + " = " + c.value);
		expect_one_error(parse(edited(c.path, c.value)), c.key ? c.key : c.path, c.want);
	}
}

TEST(ConfigErrors, MissingRequiredKeys)
{
	struct Case {
		const char *path;
		const char *want;
		const char *key = nullptr;
	} cases[] = {
		{"ports", "missing; expected a list of ports"},
		{"lcores", "missing; expected a map with control and workers"},
		{"lcores.control", "missing; expected an lcore id in 0..127"},
		{"lcores.workers", "missing; expected a list of lcore ids"},
		{"node", "missing; expected a map with state_dir"},
		{"node.state_dir", "missing; expected an absolute path"},
		// Optional now, but a config needs a role.
		{"relay", "needs at least one role: relay or wireguard", ""},
		{"relay.port", "missing; expected an integer in 1..65535"},
		{"api", "missing; expected a map with at least socket"},
		{"api.socket", "missing; expected an absolute path"},
		{"ports[0].name", "missing; expected a name of 1 to 15"},
		{"ports[0].device", "missing; expected a DPDK vdev name"},
		{"ports[0].ipv4", "needs ipv4 or ipv6 (or both)", "ports[0]"},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(c.path);
		expect_one_error(parse(edited(c.path, "", true)), c.key ? c.key : c.path, c.want);
	}
}

TEST(ConfigErrors, MessageNamesFileLineAndKey)
{
	const char *text = R"(ports:
  - name: wan
    device: net_af_packet0
    ipv4: 192.0.2.1/24
lcores:
  control: 0
  workers: [1]
node:
  state_dir: /var/lib/wayport
relay:
  port: 7777
  bind_lifetime: 30 seconds
api:
  socket: /run/wayport/api.sock
)";
	auto r = parse_config(text, "wayport.yaml");
	ASSERT_EQ(r.errors.size(), 1u);
	EXPECT_EQ(r.error_text(), "wayport.yaml:12: relay.bind_lifetime: expected a Go duration "
				  "such as 30s or 5m, got \"30 seconds\"\n");
}

TEST(ConfigErrors, UnknownKeysSuggestTheClosest)
{
	struct Case {
		std::string text;
		std::string want;
	} cases[] = {
		{edited("relay.prot", "7777"),
		 "relay: unknown key relay.prot (did you mean relay.port?)"},
		{edited("relay.bind_lifetim", "30s"),
		 "relay: unknown key relay.bind_lifetim (did you mean relay.bind_lifetime?)"},
		{edited("ports[0].nmae", "x"),
		 "ports[0]: unknown key ports[0].nmae (did you mean ports[0].name?)"},
		{edited("ports[0].Mac", "02:00:00:00:00:01"),
		 "ports[0]: unknown key ports[0].Mac (did you mean ports[0].mac?)"},
		{std::string(kMinimal) + "dataplan:\n  burst: 32\n",
		 "unknown key dataplan (did you mean dataplane?)"},
		{edited("relay.xyzzy", "1"), "relay: unknown key relay.xyzzy"},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(c.want);
		auto r = parse(c.text);
		ASSERT_EQ(r.errors.size(), 1u) << r.error_text();
		std::string got = r.errors[0].to_string();
		EXPECT_TRUE(got.starts_with("test.yaml:")) << got;
		EXPECT_TRUE(got.ends_with(c.want)) << got;
		if (c.want.find("xyzzy") != std::string::npos) {
			EXPECT_EQ(got.find("did you mean"), std::string::npos) << got;
		}
	}
}

TEST(ConfigErrors, UnknownKeyLineIsTheKeysLine)
{
	auto r = parse(std::string(kMinimal) + "\n\nrelya:\n  port: 1\n");
	ASSERT_EQ(r.errors.size(), 1u);
	EXPECT_EQ(r.errors[0].to_string(),
		  "test.yaml:16: unknown key relya (did you mean relay?)");
}

TEST(ConfigErrors, DuplicatePortNamesAndDevices)
{
	const char *text = R"(ports:
  - name: wan
    device: 0000:01:00.0
    ipv4: 192.0.2.1/24
  - name: wan
    device: 01:00.0
    ipv4: 198.51.100.1/24
lcores: {control: 0, workers: [1]}
node: {state_dir: /var/lib/wayport}
relay: {port: 7777}
api: {socket: /run/wayport/api.sock}
)";
	auto r = parse(text);
	ASSERT_EQ(r.errors.size(), 2u) << r.error_text();
	EXPECT_EQ(r.errors[0].to_string(),
		  "test.yaml:5: ports[1].name: duplicate port name wan, also at ports[0].name (line 2)");
	// One device written two ways.
	EXPECT_EQ(r.errors[1].to_string(),
		  "test.yaml:6: ports[1].device: duplicate device 0000:01:00.0, also at "
		  "ports[0].device (line 3)");
}

TEST(ConfigErrors, KeyGivenTwice)
{
	auto r = parse(std::string(kMinimal) + "dataplane:\n  burst: 1\n  burst: 2\n");
	ASSERT_EQ(r.errors.size(), 1u) << r.error_text();
	EXPECT_EQ(r.errors[0].to_string(),
		  "test.yaml:16: dataplane.burst: given twice (first at line 15)");
}

TEST(ConfigErrors, GatewayOffLink)
{
	auto r = parse(edited("ports[0].gateway4", "192.0.2.1"));
	expect_one_error(r, "ports[0].gateway4", "is the port's own address");

	const char *six = R"(ports:
  - name: wan
    device: net_tap0
    ipv6: 2001:db8::1/64
    gateway6: 2001:db8:0:1::1
lcores: {control: 0, workers: 1-2}
node: {state_dir: /s}
relay: {port: 1}
api: {socket: /a}
)";
	r = parse(six);
	ASSERT_EQ(r.errors.size(), 1u) << r.error_text();
	EXPECT_EQ(r.errors[0].to_string(),
		  "test.yaml:5: ports[0].gateway6: 2001:db8:0:1::1 is not on-link: it is outside "
		  "ipv6 2001:db8::1/64 and not link-local (fe80::/10)");

	// gateway4 with no ipv4 at all.
	std::string text4 = edited("ports[0].ipv4", "", true);
	text4.insert(text4.find("device"), "ipv6: 2001:db8::1/64\n    gateway4: 192.0.2.254\n    ");
	r = parse(text4);
	expect_one_error(r, "ports[0].gateway4", "needs ipv4 on this port");
}

TEST(ConfigErrors, VdevArgsOnlyForVdevs)
{
	auto r = parse(edited("ports[0].device", "0000:01:00.0"));
	ASSERT_TRUE(r.ok()) << r.error_text();
	std::string text = edited("ports[0].device", "0000:01:00.0");
	text.insert(text.find("device"), "vdev_args: iface=eth0\n    ");
	expect_one_error(parse(text), "ports[0].vdev_args",
			 "only a vdev takes devargs, and device 0000:01:00.0 is a PCI address");
}

TEST(ConfigErrors, AllErrorsAreReportedInLineOrder)
{
	const char *text = R"(ports:
  - name: WAN
    device: eth0
lcores:
  control: 0
  workers: [0]
node:
  state_dir: relative
relay:
  prot: 7777
  bind_lifetime: 5
api:
  socket: /run/wayport/api.sock
  metrics: localhost
)";
	auto r = parse(text);
	std::vector<std::string> got;
	for (const auto &e : r.errors)
		got.push_back(std::to_string(e.line) + " " + e.key);
	EXPECT_EQ(got, (std::vector<std::string>{
			       "2 ports[0].name",
			       "2 ports[0]",  // needs ipv4 or ipv6, at the item's line
			       "3 ports[0].device", "6 lcores.workers[0]",
			       "8 node.state_dir", "9 relay.port", "10 relay", "11 relay.bind_lifetime",
			       "14 api.metrics"}))
		<< r.error_text();
}

TEST(ConfigErrors, NotYamlOrNotAMap)
{
	struct Case {
		std::string text;
		std::string want;
	} cases[] = {
		{"", "test.yaml: the file is empty; expected a map with the keys ports"},
		{"# only a comment\n", "test.yaml: the file is empty"},
		{"ports: [\n", "test.yaml:2: YAML syntax error at column 1: end of sequence flow not found"},
		{"a: b: c\n", "test.yaml:1: YAML syntax error at column 5: illegal map value"},
		{"a: *nowhere\n", "test.yaml:1: YAML syntax error at column 4: the referenced anchor is not defined"},
		{"\tports: 1\n", "test.yaml:1: YAML syntax error"},
		{"- 1\n- 2\n", "test.yaml:1: expected a map with the keys ports, lcores, node, relay, "
			       "wireguard, routes, exit, api, dataplane, got a list"},
		{"just words\n", "test.yaml:1: expected a map with the keys ports"},
		{std::string(kMinimal) + "---\nmore: 1\n", "test.yaml:15: expected one YAML document, found 2"},
		{"? [a, b]\n: 1\n", "test.yaml:1: a key must be a plain word, got a list"},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(c.text);
		auto r = parse(c.text);
		ASSERT_FALSE(r.ok());
		ASSERT_FALSE(r.errors.empty());
		EXPECT_TRUE(r.errors[0].to_string().starts_with(c.want)) << r.error_text();
	}
}

TEST(ConfigErrors, ValuesAreQuotedAndShortened)
{
	auto r = parse(edited("relay.bind_lifetime", "\"a\\\"b\\tc\""));
	expect_one_error(r, "relay.bind_lifetime", "got \"a\\\"b\\x09c\"");
	r = parse(edited("node.state_dir", std::string(200, 'x')));
	expect_one_error(r, "node.state_dir", "got \"" + std::string(64, 'x') + "...\"");
}

TEST(ConfigErrors, HostileInputNeverThrows)
{
	// Deep nesting (yaml-cpp guards its recursion), binary junk, and every
	// truncation and byte flip of the minimal config.
	std::string deep = "ports: " + std::string(20000, '[') + std::string(20000, ']') + "\n";
	EXPECT_FALSE(parse(deep).ok());
	EXPECT_FALSE(parse(std::string("ports:\0\xff\xfe\n", 10)).ok());
	std::string base = kMinimal;
	for (size_t i = 0; i < base.size(); i++) {
		EXPECT_NO_THROW(parse(base.substr(0, i)));
		for (char c : {'\0', ':', '[', '-', ' ', '\n', '"', '&', '*'}) {
			std::string m = base;
			m[i] = c;
			LoadResult r;
			EXPECT_NO_THROW(r = parse(m));
			EXPECT_EQ(r.ok(), r.errors.empty());
		}
	}
}

} // namespace
} // namespace wayport::config
