// The WireGuard worker fixture: two workers over real net_ring ports, the
// tables wayportd builds (smaller), peers with keypairs, and the helpers a
// test sends and reads frames with (see wg_worker_test.cpp for the node).
//
// The node: port "wan" 192.0.2.1/24 (peers' endpoints on it), port "lan"
// 10.0.0.1/24 (a host, 10.0.0.5, whose MAC is known; 10.0.0.6, whose is
// not), tunnel address 10.99.0.1. Peers, by slot: 0 at 192.0.2.10
// (10.99.0.2), 1 at 192.0.2.11 (10.99.0.3), 2 with no keypair yet
// (10.99.0.4), 3 homed on worker 1 (10.99.0.5).
#pragma once

#include <gtest/gtest.h>
#include <rte_ring.h>
#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <vector>
#include "dataplane/packet/mbuf_ring.h"
#include "dataplane/tables/fib.h"
#include "dataplane/tables/neighbour_index.h"
#include "dataplane/tables/prefix_table.h"
#include "dataplane/wireguard/keypair_table.h"
#include "dataplane/worker/worker.h"
#include "tests/dataplane/wg_packets.h"
#include "tests/dpdk/packet_builder.h"
#include "tests/dpdk/ring_port.h"

namespace wayport::worker_test {

using test::hop;
using test::inner_udp;
using test::ip4;
using wireguard::DataKeypair;
using wireguard::DataPeer;

constexpr uint16_t kListenPort = 51820;
constexpr uint32_t kPeers = 4;
constexpr uint32_t kUnkeyed = 2;
constexpr uint32_t kOnWorker1 = 3;

const AddrPort kWan = ip4(192, 0, 2, 1);
const AddrPort kLan = ip4(10, 0, 0, 1);
const AddrPort kLanHost = ip4(10, 0, 0, 5, 3000);
const AddrPort kLanUnresolved = ip4(10, 0, 0, 6, 3000);
const AddrPort kTunnelNode = ip4(10, 99, 0, 1);
const std::array<uint8_t, 6> kWanMac = {0x02, 0, 0, 0, 0, 0x01};
const std::array<uint8_t, 6> kLanMac = {0x02, 0, 0, 0, 0, 0x02};
const std::array<uint8_t, 6> kLanHostMac = {0x02, 0, 0, 0, 0, 0xb5};

inline AddrPort endpoint_of(uint32_t slot)
{
	return ip4(192, 0, 2, static_cast<uint8_t>(10 + slot), kListenPort);
}
inline AddrPort tunnel_of(uint32_t slot, uint16_t port = 4000)
{
	return ip4(10, 99, 0, static_cast<uint8_t>(2 + slot), port);
}
inline std::array<uint8_t, 6> endpoint_mac(uint32_t slot)
{
	return {0x02, 0, 0, 0, 0xa0, static_cast<uint8_t>(slot)};
}
// Our index for the peer's packets, and the peer's for ours.
inline uint32_t local_index(uint32_t slot)
{
	return 0x1000 + slot;
}
inline uint32_t remote_index(uint32_t slot)
{
	return 0x2000 + slot;
}

class WgWorkerTest : public testing::Test {
protected:
	void SetUp() override
	{
		std::string name = "wgw" + std::to_string(serial_++);
		wan_ = test::RingPort::create(name + "w", test::test_pool());
		lan_ = test::RingPort::create(name + "l", test::test_pool());
		ports_ = {port(wan_.port_id, kWan, kWanMac), port(lan_.port_id, kLan, kLanMac)};
		egress_ = egress_view(ports_);

		PrefixTableConfig small;
		small.max_rules4 = small.max_rules6 = 64;
		small.tbl8_groups4 = small.tbl8_groups6 = 16;
		allowed_ = std::make_unique<PrefixTable>(qsbr_, reclaimer_, small);
		FibConfig fib_config;
		fib_config.next_hops = 16;
		fib_config.prefixes = small;
		fib_ = std::make_unique<Fib>(qsbr_, fib_config);
		ASSERT_EQ(fib_->build(ports_, {}), FibResult::ok);
		std::string error;
		keypairs_ = wireguard::KeypairTable::create(qsbr_, 16, error);
		ASSERT_TRUE(keypairs_) << error;
		neighbour_index_ = NeighbourIndex::create(qsbr_, 16, error);
		ASSERT_TRUE(neighbour_index_) << error;

		uint32_t slot_of_neighbour = 0;
		for (uint32_t p = 0; p < kPeers; p++) {
			ASSERT_EQ(allowed_->add(Prefix::v4(tunnel_of(p).ip4(), 32), p), PrefixResult::ok);
			peers_[p].home_worker.store(p == kOnWorker1 ? 1 : 0);
			peers_[p].endpoint.store(endpoint_of(p));
			add_neighbour(wan_.port_id, endpoint_of(p), slot_of_neighbour++, endpoint_mac(p).data());
			if (p != kUnkeyed)
				give_keypair(p);
		}
		add_neighbour(lan_.port_id, kLanHost, slot_of_neighbour++, kLanHostMac.data());
		add_neighbour(lan_.port_id, kLanUnresolved, slot_of_neighbour++, nullptr);

		input_ = {keypairs_.get(), allowed_.get(), &peers_, {}};
		input_.tunnel.has_ipv4 = true;
		std::memcpy(input_.tunnel.ipv4, kTunnelNode.ip4(), 4);
		output_ = {allowed_.get(), &peers_, fib_.get(), &egress_, kListenPort, 1420};
		ip_out_ = {fib_.get(), neighbour_index_.get(), &slots_, &egress_};

		for (unsigned w = 0; w < 2; w++) {
			punt_[w] = ring(name + "p" + std::to_string(w));
			inject_[w] = ring(name + "i" + std::to_string(w));
			wg_.handshake.push_back(ring(name + "h" + std::to_string(w)));
		}
		wg_.handoff = {nullptr, ring(name + "o01"), ring(name + "o10"), nullptr};
		wg_.input = &input_;
		wg_.output = &output_;
		wg_.ip_out = &ip_out_;
		wg_.listen_port = kListenPort;
		wg_.workers = 2;

		// No relay port: the relay stage takes nothing, but its table is
		// always there, as in wayportd.
		relay_ = std::make_unique<RelayTable>(qsbr_, 2);
		shared_.relay = relay_.get();
		shared_.qsbr = &qsbr_;
		shared_.neighbours = &slots_;
		shared_.ports = egress_;
		shared_.wireguard = &wg_;
		before_workers();
		for (unsigned w = 0; w < 2; w++)
			workers_[w] = std::make_unique<Worker>(
				w, shared_, std::vector<RxQueue>{{wan_.port_id, 0}, {lan_.port_id, 0}}, 0, punt_[w], 32,
				inject_[w]);
		in_use_ = rte_mempool_in_use_count(test::test_pool());
	}

