// The wg_input stage's cost per packet: 32 transport messages of one
// inner size, from one peer, through admit and finish (bulk keypair
// lookup, one AEAD batch, window, allowed IPs, strip). Decryption is in
// place, so every iteration first puts the burst's bytes back and resets
// the window; BM_WgInputRestore times that alone, and the stage's own cost
// is the difference (docs/PERFORMANCE.md). Cycles by TSC.
//
//   wg_input_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/crypto/aead.h"
#include "dataplane/stages/classify.h"
#include "dataplane/stages/output.h"
#include "dataplane/stages/wg_input.h"
#include "dataplane/tables/prefix_table.h"
#include "dataplane/wire/bytes.h"
#include "dataplane/wireguard/data_peer.h"
#include "dataplane/wireguard/keypair_table.h"
#include "perf/bench_eal.h"

using namespace wayport;

namespace {

constexpr uint16_t kBurst = 32;
constexpr uint16_t kListenPort = 51820;
constexpr uint32_t kIndex = 0x01020304;
const uint8_t kNode[4] = {192, 0, 2, 1};
const uint8_t kPeer[4] = {192, 0, 2, 10};
const uint8_t kInnerSrc[4] = {10, 99, 0, 2};
const uint8_t kInnerDst[4] = {198, 18, 0, 5};

rte_mempool *g_pool;

// Ethernet, IPv4, UDP to the listen port, then a transport message whose
// plaintext is an inner IPv4/UDP packet of inner_len bytes.
Bytes frame(const uint8_t *key, uint64_t counter, size_t inner_len)
{
	Bytes inner(inner_len, 0);
	inner[0] = 0x45;
	store_be16(&inner[2], static_cast<uint16_t>(inner_len));
	inner[8] = 64;
	inner[9] = IPPROTO_UDP;
	std::memcpy(&inner[12], kInnerSrc, 4);
	std::memcpy(&inner[16], kInnerDst, 4);
	store_be16(&inner[24], static_cast<uint16_t>(inner_len - 20));
	size_t padded = wg_padded_len(inner_len);
	Bytes msg(16 + padded + 16, 0);
	msg[0] = 4;
	store_le32(&msg[4], kIndex);
	store_le64(&msg[8], counter);
	std::memcpy(&msg[16], inner.data(), inner_len);
	sodium_wg_encrypt(key, counter, &msg[16], padded, &msg[16 + padded]);

	Bytes f(14 + 20 + 8 + msg.size(), 0);
	store_be16(&f[12], RTE_ETHER_TYPE_IPV4);
	f[14] = 0x45;
	store_be16(&f[16], static_cast<uint16_t>(f.size() - 14));
	f[22] = 64;
	f[23] = IPPROTO_UDP;
	std::memcpy(&f[26], kPeer, 4);
	std::memcpy(&f[30], kNode, 4);
	store_be16(&f[34], kListenPort);
	store_be16(&f[36], kListenPort);
	store_be16(&f[38], static_cast<uint16_t>(8 + msg.size()));
	std::memcpy(&f[42], msg.data(), msg.size());
	return f;
}

struct Bench {
	Qsbr qsbr{1};
	Reclaimer reclaimer{qsbr};
	std::unique_ptr<wireguard::KeypairTable> keypairs;
	std::unique_ptr<PrefixTable> allowed;
	wireguard::DataPeerTable peers{1};
	WgInputShared shared;
	Destinations dests;
	std::vector<Bytes> pristine;
	std::vector<rte_mbuf *> pkts;
	wireguard::DataKeypair *kp = nullptr;

	explicit Bench(size_t inner_len)
	{
		std::string error;
		keypairs = wireguard::KeypairTable::create(qsbr, 64, error);
		PrefixTableConfig small;
		small.max_rules4 = small.max_rules6 = 16;
		small.tbl8_groups4 = small.tbl8_groups6 = 4;
		allowed = std::make_unique<PrefixTable>(qsbr, reclaimer, small);
		const uint8_t net[4] = {10, 99, 0, 0};
		allowed->add(Prefix::v4(net, 16), 0);
		auto k = std::make_unique<wireguard::DataKeypair>();
		k->local_index = kIndex;
		k->reject_after_tsc = UINT64_MAX;
		for (size_t i = 0; i < sizeof k->receive_key; i++)
			k->receive_key[i] = static_cast<uint8_t>(i * 13);
		for (uint16_t i = 0; i < kBurst; i++)
			pristine.push_back(frame(k->receive_key, i, inner_len));
		keypairs->publish(std::move(k));
		kp = keypairs->find(kIndex);
		shared.keypairs = keypairs.get();
		shared.allowed_ips = allowed.get();
		shared.peers = &peers;
		dests.ports.resize(1);
		dests.ports[0].has_ipv4 = true;
		std::memcpy(dests.ports[0].ipv4, kNode, 4);
		pkts.resize(kBurst);
		rte_pktmbuf_alloc_bulk(g_pool, pkts.data(), kBurst);
	}
	~Bench() { rte_pktmbuf_free_bulk(pkts.data(), kBurst); }

	// The burst as received: bytes, lengths and metadata, window fresh.
	void restore()
	{
		for (uint16_t i = 0; i < kBurst; i++) {
			rte_mbuf *m = pkts[i];
			m->data_off = RTE_PKTMBUF_HEADROOM;
			m->data_len = static_cast<uint16_t>(pristine[i].size());
			m->pkt_len = m->data_len;
			m->port = 0;
			std::memcpy(rte_pktmbuf_mtod(m, uint8_t *), pristine[i].data(), pristine[i].size());
			classify(m, dests, meta(m));
		}
		kp->window.reset();
	}
};

void report(benchmark::State &state, uint64_t cycles)
{
	state.SetItemsProcessed(state.iterations() * kBurst);
	state.counters["cycles/pkt"] = static_cast<double>(cycles) / static_cast<double>(state.iterations() * kBurst);
}

void BM_WgInputRestore(benchmark::State &state)
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

void BM_WgInput(benchmark::State &state)
{
	Bench b(static_cast<size_t>(state.range(0)));
	WorkerCounters c;
	WgInputStage stage(b.shared, 0, kBurst);
	Output out(c, 0, 1, 0, nullptr, kBurst);
	uint64_t cycles = 0;
	for (auto _ : state) {
		uint64_t t0 = rte_rdtsc();
		b.restore();
		for (rte_mbuf *m : b.pkts)
			stage.admit(m);
		stage.finish(t0, out, c);
		cycles += rte_rdtsc() - t0;
		if (stage.forwarded().size() != kBurst) {
			state.SkipWithError("a packet was not forwarded");
			break;
		}
	}
	report(state, cycles);
	state.SetLabel(aead_engine_name(stage.engine()));
}

// Inner sizes: a minimal UDP packet (64 B on the wire with the outer
// headers' share left out) and a full 1420-byte tunnel MTU.
BENCHMARK(BM_WgInputRestore)->Arg(28)->Arg(1420);
BENCHMARK(BM_WgInput)->Arg(28)->Arg(1420);

} // namespace

int main(int argc, char **argv)
{
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 2;
	if (!perf::start_bench_eal("wg_input_bench", "512"))
		return 1;
	g_pool = rte_pktmbuf_pool_create("bench_pool", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (!g_pool) {
		std::fprintf(stderr, "wg_input_bench: no mbuf pool\n");
		return 1;
	}
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	rte_eal_cleanup();
	return 0;
}
