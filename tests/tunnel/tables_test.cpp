// The WireGuard tables built from a parsed configuration: every peer's
// allowed IPs name its slot, the FIB routes the ports' networks and the
// static routes, the rings exist one per worker and per pair, and a
// configuration the sizes cannot take is refused by name.
#include <gtest/gtest.h>

#include <string>

#include "config/config.h"
#include "controlplane/tunnel/tables.h"
#include "tests/dataplane/wg_packets.h"

namespace wayport::tunnel {
namespace {

using test::ip4;

const std::string kPeer0 = "ERERERERERERERERERERERERERERERERERERERERERE=";

const std::string kConfig = R"(ports:
  - name: wan
    device: net_null0
    ipv4: 192.0.2.1/24
    gateway4: 192.0.2.254
  - name: lan
    device: net_null1
    ipv4: 10.0.0.1/24
lcores:
  control: 0
  workers: [1]
node:
  state_dir: /var/lib/wayport
wireguard:
  listen_port: 51999
  addresses: [10.99.0.1/24]
  peers:
    - public_key: ERERERERERERERERERERERERERERERERERERERERERE=
      allowed_ips: [10.99.0.2/32]
    - public_key: IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=
      allowed_ips: [10.99.1.0/24, 172.20.0.0/16]
routes:
  - prefix: 198.18.0.0/15
    via: 10.0.0.254
    port: lan
api:
  socket: /run/wayport/api.sock
)";

std::vector<Port> ports_of(const config::Config &cfg)
{
	std::vector<Port> ports;
	for (size_t i = 0; i < cfg.ports.size(); i++) {
		Port p;
		p.port_id = static_cast<uint16_t>(i);
		p.ipv4 = cfg.ports[i].ipv4->addr;
		p.ipv4_prefix = static_cast<uint8_t>(cfg.ports[i].ipv4->len);
		p.gateway4 = cfg.ports[i].gateway4;
		ports.push_back(p);
	}
	return ports;
}

class TablesTest : public testing::Test {
protected:
	void SetUp() override
	{
		auto loaded = config::parse_config(kConfig, "test.yaml");
		ASSERT_TRUE(loaded.ok()) << loaded.error_text();
		cfg_ = *loaded.config;
	}

