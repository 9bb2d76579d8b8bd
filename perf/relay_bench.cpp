// Relay core costs on one core: the Bind -> Challenge path, disco seal and
// open, the challenge MAC, allocation and GC steps.
#include <benchmark/benchmark.h>

#include <array>
#include <memory>
#include <vector>

#include "controlplane/disco/key.h"
#include "controlplane/disco/message.h"
#include "controlplane/disco/seal.h"
#include "controlplane/relay/server.h"
#include "dataplane/wire/geneve.h"

namespace wayport::relay {
namespace {

constexpr Time kT0 = 1000 * kSecond;

AddrPort v4(uint8_t host, uint16_t port)
{
	const uint8_t ip[4] = {192, 0, 2, host};
	return AddrPort::v4(ip, port);
}

// Public keys of distinct clients without the cost of a key pair each:
// random bytes are as good a Curve25519 u-coordinate as any.
std::vector<disco::PublicKey> random_keys(size_t n)
{
	SystemRandom random;
	std::vector<disco::PublicKey> keys(n);
	for (auto &k : keys)
		random.fill(k.bytes);
	return keys;
}

// The i-th pair of distinct keys from a pool: (0,1), (0,2), (1,2), (0,3)...
// so n endpoints need only about sqrt(2n) keys, and as many X25519.
std::pair<size_t, size_t> nth_pair(size_t i)
{
	size_t hi = 1;
	while (hi * (hi + 1) / 2 <= i)
		hi++;
	return {i - hi * (hi - 1) / 2, hi};
}

size_t pool_size_for(size_t pairs)
{
	return nth_pair(pairs).second + 1;
}

struct Fixture {
	SystemRandom random;
	Server server;
	std::array<uint8_t, kReplyBufferLen> reply{};

