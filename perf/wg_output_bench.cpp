// The wg_output stage's cost per packet: 32 LAN frames of one inner size,
// for one peer, through admit and finish (allowed-IPs lookup, the hop, the
// keypair and endpoint, the FIB, the headers, one AEAD batch, the peer's
// counters). Encryption is in place and the stage strips the Ethernet
// header, pads and prepends the outer headers, so every iteration first
// puts the burst back; BM_WgOutputRestore times that alone, and the
// stage's own cost is the difference. BM_WgOutputAead is the AEAD batch
// alone on the same lengths and buffers, so one run gives the stage's
// cost over the raw encryption (docs/PERFORMANCE.md). Cycles by TSC.
//
//   wg_output_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "dataplane/crypto/aead.h"
#include "dataplane/crypto/aead_batch.h"
#include "dataplane/ports/port.h"
#include "dataplane/stages/classify.h"
#include "dataplane/stages/output.h"
#include "dataplane/stages/wg_output.h"
#include "dataplane/tables/fib.h"
#include "dataplane/tables/prefix_table.h"
#include "dataplane/tables/rcu.h"
#include "dataplane/wire/bytes.h"
#include "dataplane/wireguard/data_peer.h"
#include "dataplane/wireguard/keypair_table.h"
#include "dataplane/worker/counters.h"
#include "perf/bench_eal.h"

using namespace wayport;

namespace {

constexpr uint16_t kBurst = 32;
constexpr uint16_t kListenPort = 51820;
constexpr uint16_t kMtu = 1420;
const uint8_t kNode[4] = {192, 0, 2, 1};
const uint8_t kGateway[4] = {192, 0, 2, 254};
// Off the port's /24, so the FIB answers with the default route.
const uint8_t kEndpoint[4] = {198, 51, 100, 7};
const uint8_t kLanHost[4] = {172, 16, 0, 9};
const uint8_t kTunnelNet[4] = {10, 99, 0, 0};
const uint8_t kTunnelHost[4] = {10, 99, 0, 10};

rte_mempool *g_pool;

// What the stage encrypts for an inner packet of inner_len bytes: padded
// to 16, never past the MTU.
size_t padded_len(size_t inner_len)
{
	return std::max(inner_len, std::min<size_t>(wg_padded_len(inner_len), kMtu));
}

// Ethernet, then an inner IPv4/UDP packet of inner_len bytes from a LAN
// host to the peer's tunnel address.
Bytes lan_frame(size_t inner_len)
{
	Bytes f(sizeof(rte_ether_hdr) + inner_len, 0);
	store_be16(&f[12], RTE_ETHER_TYPE_IPV4);
	uint8_t *ip = &f[sizeof(rte_ether_hdr)];
	ip[0] = 0x45;
	store_be16(&ip[2], static_cast<uint16_t>(inner_len));
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	std::memcpy(&ip[12], kLanHost, 4);
	std::memcpy(&ip[16], kTunnelHost, 4);
	// rte_ipv4_cksum's result goes into the header as it is, not swapped.
	uint16_t sum = rte_ipv4_cksum(reinterpret_cast<const rte_ipv4_hdr *>(ip));
	std::memcpy(&ip[10], &sum, 2);
	store_be16(&ip[20], 3000);
	store_be16(&ip[22], 4000);
	store_be16(&ip[24], static_cast<uint16_t>(inner_len - 20));
	return f;
}

struct Bench {
	Qsbr qsbr{1};
	Reclaimer reclaimer{qsbr};
	std::unique_ptr<PrefixTable> allowed;
	std::unique_ptr<Fib> fib;
	std::vector<EgressPort> egress;
	std::unique_ptr<wireguard::DataKeypair> kp;
	wireguard::DataPeerTable peers{1};
	WgOutputShared shared;
	Destinations dests;
	Bytes pristine;
	std::vector<rte_mbuf *> pkts;

	explicit Bench(size_t inner_len) : pristine(lan_frame(inner_len))
	{
		// rte_lpm's and the IPv6 trie's tbl24 are fixed (about 128 MiB a
		// table); only the rules and tbl8 groups follow the config.
		PrefixTableConfig small;
		small.max_rules4 = small.max_rules6 = 16;
		small.tbl8_groups4 = small.tbl8_groups6 = 4;
		allowed = std::make_unique<PrefixTable>(qsbr, reclaimer, small);
		allowed->add(Prefix::v4(kTunnelNet, 16), 0);

		FibConfig fib_config;
		fib_config.next_hops = 16;
		fib_config.prefixes = small;
		fib = std::make_unique<Fib>(qsbr, fib_config);
		Port port;
		port.ipv4 = AddrPort::v4(kNode, 0);
		port.ipv4_prefix = 24;
		port.gateway4 = AddrPort::v4(kGateway, 0);
		std::vector<Port> ports{port};
		fib->build(ports, {});
		egress = egress_view(ports);

		// Never too old, never due for a rekey: every packet is sealed.
		kp = std::make_unique<wireguard::DataKeypair>();
		kp->remote_index = 0x01020304;
		kp->reject_after_tsc = UINT64_MAX;
		for (size_t i = 0; i < sizeof kp->send_key; i++)
			kp->send_key[i] = static_cast<uint8_t>(i * 13);
		wireguard::DataPeer &peer = peers[0];
		peer.send_keypair.store(kp.get());
		peer.endpoint.store(AddrPort::v4(kEndpoint, kListenPort));

		shared.allowed_ips = allowed.get();
		shared.peers = &peers;
		shared.fib = fib.get();
		shared.ports = &egress;
		shared.listen_port = kListenPort;
		shared.mtu = kMtu;
		dests.ports = {egress[0].addrs};
		pkts.resize(kBurst);
		rte_pktmbuf_alloc_bulk(g_pool, pkts.data(), kBurst);
	}
	~Bench() { rte_pktmbuf_free_bulk(pkts.data(), static_cast<unsigned>(pkts.size())); }

