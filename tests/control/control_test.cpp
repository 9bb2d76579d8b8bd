// The control thread's way out: it has no TX queue, so every reply, probe
// and held packet goes back to a worker over that worker's inject ring,
// carrying in its PacketMeta where the worker sends it next.
#include <gtest/gtest.h>

#include <rte_ring.h>

#include <nlohmann/json.hpp>

#include <cstring>
#include <memory>

#include "controlplane/api/bridge.h"
#include "controlplane/control/control.h"
#include "controlplane/relay/random.h"
#include "dataplane/stages/classify.h"
#include "dataplane/wire/classify.h"
#include "tests/dpdk/packet_builder.h"
#include "tests/dpdk/ring_port.h"

namespace wayport {
namespace {

constexpr int64_t kT0 = 1'000'000'000'000;
constexpr uint16_t kPortId = 5;
constexpr uint16_t kRelayPort = 7777;
constexpr unsigned kWorkers = 2;

AddrPort ap(const char *s)
{
	return *AddrPort::parse(s);
}

Bytes stun_request()
{
	return *from_hex("00010000" "2112a442" "0102030405060708090a0b0c");
}

class ControlTest : public testing::Test {
protected:
	ControlTest()
		: slots_(64), qsbr_(kWorkers), table_(qsbr_, kWorkers),
		  relay_(disco::PrivateKey::generate(), std::nullopt, {}, random_)
	{
		static int n = 0;
		port_.port_id = kPortId;
		port_.mac = {{0x02, 0, 0, 0, 0, 0x01}};
		port_.ipv4 = ap("10.9.0.1:0");
		port_.ipv4_prefix = 24;
		for (unsigned w = 0; w < kWorkers; w++) {
			std::string tag = "ct" + std::to_string(n) + "_" + std::to_string(w);
			rings_.push_back({rte_ring_create((tag + "p").c_str(), 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ),
					  rte_ring_create((tag + "i").c_str(), 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ)});
			sources_.workers.push_back(&counters_[w]);
		}
		n++;
		relay_.set_addr_ports({ap("10.9.0.1:7777")});
		control_ = std::make_unique<Control>(relay_, table_, slots_, std::vector<Port>{port_}, NeighbourConfig{},
						     rings_, test::test_pool(), nullptr, sources_, 1'000'000'000);
		dest_.ports.resize(kPortId + 1u);
		dest_.ports[kPortId] = egress_view({port_})[kPortId].addrs;
		dest_.relay_port = kRelayPort;
	}

	~ControlTest() override
	{
		control_.reset();  // frees what is still queued either way
		for (const WorkerRings &r : rings_) {
			rte_ring_free(r.punt);
			rte_ring_free(r.inject);
		}
	}

	// A frame from src to the relay port as worker `worker` punts it.
	rte_mbuf *punted(const AddrPort &src, const Bytes &payload, PuntReason reason, unsigned worker, uint32_t aux = 0)
	{
		test::Frame f;
		f.src = src;
		f.dst = ap("10.9.0.1:7777");
		f.payload = payload;
		rte_mbuf *m = test::build_udp(test::test_pool(), f);
		m->port = kPortId;
		PacketMeta &pm = meta(m);
		EXPECT_EQ(classify(m, dest_, pm), Stage::relay);
		pm.next = Stage::control;
		pm.reason = static_cast<uint8_t>(reason);
		pm.worker = static_cast<uint8_t>(worker);
		pm.aux = aux;
		return m;
	}

	void punt(rte_mbuf *m, unsigned worker) { ASSERT_EQ(rte_ring_enqueue(rings_[worker].punt, m), 0); }

	// What the control thread handed worker `worker`, oldest first.
	std::vector<rte_mbuf *> injected(unsigned worker)
	{
		std::vector<rte_mbuf *> out;
		void *m;
		while (rte_ring_dequeue(rings_[worker].inject, &m) == 0)
			out.push_back(static_cast<rte_mbuf *>(m));
		return out;
	}

	static void free_all(const std::vector<rte_mbuf *> &v)
	{
		for (rte_mbuf *m : v)
			rte_pktmbuf_free(m);
	}

	Port port_;
	NeighbourSlots slots_;
	Qsbr qsbr_;
	RelayTable table_;
	relay::SystemRandom random_;
	relay::Server relay_;
	WorkerCounters counters_[kWorkers];
	StatusSources sources_;
	std::vector<WorkerRings> rings_;
	Destinations dest_;
	std::unique_ptr<Control> control_;
};

TEST_F(ControlTest, ReplyGoesBackThroughTheWorkerThatPunted)
{
	AddrPort client = ap("10.9.0.7:4242");
	punt(punted(client, stun_request(), PuntReason::stun, 1), 1);
	control_->poll(kT0, 0);
	EXPECT_TRUE(injected(0).empty());
	auto out = injected(1);
	ASSERT_EQ(out.size(), 1u);
	const PacketMeta &pm = meta(out[0]);
	EXPECT_EQ(pm.next, Stage::tx);
	EXPECT_EQ(pm.tx_port, kPortId);
	test::Received r;
	ASSERT_TRUE(test::read_udp(out[0], r));
	EXPECT_EQ(r.dst, client);
	EXPECT_EQ(r.src, ap("10.9.0.1:7777"));
	EXPECT_TRUE(r.checksums_ok);
	EXPECT_TRUE(is_stun(r.payload));
	EXPECT_EQ(control_->counters().stun_replies, 1u);
	EXPECT_EQ(control_->counters().tx_sent, 1u);
	free_all(out);
}

TEST_F(ControlTest, ProbesLeaveThroughWorkerZero)
{
	// A new neighbour is probed at once (an ARP request), outside any punt.
	ASSERT_TRUE(control_->host().neighbours().slot_for(kPortId, ap("10.9.0.7:0"), kT0));
	auto out = injected(0);
	ASSERT_EQ(out.size(), 1u);
	EXPECT_TRUE(injected(1).empty());
	EXPECT_EQ(meta(out[0]).next, Stage::tx);
	EXPECT_EQ(meta(out[0]).tx_port, kPortId);
	EXPECT_EQ(test::mbuf_bytes(out[0])[12], 0x08);  // ARP: ethertype 0x0806
	EXPECT_EQ(test::mbuf_bytes(out[0])[13], 0x06);
	free_all(out);
}

TEST_F(ControlTest, HeldPacketReturnsToItsWorkerWhenTheNextHopResolves)
{
	AddrPort hop = ap("10.9.0.8:0");
	auto slot = control_->host().neighbours().slot_for(kPortId, hop, kT0);
	ASSERT_TRUE(slot);
	free_all(injected(0));  // the probe

	rte_mbuf *m = punted(ap("10.9.0.7:4242"), Bytes(40, 0x11), PuntReason::unresolved, 1, *slot);
	Bytes before = test::mbuf_bytes(m);
	punt(m, 1);
	control_->poll(kT0, 0);
	EXPECT_TRUE(injected(1).empty());
	EXPECT_EQ(control_->host().neighbours().counters().queued, 1u);

	rte_ether_addr mac{{0x02, 0, 0, 0, 0, 0x08}};
	control_->host().neighbours().learn(kPortId, hop, mac, kT0 + 1);
	auto out = injected(1);
	ASSERT_EQ(out.size(), 1u);
	EXPECT_TRUE(injected(0).empty());
	const PacketMeta &pm = meta(out[0]);
	EXPECT_EQ(pm.next, Stage::relay);  // through the relay stage again, like any packet
	EXPECT_EQ(pm.worker, 1u);
	EXPECT_EQ(test::mbuf_bytes(out[0]), before);  // untouched: the relay stage rewrites it
	EXPECT_EQ(control_->counters().held_forwarded, 1u);
	free_all(out);
}

TEST_F(ControlTest, FullInjectRingIsCountedAndFreesThePacket)
{
	// Fill worker 1's inject ring (63 of 64 slots usable) behind the
	// control thread's back.
	std::vector<rte_mbuf *> filler;
	for (int i = 0; i < 63; i++) {
		filler.push_back(rte_pktmbuf_alloc(test::test_pool()));
		ASSERT_EQ(rte_ring_enqueue(rings_[1].inject, filler.back()), 0);
	}
	unsigned in_use = rte_mempool_in_use_count(test::test_pool());
	punt(punted(ap("10.9.0.7:4242"), stun_request(), PuntReason::stun, 1), 1);
	control_->poll(kT0, 0);
	EXPECT_EQ(control_->counters().tx_failed, 1u);
	EXPECT_EQ(control_->counters().tx_sent, 0u);
	EXPECT_EQ(rte_mempool_in_use_count(test::test_pool()), in_use);  // the reply was freed
	free_all(injected(1));
}

// A bare IPv4 packet (no Ethernet header) to dst, as ip_out punts it.
rte_mbuf *bare_ipv4(const AddrPort &dst, uint8_t fill)
{
	rte_mbuf *m = rte_pktmbuf_alloc(test::test_pool());
	auto *ip = reinterpret_cast<uint8_t *>(rte_pktmbuf_append(m, 40));
	std::memset(ip, fill, 40);
	ip[0] = 0x45;
	ip[2] = 0;
	ip[3] = 40;
	ip[8] = 63;
	std::memcpy(ip + 16, dst.ip4(), 4);
	meta(m) = PacketMeta{};
	meta(m).l3 = L3::ipv4;
	return m;
}

TEST_F(ControlTest, UnroutedIpPacketsWaitForTheirNextHopThenGoBackToIpOut)
{
	// WireGuard's tables: a FIB from the port (on-link 10.9.0.0/24, the
	// default route via 10.9.0.254) and the neighbour index ip_out reads.
	port_.gateway4 = ap("10.9.0.254:0");
	control_ = std::make_unique<Control>(relay_, table_, slots_, std::vector<Port>{port_}, NeighbourConfig{},
					     rings_, test::test_pool(), nullptr, sources_, 1'000'000'000);
	FibConfig fc;
	fc.prefixes.max_rules6 = fc.prefixes.tbl8_groups6 = fc.prefixes.max_rules4 = fc.prefixes.tbl8_groups4 = 64;
	Fib fib(qsbr_, fc);
	ASSERT_EQ(fib.build({port_}, {}), FibResult::ok);
	std::string error;
	auto index = NeighbourIndex::create(qsbr_, 64, error);
	ASSERT_TRUE(index) << error;
	control_->attach_tunnel({nullptr, &fib, index.get()});

	// ip_out on worker 1 punts one on-link and one beyond the gateway.
	rte_mbuf *on_link = bare_ipv4(ap("10.9.0.20:0"), 0x21);
	rte_mbuf *beyond = bare_ipv4(ap("198.51.100.5:0"), 0x22);
	for (rte_mbuf *m : {on_link, beyond}) {
		PacketMeta &pm = meta(m);
		pm.next = Stage::control;
		pm.reason = static_cast<uint8_t>(PuntReason::ip_unresolved);
		pm.worker = 1;
		pm.aux = NeighbourIndex::kNone;
		pm.tx_port = kPortId;
		punt(m, 1);
	}
	control_->poll(kT0, 0);
	// Each neighbour made, named in the index, and probed (ARP, through
	// the worker whose punt it answers); nothing handed back yet.
	const uint32_t dst_slot = index->find(kPortId, ap("10.9.0.20:0"));
	const uint32_t gw_slot = index->find(kPortId, ap("10.9.0.254:0"));
	ASSERT_NE(dst_slot, NeighbourIndex::kNone);
	ASSERT_NE(gw_slot, NeighbourIndex::kNone);
	EXPECT_EQ(index->find(kPortId, ap("198.51.100.5:0")), NeighbourIndex::kNone) << "routed via the gateway";
	auto probes = injected(1);
	ASSERT_EQ(probes.size(), 2u);
	for (rte_mbuf *p : probes) {
		EXPECT_EQ(meta(p).next, Stage::tx);
		EXPECT_EQ(test::mbuf_bytes(p)[13], 0x06);  // ARP: ethertype 0x0806
	}
	free_all(probes);
	EXPECT_TRUE(injected(0).empty());

	// The gateway answers first: its packet goes back to worker 1's ip_out.
	control_->host().neighbours().learn(kPortId, ap("10.9.0.254:0"), rte_ether_addr{{2, 0, 0, 0, 0, 0xfe}}, kT0 + 1);
	auto out = injected(1);
	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(out[0], beyond);
	EXPECT_EQ(meta(out[0]).next, Stage::ip_out);
	EXPECT_EQ(control_->counters().ip_held, 1u);
	free_all(out);
	control_->host().neighbours().learn(kPortId, ap("10.9.0.20:0"), rte_ether_addr{{2, 0, 0, 0, 0, 0x20}}, kT0 + 2);
	out = injected(1);
	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(out[0], on_link);
	free_all(out);

	// A packet the node built itself (TunnelIo::route): through worker 0,
	// at once now that the neighbour is known, the index entry reused.
	control_->route(bare_ipv4(ap("10.9.0.20:0"), 0x23));
	out = injected(0);
	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(meta(out[0]).next, Stage::ip_out);
	EXPECT_EQ(index->size(), 2u);
	free_all(out);
	EXPECT_EQ(control_->counters().ip_held, 3u);

	// A FIB with no default route: nowhere to send it.
	port_.gateway4.reset();
	ASSERT_EQ(fib.build({port_}, {}), FibResult::ok);
	control_->route(bare_ipv4(ap("198.51.100.5:0"), 0x24));
	EXPECT_EQ(control_->counters().ip_no_route, 1u);
	EXPECT_TRUE(injected(0).empty());
}

TEST_F(ControlTest, WireguardPuntsWithoutWireguardAreCountedAndFreed)
{
	unsigned in_use = rte_mempool_in_use_count(test::test_pool());
	for (PuntReason r : {PuntReason::wg_staged, PuntReason::wg_host, PuntReason::ip_unresolved}) {
		rte_mbuf *m = bare_ipv4(ap("10.9.0.20:0"), 0x30);
		meta(m).next = Stage::control;
		meta(m).reason = static_cast<uint8_t>(r);
		punt(m, 0);
	}
	control_->poll(kT0, 0);
	EXPECT_EQ(control_->counters().no_wireguard, 3u);
	EXPECT_EQ(rte_mempool_in_use_count(test::test_pool()), in_use);
	// And the API says WireGuard is off.
	api::Bridge bridge;
	control_ = std::make_unique<Control>(relay_, table_, slots_, std::vector<Port>{port_}, NeighbourConfig{},
					     rings_, test::test_pool(), &bridge, sources_, 1'000'000'000);
	auto call = std::make_shared<api::Call>();
	call->kind = api::CallKind::wireguard;
	ASSERT_TRUE(bridge.submit(call));
	control_->poll(kT0, 0);
	ASSERT_TRUE(call->done.load());
	EXPECT_EQ(call->http_status, 404);
	EXPECT_NE(call->body.find("WireGuard is off"), std::string::npos);
	EXPECT_TRUE(nlohmann::json::parse(control_->status_json())["wireguard"].is_null());
}

TEST_F(ControlTest, RelayOffRefusesTheRelaysCallsAndSaysSoInStatus)
{
	// A config with no relay section: wayportd still builds a relay core
	// for the control thread, but tells it the relay is off.
	api::Bridge bridge;
	StatusSources off = sources_;
	off.relay_on = false;
	control_ = std::make_unique<Control>(relay_, table_, slots_, std::vector<Port>{port_}, NeighbourConfig{},
					     rings_, test::test_pool(), &bridge, off, 1'000'000'000);
	std::vector<std::shared_ptr<api::Call>> calls;
	for (api::CallKind kind : {api::CallKind::allocate, api::CallKind::sessions, api::CallKind::status}) {
		calls.push_back(std::make_shared<api::Call>());
		calls.back()->kind = kind;
		ASSERT_TRUE(bridge.submit(calls.back()));
	}
	control_->poll(kT0, 0);
	for (size_t i = 0; i < 2; i++) {
		ASSERT_TRUE(calls[i]->done.load());
		EXPECT_EQ(calls[i]->http_status, 404);
		EXPECT_EQ(calls[i]->body, R"({"error":"the relay is off: the config has no relay section"})");
	}
	EXPECT_EQ(relay_.endpoint_count(), 0u);
	ASSERT_TRUE(calls[2]->done.load());
	EXPECT_EQ(calls[2]->http_status, 200);
	auto status = nlohmann::json::parse(calls[2]->body);
	EXPECT_TRUE(status.contains("relay"));
	EXPECT_TRUE(status["relay"].is_null());

	// With the relay on (the default) status has the relay's fields.
	control_ = std::make_unique<Control>(relay_, table_, slots_, std::vector<Port>{port_}, NeighbourConfig{},
					     rings_, test::test_pool(), nullptr, sources_, 1'000'000'000);
	EXPECT_TRUE(nlohmann::json::parse(control_->status_json())["relay"].is_object());
}

} // namespace
} // namespace wayport
