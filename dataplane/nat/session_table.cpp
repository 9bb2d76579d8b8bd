#include "dataplane/nat/session_table.h"

#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>

#include <algorithm>
#include <cstring>

namespace wayport::nat {

namespace {

// Hash keys: fixed layouts, zero padding, so equal flows hash equal.
struct FlowKey {
	uint8_t inside[16];
	uint8_t remote[16];
	uint16_t inside_port;
	uint16_t remote_port;
	uint8_t proto;
	uint8_t v4;
	uint8_t pad[2];
};
static_assert(sizeof(FlowKey) == 40);

struct InsideKey {
	uint8_t inside[16];
	uint16_t port;
	uint8_t proto;
	uint8_t v4;
};
static_assert(sizeof(InsideKey) == 20);

struct AddressKey {
	uint32_t mapping;
	uint8_t remote[16];
	uint8_t v4;
	uint8_t pad[3];
};
static_assert(sizeof(AddressKey) == 24);

FlowKey flow_key(const Flow &f)
{
	FlowKey k{};
	std::memcpy(k.inside, f.inside.ip.data(), 16);
	std::memcpy(k.remote, f.remote.ip.data(), 16);
	k.inside_port = f.inside.port;
	k.remote_port = f.remote.port;
	k.proto = static_cast<uint8_t>(f.proto);
	k.v4 = f.inside.is_v4;
	return k;
}

InsideKey inside_key(NatProto proto, const AddrPort &inside)
{
	InsideKey k{};
	std::memcpy(k.inside, inside.ip.data(), 16);
	k.port = inside.port;
	k.proto = static_cast<uint8_t>(proto);
	k.v4 = inside.is_v4;
	return k;
}

AddressKey address_key(uint32_t m, const AddrPort &remote)
{
	AddressKey k{};
	k.mapping = m;
	std::memcpy(k.remote, remote.ip.data(), 16);
	k.v4 = remote.is_v4;
	return k;
}

std::string next_name(const char *what)
{
	static std::atomic<uint32_t> serial{0};
	return std::string("nat_") + what + "_" + std::to_string(serial.fetch_add(1, std::memory_order_relaxed));
}

uint32_t xorshift(uint32_t &s)
{
	s ^= s << 13;
	s ^= s >> 17;
	s ^= s << 5;
	return s;
}

} // namespace

struct SessionTable::Session {
	uint64_t expires = 0;
	AddrPort remote;
	uint32_t mapping = 0;
	TcpState tcp = TcpState::closed;
	bool live = false;
	bool inbound = false;
};

struct SessionTable::Mapping {
	AddrPort inside;
	uint64_t linger_until = 0;  // with no sessions: when the port goes back
	uint32_t sessions = 0;
	uint32_t peer = 0;
	uint16_t external_port = 0;
	NatProto proto = NatProto::udp;
	bool live = false;
};

const char *to_string(NatProto p)
{
	switch (p) {
	case NatProto::tcp: return "tcp";
	case NatProto::udp: return "udp";
	case NatProto::icmp: return "icmp";
	case NatProto::count: break;
	}
	return "?";
}

const char *to_string(Filtering f)
{
	switch (f) {
	case Filtering::endpoint_independent: return "endpoint-independent";
	case Filtering::address_dependent: return "address-dependent";
	case Filtering::address_and_port_dependent: return "address-and-port-dependent";
	}
	return "?";
}

const char *to_string(NatDrop d)
{
	switch (d) {
	case NatDrop::session_limit: return "session_limit";
	case NatDrop::peer_session_limit: return "peer_session_limit";
	case NatDrop::ports_exhausted: return "ports_exhausted";
	case NatDrop::no_session: return "no_session";
	case NatDrop::no_mapping: return "no_mapping";
	case NatDrop::filtered: return "filtered";
	case NatDrop::count: break;
	}
	return "?";
}

NatShared::NatShared(uint16_t lo, uint16_t hi, uint32_t max_sessions) : max_sessions_(max_sessions)
{
	for (auto &family : pools_) {
		family[static_cast<size_t>(NatProto::tcp)] = std::make_unique<PortPool>(lo, hi, true);
		family[static_cast<size_t>(NatProto::udp)] = std::make_unique<PortPool>(lo, hi, true);
		family[static_cast<size_t>(NatProto::icmp)] = std::make_unique<PortPool>(0, 65535, false);
	}
}

bool NatShared::reserve_session()
{
	if (sessions_.fetch_add(1, std::memory_order_relaxed) < max_sessions_)
		return true;
	sessions_.fetch_sub(1, std::memory_order_relaxed);
	return false;
}

void SessionTable::HashFree::operator()(rte_hash *h) const
{
	rte_hash_free(h);
}

SessionTable::SessionTable(const SessionTableConfig &cfg, NatShared &shared)
	: cfg_(cfg), shared_(shared), session_(cfg.capacity), mapping_(cfg.capacity), per_peer_(cfg.peers)
{
	for (auto &family : by_port_)
		for (auto &ports : family)
			ports.assign(65536, 0);
	if (cfg.filtering == Filtering::address_dependent)
		address_count_.assign(cfg.capacity, 0);
	seed_ ^= cfg.worker * 0x85ebca6bu;
}

SessionTable::~SessionTable()
{
	// Its ports back to the pools the other workers share.
	for (uint32_t m = 0; m < mapping_.size(); m++)
		if (mapping_[m].live)
			shared_.pool(mapping_[m].inside.is_v4, mapping_[m].proto).give_back(mapping_[m].external_port);
	for (const Session &s : session_)
		if (s.live)
			shared_.release_session();
}

std::unique_ptr<SessionTable> SessionTable::create(const SessionTableConfig &cfg, NatShared &shared, std::string &error)
{
	if (cfg.capacity == 0 || cfg.worker == PortPool::kNoOwner) {
		error = "a NAT session table needs a capacity and a worker id below 255";
		return nullptr;
	}
	std::unique_ptr<SessionTable> t(new SessionTable(cfg, shared));
	if (!t->make_hashes(error))
		return nullptr;
	return t;
}

bool SessionTable::make_hashes(std::string &error)
{
	auto make = [&](const char *what, uint32_t key_len, Hash &out) {
		std::string name = next_name(what);
		rte_hash_parameters p{};
		p.name = name.c_str();
		// rte_hash refuses fewer than 8 entries (one bucket); the
		// extendable table guarantees `entries` keys whatever they hash to.
		p.entries = std::max<uint32_t>(cfg_.capacity, 8);
		p.key_len = key_len;
		p.hash_func = rte_hash_crc;
		p.socket_id = static_cast<int>(rte_socket_id());
		p.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
		out.reset(rte_hash_create(&p));
		if (!out) {
			error = std::string("cannot create the NAT ") + what + " table for " + std::to_string(cfg_.capacity) +
				" entries: " + rte_strerror(rte_errno);
			return false;
		}
		return true;
	};
	if (cfg_.capacity < 8) {
		// Positions run to the hash's entries; the arrays follow them.
		session_.resize(8);
		mapping_.resize(8);
		if (!address_count_.empty())
			address_count_.resize(8);
	}
	return make("sessions", sizeof(FlowKey), by_flow_) && make("mappings", sizeof(InsideKey), by_inside_) &&
	       (cfg_.filtering != Filtering::address_dependent || make("addresses", sizeof(AddressKey), by_address_));
}

void SessionTable::step(Session &s, Side from, uint8_t tcp_flags, uint64_t now) const
{
	const NatTimeouts &t = cfg_.timeouts;
	switch (mapping_[s.mapping].proto) {
	case NatProto::udp:
		s.expires = now + t.udp;
		return;
	case NatProto::icmp:
		s.expires = now + t.icmp;
		return;
	case NatProto::tcp:
		break;
	case NatProto::count:
		return;
	}
	const TcpStep next = tcp_step(s.tcp, from, tcp_flags);
	s.tcp = next.state;
	switch (next.lifetime) {
	case TcpLifetime::unchanged: break;
	case TcpLifetime::established: s.expires = now + t.tcp_established; break;
	case TcpLifetime::transitory: s.expires = now + t.tcp_transitory; break;
	case TcpLifetime::incoming_syn: s.expires = now + t.tcp_incoming_syn; break;
	}
}

int32_t SessionTable::find_session(const Flow &flow, uint64_t now)
{
	const FlowKey k = flow_key(flow);
	const int32_t s = rte_hash_lookup(by_flow_.get(), &k);
	if (s < 0)
		return -1;
	if (session_[s].expires <= now) {
		free_session(static_cast<uint32_t>(s), now);
		return -1;
	}
	return s;
}

int32_t SessionTable::find_or_map(const Flow &flow, uint32_t peer, bool &made)
{
	const InsideKey k = inside_key(flow.proto, flow.inside);
	made = false;
	int32_t m = rte_hash_lookup(by_inside_.get(), &k);
	if (m >= 0)
		return m;
	PortPool &pool = shared_.pool(flow.inside.is_v4, flow.proto);
	std::optional<uint16_t> port = pool.take(flow.inside.port, cfg_.worker, xorshift(seed_));
	if (!port)
		return -1;
	m = rte_hash_add_key(by_inside_.get(), &k);
	if (m < 0 || static_cast<size_t>(m) >= mapping_.size()) {
		if (m >= 0)
			rte_hash_del_key(by_inside_.get(), &k);
		pool.give_back(*port);
		return -1;
	}
	Mapping &mp = mapping_[m];
	mp = Mapping{};
	mp.inside = flow.inside;
	mp.proto = flow.proto;
	mp.peer = peer;
	mp.external_port = *port;
	mp.live = true;
	by_port_[flow.inside.is_v4 ? 0 : 1][static_cast<size_t>(flow.proto)][*port] = static_cast<uint32_t>(m) + 1;
	mappings_++;
	made = true;
	return m;
}

int32_t SessionTable::new_session(const Flow &flow, uint32_t m, bool inbound, NatDrop &drop)
{
	Mapping &mp = mapping_[m];
	if (mp.peer < per_peer_.size() && per_peer_[mp.peer] >= cfg_.max_per_peer) {
		drop = NatDrop::peer_session_limit;
		return -1;
	}
	if (sessions_ >= cfg_.capacity || !shared_.reserve_session()) {
		drop = NatDrop::session_limit;
		return -1;
	}
	const FlowKey k = flow_key(flow);
	const int32_t s = rte_hash_add_key(by_flow_.get(), &k);
	if (s < 0 || static_cast<size_t>(s) >= session_.size()) {
		if (s >= 0)
			rte_hash_del_key(by_flow_.get(), &k);
		shared_.release_session();
		drop = NatDrop::session_limit;
		return -1;
	}
	Session &ss = session_[s];
	ss = Session{};
	ss.remote = flow.remote;
	ss.mapping = m;
	ss.live = true;
	ss.inbound = inbound;
	mp.sessions++;
	if (mp.peer < per_peer_.size())
		per_peer_[mp.peer]++;
	sessions_++;
	if (by_address_)
		count_address(m, flow.remote, +1);
	return s;
}

void SessionTable::free_session(uint32_t s, uint64_t now)
{
	Session &ss = session_[s];
	Mapping &mp = mapping_[ss.mapping];
	const FlowKey k = flow_key(Flow{mp.proto, mp.inside, ss.remote});
	rte_hash_del_key(by_flow_.get(), &k);
	if (by_address_)
		count_address(ss.mapping, ss.remote, -1);
	ss.live = false;
	if (mp.peer < per_peer_.size())
		per_peer_[mp.peer]--;
	sessions_--;
	shared_.release_session();
	// From when it expired, not when it was reclaimed.
	if (--mp.sessions == 0)
		mp.linger_until = std::min(now, ss.expires) + cfg_.timeouts.mapping_linger;
}

void SessionTable::free_mapping(uint32_t m)
{
	Mapping &mp = mapping_[m];
	const InsideKey k = inside_key(mp.proto, mp.inside);
	rte_hash_del_key(by_inside_.get(), &k);
	by_port_[mp.inside.is_v4 ? 0 : 1][static_cast<size_t>(mp.proto)][mp.external_port] = 0;
	shared_.pool(mp.inside.is_v4, mp.proto).give_back(mp.external_port);
	mp.live = false;
	mappings_--;
}

bool SessionTable::knows_address(uint32_t m, const AddrPort &remote) const
{
	const AddressKey k = address_key(m, remote);
	const int32_t i = rte_hash_lookup(by_address_.get(), &k);
	return i >= 0 && address_count_[i] > 0;
}

void SessionTable::count_address(uint32_t m, const AddrPort &remote, int delta)
{
	const AddressKey k = address_key(m, remote);
	int32_t i = delta > 0 ? rte_hash_add_key(by_address_.get(), &k) : rte_hash_lookup(by_address_.get(), &k);
	// One address entry per session at most: the table has room for them.
	if (i < 0 || static_cast<size_t>(i) >= address_count_.size())
		return;
	address_count_[i] = static_cast<uint32_t>(static_cast<int64_t>(address_count_[i]) + delta);
	if (address_count_[i] == 0)
		rte_hash_del_key(by_address_.get(), &k);
}

OutVerdict SessionTable::out(const Flow &flow, uint32_t peer, uint8_t tcp_flags, uint64_t now)
{
	OutVerdict v;
	int32_t s = find_session(flow, now);
	if (s < 0) {
		if (flow.proto == NatProto::tcp && tcp_step(TcpState::closed, Side::in, tcp_flags).state == TcpState::closed) {
			v.drop = NatDrop::no_session;
			return v;
		}
		bool made = false;
		const int32_t m = find_or_map(flow, peer, made);
		if (m < 0) {
			v.drop = NatDrop::ports_exhausted;
			return v;
		}
		s = new_session(flow, static_cast<uint32_t>(m), false, v.drop);
		if (s < 0) {
			if (made)
				free_mapping(static_cast<uint32_t>(m));  // made for this packet alone
			return v;
		}
	}
	Session &ss = session_[s];
	step(ss, Side::in, tcp_flags, now);
	v.ok = true;
	v.external_port = mapping_[ss.mapping].external_port;
	v.session = static_cast<uint32_t>(s);
	return v;
}

InVerdict SessionTable::in(NatProto proto, bool v4, uint16_t external_port, const AddrPort &remote, uint8_t tcp_flags,
			   uint64_t now)
{
	InVerdict v;
	const uint32_t m1 = by_port_[v4 ? 0 : 1][static_cast<size_t>(proto)][external_port];
	if (m1 == 0) {
		v.drop = NatDrop::no_mapping;
		return v;
	}
	const uint32_t m = m1 - 1;
	const Flow flow{proto, mapping_[m].inside, remote};
	int32_t s = find_session(flow, now);
	if (s < 0) {
		const Mapping &mp = mapping_[m];
		bool allowed = mp.sessions > 0 && proto != NatProto::icmp;
		if (allowed && cfg_.filtering == Filtering::address_dependent)
			allowed = knows_address(m, remote);
		else if (cfg_.filtering == Filtering::address_and_port_dependent)
			allowed = false;
		if (allowed && proto == NatProto::tcp)
			allowed = tcp_step(TcpState::closed, Side::out, tcp_flags).state == TcpState::out_syn;
		if (!allowed) {
			v.drop = NatDrop::filtered;
			return v;
		}
		s = new_session(flow, m, true, v.drop);
		if (s < 0)
			return v;
	}
	Session &ss = session_[s];
	step(ss, Side::out, tcp_flags, now);
	v.ok = true;
	v.inside = mapping_[m].inside;
	v.peer = mapping_[m].peer;
	v.session = static_cast<uint32_t>(s);
	return v;
}

InVerdict SessionTable::quoted_in(NatProto proto, bool v4, uint16_t external_port, const AddrPort &remote, uint64_t now)
{
	InVerdict v;
	const uint32_t m1 = by_port_[v4 ? 0 : 1][static_cast<size_t>(proto)][external_port];
	if (m1 == 0) {
		v.drop = NatDrop::no_mapping;
		return v;
	}
	const Mapping &mp = mapping_[m1 - 1];
	const int32_t s = find_session(Flow{proto, mp.inside, remote}, now);
	if (s < 0) {
		v.drop = NatDrop::no_session;
		return v;
	}
	v.ok = true;
	v.inside = mp.inside;
	v.peer = mp.peer;
	v.session = static_cast<uint32_t>(s);
	return v;
}

OutVerdict SessionTable::quoted_out(const Flow &flow, uint64_t now)
{
	OutVerdict v;
	const int32_t s = find_session(flow, now);
	if (s < 0) {
		v.drop = NatDrop::no_session;
		return v;
	}
	v.ok = true;
	v.external_port = mapping_[session_[s].mapping].external_port;
	v.session = static_cast<uint32_t>(s);
	return v;
}

size_t SessionTable::expire(uint64_t now, uint32_t budget)
{
	size_t freed = 0;
	const uint32_t n = static_cast<uint32_t>(session_.size());
	for (uint32_t i = 0; i < budget && i < n; i++) {
		const uint32_t s = sweep_session_;
		sweep_session_ = (sweep_session_ + 1) % n;
		if (session_[s].live && session_[s].expires <= now) {
			free_session(s, now);
			freed++;
		}
	}
	for (uint32_t i = 0; i < budget && i < n; i++) {
		const uint32_t m = sweep_mapping_;
		sweep_mapping_ = (sweep_mapping_ + 1) % n;
		const Mapping &mp = mapping_[m];
		if (mp.live && mp.sessions == 0 && mp.linger_until <= now) {
			free_mapping(m);
			freed++;
		}
	}
	return freed;
}

std::vector<SessionView> SessionTable::list(uint64_t now) const
{
	std::vector<SessionView> out;
	for (const Session &s : session_) {
		if (!s.live || s.expires <= now)
			continue;
		const Mapping &mp = mapping_[s.mapping];
		out.push_back({Flow{mp.proto, mp.inside, s.remote}, mp.external_port, mp.peer, s.tcp, s.expires, s.inbound});
	}
	return out;
}

} // namespace wayport::nat
