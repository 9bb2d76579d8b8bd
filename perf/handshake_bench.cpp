// Google Benchmark for WireGuard's handshake (issue 11: at least 8,000
// responder handshakes a second per thread). A responder's handshake is
// consume_initiation then create_response, over a pool of 256 distinct
// initiations from one initiator made before the timed loop; an
// initiator's is create_initiation then consume_response. /ss:0 computes
// DH(s_i, s_r) every time, /ss:1 takes it from the peer's
// PrecomputedStatic. BM_ResponderThreads runs responders on 1 and 2
// threads at once against one shared identity, as the handshake pool
// does; its items_per_second is the total. BM_X25519/* times each
// library's X25519, the floor under all of it: a handshake costs the
// x25519 counter's count of them, most of them now run together by
// x25519_batch, which BM_X25519Batch times (docs/PERFORMANCE.md).
//
//   handshake_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <array>
#include <string>
#include <vector>

#include "controlplane/wireguard/handshake.h"
#include "controlplane/wireguard/x25519_batch.h"

using namespace wayport;
using namespace wayport::wireguard;

namespace {

constexpr size_t kPool = 256;

using InitiationBytes = std::array<uint8_t, kWireGuardInitiationLen>;
using ResponseBytes = std::array<uint8_t, kWireGuardResponseLen>;

// One initiator, one responder, and kPool handshakes between them made
// ahead: the initiations (for responders) and, for initiators, each
// one's pending state with the response that answers it.
struct Pool {
	Identity initiator{PrivateKey::generate()};
	Identity responder{PrivateKey::generate()};
	PrecomputedStatic initiator_ss = *PrecomputedStatic::compute(initiator.static_key, responder.static_public);
	PrecomputedStatic responder_ss = *PrecomputedStatic::compute(responder.static_key, initiator.static_public);
	std::vector<InitiationBytes> initiations;
	std::vector<PendingInitiation> pendings;
	std::vector<ResponseBytes> responses;

	Pool()
	{
		for (uint32_t i = 0; i < kPool; i++) {
			InitiationBytes &msg = initiations.emplace_back();
			std::optional<PendingInitiation> pending;
			create_initiation(initiator, initiation_params(i, nullptr), msg, pending);
			std::optional<ReceivedInitiation> received;
			consume_initiation(responder, msg, received);
			TransportKeys keys;
			create_response(*received, response_params(i), responses.emplace_back(), keys);
			pendings.push_back(*pending);
		}
	}

