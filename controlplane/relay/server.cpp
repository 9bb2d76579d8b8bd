#include "controlplane/relay/server.h"

#include <algorithm>
#include <cstring>

namespace wayport::relay {

namespace {

uint64_t mix(uint64_t x)
{
	// splitmix64's finaliser.
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

uint64_t key_word(const disco::PublicKey &k, size_t i)
{
	uint64_t w;
	std::memcpy(&w, k.bytes.data() + 8 * i, sizeof(w));
	return w;
}

uint64_t hash_key(const disco::PublicKey &k, uint64_t seed)
{
	uint64_t h = seed;
	for (size_t i = 0; i < kDiscoKeyLen / 8; i++)
		h = mix(h ^ key_word(k, i));
	return h;
}

// Hash tables keyed by client-chosen disco keys get a secret seed, so keys
// cannot be picked to collide.
uint64_t random_seed()
{
	uint64_t seed;
	SystemRandom().fill({reinterpret_cast<uint8_t *>(&seed), sizeof(seed)});
	return seed;
}

int family(const AddrPort &a)
{
	return a.is_v4 ? kUdp4 : kUdp6;
}

} // namespace

const char *to_string(AllocError e)
{
	switch (e) {
	case AllocError::ok: return "ok";
	case AllocError::not_ready: return "not_ready";
	case AllocError::server_key: return "server_key";
	case AllocError::bad_client_key: return "bad_client_key";
	case AllocError::pool_exhausted: return "pool_exhausted";
	}
	return "unknown";
}

size_t Server::PairHash::operator()(const std::array<disco::PublicKey, 2> &p) const
{
	return hash_key(p[1], hash_key(p[0], seed));
}

size_t Server::KeyHash::operator()(const disco::PublicKey &k) const
{
	return hash_key(k, seed);
}

Server::Server(const disco::PrivateKey &server_disco, std::optional<disco::PrivateKey> node_disco,
	       const Config &config, RandomSource &random)
	: server_priv_(server_disco), server_pub_(server_disco.public_key()),
	  node_priv_(std::move(node_disco)), config_(config), random_(random),
	  mac_secrets_(config.mac_rotation_interval), vnis_(config.bind_lifetime),
	  by_pair_(0, PairHash{random_seed()}), per_client_(0, KeyHash{random_seed()}),
	  alloc_keys_(0, KeyHash{random_seed()}), alloc_rate_(config.alloc.rate)
{
	if (node_priv_) {
		node_pub_ = node_priv_->public_key();
		for (const auto &k : config_.alloc.allow)
			if (auto shared = disco::shared_key(*node_priv_, k))
				alloc_keys_.emplace(k, *shared);
	}
}

void Server::set_addr_ports(std::vector<AddrPort> addr_ports)
{
	addr_ports_ = std::move(addr_ports);
}

const Endpoint *Server::find(uint32_t vni) const
{
	auto it = by_vni_.find(vni);
	return it == by_vni_.end() ? nullptr : &slots_[it->second];
}

size_t Server::live_endpoints_for(const disco::PublicKey &client) const
{
	auto it = per_client_.find(client);
	return it == per_client_.end() ? 0 : it->second.endpoints;
}

std::optional<disco::SharedKey> Server::client_shared_key(const disco::PublicKey &client) const
{
	if (auto it = per_client_.find(client); it != per_client_.end())
		return it->second.shared;
	return disco::shared_key(server_priv_, client);
}

void Server::describe(const Endpoint &e, ServerEndpoint &out) const
{
	out.server_disco = server_pub_;
	out.client_disco = e.client;
	out.lamport_id = e.lamport_id;
	out.vni = e.vni;
	out.bind_lifetime_ns = config_.bind_lifetime;
	out.steady_state_lifetime_ns = config_.steady_state_lifetime;
	out.addr_ports = addr_ports_;
}

AllocError Server::allocate(const disco::PublicKey &a, const disco::PublicKey &b, Time now,
			    ServerEndpoint &out)
{
	if (addr_ports_.empty())
		return AllocError::not_ready;
	if (a == server_pub_ || b == server_pub_)
		return AllocError::server_key;
	std::array<disco::PublicKey, 2> pair = a < b ? std::array{a, b} : std::array{b, a};

	if (auto it = by_pair_.find(pair); it != by_pair_.end()) {
		describe(slots_[it->second], out);
		return AllocError::ok;
	}

	if (by_vni_.size() >= config_.max_endpoints)
		return AllocError::pool_exhausted;
	// Both shared keys before the VNI, so a failure leaves nothing to undo.
	auto s0 = client_shared_key(pair[0]);
	auto s1 = client_shared_key(pair[1]);
	if (!s0 || !s1)
		return AllocError::bad_client_key;
	auto vni = vnis_.allocate(now);
	if (!vni)
		return AllocError::pool_exhausted;

	uint32_t slot;
	if (!free_slots_.empty()) {
		slot = free_slots_.back();
		free_slots_.pop_back();
	} else {
		slot = static_cast<uint32_t>(slots_.size());
		slots_.emplace_back();
	}
	Endpoint &e = slots_[slot];
	e = Endpoint{};
	e.client = pair;
	e.shared = {*s0, *s1};
	e.lamport_id = ++lamport_id_;
	e.allocated_at = now;
	e.vni = *vni;

	by_vni_.emplace(e.vni, slot);
	by_pair_.emplace(pair, slot);
	for (int i = 0; i < 2; i++) {
		if (i == 1 && pair[1] == pair[0])
			break;
		ClientEntry &c = per_client_[pair[i]];
		c.endpoints++;
		c.shared = e.shared[i];
	}
	metrics_.endpoints_connecting++;
	log_upsert(e);
	describe(e, out);
	return AllocError::ok;
}

void Server::count_forwarded(const Endpoint &e, int leg, uint64_t packets, uint64_t bytes)
{
	int in = family(e.bound[leg]);
	int out = family(e.bound[1 - leg]);
	metrics_.forwarded_packets[in][out] += packets;
	metrics_.forwarded_bytes[in][out] += bytes;
}

size_t Server::apply_activity(std::span<const LegActivity> activity)
{
	size_t applied = 0;
	for (const LegActivity &a : activity) {
		auto it = by_vni_.find(a.vni);
		if (it == by_vni_.end() || a.leg > 1)
			continue;
		Endpoint &e = slots_[it->second];
		if (e.lamport_id != a.lamport_id || !e.fully_bound())
			continue;
		e.last_seen[a.leg] = std::max(e.last_seen[a.leg], a.last_seen);
		e.packets_rx[a.leg] += a.packets;
		e.bytes_rx[a.leg] += a.bytes;
		count_forwarded(e, a.leg, a.packets, a.bytes);
		applied++;
	}
	return applied;
}

void Server::log_upsert(const Endpoint &e)
{
	table_log_.push_back({TableOp::upsert, e.vni, e.lamport_id, e.bound, e.bound_mask});
}

void Server::take_table_changes(std::vector<TableChange> &out)
{
	out.insert(out.end(), table_log_.begin(), table_log_.end());
	table_log_.clear();
}

void Server::table_snapshot(std::vector<TableChange> &out) const
{
	for (const Endpoint &e : slots_)
		if (e.vni != 0)
			out.push_back({TableOp::upsert, e.vni, e.lamport_id, e.bound, e.bound_mask});
}

// Spec §3.9, to the letter: strictly greater than the lifetime.
bool Server::expired(const Endpoint &e, Time now) const
{
	if (!e.fully_bound())
		return now - e.allocated_at > config_.bind_lifetime;
	return now - e.last_seen[0] > config_.steady_state_lifetime ||
	       now - e.last_seen[1] > config_.steady_state_lifetime;
}

void Server::remove(uint32_t slot, Time now)
{
	Endpoint &e = slots_[slot];
	table_log_.push_back({TableOp::remove, e.vni, e.lamport_id, e.bound, e.bound_mask});
	if (e.fully_bound())
		metrics_.endpoints_open--;
	else
		metrics_.endpoints_connecting--;
	metrics_.endpoints_expired++;
	by_vni_.erase(e.vni);
	by_pair_.erase(e.client);
	for (int i = 0; i < 2; i++) {
		if (i == 1 && e.client[1] == e.client[0])
			break;
		auto it = per_client_.find(e.client[i]);
		if (--it->second.endpoints == 0)
			per_client_.erase(it);
	}
	vnis_.release(e.vni, now);
	e.vni = 0;
	free_slots_.push_back(slot);
}

GcResult Server::gc_step(Time now, size_t budget)
{
	GcResult r;
	vnis_.expire_quarantine(now);
	size_t n = std::min(budget, slots_.size());
	for (; r.scanned < n; r.scanned++) {
		if (gc_cursor_ >= slots_.size())
			gc_cursor_ = 0;
		uint32_t slot = static_cast<uint32_t>(gc_cursor_++);
		if (slots_[slot].vni != 0 && expired(slots_[slot], now)) {
			remove(slot, now);
			r.removed++;
		}
	}
	return r;
}

} // namespace wayport::relay