	explicit Fixture(const Config &config = Config{})
		: server(disco::PrivateKey::generate(), std::nullopt, config, random)
	{
		server.set_addr_ports({v4(5, 7777)});
	}
};

// What the control thread does after each batch of work.
void drain_table_log(Server &server)
{
	static std::vector<TableChange> sink;
	sink.clear();
	server.take_table_changes(sink);
}

Bytes bind_packet(const disco::PrivateKey &client, const disco::PublicKey &server, uint32_t vni,
		  const disco::PublicKey &remote)
{
	Bytes pkt(kGeneveHeaderLen);
	geneve_encode({0, true, kGeneveProtocolDisco, vni}, pkt);
	disco::Message m;
	m.body = disco::BindUdpRelayEndpoint{{vni, 1, remote, {}}};
	disco::seal(*disco::shared_key(client, server), client.public_key(), disco::marshal(m), pkt);
	return pkt;
}

// A valid Bind in, a sealed Challenge out: open, parse, MAC, seal.
void BM_BindToChallenge(benchmark::State &state)
{
	Fixture f;
	auto a = disco::PrivateKey::generate(), b = disco::PrivateKey::generate();
	ServerEndpoint ep;
	f.server.allocate(a.public_key(), b.public_key(), kT0, ep);
	Bytes bind = bind_packet(a, f.server.server_disco(), ep.vni, b.public_key());
	AddrPort from = v4(10, 41641);
	for (auto _ : state) {
		PacketResult r = f.server.handle_packet(bind, from, kT0, f.reply);
		benchmark::DoNotOptimize(r);
		if (r.verdict != Verdict::reply)
			state.SkipWithError("no challenge");
	}
	state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BindToChallenge);

// Disco's box on its own, at the size of a Bind (the largest message a
// relay opens per handshake): seal, then open of what was sealed.
Bytes bind_plaintext()
{
	disco::Message m;
	m.body = disco::BindUdpRelayEndpoint{{1, 1, {}, {}}};
	return disco::marshal(m);
}

void BM_DiscoSeal(benchmark::State &state)
{
	auto a = disco::PrivateKey::generate(), b = disco::PrivateKey::generate();
	disco::SharedKey key = *disco::shared_key(a, b.public_key());
	disco::PublicKey sender = a.public_key();  // an X25519 per call: not in the loop
	Bytes plain = bind_plaintext(), out;
	disco::Nonce nonce{};
	for (auto _ : state) {
		out.clear();
		nonce[0]++;
		disco::seal(key, sender, plain, out, state.range(0) ? nullptr : &nonce);
		benchmark::DoNotOptimize(out.data());
	}
	state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DiscoSeal)->ArgName("random_nonce")->Arg(0)->Arg(1);

void BM_DiscoOpen(benchmark::State &state)
{
	auto a = disco::PrivateKey::generate(), b = disco::PrivateKey::generate();
	disco::SharedKey key = *disco::shared_key(a, b.public_key());
	Bytes sealed;
	disco::seal(key, a.public_key(), bind_plaintext(), sealed);
	for (auto _ : state) {
		auto plain = disco::open(key, sealed);
		if (!plain)
			state.SkipWithError("open failed");
		benchmark::DoNotOptimize(plain);
	}
	state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DiscoOpen);

void BM_BindMac(benchmark::State &state)
{
	MacSecret secret{};
	secret.fill(0x77);
	disco::BindCommon common{1, 1, {}, {}};
	AddrPort from = v4(10, 41641);
	for (auto _ : state) {
		auto mac = bind_mac(secret, from, common);
		benchmark::DoNotOptimize(mac);
		common.generation++;
	}
	state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BindMac);

// New endpoints for pairs of fresh keys: two X25519 each, plus the VNI and
// the indexes.
void BM_AllocateNewPairs(benchmark::State &state)
{
	constexpr size_t kPairs = 1 << 14;
	auto keys = random_keys(2 * kPairs);
	Fixture f;
	size_t i = 0;
	Time now = kT0;
	for (auto _ : state) {
		if (i == kPairs) {
			// Every pair is allocated: expire them all and start over.
			state.PauseTiming();
			now += kMinute;
			f.server.gc_all(now);
			drain_table_log(f.server);
			i = 0;
			state.ResumeTiming();
		}
		ServerEndpoint ep;
		AllocError err = f.server.allocate(keys[2 * i], keys[2 * i + 1], now, ep);
		if (err != AllocError::ok)
			state.SkipWithError(to_string(err));
		i++;
	}
	state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AllocateNewPairs);

// New endpoints between clients the server already knows (each has another
// live endpoint): the X25519 results are reused, the rest is bookkeeping.
void BM_AllocateKnownClients(benchmark::State &state)
{
	constexpr size_t kPairs = 1 << 16;
	auto keys = random_keys(pool_size_for(kPairs));
	Fixture f;
	Time now = kT0;
	ServerEndpoint ep;
	for (size_t k = 1; k < keys.size(); k++)  // warm: every key has an endpoint
		f.server.allocate(keys[0], keys[k], now - kHour, ep);
	size_t i = keys.size();  // pairs (0, k) are taken
	for (auto _ : state) {
		if (i == kPairs) {
			state.PauseTiming();
			f.server.gc_all(now + 10 * kSecond);  // only the warm-up expires
			now += kMinute;
			f.server.gc_all(now);
			for (size_t k = 1; k < keys.size(); k++)
				f.server.allocate(keys[0], keys[k], now - 30 * kSecond, ep);
			drain_table_log(f.server);
			i = keys.size();
			state.ResumeTiming();
		}
		auto [x, y] = nth_pair(i++);
		AllocError err = f.server.allocate(keys[x], keys[y], now, ep);
		if (err != AllocError::ok)
			state.SkipWithError(to_string(err));
	}
	state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AllocateKnownClients);

// The floor of a new pair: one X25519 (crypto_box_beforenm) per new key.
void BM_SharedKey(benchmark::State &state)
{
	auto self = disco::PrivateKey::generate();
	auto peer = random_keys(1)[0];
	for (auto _ : state) {
		auto k = disco::shared_key(self, peer);
		benchmark::DoNotOptimize(k);
		peer.bytes[0]++;
	}
	state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SharedKey);

// An allocation request for a pair that already has its endpoint (the
// client's retry): the lookup and the ServerEndpoint copy.
void BM_AllocateExisting(benchmark::State &state)
{
	auto keys = random_keys(2);
	Fixture f;
	ServerEndpoint ep;
	f.server.allocate(keys[0], keys[1], kT0, ep);
	for (auto _ : state) {
		f.server.allocate(keys[1], keys[0], kT0, ep);
		benchmark::DoNotOptimize(ep);
	}
	state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AllocateExisting);

// A server with n endpoints allocated at kT0, built once per size.
Fixture &bound_fixture(size_t n)
{
	static std::unique_ptr<Fixture> f;
	static size_t built = 0;
	if (built == n)
		return *f;
	f = std::make_unique<Fixture>();
	auto keys = random_keys(pool_size_for(n));
	for (size_t i = 0; i < n; i++) {
		ServerEndpoint ep;
		auto [x, y] = nth_pair(i);
		f->server.allocate(keys[x], keys[y], kT0, ep);
	}
	drain_table_log(f->server);
	built = n;
	return *f;
}

// A GC step over endpoints that are all alive: the cost of looking.
void BM_GcStepScan(benchmark::State &state)
{
	size_t n = static_cast<size_t>(state.range(0));
	size_t budget = static_cast<size_t>(state.range(1));
	Fixture &f = bound_fixture(n);
	for (auto _ : state) {
		GcResult r = f.server.gc_step(kT0 + kSecond, budget);
		benchmark::DoNotOptimize(r);
	}
	state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(budget));
}
BENCHMARK(BM_GcStepScan)->Args({100000, 4096})->Args({1000000, 4096});

// A GC step where every endpoint looked at has expired: removal from the
// indexes, the VNI quarantine and the counters. The endpoints are put back
// (untimed) after each step.
void BM_GcStepExpire(benchmark::State &state)
{
	constexpr size_t kN = 100000;
	size_t budget = static_cast<size_t>(state.range(0));
	auto keys = random_keys(pool_size_for(kN));
	Config config;
	config.bind_lifetime = kSecond;  // short quarantine, so VNIs come back
	Fixture f(config);
	Time now = kT0;
	for (size_t i = 0; i < kN; i++) {
		ServerEndpoint ep;
		auto [x, y] = nth_pair(i);
		f.server.allocate(keys[x], keys[y], now, ep);
	}
	drain_table_log(f.server);
	size_t next = 0;
	int64_t removed = 0;
	for (auto _ : state) {
		now += 2 * kSecond;
		GcResult r = f.server.gc_step(now, budget);
		state.PauseTiming();
		removed += static_cast<int64_t>(r.removed);
		drain_table_log(f.server);
		// Refill the freed slots with the same pairs; they expire by the
		// next step.
		for (size_t k = 0; k < r.removed; k++, next = (next + 1) % kN) {
			ServerEndpoint ep;
			auto [x, y] = nth_pair(next);
			f.server.allocate(keys[x], keys[y], now, ep);
		}
		state.ResumeTiming();
	}
	// Items are removals; the step also looked at the live slots in between.
	state.SetItemsProcessed(removed);
	state.counters["removed_per_step"] =
		static_cast<double>(removed) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_GcStepExpire)->Arg(kGcStepBudget)->Arg(4096)->Iterations(50);

} // namespace
} // namespace wayport::relay