	InitiationParams initiation_params(uint32_t i, const PrecomputedStatic *ss) const
	{
		InitiationParams p;
		p.peer = responder.static_public;
		p.sender_index = i;
		p.ephemeral = PrivateKey::generate();
		p.timestamp = Tai64n::from(WallTime{1'700'000'000 + i, 0});
		p.precomputed_ss = ss;
		return p;
	}

	static ResponseParams response_params(uint32_t i)
	{
		ResponseParams p;
		p.sender_index = i;
		p.ephemeral = PrivateKey::generate();
		return p;
	}

	// What a device's peer table would answer: the entry for a known key.
	PrecomputedStaticLookup lookup() const
	{
		return [this](const PublicKey &key) { return key == initiator.static_public ? &responder_ss : nullptr; };
	}
};

// Shared by every benchmark and thread; read-only once made.
const Pool &pool()
{
	static const Pool p;
	return p;
}

// X25519 per handshake, either side: e's public key, es, ss, ee, se.
// Averaged over threads, as each thread's handshakes cost the same.
benchmark::Counter x25519_count(bool cached)
{
	return benchmark::Counter(cached ? 4 : 5, benchmark::Counter::kAvgThreads);
}

void respond(benchmark::State &state, bool cached, size_t first)
{
	const Pool &p = pool();
	const PrecomputedStaticLookup lookup = cached ? p.lookup() : PrecomputedStaticLookup{};
	ResponseBytes out{};
	TransportKeys keys;
	size_t i = first;
	for (auto _ : state) {
		std::optional<ReceivedInitiation> received;
		if (consume_initiation(p.responder, p.initiations[i % kPool], received, lookup) != HandshakeError::ok ||
		    create_response(*received, Pool::response_params(static_cast<uint32_t>(i)), out, keys) !=
			    HandshakeError::ok) {
			state.SkipWithError("handshake failed");
			break;
		}
		benchmark::DoNotOptimize(out.data());
		benchmark::DoNotOptimize(keys.send.data());
		i++;
	}
	state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
	state.counters["x25519"] = x25519_count(cached);
}

void BM_ResponderHandshake(benchmark::State &state)
{
	respond(state, state.range(0) != 0, 0);
}

// Each thread starts at its own place in the pool.
void BM_ResponderThreads(benchmark::State &state)
{
	respond(state, state.range(0) != 0, static_cast<size_t>(state.thread_index()) * kPool / 2);
}

void BM_InitiatorHandshake(benchmark::State &state)
{
	const bool cached = state.range(0) != 0;
	const Pool &p = pool();
	InitiationBytes msg{};
	TransportKeys keys;
	uint32_t i = 0;
	for (auto _ : state) {
		std::optional<PendingInitiation> fresh;
		// The response answers the pool's initiation i, not the fresh one:
		// the same work as answering it, with no responder in the loop.
		PendingInitiation pending = p.pendings[i % kPool];
		if (create_initiation(p.initiator, p.initiation_params(i, cached ? &p.initiator_ss : nullptr), msg, fresh) !=
			    HandshakeError::ok ||
		    consume_response(p.initiator, pending, {}, p.responses[i % kPool], keys) != HandshakeError::ok) {
			state.SkipWithError("handshake failed");
			break;
		}
		benchmark::DoNotOptimize(msg.data());
		benchmark::DoNotOptimize(keys.send.data());
		i++;
	}
	state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
	state.counters["x25519"] = x25519_count(cached);
}

BENCHMARK(BM_ResponderHandshake)->ArgName("ss")->Arg(0)->Arg(1);
BENCHMARK(BM_InitiatorHandshake)->ArgName("ss")->Arg(0)->Arg(1);
BENCHMARK(BM_ResponderThreads)->ArgName("ss")->Arg(1)->Threads(1)->Threads(2)->UseRealTime();

// X25519 per library on one key pair, each checked against libsodium
// before it is timed. OpenSSL's EVP interface is timed as a stateless dh()
// would have to call it, objects made and freed per call; with only the
// peer's key made per call, as a cache of our static key's could; and,
// for its floor, with everything made once.
struct KeyPair {
	PrivateKey self = PrivateKey::generate();
	PublicKey peer = PrivateKey::generate().public_key();
	Key32 shared{};       // libsodium's crypto_scalarmult(self, peer)
	Key32 self_public{};  // libsodium's crypto_scalarmult_base(self)
	Key32 self_edwards{}; // libsodium's Ed25519 base-point multiplication
	EVP_PKEY *evp_self = nullptr;
	EVP_PKEY_CTX *evp_ctx = nullptr; // derive set up with the peer

	KeyPair()
	{
		if (crypto_scalarmult(shared.data(), self.raw().data(), peer.bytes.data()) != 0)
			shared = {};
		crypto_scalarmult_base(self_public.data(), self.raw().data());
		crypto_scalarmult_ed25519_base(self_edwards.data(), self.raw().data());
		evp_self = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, self.raw().data(), kKeyLen);
		EVP_PKEY *evp_peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer.bytes.data(), kKeyLen);
		evp_ctx = EVP_PKEY_CTX_new(evp_self, nullptr);
		if (!evp_ctx || EVP_PKEY_derive_init(evp_ctx) != 1 || EVP_PKEY_derive_set_peer(evp_ctx, evp_peer) != 1) {
			EVP_PKEY_CTX_free(evp_ctx);
			evp_ctx = nullptr;
		}
		EVP_PKEY_free(evp_peer);
	}
	KeyPair(const KeyPair &) = delete;
	KeyPair &operator=(const KeyPair &) = delete;
	~KeyPair()
	{
		EVP_PKEY_CTX_free(evp_ctx);
		EVP_PKEY_free(evp_self);
	}
};

const KeyPair &key_pair()
{
	static const KeyPair kp;
	return kp;
}

bool evp_derive(EVP_PKEY *self, const PublicKey &peer, Key32 &out)
{
	EVP_PKEY *p = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer.bytes.data(), kKeyLen);
	EVP_PKEY_CTX *ctx = p ? EVP_PKEY_CTX_new(self, nullptr) : nullptr;
	size_t len = out.size();
	const bool ok = ctx && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, p) == 1 &&
			EVP_PKEY_derive(ctx, out.data(), &len) == 1 && len == out.size();
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(p);
	return ok;
}

EVP_PKEY *evp_private(const PrivateKey &k)
{
	return EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, k.raw().data(), kKeyLen);
}

// One multiplication into out; false if the library failed.
using X25519Fn = bool (*)(const KeyPair &, Key32 &out);

