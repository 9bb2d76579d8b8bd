// Configs that are valid: every key read into the struct, defaults filled
// in, the example file and loading from disk.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>

#include "config/config.h"
#include "tests/config/helpers.h"

namespace wayport::config {
namespace {

using test::kMinimal;

const char *const kFull = R"(# every key
ports:
  - name: wan
    device: net_af_packet0
    vdev_args: "iface=veth0"
    ipv4: 192.0.2.1/24
    ipv6: 2001:db8::1/64
    gateway4: 192.0.2.254
    gateway6: 2001:db8::fe
    mac: 02:00:00:00:00:01
    rx_queues: 4
  - name: lan-1
    device: 01:00.0
    ipv6: 2001:db8:1::1/64
    gateway6: fe80::1
lcores:
  control: 0
  workers: [3, 1, 2]
node:
  state_dir: /var/lib/wayport
relay:
  port: 7777
  static_endpoints: ["203.0.113.5:7777", "[2001:db8::1]:7777"]
  bind_lifetime: 1.5s
  steady_state_lifetime: 2h45m
  allow_alloc_from:
    - discokey:0123456789abcdef0123456789abcdef0123456789abcdef0123456789ABCDEF
    - discokey:1111111111111111111111111111111111111111111111111111111111111111
  alloc_rate: 0.5
  alloc_burst: 3
  max_endpoints_per_client: 7
  max_endpoints: 16777215
api:
  socket: /run/wayport/api.sock
  metrics: "[::1]:9100"
dataplane:
  burst: 64
  mbufs: 16383
  punt_ring_size: 4096
  neighbor_queue: 8
  neighbor_timeout: 90s
)";

Config parse_ok(const std::string &text)
{
	auto r = parse_config(text, "test.yaml");
	EXPECT_TRUE(r.ok()) << r.error_text();
	EXPECT_TRUE(r.errors.empty());
	return r.config.value_or(Config{});
}

TEST(Config, FullConfigFillsEveryField)
{
	Config c = parse_ok(kFull);
	ASSERT_EQ(c.ports.size(), 2u);
	const Port &wan = c.ports[0];
	EXPECT_EQ(wan.name, "wan");
	EXPECT_EQ(wan.device, "net_af_packet0");
	EXPECT_TRUE(wan.is_vdev());
	EXPECT_EQ(wan.vdev_args, "iface=veth0");
	EXPECT_EQ(wan.ipv4, IpPrefix::parse("192.0.2.1/24", true));
	EXPECT_EQ(wan.ipv6, IpPrefix::parse("2001:db8::1/64", false));
	EXPECT_EQ(wan.gateway4, parse_ip("192.0.2.254", true));
	EXPECT_EQ(wan.gateway6, parse_ip("2001:db8::fe", false));
	EXPECT_EQ(wan.mac, (MacAddr{2, 0, 0, 0, 0, 1}));
	EXPECT_EQ(wan.rx_queues, 4);

	const Port &lan = c.ports[1];
	EXPECT_EQ(lan.name, "lan-1");
	EXPECT_EQ(lan.device, "0000:01:00.0");  // the full form
	EXPECT_FALSE(lan.is_vdev());
	EXPECT_EQ(lan.vdev_args, "");
	EXPECT_FALSE(lan.ipv4);
	EXPECT_FALSE(lan.gateway4);
	EXPECT_EQ(lan.gateway6, parse_ip("fe80::1", false));  // link-local, off the prefix
	EXPECT_FALSE(lan.mac);
	EXPECT_EQ(lan.rx_queues, 1);

	EXPECT_EQ(c.lcores.control, 0u);
	EXPECT_EQ(c.lcores.workers, (std::vector<unsigned>{3, 1, 2}));
	EXPECT_EQ(c.node.state_dir, "/var/lib/wayport");

	ASSERT_TRUE(c.relay);
	const Relay &r = *c.relay;
	EXPECT_EQ(r.port, 7777);
	ASSERT_EQ(r.static_endpoints.size(), 2u);
	EXPECT_EQ(r.static_endpoints[0].to_string(), "203.0.113.5:7777");
	EXPECT_EQ(r.static_endpoints[1].to_string(), "[2001:db8::1]:7777");
	EXPECT_EQ(r.bind_lifetime, 1500 * kMillisecond);
	EXPECT_EQ(r.steady_state_lifetime, 2 * kHour + 45 * kMinute);
	EXPECT_FALSE(r.allow_alloc_from_any);
	ASSERT_EQ(r.allow_alloc_from.size(), 2u);
	EXPECT_EQ(r.allow_alloc_from[0].to_text(),
		  "discokey:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	EXPECT_EQ(r.alloc_rate, 0.5);
	EXPECT_EQ(r.alloc_burst, 3u);
	EXPECT_EQ(r.max_endpoints_per_client, 7u);
	EXPECT_EQ(r.max_endpoints, kMaxEndpoints);

	EXPECT_EQ(c.api.socket, "/run/wayport/api.sock");
	ASSERT_TRUE(c.api.metrics);
	EXPECT_EQ(c.api.metrics->to_string(), "[::1]:9100");

	EXPECT_EQ(c.dataplane.burst, 64u);
	EXPECT_EQ(c.dataplane.mbufs, 16383u);
	EXPECT_EQ(c.dataplane.punt_ring_size, 4096u);
	EXPECT_EQ(c.dataplane.neighbor_queue, 8u);
	EXPECT_EQ(c.dataplane.neighbor_timeout, 90 * kSecond);
}

TEST(Config, MinimalConfigTakesTheDefaults)
{
	Config c = parse_ok(kMinimal);
	ASSERT_EQ(c.ports.size(), 1u);
	EXPECT_EQ(c.ports[0].rx_queues, 1);
	EXPECT_FALSE(c.ports[0].ipv6);
	EXPECT_FALSE(c.ports[0].mac);
	EXPECT_EQ(c.lcores.workers, (std::vector<unsigned>{1}));
	ASSERT_TRUE(c.relay);
	EXPECT_EQ(c.relay->port, 7777);
	EXPECT_TRUE(c.relay->static_endpoints.empty());
	EXPECT_EQ(c.relay->bind_lifetime, 30 * kSecond);
	EXPECT_EQ(c.relay->steady_state_lifetime, 5 * kMinute);
	// Closed by default: nobody may allocate over UDP.
	EXPECT_FALSE(c.relay->allow_alloc_from_any);
	EXPECT_TRUE(c.relay->allow_alloc_from.empty());
	EXPECT_EQ(c.relay->alloc_rate, 10);
	EXPECT_EQ(c.relay->alloc_burst, 20u);
	EXPECT_EQ(c.relay->max_endpoints_per_client, 1000u);
	EXPECT_EQ(c.relay->max_endpoints, 1000000u);
	EXPECT_FALSE(c.api.metrics);
	EXPECT_EQ(c.dataplane.burst, 32u);
	EXPECT_EQ(c.dataplane.mbufs, 8191u);
	EXPECT_EQ(c.dataplane.punt_ring_size, 1024u);
	EXPECT_EQ(c.dataplane.neighbor_queue, 64u);
	EXPECT_EQ(c.dataplane.neighbor_timeout, 5 * kMinute);
}

TEST(Config, EmptySectionsAndListsAreEmpty)
{
	// Everything in dataplane commented out, and empty optional lists.
	Config c = parse_ok(std::string(kMinimal) + "dataplane:\n");
	EXPECT_EQ(c.dataplane.burst, 32u);
	c = parse_ok(test::edited("relay.static_endpoints", "[]"));
	EXPECT_TRUE(c.relay->static_endpoints.empty());
	c = parse_ok(test::edited("relay.allow_alloc_from", "[]"));
	EXPECT_FALSE(c.relay->allow_alloc_from_any);
	EXPECT_TRUE(c.relay->allow_alloc_from.empty());
}

TEST(Config, AllowAnyAsListOrWord)
{
	for (const char *v : {"[any]", "any"}) {
		SCOPED_TRACE(v);
		Config c = parse_ok(test::edited("relay.allow_alloc_from", v));
		EXPECT_TRUE(c.relay->allow_alloc_from_any);
		EXPECT_TRUE(c.relay->allow_alloc_from.empty());
	}
}

TEST(Config, WorkersAsRangeStrings)
{
	struct Case {
		const char *value;
		std::vector<unsigned> want;
	} cases[] = {
		{"1-3", {1, 2, 3}},
		{"2", {2}},
		{"\"1,3,5-7\"", {1, 3, 5, 6, 7}},
		{"[5, 2]", {5, 2}},
		{"126-127", {126, 127}},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(c.value);
		EXPECT_EQ(parse_ok(test::edited("lcores.workers", c.value)).lcores.workers, c.want);
	}
}

TEST(Config, ListenersMayUseTheUnspecifiedAddress)
{
	Config c = parse_ok(test::edited("api.metrics", "0.0.0.0:9100"));
	EXPECT_EQ(c.api.metrics->to_string(), "0.0.0.0:9100");
}

TEST(Config, ExampleFileIsValid)
{
	auto r = load_config(WAYPORT_EXAMPLE_CONFIG);
	ASSERT_TRUE(r.ok()) << r.error_text();
	const Config &c = *r.config;
	ASSERT_EQ(c.ports.size(), 2u);
	EXPECT_EQ(c.ports[0].vdev_args, "iface=veth0");
	EXPECT_TRUE(c.ports[0].gateway6);
	EXPECT_EQ(c.ports[1].device, "0000:01:00.0");
	ASSERT_TRUE(c.relay);
	EXPECT_EQ(c.relay->port, 7777);
	EXPECT_EQ(c.relay->static_endpoints.size(), 2u);
	EXPECT_TRUE(c.relay->allow_alloc_from_any);
	// The example shows the defaults, so it must agree with the struct.
	EXPECT_EQ(c.relay->bind_lifetime, Relay{}.bind_lifetime);
	EXPECT_EQ(c.relay->steady_state_lifetime, Relay{}.steady_state_lifetime);
	EXPECT_EQ(c.relay->alloc_rate, Relay{}.alloc_rate);
	EXPECT_EQ(c.relay->alloc_burst, Relay{}.alloc_burst);
	EXPECT_EQ(c.relay->max_endpoints_per_client, Relay{}.max_endpoints_per_client);
	EXPECT_EQ(c.relay->max_endpoints, Relay{}.max_endpoints);
	EXPECT_EQ(c.ports[0].rx_queues, Port{}.rx_queues);
	EXPECT_EQ(c.dataplane.burst, Dataplane{}.burst);
	EXPECT_EQ(c.dataplane.mbufs, Dataplane{}.mbufs);
	EXPECT_EQ(c.dataplane.punt_ring_size, Dataplane{}.punt_ring_size);
	EXPECT_EQ(c.dataplane.neighbor_queue, Dataplane{}.neighbor_queue);
	EXPECT_EQ(c.dataplane.neighbor_timeout, Dataplane{}.neighbor_timeout);

	ASSERT_TRUE(c.wireguard);
	const Wireguard &w = *c.wireguard;
	EXPECT_EQ(w.listen_port, Wireguard{}.listen_port);
	EXPECT_EQ(w.private_key_file, c.node.state_dir + "/wireguard.key");
	EXPECT_EQ(w.addresses.size(), 2u);
	EXPECT_EQ(w.mtu, Wireguard{}.mtu);
	EXPECT_EQ(w.handshake_threads, Wireguard{}.handshake_threads);
	EXPECT_EQ(w.max_peers, Wireguard{}.max_peers);
	ASSERT_EQ(w.peers.size(), 1u);
	EXPECT_EQ(w.peers[0].allowed_ips.size(), 2u);
	EXPECT_TRUE(w.peers[0].endpoint);
	EXPECT_EQ(w.peers[0].persistent_keepalive, 25 * kSecond);
	EXPECT_FALSE(w.peers[0].preshared_key_file.empty());
	EXPECT_EQ(w.peers[0].roaming, WireguardPeer{}.roaming);
	ASSERT_EQ(c.routes.size(), 2u);
	EXPECT_EQ(c.routes[0].port, "wan");
	EXPECT_EQ(c.routes[1].port, "lan");
}

TEST(Config, ExampleFileDocumentsEveryKey)
{
	// Every key appears in the example at least once with a comment on the
	// line above it.
	std::ifstream in(WAYPORT_EXAMPLE_CONFIG);
	std::set<std::string> documented;
	std::string line;
	bool comment_above = false;
	while (std::getline(in, line)) {
		size_t start = line.find_first_not_of(" -");
		if (start == std::string::npos)
			continue;
		bool comment = line[start] == '#';
		size_t colon = line.find(':', start);
		if (!comment && colon != std::string::npos && comment_above)
			documented.insert(line.substr(start, colon - start));
		comment_above = comment;
	}
	for (const char *key : {"ports", "name", "device", "vdev_args", "ipv4", "ipv6", "gateway4",
				"gateway6", "mac", "rx_queues", "lcores", "control", "workers", "node",
				"state_dir", "relay", "port", "static_endpoints", "bind_lifetime",
				"steady_state_lifetime", "allow_alloc_from", "alloc_rate", "alloc_burst",
				"max_endpoints_per_client", "max_endpoints", "api", "socket", "metrics",
				"dataplane", "burst", "mbufs", "punt_ring_size", "neighbor_queue",
				"neighbor_timeout", "wireguard", "listen_port", "private_key_file",
				"addresses", "mtu", "peers", "public_key", "allowed_ips", "endpoint",
				"persistent_keepalive", "preshared_key_file", "roaming", "handshake_threads",
				"max_peers", "routes",
				"prefix", "via"})
		EXPECT_TRUE(documented.count(key)) << "no comment above " << key;
}

TEST(Config, LoadsAFile)
{
	char path[] = "/tmp/wayport-config-test-XXXXXX";
	int fd = mkstemp(path);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(write(fd, kMinimal, strlen(kMinimal)), static_cast<ssize_t>(strlen(kMinimal)));
	close(fd);
	auto r = load_config(path);
	unlink(path);
	EXPECT_TRUE(r.ok()) << r.error_text();
}

TEST(Config, UnreadablePathIsAClearError)
{
	auto r = load_config("/nonexistent/wayport.yaml");
	ASSERT_FALSE(r.ok());
	ASSERT_EQ(r.errors.size(), 1u);
	EXPECT_EQ(r.errors[0].to_string(),
		  "/nonexistent/wayport.yaml: cannot read the file: No such file or directory");

	r = load_config("/tmp");
	ASSERT_EQ(r.errors.size(), 1u);
	EXPECT_EQ(r.errors[0].to_string(), "/tmp: cannot read the file: Is a directory");
}

TEST(Config, OversizedFileIsRefused)
{
	char path[] = "/tmp/wayport-config-test-XXXXXX";
	int fd = mkstemp(path);
	ASSERT_GE(fd, 0);
	std::string comment = "#" + std::string(1 << 20, 'x') + "\n";
	ASSERT_EQ(write(fd, comment.data(), comment.size()), static_cast<ssize_t>(comment.size()));
	close(fd);
	auto r = load_config(path);
	unlink(path);
	ASSERT_EQ(r.errors.size(), 1u);
	EXPECT_NE(r.errors[0].message.find("larger than 1 MiB"), std::string::npos);
}

} // namespace
} // namespace wayport::config