	config::Config cfg_;
	Qsbr qsbr_{2};
	NeighbourSlots slots_{16};
};

TEST_F(TablesTest, PeersRoutesAndRingsFromTheConfiguration)
{
	std::string error;
	auto t = Tables::create(cfg_, ports_of(cfg_), 2, qsbr_, slots_, TableSizes{}, error);
	ASSERT_TRUE(t) << error;
	EXPECT_EQ(t->peer_count(), 2u);
	EXPECT_EQ(t->allowed_ips().lookup4(ip4(10, 99, 0, 2).ip4()), 0u);
	EXPECT_EQ(t->allowed_ips().lookup4(ip4(10, 99, 1, 77).ip4()), 1u);
	EXPECT_EQ(t->allowed_ips().lookup4(ip4(172, 20, 3, 4).ip4()), 1u);
	EXPECT_EQ(t->allowed_ips().lookup4(ip4(10, 99, 0, 3).ip4()), PrefixTable::kNoMatch);

	const Fib &fib = t->fib();
	uint32_t via_route = fib.lookup4(ip4(198, 19, 0, 1).ip4());
	ASSERT_NE(via_route, Fib::kNoMatch);
	EXPECT_EQ(fib.next_hop(via_route).port, 1);
	EXPECT_EQ(fib.next_hop(via_route).gateway, ip4(10, 0, 0, 254));
	uint32_t lan = fib.lookup4(ip4(10, 0, 0, 5).ip4());
	ASSERT_NE(lan, Fib::kNoMatch);
	EXPECT_FALSE(fib.next_hop(lan).via_gateway);
	uint32_t beyond = fib.lookup4(ip4(203, 0, 113, 9).ip4());
	ASSERT_NE(beyond, Fib::kNoMatch) << "the wan gateway is the default route";
	EXPECT_EQ(fib.next_hop(beyond).port, 0);

	const WireGuardShared &s = t->shared();
	EXPECT_EQ(s.listen_port, 51999);
	EXPECT_EQ(s.workers, 2u);
	ASSERT_EQ(s.handshake.size(), 2u);
	EXPECT_NE(s.handshake[0], nullptr);
	EXPECT_NE(s.handshake[1], nullptr);
	ASSERT_EQ(s.handoff.size(), 4u);
	EXPECT_EQ(s.handoff[0], nullptr);
	EXPECT_NE(s.handoff[1], nullptr);
	EXPECT_NE(s.handoff[2], nullptr);
	EXPECT_EQ(s.handoff[3], nullptr);
	EXPECT_TRUE(s.input->tunnel.has_ipv4);
	EXPECT_FALSE(s.input->tunnel.has_ipv6);
	EXPECT_EQ(s.output->mtu, 1420);
}

// exit: the NAT's shared state and one session table per worker, what
// classify and ip_out need to find the exit port, and by slot whether a
// peer may use it (exit.allow), for the configured peers and added ones.
TEST_F(TablesTest, TheExitFromTheConfiguration)
{
	std::string error;
	auto plain = Tables::create(cfg_, ports_of(cfg_), 2, qsbr_, slots_, TableSizes{}, error);
	ASSERT_TRUE(plain) << error;
	EXPECT_FALSE(plain->has_exit());
	EXPECT_EQ(plain->shared().nat, nullptr) << "no exit: section, no NAT";
	plain.reset();  // two tables' memory at once would not fit the test EAL

	auto loaded = config::parse_config(kConfig + "exit:\n  port: wan\n  allow: [" + kPeer0 +
						   "]\n  max_sessions: 100\n",
					   "test.yaml");
	ASSERT_TRUE(loaded.ok()) << loaded.error_text();
	auto t = Tables::create(*loaded.config, ports_of(*loaded.config), 2, qsbr_, slots_, TableSizes{}, error);
	ASSERT_TRUE(t) << error;
	ASSERT_TRUE(t->has_exit());
	const NatStageShared *nat = t->shared().nat;
	ASSERT_NE(nat, nullptr);
	EXPECT_EQ(nat->exit_port, 0);
	EXPECT_EQ(t->shared().ip_out->exit_port, 0);
	ASSERT_TRUE(nat->has_snat4);
	EXPECT_EQ(nat->snat4, ip4(192, 0, 2, 1)) << "the port's own address by default";
	EXPECT_FALSE(nat->has_snat6) << "the port has no IPv6 gateway";
	EXPECT_EQ(nat->tables.size(), 2u);
	EXPECT_EQ(nat->mss4, 1420 - 40);
	EXPECT_EQ(nat->nat->max_sessions(), 100u);
	EXPECT_NE(nat->nat->pool(true, nat::NatProto::udp).take(51999, 0, 1), 51999)
		<< "the listen port is never a mapping's";

	EXPECT_TRUE(t->exit_peer(0));
	EXPECT_FALSE(t->exit_peer(1));
	auto key0 = wireguard::PublicKey::from_base64(kPeer0);
	ASSERT_TRUE(key0);
	t->set_exit_peer(7, *key0.value);
	EXPECT_TRUE(t->exit_peer(7)) << "a peer added with an allowed key";
	t->clear_exit_peer(7);
	EXPECT_FALSE(t->exit_peer(7));
}

TEST_F(TablesTest, MorePeersThanTheSizesAreRefusedByName)
{
	TableSizes sizes;
	sizes.max_peers = 1;
	std::string error;
	EXPECT_FALSE(Tables::create(cfg_, ports_of(cfg_), 1, qsbr_, slots_, sizes, error));
	EXPECT_NE(error.find("wireguard.peers"), std::string::npos) << error;
}

// wg set peer adds peers and their host addresses at run time: every slot
// the tables are sized for takes a /32 and a /128 of its own, beyond the
// two configured peers' prefixes, each family's worst case: the /32s in
// unrelated /24s (a tbl8 group each), the /128s in unrelated /24s (13
// groups each). An IPv6 add builds a new copy beside the published one, so
// the two tables and two IPv6 copies need the suite's 512 MiB EAL: run
// alone with the default 256, the second IPv6 add fails (no_memory).
TEST_F(TablesTest, EverySlotTakesAHostPrefixOfEachFamilyAtRunTime)
{
	TableSizes sizes;
	sizes.max_peers = 100;
	std::string error;
	auto t = Tables::create(cfg_, ports_of(cfg_), 1, qsbr_, slots_, sizes, error);
	ASSERT_TRUE(t) << error;
	PrefixTable &allowed = t->allowed_ips();
	auto v4 = [](uint32_t slot) {
		uint8_t a[4] = {100, static_cast<uint8_t>(slot >> 8), static_cast<uint8_t>(slot), 1};
		return Prefix::v4(a, 32);
	};
	auto v6 = [](uint32_t slot) {
		uint8_t a[16] = {0x20, 0x01, static_cast<uint8_t>(slot), static_cast<uint8_t>(slot >> 8), 0x0d, 0, 0, 0,
				 0,    0,    0,    0,    0,    0,    0,    static_cast<uint8_t>(slot | 1)};
		return Prefix::v6(a, 128);
	};
	for (uint32_t slot = 2; slot < sizes.max_peers; slot++) {
		ASSERT_EQ(allowed.add(v4(slot), slot), PrefixResult::ok) << slot;
		ASSERT_EQ(allowed.add(v6(slot), slot), PrefixResult::ok) << slot;
	}
	for (uint32_t slot = 2; slot < sizes.max_peers; slot++) {
		EXPECT_EQ(allowed.lookup4(v4(slot).ip.data()), slot);
		EXPECT_EQ(allowed.lookup6(v6(slot).ip.data()), slot);
	}
	EXPECT_EQ(allowed.lookup4(ip4(10, 99, 0, 2).ip4()), 0u);
	t->reclaimer().poll();
}

} // namespace
} // namespace wayport::tunnel