// The KeyPair field a case must reproduce.
enum class Want : uint8_t { shared, self_public, self_edwards };

void run_x25519(benchmark::State &state, X25519Fn fn, Want want)
{
	const KeyPair &kp = key_pair();
	const Key32 &expected = want == Want::shared	     ? kp.shared
				: want == Want::self_public ? kp.self_public
							    : kp.self_edwards;
	Key32 out{};
	if (!fn(kp, out) || out != expected) {
		state.SkipWithError("disagrees with libsodium");
		return;
	}
	for (auto _ : state) {
		fn(kp, out);
		benchmark::DoNotOptimize(out.data());
	}
	state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

struct X25519Case {
	const char *name;
	Want want;
	X25519Fn fn;
};

const X25519Case kX25519Cases[] = {
	{"wayport_dh", Want::shared,
	 [](const KeyPair &kp, Key32 &out) {
		 std::optional<Key32> s = dh(kp.self, kp.peer);
		 out = s.value_or(Key32{});
		 return s.has_value();
	 }},
	{"wayport_public_key", Want::self_public,
	 [](const KeyPair &kp, Key32 &out) {
		 out = kp.self.public_key().bytes;
		 return true;
	 }},
	{"libsodium_scalarmult", Want::shared,
	 [](const KeyPair &kp, Key32 &out) {
		 return crypto_scalarmult(out.data(), kp.self.raw().data(), kp.peer.bytes.data()) == 0;
	 }},
	{"libsodium_scalarmult_base", Want::self_public,
	 [](const KeyPair &kp, Key32 &out) { return crypto_scalarmult_base(out.data(), kp.self.raw().data()) == 0; }},
	// wayport_public_key's first half, without the map to Montgomery u.
	{"libsodium_ed25519_base", Want::self_edwards,
	 [](const KeyPair &kp, Key32 &out) { return crypto_scalarmult_ed25519_base(out.data(), kp.self.raw().data()) == 0; }},
	{"openssl_evp_derive_per_call", Want::shared,
	 [](const KeyPair &kp, Key32 &out) {
		 EVP_PKEY *self = evp_private(kp.self);
		 const bool ok = self && evp_derive(self, kp.peer, out);
		 EVP_PKEY_free(self);
		 return ok;
	 }},
	{"openssl_evp_derive_private_kept", Want::shared,
	 [](const KeyPair &kp, Key32 &out) { return kp.evp_self && evp_derive(kp.evp_self, kp.peer, out); }},
	{"openssl_evp_derive_only", Want::shared,
	 [](const KeyPair &kp, Key32 &out) {
		 size_t len = out.size();
		 return kp.evp_ctx && EVP_PKEY_derive(kp.evp_ctx, out.data(), &len) == 1;
	 }},
	// EVP_PKEY_new_raw_private_key derives the public key as it imports.
	{"openssl_evp_public_from_private", Want::self_public,
	 [](const KeyPair &kp, Key32 &out) {
		 EVP_PKEY *self = evp_private(kp.self);
		 size_t len = out.size();
		 const bool ok = self && EVP_PKEY_get_raw_public_key(self, out.data(), &len) == 1;
		 EVP_PKEY_free(self);
		 return ok;
	 }},
};

[[maybe_unused]] const bool x25519_registered = [] {
	for (const X25519Case &c : kX25519Cases)
		benchmark::RegisterBenchmark((std::string("BM_X25519/") + c.name).c_str(),
					     [&c](benchmark::State &state) { run_x25519(state, c.fn, c.want); });
	return true;
}();

// x25519_batch over N jobs (the key pair's DH in every lane), checked
// against libsodium first. Time is per batch; items_per_second counts
// multiplications.
void BM_X25519Batch(benchmark::State &state)
{
	const KeyPair &kp = key_pair();
	const size_t n = static_cast<size_t>(state.range(0));
	std::vector<Key32> out(n);
	std::vector<X25519Job> jobs;
	for (size_t i = 0; i < n; i++)
		jobs.push_back({&kp.self.raw(), &kp.peer.bytes, &out[i]});
	x25519_batch(jobs);
	for (const Key32 &o : out)
		if (o != kp.shared) {
			state.SkipWithError("disagrees with libsodium");
			return;
		}
	for (auto _ : state) {
		x25519_batch(jobs);
		benchmark::DoNotOptimize(out.data());
	}
	state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
	state.counters["vectorized"] = x25519_batch_vectorized();
}
BENCHMARK(BM_X25519Batch)->ArgName("jobs")->DenseRange(1, 4);

}  // namespace
