// ServerEndpoint JSON, peer-relay-sessions JSON and the Prometheus text.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "controlplane/relay/status.h"
#include "tests/relay/harness.h"

namespace wayport::relay {
namespace {

using namespace test;

disco::PublicKey key_of(uint8_t fill)
{
	disco::PublicKey k;
	k.bytes.fill(fill);
	return k;
}

TEST(Status, ServerEndpointJsonIsTailscales)
{
	ServerEndpoint ep;
	ep.server_disco = key_of(0x11);
	ep.client_disco = {key_of(0x22), key_of(0x33)};
	ep.lamport_id = 7;
	ep.vni = 16777215;
	ep.bind_lifetime_ns = 30 * kSecond;
	ep.steady_state_lifetime_ns = 5 * kMinute;
	ep.addr_ports = {v4(203, 0, 113, 5, 7777), v6(1, 7777)};
	std::string k1(64, '1'), k2(64, '2'), k3(64, '3');
	EXPECT_EQ(server_endpoint_json(ep),
		  "{\"ServerDisco\":\"discokey:" + k1 + "\",\"ClientDisco\":[\"discokey:" + k2 +
			  "\",\"discokey:" + k3 +
			  "\"],\"LamportID\":7,\"AddrPorts\":[\"203.0.113.5:7777\",\"[2001:db8::1]:7777\"],"
			  "\"VNI\":16777215,\"BindLifetime\":\"30s\",\"SteadyStateLifetime\":\"5m0s\"}");

	ep.bind_lifetime_ns = 1500 * kMillisecond;
	ep.steady_state_lifetime_ns = kHour;
	auto j = nlohmann::json::parse(server_endpoint_json(ep));
	EXPECT_EQ(j["BindLifetime"], "1.5s");
	EXPECT_EQ(j["SteadyStateLifetime"], "1h0m0s");
}

TEST(Status, SessionsJson)
{
	Config config;
	config.udp_port = 7777;
	Relay relay(config);
	Peer a, b, c;
	AddrPort a_addr = v4(192, 0, 2, 1, 1001), b_addr = v6(2, 1002);
	uint32_t vni = relay.allocate(a, b).vni;
	relay.allocate(a, c);
	ASSERT_TRUE(relay.handshake(a, b.pub, vni, 1, a_addr, kT0));
	ASSERT_TRUE(relay.handshake(b, a.pub, vni, 1, b_addr, kT0));
	// What the workers relay reaches the sessions through their counters.
	relay.workers.relay(vni, a_addr, data_packet(vni, {1, 2, 3}).size(), kT0);
	relay.workers.relay(vni, a_addr, data_packet(vni, {1, 2, 3}).size(), kT0);

	auto j = nlohmann::json::parse(relay.server.sessions_json());
	EXPECT_EQ(j["UDPPort"], 7777);
	ASSERT_EQ(j["Sessions"].size(), 2u);
	auto s = j["Sessions"][0];
	EXPECT_EQ(s["VNI"], vni);
	const Endpoint *e = relay.server.find(vni);
	int la = e->client[0] == a.pub ? 0 : 1;
	auto ca = s[la == 0 ? "Client1" : "Client2"];
	auto cb = s[la == 0 ? "Client2" : "Client1"];
	EXPECT_EQ(ca["Endpoint"], "192.0.2.1:1001");
	EXPECT_EQ(ca["ShortDisco"], a.pub.short_text());
	EXPECT_EQ(ca["PacketsTx"], 2);
	EXPECT_EQ(ca["BytesTx"], 22);
	EXPECT_EQ(cb["Endpoint"], "[2001:db8::2]:1002");
	EXPECT_EQ(cb["PacketsTx"], 0);
	EXPECT_EQ(j["Sessions"][1]["Client1"]["Endpoint"], "");  // not bound yet

	Relay no_port;
	EXPECT_TRUE(nlohmann::json::parse(no_port.server.sessions_json())["UDPPort"].is_null());
}

TEST(Status, Prometheus)
{
	Relay relay;
	Peer a, b;
	AddrPort a_addr = v4(192, 0, 2, 1, 1001), b_addr = v6(2, 1002);
	uint32_t vni = relay.allocate(a, b).vni;
	ASSERT_TRUE(relay.handshake(a, b.pub, vni, 1, a_addr, kT0));
	ASSERT_TRUE(relay.handshake(b, a.pub, vni, 1, b_addr, kT0));
	relay.workers.relay(vni, a_addr, data_packet(vni, {1, 2, 3}).size(), kT0);
	relay.workers.relay(vni, a_addr, data_packet(vni, {1}).size(), kT0 + 1);
	relay.send(data_packet(vni + 1, {1}), a_addr, kT0);  // data is never the core's

	std::string text = render_prometheus(relay.server.metrics());
	auto has = [&](const std::string &line) {
		return text.find(line + "\n") != std::string::npos;
	};
	EXPECT_TRUE(has("# TYPE wayport_peer_relay_forwarded_packets_total counter"));
	EXPECT_TRUE(has("# TYPE wayport_peer_relay_forwarded_bytes_total counter"));
	EXPECT_TRUE(has("# TYPE wayport_peer_relay_endpoints gauge"));
	EXPECT_TRUE(has("wayport_peer_relay_forwarded_packets_total{transport_in=\"udp4\",transport_out=\"udp6\"} 2"));
	EXPECT_TRUE(has("wayport_peer_relay_forwarded_bytes_total{transport_in=\"udp4\",transport_out=\"udp6\"} 20"));
	EXPECT_TRUE(has("wayport_peer_relay_forwarded_packets_total{transport_in=\"udp6\",transport_out=\"udp4\"} 0"));
	EXPECT_TRUE(has("wayport_peer_relay_endpoints{state=\"open\"} 1"));
	EXPECT_TRUE(has("wayport_peer_relay_endpoints{state=\"connecting\"} 0"));
	EXPECT_TRUE(has("wayport_peer_relay_dropped_packets_total{reason=\"data\"} 1"));
	EXPECT_TRUE(has("wayport_peer_relay_handshakes_total{outcome=\"challenge_sent\"} 2"));
	EXPECT_TRUE(has("wayport_peer_relay_handshakes_total{outcome=\"bound\"} 2"));
	EXPECT_TRUE(has("wayport_peer_relay_allocation_refusals_total{reason=\"not_allowed\"} 0"));
	// Every sample line has a HELP and a TYPE for its family.
	for (const char *name : {"forwarded_packets_total", "forwarded_bytes_total", "endpoints",
				 "endpoints_expired_total", "dropped_packets_total", "handshakes_total",
				 "allocations_total", "allocation_refusals_total"})
		EXPECT_TRUE(text.find(std::string("# HELP wayport_peer_relay_") + name + " ") !=
			    std::string::npos)
			<< name;
}

} // namespace
} // namespace wayport::relay