	void TearDown() override
	{
		workers_[0].reset();
		workers_[1].reset();
		std::vector<rte_ring *> rings = {punt_[0], punt_[1], inject_[0], inject_[1]};
		rings.insert(rings.end(), wg_.handshake.begin(), wg_.handshake.end());
		rings.insert(rings.end(), wg_.handoff.begin(), wg_.handoff.end());
		for (rte_ring *r : rings) {
			free_queued(r);
			rte_ring_free(r);
		}
		for (rte_mbuf *m : wan_.sent())
			rte_pktmbuf_free(m);
		for (rte_mbuf *m : lan_.sent())
			rte_pktmbuf_free(m);
		wan_.destroy();
		lan_.destroy();
	}

	// What a derived fixture adds to the tables before the workers are made.
	virtual void before_workers() {}

	static Port port(uint16_t id, const AddrPort &ip, const std::array<uint8_t, 6> &mac)
	{
		Port p;
		p.port_id = id;
		std::memcpy(p.mac.addr_bytes, mac.data(), 6);
		p.ipv4 = ip;
		p.ipv4_prefix = 24;
		return p;
	}

	static rte_ring *ring(const std::string &name)
	{
		rte_ring *r = rte_ring_create(name.c_str(), 256, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		EXPECT_NE(r, nullptr) << name;
		return r;
	}

	void add_neighbour(uint16_t port_id, const AddrPort &ip, uint32_t slot, const uint8_t *mac)
	{
		ASSERT_EQ(neighbour_index_->add(port_id, ip_only(ip), slot), NeighbourIndexResult::ok);
		if (mac)
			slots_.set(slot, mac);
	}

	static std::array<uint8_t, 32> key(uint32_t slot, uint8_t which)
	{
		std::array<uint8_t, 32> k;
		for (size_t i = 0; i < k.size(); i++)
			k[i] = static_cast<uint8_t>(slot * 31 + which * 101 + i);
		return k;
	}
	// What we send with is what the peer receives with, and the reverse.
	static std::array<uint8_t, 32> send_key(uint32_t slot) { return key(slot, 1); }
	static std::array<uint8_t, 32> receive_key(uint32_t slot) { return key(slot, 2); }

	void give_keypair(uint32_t slot)
	{
		auto kp = std::make_unique<DataKeypair>();
		kp->local_index = local_index(slot);
		kp->remote_index = remote_index(slot);
		kp->peer = slot;
		kp->home_worker = static_cast<uint16_t>(peers_[slot].home_worker.load());
		kp->reject_after_tsc = UINT64_MAX;
		std::memcpy(kp->send_key, send_key(slot).data(), 32);
		std::memcpy(kp->receive_key, receive_key(slot).data(), 32);
		DataKeypair *raw = kp.get();
		ASSERT_EQ(keypairs_->publish(std::move(kp)), wireguard::KeypairTableError::none);
		peers_[slot].send_keypair.store(raw);
	}

	// The peer in slot sends inner to the node, from its endpoint.
	void from_peer(uint32_t slot, const Bytes &inner, uint64_t counter = 0)
	{
		test::Frame f;
		std::memcpy(f.dst_mac, kWanMac.data(), 6);
		f.src = endpoint_of(slot);
		f.dst = AddrPort::v4(kWan.ip4(), kListenPort);
		f.payload = test::seal_transport(receive_key(slot).data(), local_index(slot), counter, inner);
		wan_.inject(test::build_udp(test::test_pool(), f));
	}

	// A LAN host sends inner, an IPv4 packet, to the node's LAN MAC.
	void from_lan(const Bytes &inner)
	{
		Bytes frame(kLanMac.begin(), kLanMac.end());
		frame.insert(frame.end(), kLanHostMac.begin(), kLanHostMac.end());
		frame.push_back(0x08);
		frame.push_back(0x00);
		frame.insert(frame.end(), inner.begin(), inner.end());
		lan_.inject(test::build_raw(test::test_pool(), frame, lan_.port_id));
	}

	// The frames a port sent, whole; freed.
	static std::vector<Bytes> sent(test::RingPort &p)
	{
		std::vector<Bytes> out;
		for (rte_mbuf *m : p.sent()) {
			out.push_back(test::mbuf_bytes(m));
			rte_pktmbuf_free(m);
		}
		return out;
	}

	// What a peer makes of a frame the WAN port sent it: addressed from
	// the listen port to its endpoint and MAC, and sealed under our send key.
	std::optional<test::Transport> opened_by(uint32_t slot, const Bytes &frame)
	{
		EXPECT_TRUE(std::equal(kWanMac.begin(), kWanMac.end(), frame.begin() + 6)) << "source MAC";
		const std::array<uint8_t, 6> mac = endpoint_mac(slot);
		EXPECT_TRUE(std::equal(mac.begin(), mac.end(), frame.begin())) << "destination MAC";
		rte_mbuf *m = test::build_raw(test::test_pool(), frame);
		test::Received r;
		bool ok = test::read_udp(m, r);
		rte_pktmbuf_free(m);
		EXPECT_TRUE(ok) << to_hex(frame);
		EXPECT_EQ(r.src, AddrPort::v4(kWan.ip4(), kListenPort)) << r.src.to_string();
		EXPECT_EQ(r.dst, endpoint_of(slot)) << r.dst.to_string();
		auto t = test::open_transport(send_key(slot).data(), r.payload);
		if (t) {
			EXPECT_EQ(t->receiver, remote_index(slot));
		}
		return t;
	}

	// The inner packet a frame the LAN port sent carries, checking its
	// Ethernet header.
	static Bytes to_lan_host(const Bytes &frame)
	{
		EXPECT_TRUE(std::equal(kLanHostMac.begin(), kLanHostMac.end(), frame.begin())) << "destination MAC";
		EXPECT_TRUE(std::equal(kLanMac.begin(), kLanMac.end(), frame.begin() + 6)) << "source MAC";
		return Bytes(frame.begin() + 14, frame.end());
	}

	static std::vector<rte_mbuf *> drain(rte_ring *r)
	{
		std::vector<rte_mbuf *> out;
		void *m;
		while (rte_ring_dequeue(r, &m) == 0)
			out.push_back(static_cast<rte_mbuf *>(m));
		return out;
	}

	// The control thread hands worker 0 an empty packet (a keepalive, for
	// wg_output) for stage next, aux and peer_gen as given.
	void hand_back_empty(Stage next, uint32_t aux, uint16_t peer_gen = 0)
	{
		rte_mbuf *m = rte_pktmbuf_alloc(test::test_pool());
		ASSERT_NE(m, nullptr);
		meta(m) = PacketMeta{};
		meta(m).next = next;
		meta(m).aux = aux;
		meta(m).peer_gen = peer_gen;
		ASSERT_EQ(rte_ring_enqueue(inject_[0], m), 0);
	}

	const WorkerCounters &counters(unsigned w) const { return workers_[w]->counters(); }

	void expect_nothing_leaked()
	{
		EXPECT_EQ(rte_mempool_in_use_count(test::test_pool()), in_use_) << "a packet was lost or leaked";
	}

	test::RingPort wan_, lan_;
	std::vector<Port> ports_;
	std::vector<EgressPort> egress_;
	Qsbr qsbr_{2};
	Reclaimer reclaimer_{qsbr_};
	std::unique_ptr<RelayTable> relay_;
	std::unique_ptr<PrefixTable> allowed_;
	std::unique_ptr<Fib> fib_;
	std::unique_ptr<wireguard::KeypairTable> keypairs_;
	std::unique_ptr<NeighbourIndex> neighbour_index_;
	NeighbourSlots slots_{16};
	wireguard::DataPeerTable peers_{kPeers};
	WgInputShared input_;
	WgOutputShared output_;
	IpOutShared ip_out_;
	WireGuardShared wg_;
	DataplaneShared shared_;
	rte_ring *punt_[2] = {}, *inject_[2] = {};
	std::unique_ptr<Worker> workers_[2];
	unsigned in_use_ = 0;
	static inline unsigned serial_ = 0;
};

} // namespace wayport::worker_test
