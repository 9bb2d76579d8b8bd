// Google Benchmark for the relay fast path's parts, on the same code the
// worker runs: parse + classify, the VNI lookup at 1k to 16M live
// endpoints, the header rewrite per address family, and Worker::process
// on a 32-packet burst. EAL starts once, with no hugepages and no PCI.
//
//   dataplane_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_udp.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "dataplane/wire/classify.h"
#include "dataplane/worker/worker.h"
#include "drivers/port.h"
#include "perf/bench_eal.h"
#include "perf/lab/traffic.h"

using namespace wayport;
using namespace wayport::perf;

namespace {

constexpr uint16_t kBurst = 32;
constexpr size_t kRandomVnis = 1 << 20;

struct Env {
	rte_mempool *pool = nullptr;
	uint16_t port[kSides] = {};
	rte_ring *rx[kSides] = {};
	rte_ring *tx[kSides] = {};
	Addressing addr = default_addressing();
};

Env &env()
{
	static Env e;
	return e;
}

// One relay table at a time: 16M endpoints take gigabytes.
struct Table {
	uint32_t endpoints = 0;
	std::unique_ptr<Qsbr> qsbr;
	std::unique_ptr<RelayTable> relay;
	std::vector<uint32_t> random_vnis;
};

Table &table(uint32_t endpoints)
{
	static Table t;
	if (t.endpoints == endpoints)
		return t;
	t.relay.reset();
	t.qsbr = std::make_unique<Qsbr>(1);
	t.relay = std::make_unique<RelayTable>(*t.qsbr, 1);
	for (uint32_t i = 0; i < endpoints; i++) {
		RelayEntry e;
		e.vni = i + 1;
		for (unsigned side = 0; side < kSides; side++) {
			e.leg[side] = client_leg(side, i);
			e.egress[side] = {env().port[side], side};
		}
		e.bound = RelayEntry::kBothBound;
		t.relay->publish(e);
	}
	std::mt19937 rng(1);
	std::uniform_int_distribution<uint32_t> pick(1, endpoints);
	t.random_vnis.resize(kRandomVnis);
	for (uint32_t &v : t.random_vnis)
		v = pick(rng);
	t.endpoints = endpoints;
	return t;
}

std::vector<rte_mbuf *> stamped_burst(unsigned side, uint32_t endpoints)
{
	Traffic traffic(env().addr, {64}, endpoints, {}, 1);
	std::vector<rte_mbuf *> pkts(kBurst);
	if (rte_pktmbuf_alloc_bulk(env().pool, pkts.data(), kBurst) != 0)
		std::abort();
	for (rte_mbuf *m : pkts)
		traffic.stamp(m, side, env().port[side], 0);
	return pkts;
}

PortAddrs port_addrs(unsigned side)
{
	PortAddrs a;
	std::memcpy(a.ipv4, env().addr.relay_ip[side], 4);
	a.has_ipv4 = true;
	a.ipv6[0] = 0x20;
	a.ipv6[1] = 0x01;
	a.ipv6[2] = 0x0d;
	a.ipv6[3] = 0xb8;
	a.ipv6[15] = static_cast<uint8_t>(1 + side);
	a.has_ipv6 = true;
	return a;
}

// The destination table of one port: ours, with the relay on kRelayPort.
Destinations destinations(const PortAddrs &ours, uint16_t port)
{
	Destinations d;
	d.ports.resize(port + 1u);
	d.ports[port] = ours;
	d.relay_port = kRelayPort;
	return d;
}

void BM_ParseClassify(benchmark::State &state)
{
	auto pkts = stamped_burst(0, 1000);
	PortAddrs ours = port_addrs(0);
	Destinations d = destinations(ours, pkts[0]->port);
	for (auto _ : state) {
		for (rte_mbuf *m : pkts) {
			PacketMeta &pm = meta(m);
			bool data = classify(m, d, pm) == Stage::relay;
			ByteSpan payload(rte_pktmbuf_mtod_offset(m, const uint8_t *, pm.payload_offset), pm.payload_len);
			PayloadInfo info = classify_payload(payload);
			data = data && info.relay == RelayView::geneve_data;
			benchmark::DoNotOptimize(data);
			benchmark::DoNotOptimize(info.geneve);
		}
	}
	state.SetItemsProcessed(state.iterations() * kBurst);
	rte_pktmbuf_free_bulk(pkts.data(), kBurst);
}
BENCHMARK(BM_ParseClassify);

void set_per_lookup(benchmark::State &state)
{
	state.SetItemsProcessed(state.iterations() * kBurst);
	// Seconds per lookup, printed with an SI prefix (5.6n is 5.6 ns).
	state.counters["per_lookup"] = benchmark::Counter(static_cast<double>(state.iterations() * kBurst),
							  benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// What the worker does with the table per data packet, in its order:
// while classifying the burst it prefetches each packet's entry and
// activity line; then per packet the entry read, the bound check, the leg
// compare and the activity count.
template <bool Prefetch>
void vni_lookup(benchmark::State &state)
{
	Table &t = table(static_cast<uint32_t>(state.range(0)));
	const RelayTable &relay = *t.relay;
	AddrPort src = client_leg(0, 0);
	size_t pos = 0;
	for (auto _ : state) {
		const uint32_t *vni = &t.random_vnis[pos];
		pos = (pos + kBurst) & (kRandomVnis - 1);
		for (uint16_t i = 0; i < kBurst && Prefetch; i++) {
			relay.prefetch(vni[i]);
			relay.prefetch_activity(0, vni[i]);
		}
		for (uint16_t i = 0; i < kBurst; i++) {
			RelayEntry e;
			if (relay.read(vni[i], e) != EntryRead::found || !e.forwarding())
				std::abort();
			int from = src == e.leg[0] ? 0 : 1;
			relay.activity(0, vni[i])->leg[from].add(64, 0);
		}
	}
	set_per_lookup(state);
}

void BM_VniLookup(benchmark::State &state)
{
	vni_lookup<true>(state);
}
BENCHMARK(BM_VniLookup)->Arg(1000)->Arg(100000)->Arg(1000000)->Arg(kVniMax);

// The same without the prefetch pass: what the prefetch buys.
void BM_VniLookupNoPrefetch(benchmark::State &state)
{
	vni_lookup<false>(state);
}
BENCHMARK(BM_VniLookupNoPrefetch)->Arg(1000)->Arg(100000)->Arg(1000000)->Arg(kVniMax);

// An Ethernet/IPv6/UDP frame to the relay port with a Geneve data header.
rte_mbuf *ipv6_frame(const uint8_t dst[16])
{
	rte_mbuf *m = rte_pktmbuf_alloc(env().pool);
	constexpr uint16_t kPayload = 40;
	uint16_t len = sizeof(rte_ether_hdr) + sizeof(rte_ipv6_hdr) + sizeof(rte_udp_hdr) + kPayload;
	auto *d = reinterpret_cast<uint8_t *>(rte_pktmbuf_append(m, len));
	std::memset(d, 0, len);
	auto *eth = reinterpret_cast<rte_ether_hdr *>(d);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	auto *ip = reinterpret_cast<rte_ipv6_hdr *>(eth + 1);
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16(sizeof(rte_udp_hdr) + kPayload);
	ip->proto = IPPROTO_UDP;
	ip->hop_limits = 64;
	ip->src_addr[0] = 0x20;
	ip->src_addr[1] = 0x01;
	ip->src_addr[15] = 0x99;
	std::memcpy(ip->dst_addr, dst, 16);
	auto *udp = reinterpret_cast<rte_udp_hdr *>(ip + 1);
	udp->src_port = rte_cpu_to_be_16(kClientPort);
	udp->dst_port = rte_cpu_to_be_16(kRelayPort);
	udp->dgram_len = rte_cpu_to_be_16(sizeof(rte_udp_hdr) + kPayload);
	auto *payload = reinterpret_cast<uint8_t *>(udp + 1);
	payload[2] = 0x7a;
	payload[3] = 0x12;
	payload[6] = 1;
	udp->dgram_cksum = rte_ipv6_udptcp_cksum(ip, udp);
	return m;
}

// rewrite_udp per family pair: in_v6 and out_v6 from the arguments. Each
// packet's start and length are put back before it is rewritten again;
// the rewrite never reads the old headers, only what parse found.
void BM_Rewrite(benchmark::State &state)
{
	bool in6 = state.range(0), out6 = state.range(1);
	EgressPort port;
	std::memcpy(port.mac, env().addr.relay_mac[1], 6);
	port.addrs = port_addrs(1);
	PortAddrs ours = port_addrs(0);
	std::vector<rte_mbuf *> pkts = in6 ? std::vector<rte_mbuf *>(kBurst) : stamped_burst(0, 1000);
	if (in6)
		for (rte_mbuf *&m : pkts)
			m = ipv6_frame(ours.ipv6);
	std::vector<ParsedUdp> parsed(kBurst);
	Destinations d = destinations(ours, pkts[0]->port);
	for (uint16_t i = 0; i < kBurst; i++) {
		if (classify(pkts[i], d, meta(pkts[i])) != Stage::relay)
			std::abort();
		relay_view(pkts[i], meta(pkts[i]), parsed[i]);
	}
	uint16_t data_off = pkts[0]->data_off, len = rte_pktmbuf_data_len(pkts[0]);
	uint8_t dst6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42};
	AddrPort dst = out6 ? AddrPort::v6(dst6, kClientPort) : client_leg(1, 7);
	for (auto _ : state) {
		for (uint16_t i = 0; i < kBurst; i++) {
			rte_mbuf *m = pkts[i];
			m->data_off = data_off;
			m->data_len = m->pkt_len = len;
			if (!rewrite_udp(m, parsed[i], port, env().addr.router_mac[1], kRelayPort, dst))
				std::abort();
		}
	}
	state.SetItemsProcessed(state.iterations() * kBurst);
	rte_pktmbuf_free_bulk(pkts.data(), kBurst);
}
BENCHMARK(BM_Rewrite)->ArgNames({"in6", "out6"})->Args({0, 0})->Args({0, 1})->Args({1, 0})->Args({1, 1});

// The perf lab generator's re-stamp of a forwarded burst, the baseline to
// subtract from BM_WorkerProcess.
void BM_GeneratorRestamp(benchmark::State &state)
{
	Traffic traffic(env().addr, {64}, static_cast<uint32_t>(state.range(0)), {}, 1);
	auto pkts = stamped_burst(0, 1000);
	for (auto _ : state)
		for (rte_mbuf *m : pkts)
			traffic.stamp(m, 0, env().port[0], 0);
	state.SetItemsProcessed(state.iterations() * kBurst);
	rte_pktmbuf_free_bulk(pkts.data(), kBurst);
}
BENCHMARK(BM_GeneratorRestamp)->Arg(100000);

// Worker::process on 32 data packets of random endpoints, TX into a
// net_ring port; each iteration also takes the burst back from the TX
// ring and re-stamps it (BM_GeneratorRestamp is that part alone).
void BM_WorkerProcess(benchmark::State &state)
{
	uint32_t endpoints = static_cast<uint32_t>(state.range(0));
	Table &t = table(endpoints);
	NeighbourSlots neighbours(kSides);
	DataplaneShared shared;
	shared.relay = t.relay.get();
	shared.neighbours = &neighbours;
	shared.qsbr = t.qsbr.get();
	shared.relay_port = kRelayPort;
	shared.ports.resize(std::max(env().port[0], env().port[1]) + 1u);
	for (unsigned side = 0; side < kSides; side++) {
		neighbours.set(side, env().addr.router_mac[side]);
		EgressPort &e = shared.ports[env().port[side]];
		std::memcpy(e.mac, env().addr.relay_mac[side], 6);
		e.addrs = port_addrs(side);
	}
	rte_ring *punt = rte_ring_create("bench_punt", 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	Worker worker(0, shared, {{env().port[0], 0}, {env().port[1], 0}}, 0, punt, kBurst);
	Traffic traffic(env().addr, {64}, endpoints, {}, 1);
	auto burst = stamped_burst(0, endpoints);
	rte_mbuf **pkts = burst.data();
	for (auto _ : state) {
		for (uint16_t i = 0; i < kBurst; i++)
			traffic.stamp(pkts[i], 0, env().port[0], 0);
		worker.process(pkts, kBurst);
		if (rte_ring_sc_dequeue_bulk(env().tx[1], reinterpret_cast<void **>(pkts), kBurst, nullptr) != kBurst)
			std::abort();
	}
	state.SetItemsProcessed(state.iterations() * kBurst);
	rte_pktmbuf_free_bulk(pkts, kBurst);
	rte_ring_free(punt);
}
BENCHMARK(BM_WorkerProcess)->Arg(1000)->Arg(100000)->Arg(1000000);

bool start_env()
{
	Env &e = env();
	e.pool = rte_pktmbuf_pool_create("bench_pool", 4095, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (!e.pool)
		return false;
	zero_pool(e.pool);
	for (unsigned side = 0; side < kSides; side++) {
		std::string name = "bench" + std::to_string(side);
		e.rx[side] = rte_ring_create((name + "_rx").c_str(), 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		e.tx[side] = rte_ring_create((name + "_tx").c_str(), 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!e.rx[side] || !e.tx[side] || rte_eth_from_rings(name.c_str(), &e.rx[side], 1, &e.tx[side], 1, 0) < 0)
			return false;
		PortSpec spec;
		spec.name = name;
		spec.device = "net_ring_" + name;
		PortInfo info;
		if (std::string err = open_port(spec, e.pool, info); !err.empty()) {
			std::fprintf(stderr, "dataplane_bench: %s\n", err.c_str());
			return false;
		}
		e.port[side] = info.port_id;
	}
	return true;
}

} // namespace

int main(int argc, char **argv)
{
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 2;
	rte_openlog_stream(stderr);
	if (!start_bench_eal("dataplane_bench", "512") || !start_env()) {
		std::fprintf(stderr, "dataplane_bench: DPDK start-up failed\n");
		return 1;
	}
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	rte_eal_cleanup();
	return 0;
}