	// The burst as received from the LAN: bytes, lengths and metadata.
	void restore()
	{
		for (rte_mbuf *m : pkts) {
			m->data_off = RTE_PKTMBUF_HEADROOM;
			m->data_len = static_cast<uint16_t>(pristine.size());
			m->pkt_len = m->data_len;
			m->port = 0;
			std::memcpy(rte_pktmbuf_mtod(m, uint8_t *), pristine.data(), pristine.size());
			classify(m, dests, meta(m));
		}
	}
};

void report(benchmark::State &state, uint64_t cycles)
{
	state.SetItemsProcessed(state.iterations() * kBurst);
	state.counters["cycles/pkt"] = static_cast<double>(cycles) / static_cast<double>(state.iterations() * kBurst);
}

void BM_WgOutputRestore(benchmark::State &state)
{
	Bench b(static_cast<size_t>(state.range(0)));
	uint64_t cycles = 0;
	for (auto _ : state) {
		uint64_t t0 = rte_rdtsc();
		b.restore();
		cycles += rte_rdtsc() - t0;
	}
	report(state, cycles);
}

void BM_WgOutput(benchmark::State &state)
{
	Bench b(static_cast<size_t>(state.range(0)));
	WorkerCounters c;
	WgOutputStage stage(b.shared, 0, kBurst);
	// No punt ring: room for a whole burst, so the punts of a burst that
	// went wrong stay in Output (freed with it) instead of meeting the ring.
	Output out(c, 0, 1, 0, nullptr, 2 * kBurst);
	uint64_t cycles = 0;
	for (auto _ : state) {
		uint64_t t0 = rte_rdtsc();
		b.restore();
		for (rte_mbuf *m : b.pkts)
			stage.admit(m);
		stage.finish(t0, out, c);
		cycles += rte_rdtsc() - t0;
		if (stage.sealed().size() != kBurst) {
			// Output frees what was dropped or punted; the peer is homed
			// here, so nothing was handed off and the bench keeps the rest.
			b.pkts.assign(stage.sealed().begin(), stage.sealed().end());
			state.SkipWithError("a packet was not sealed");
			break;
		}
	}
	report(state, cycles);
	state.SetLabel(aead_engine_name(stage.engine()));
}

// The batch wg_output runs per burst, alone: 32 encryptions of the padded
// inner packet, in mbufs where the stage has it (after the Ethernet
// header's 14 bytes, so the same alignment), with nothing to restore:
// encrypting ciphertext again costs the same.
void BM_WgOutputAead(benchmark::State &state)
{
	const size_t padded = padded_len(static_cast<size_t>(state.range(0)));
	uint8_t key[32];
	for (size_t i = 0; i < sizeof key; i++)
		key[i] = static_cast<uint8_t>(i * 13);
	std::vector<rte_mbuf *> pkts(kBurst);
	rte_pktmbuf_alloc_bulk(g_pool, pkts.data(), kBurst);
	std::vector<uint8_t *> data;
	for (rte_mbuf *m : pkts)
		data.push_back(rte_pktmbuf_mtod_offset(m, uint8_t *, sizeof(rte_ether_hdr)));
	AeadBatch aead(kBurst);
	uint64_t counter = 0, cycles = 0;
	for (auto _ : state) {
		uint64_t t0 = rte_rdtsc();
		aead.clear();
		for (uint8_t *p : data)
			aead.add_encrypt(key, counter++, p, padded, p + padded);
		aead.run();
		cycles += rte_rdtsc() - t0;
	}
	rte_pktmbuf_free_bulk(pkts.data(), kBurst);
	report(state, cycles);
	state.SetLabel(aead_engine_name(aead.engine()));
}

// Inner sizes: a 64-byte IPv4 packet (64 B of plaintext, no padding) and a
// full 1420-byte tunnel MTU (1420, the padding capped by the MTU).
BENCHMARK(BM_WgOutputRestore)->Arg(64)->Arg(1420);
BENCHMARK(BM_WgOutput)->Arg(64)->Arg(1420);
BENCHMARK(BM_WgOutputAead)->Arg(64)->Arg(1420);

} // namespace

int main(int argc, char **argv)
{
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 2;
	// Two PrefixTables (allowed IPs, the FIB's) of about 128 MiB each.
	if (!perf::start_bench_eal("wg_output_bench", "1024"))
		return 1;
	g_pool = rte_pktmbuf_pool_create("bench_pool", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (!g_pool) {
		std::fprintf(stderr, "wg_output_bench: no mbuf pool\n");
		return 1;
	}
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	rte_eal_cleanup();
	return 0;
}
