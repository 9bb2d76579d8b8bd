// The engine's peer slots over wayportd's own tables: peers added and
// removed through the API take the lowest free slot, a removed peer's slot
// waits out the workers' grace period (503) and a full table says so
// (507), a reused slot routes only its new peer's allowed IPs, and a punt
// made for a slot's last peer is dropped as removed_peer, whatever peer
// holds the slot now; a slot whose allowed IPs cannot leave the table is
// held back (stranded) until a later add manages to drop them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "config/config.h"
#include "controlplane/tunnel/engine.h"
#include "controlplane/tunnel/tables.h"
#include "tests/dataplane/wg_packets.h"
#include "tests/dpdk/heap_ballast.h"
#include "tests/dpdk/ring_port.h"

namespace wayport::tunnel {
namespace {

using test::ip4;

constexpr uint32_t kMaxPeers = 4;

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
  max_peers: 4
  peers:
    - public_key: ERERERERERERERERERERERERERERERERERERERERERE=
      allowed_ips: [10.99.0.2/32]
api:
  socket: /run/wayport/api.sock
)";

// Counts what the engine hands on and frees it.
class CountingIo final : public TunnelIo {
public:
	rte_mbuf *alloc() override { return rte_pktmbuf_alloc(test::test_pool()); }
	void route(rte_mbuf *m) override
	{
		routed++;
		rte_pktmbuf_free(m);
	}
	bool to_worker(rte_mbuf *m, unsigned) override
	{
		to_workers++;
		rte_pktmbuf_free(m);
		return true;
	}
	unsigned routed = 0, to_workers = 0;
};

// A peer key of its own for each n (wg's base64 of 32 bytes of n).
std::string peer_key(unsigned n)
{
	wireguard::Key32 raw{};
	raw.fill(static_cast<uint8_t>(0x40 + (n & 0xff)));
	raw[1] = static_cast<uint8_t>(n >> 8);  // byte 0 is clamped
	return wireguard::PrivateKey::from_raw(raw).public_key().to_base64();
}

// Peer n's allowed IP, a /32 in 10.99.1.0/24 and up.
AddrPort peer_ip(unsigned n)
{
	return ip4(10, 99, static_cast<uint8_t>(1 + n / 250), static_cast<uint8_t>(1 + n % 250));
}

// Peer n's IPv6 allowed IP, a /128 in fd99::/64.
AddrPort peer_ip6(unsigned n)
{
	AddrPort a;
	a.ip = {0xfd, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
	return a;
}

class EngineSlotsTest : public testing::Test {
protected:
	void SetUp() override
	{
		auto loaded = config::parse_config(kConfig, "test.yaml");
		ASSERT_TRUE(loaded.ok()) << loaded.error_text();
		cfg_ = *loaded.config;
		std::vector<Port> ports;
		for (size_t i = 0; i < cfg_.ports.size(); i++) {
			Port p;
			p.port_id = static_cast<uint16_t>(i);
			p.ipv4 = cfg_.ports[i].ipv4->addr;
			p.ipv4_prefix = static_cast<uint8_t>(cfg_.ports[i].ipv4->len);
			p.gateway4 = cfg_.ports[i].gateway4;
			ports.push_back(p);
		}
		std::string error;
		TableSizes sizes;
		sizes.max_peers = cfg_.wireguard->max_peers;
		tables_ = Tables::create(cfg_, ports, 1, qsbr_, slots_, sizes, error);
		ASSERT_TRUE(tables_) << error;
		wireguard::Key32 raw{};
		raw.fill(0x5a);
		engine_ = Engine::create(*cfg_.wireguard, *tables_, wireguard::PrivateKey::from_raw(raw),
					 std::vector<wireguard::Key32>(1), io_, rte_get_tsc_hz(), EngineOptions{}, error);
		ASSERT_TRUE(engine_) << error;
		qsbr_.register_worker(0);
		in_use_ = rte_mempool_in_use_count(test::test_pool());
	}

	void TearDown() override
	{
		engine_.reset();
		qsbr_.unregister_worker(0);
		EXPECT_EQ(rte_mempool_in_use_count(test::test_pool()), in_use_) << "a packet was lost or leaked";
	}

	std::pair<int, std::string> add(unsigned n)
	{
		api::WgPeerChange c;
		c.public_key = peer_key(n);
		c.allowed_ips = std::vector<std::string>{peer_ip(n).ip_string() + "/32"};
		return engine_->set_peer(c, 0);
	}
	// Peer n with an IPv6 allowed IP too: its removal rebuilds the IPv6 copy.
	int add_dual(unsigned n)
	{
		api::WgPeerChange c;
		c.public_key = peer_key(n);
		c.allowed_ips = std::vector<std::string>{peer_ip(n).ip_string() + "/32", peer_ip6(n).ip_string() + "/128"};
		return engine_->set_peer(c, 0).first;
	}
	int remove(unsigned n)
	{
		api::WgPeerChange c;
		c.public_key = peer_key(n);
		c.remove = true;
		return engine_->set_peer(c, 0).first;
	}
	// The worker's loop came round: every grace period begun so far is over.
	void workers_quiescent() { qsbr_.quiescent(0); }

	uint32_t route_of(unsigned n) { return tables_->allowed_ips().lookup4(peer_ip(n).ip4()); }
	uint32_t route6_of(unsigned n) { return tables_->allowed_ips().lookup6(peer_ip6(n).ip.data()); }
	nlohmann::json peer_slots() { return nlohmann::json::parse(engine_->status_json())["peer_slots"]; }

	// A wg_staged punt for slot, made under generation gen.
	void punt_staged(uint32_t slot, uint16_t gen)
	{
		rte_mbuf *m = rte_pktmbuf_alloc(test::test_pool());
		ASSERT_NE(m, nullptr);
		meta(m) = PacketMeta{};
		meta(m).aux = slot;
		meta(m).peer_gen = gen;
		engine_->punt(m, PuntReason::wg_staged, 0);
	}

	config::Config cfg_;
	Qsbr qsbr_{1};
	NeighbourSlots slots_{16};
	CountingIo io_;
	std::unique_ptr<Tables> tables_;
	std::unique_ptr<Engine> engine_;
	unsigned in_use_ = 0;
};

TEST_F(EngineSlotsTest, PeersFillTheLowestSlotsAndAFullTableSaysWhichKey)
{
	EXPECT_EQ(peer_slots(), (nlohmann::json{{"capacity", kMaxPeers}, {"held", 1}, {"quarantined", 0}, {"stranded", 0}}));
	for (unsigned n = 1; n < kMaxPeers; n++) {
		EXPECT_EQ(add(n).first, 200) << n;
		EXPECT_EQ(route_of(n), n) << "slot " << n;
	}
	auto [status, body] = add(kMaxPeers);
	EXPECT_EQ(status, 507);
	EXPECT_NE(body.find("wireguard.max_peers"), std::string::npos) << body;
	EXPECT_EQ(route_of(kMaxPeers), PrefixTable::kNoMatch);
	EXPECT_EQ(peer_slots()["held"], kMaxPeers);
}

TEST_F(EngineSlotsTest, ARemovedPeersSlotWaitsForTheWorkersThenGoesToTheNextPeer)
{
	for (unsigned n = 1; n < kMaxPeers; n++)
		ASSERT_EQ(add(n).first, 200);
	const uint16_t gen_before = tables_->peers()[2].generation.load();
	EXPECT_EQ(gen_before % 2, 1) << "odd while held";

	EXPECT_EQ(remove(2), 200);
	EXPECT_EQ(route_of(2), PrefixTable::kNoMatch) << "its traffic stops at once";
	EXPECT_EQ(tables_->peers()[2].generation.load() % 2, 0);
	auto [status, body] = add(10);
	EXPECT_EQ(status, 503) << "the worker may still hold slot 2: " << body;
	EXPECT_EQ(peer_slots()["quarantined"], 1);

	workers_quiescent();
	EXPECT_EQ(add(10).first, 200);
	EXPECT_EQ(route_of(10), 2u) << "the freed slot, the lowest";
	EXPECT_EQ(route_of(2), PrefixTable::kNoMatch);
	EXPECT_NE(tables_->peers()[2].generation.load(), gen_before);
	EXPECT_EQ(peer_slots(), (nlohmann::json{{"capacity", kMaxPeers}, {"held", kMaxPeers}, {"quarantined", 0}, {"stranded", 0}}));
}

TEST_F(EngineSlotsTest, AnAddTheDeviceRefusesLeavesItsSlotFreeNotQuarantined)
{
	for (unsigned n = 1; n < kMaxPeers - 1; n++)
		ASSERT_EQ(add(n).first, 200);
	api::WgPeerChange own;
	own.public_key = nlohmann::json::parse(engine_->status_json())["public_key"].get<std::string>();
	own.allowed_ips = std::vector<std::string>{"10.99.0.200/32"};
	auto [status, body] = engine_->set_peer(own, 0);
	EXPECT_EQ(status, 400) << body;
	EXPECT_EQ(peer_slots()["quarantined"], 0) << "no worker ever saw the slot";
	auto [last, why] = add(kMaxPeers - 1);
	EXPECT_EQ(last, 200) << "the last slot, with the worker not yet quiescent: " << why;
	EXPECT_EQ(route_of(kMaxPeers - 1), kMaxPeers - 1);
}

TEST_F(EngineSlotsTest, APuntForASlotsLastPeerIsDroppedNotGivenToItsNewOne)
{
	ASSERT_EQ(add(1).first, 200);
	const uint16_t old_gen = tables_->peers()[1].generation.load();
	ASSERT_EQ(remove(1), 200);

	punt_staged(1, old_gen);  // the slot is free
	EXPECT_EQ(engine_->drops(EngineDrop::removed_peer), 1u);

	workers_quiescent();
	ASSERT_EQ(add(7).first, 200);
	ASSERT_EQ(route_of(7), 1u);
	punt_staged(1, old_gen);  // the slot is another peer's
	EXPECT_EQ(engine_->drops(EngineDrop::removed_peer), 2u);
	EXPECT_EQ(engine_->drops(EngineDrop::bad_punt), 0u);

	EXPECT_EQ(tables_->peers()[1].staged_in_flight.load(), 0) << "not the new peer's to count";

	// Under the slot's own generation it goes to the new peer's staging
	// in the Device, its in-flight count taken back.
	tables_->peers()[1].staged_in_flight.fetch_add(1);
	punt_staged(1, tables_->peers()[1].generation.load());
	EXPECT_EQ(engine_->drops(EngineDrop::removed_peer), 2u);
	EXPECT_EQ(tables_->peers()[1].staged_in_flight.load(), 0);
}

// A removal that leaves IPv6 prefixes builds a new IPv6 copy (64 MiB); with
// no room for it the removed peer's prefixes stay, so its slot must not go
// to the next peer (its traffic would reach that peer) until they are gone.
TEST_F(EngineSlotsTest, ASlotWhosePrefixesCannotLeaveIsStrandedUntilARetryDropsThem)
{
	ASSERT_EQ(add_dual(1), 200);
	ASSERT_EQ(add_dual(2), 200);
	workers_quiescent();
	tables_->reclaimer().poll();  // the copies the adds replaced are freed
	{
		test::HeapBallast full(64u << 20);
		EXPECT_EQ(remove(2), 200) << "the peer and its keypairs are gone";
		EXPECT_EQ(peer_slots()["stranded"], 1);
		EXPECT_EQ(route6_of(2), 2u) << "the table still names slot 2";
		EXPECT_EQ(tables_->peers()[2].generation.load() % 2, 0) << "so its packets die as removed_peer";

		workers_quiescent();
		ASSERT_EQ(add(3).first, 200);
		EXPECT_EQ(route_of(3), 3u) << "not the stranded slot 2";
		EXPECT_EQ(peer_slots()["stranded"], 1) << "the add's retry could not build the copy either";
	}
	auto [status, body] = add(4);
	EXPECT_EQ(status, 503) << "the retry released slot 2, which now waits for the workers: " << body;
	EXPECT_EQ(peer_slots()["stranded"], 0);
	EXPECT_EQ(route6_of(2), PrefixTable::kNoMatch);
	EXPECT_EQ(route6_of(1), 1u) << "the copy keeps the other peer's prefix";

	workers_quiescent();
	ASSERT_EQ(add(4).first, 200);
	EXPECT_EQ(route_of(4), 2u);
	EXPECT_EQ(peer_slots(), (nlohmann::json{{"capacity", kMaxPeers}, {"held", kMaxPeers}, {"quarantined", 0}, {"stranded", 0}}));
}

TEST_F(EngineSlotsTest, FiftyAddAndRemoveCyclesAtFourSlotsLoseNothing)
{
	for (unsigned cycle = 0; cycle < 50; cycle++) {
		for (unsigned k = 1; k < kMaxPeers; k++)
			ASSERT_EQ(add(cycle * 10 + k).first, 200) << "cycle " << cycle << " peer " << k;
		for (unsigned k = 1; k < kMaxPeers; k++) {
			EXPECT_EQ(route_of(cycle * 10 + k), k) << "cycle " << cycle;
			ASSERT_EQ(remove(cycle * 10 + k), 200);
		}
		workers_quiescent();
	}
	EXPECT_EQ(peer_slots(), (nlohmann::json{{"capacity", kMaxPeers}, {"held", 1}, {"quarantined", 3}, {"stranded", 0}}))
		<< "released slots are counted until the next add looks";
	ASSERT_EQ(add(999).first, 200);
	EXPECT_EQ(route_of(999), 1u);
	EXPECT_EQ(peer_slots()["quarantined"], 0);
	EXPECT_EQ(route_of(491), PrefixTable::kNoMatch) << "the last cycle's peers are gone";
	EXPECT_EQ(tables_->allowed_ips().lookup4(ip4(10, 99, 0, 2).ip4()), 0u) << "the configured peer kept slot 0";
}

} // namespace
} // namespace wayport::tunnel
