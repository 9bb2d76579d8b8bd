// Google Benchmark for WireGuard's data AEAD (issue 11): one AeadBatch
// encrypting or decrypting 32 packets in place per iteration, on each engine, at the
// issue's lengths (64, 512, 1420 B) and between them, where an AVX-512/SSE
// crossover would show. Cycles are TSC ticks. The min_ counters are the
// fastest single batch of the run: on a shared machine they are the
// figure that neighbours' builds do not move.
//
//   crypto_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <x86intrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "dataplane/crypto/aead_batch.h"

using namespace wayport;

namespace {

constexpr uint16_t kBurst = 32;

// Each iteration times one batch of kBurst packets, in place. Decryption
// needs the ciphertexts back before every batch; that copy is outside
// the TSC window the counters report (Google Benchmark's own time
// includes it).
void run_aead(benchmark::State &state, AeadDirection dir)
{
	const auto engine = static_cast<AeadEngine>(state.range(0));
	const auto len = static_cast<size_t>(state.range(1));
	AeadBatch batch(kBurst, engine);
	if (batch.engine() != engine) {
		state.SkipWithError("engine not available here");
		return;
	}
	std::mt19937_64 rng(1);
	std::vector<std::vector<uint8_t>> pkts(kBurst, std::vector<uint8_t>(len));
	std::vector<uint8_t> tags(kBurst * aead_tag_len);
	uint8_t keys[4][aead_key_len];
	for (auto &k : keys)
		for (auto &b : k)
			b = static_cast<uint8_t>(rng());
	for (auto &p : pkts)
		for (auto &b : p)
			b = static_cast<uint8_t>(rng());
	// Ciphertexts for decryption, made by libsodium under counters 0..kBurst-1.
	std::vector<std::vector<uint8_t>> sealed = pkts;
	for (uint16_t i = 0; i < kBurst; i++)
		sodium_wg_encrypt(keys[i % 4], i, sealed[i].data(), len, &tags[i * aead_tag_len]);

	uint64_t counter = 0;
	uint64_t ticks = 0;
	uint64_t best = UINT64_MAX;
	for (auto _ : state) {
		if (dir == AeadDirection::decrypt)
			for (uint16_t i = 0; i < kBurst; i++)
				std::memcpy(pkts[i].data(), sealed[i].data(), len);
		uint64_t t0 = __rdtsc();
		batch.clear();
		for (uint16_t i = 0; i < kBurst; i++) {
			if (dir == AeadDirection::encrypt)
				batch.add_encrypt(keys[i % 4], counter++, pkts[i].data(), len, &tags[i * aead_tag_len]);
			else
				batch.add_decrypt(keys[i % 4], i, pkts[i].data(), len, &tags[i * aead_tag_len]);
		}
		batch.run();
		uint64_t dt = __rdtsc() - t0;
		ticks += dt;
		best = std::min(best, dt);
		benchmark::DoNotOptimize(tags.data());
		benchmark::ClobberMemory();
		if (dir == AeadDirection::decrypt && batch.status(0) != AeadStatus::ok) {
			state.SkipWithError("decryption failed");
			return;
		}
	}
	const double packets = static_cast<double>(state.iterations()) * kBurst;
	state.counters["cyc/pkt"] = static_cast<double>(ticks) / packets;
	state.counters["cyc/B"] = static_cast<double>(ticks) / (packets * static_cast<double>(len));
	state.counters["min_cyc/pkt"] = static_cast<double>(best) / kBurst;
	state.counters["min_cyc/B"] = static_cast<double>(best) / (kBurst * static_cast<double>(len));
	state.SetBytesProcessed(static_cast<int64_t>(packets) * static_cast<int64_t>(len));
	state.SetLabel(aead_engine_name(engine));
}

void BM_Encrypt(benchmark::State &state)
{
	run_aead(state, AeadDirection::encrypt);
}

void BM_Decrypt(benchmark::State &state)
{
	run_aead(state, AeadDirection::decrypt);
}

void Engines(benchmark::internal::Benchmark *b)
{
	b->ArgNames({"engine", "len"});
	for (AeadEngine e : {AeadEngine::avx512, AeadEngine::sse, AeadEngine::sodium})
		for (int len : {64, 128, 192, 256, 384, 512, 1420})
			b->Args({static_cast<int>(e), len});
}

}  // namespace

BENCHMARK(BM_Encrypt)->Apply(Engines);
BENCHMARK(BM_Decrypt)->Apply(Engines);

BENCHMARK_MAIN();
