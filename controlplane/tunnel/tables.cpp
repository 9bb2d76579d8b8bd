#include "controlplane/tunnel/tables.h"

#include <rte_errno.h>
#include <rte_lcore.h>

#include <algorithm>
#include <cstring>
#include <new>

#include "dataplane/packet/mbuf_ring.h"

namespace wayport::tunnel {

namespace {

// Rules and tbl8 groups for a table of n prefixes of a family, with room
// for as many again at run time, and for one host prefix (/32, /128) per
// peer the table is sized for beyond those (wg set peer ... allowed-ips).
// A prefix longer than /24 takes a tbl8 group in rte_lpm, and an IPv6 one
// up to one per 8 bits past 24 (13 for a /128 in a /24 of its own); 64 is
// the floor either way. IPv6's groups are a ceiling: each rebuild
// allocates for the prefixes it holds (prefix_table.h).
PrefixTableConfig prefix_sizes(uint32_t v4, uint32_t v6, uint32_t max_peers)
{
	auto room = [&](uint32_t n) { return std::max<uint32_t>({64, 2 * n, n + max_peers}); };
	PrefixTableConfig c;
	c.max_rules4 = room(v4);
	c.tbl8_groups4 = room(v4);
	c.max_rules6 = room(v6);
	c.tbl8_groups6 = 13 * room(v6);
	return c;
}

std::string ring_error(const std::string &name)
{
	return "cannot create ring " + name + ": " + rte_strerror(rte_errno) +
	       "; give EAL more memory with -m";
}

} // namespace

std::unique_ptr<Tables> Tables::create(const config::Config &cfg, const std::vector<Port> &ports, unsigned workers,
				       Qsbr &qsbr, const NeighbourSlots &slots, const TableSizes &sizes,
				       std::string &error)
{
	std::unique_ptr<Tables> t(new Tables(qsbr));
	if (!t->build(cfg, ports, workers, qsbr, slots, sizes, error))
		return nullptr;
	return t;
}

bool Tables::build(const config::Config &cfg, const std::vector<Port> &ports, unsigned workers, Qsbr &qsbr,
		   const NeighbourSlots &slots, const TableSizes &sizes, std::string &error)
{
	const config::Wireguard &wg = *cfg.wireguard;
	peer_count_ = static_cast<uint32_t>(wg.peers.size());
	if (peer_count_ > sizes.max_peers) {
		error = "wireguard.peers: " + std::to_string(peer_count_) + " peers, more than the " +
			std::to_string(sizes.max_peers) + " the data plane is sized for";
		return false;
	}
	uint32_t v4 = 0, v6 = 0;
	for (const config::WireguardPeer &p : wg.peers)
		for (const config::Prefix &a : p.allowed_ips)
			(a.addr.is_v4 ? v4 : v6)++;

	if (!(keypairs_ = wireguard::KeypairTable::create(qsbr, sizes.max_peers * sizes.keypairs_per_peer, error))) {
		error = "the WireGuard keypair table: " + error;
		return false;
	}
	if (!(neighbour_index_ = NeighbourIndex::create(qsbr, sizes.neighbours, error))) {
		error = "the neighbour index: " + error;
		return false;
	}
	peers_ = std::make_unique<wireguard::DataPeerTable>(sizes.max_peers);
	uint32_t route_v4 = 0, route_v6 = 0;
	for (const config::Route &r : cfg.routes)
		(r.prefix.addr.is_v4 ? route_v4 : route_v6)++;
	try {
		allowed_ = std::make_unique<PrefixTable>(qsbr, reclaimer_, prefix_sizes(v4, v6, sizes.max_peers));
		FibConfig fib_config;
		fib_config.next_hops = sizes.fib_next_hops;
		// Connected prefixes and a default route per port and family, then
		// the static routes.
		fib_config.prefixes = prefix_sizes(2 * static_cast<uint32_t>(ports.size()) + route_v4,
						   2 * static_cast<uint32_t>(ports.size()) + route_v6, 0);
		fib_ = std::make_unique<Fib>(qsbr, fib_config);
	} catch (const std::bad_alloc &) {
		error = "cannot allocate the allowed-IPs table or the FIB (about 64 MiB per table and family): "
			"give EAL more memory with -m";
		return false;
	}

	for (uint32_t slot = 0; slot < peer_count_; slot++) {
		const config::WireguardPeer &p = wg.peers[slot];
		for (const config::Prefix &a : p.allowed_ips) {
			if (PrefixResult r = allowed_->add(Prefix::of(a.addr, static_cast<uint8_t>(a.len)), slot); r != PrefixResult::ok) {
				error = "wireguard.peers[" + std::to_string(slot) + "].allowed_ips: " + a.to_string() +
					": " + prefix_result_name(r);
				return false;
			}
		}
	}

	std::vector<FibRoute> routes;
	for (const config::Route &r : cfg.routes) {
		FibRoute fr;
		fr.prefix = Prefix::of(r.prefix.addr, static_cast<uint8_t>(r.prefix.len));
		fr.via = r.via;
		for (size_t i = 0; i < cfg.ports.size() && i < ports.size(); i++)
			if (cfg.ports[i].name == r.port)
				fr.port = ports[i].port_id;
		routes.push_back(fr);
	}
	if (FibResult r = fib_->build(ports, routes); r != FibResult::ok) {
		error = std::string("routes: the FIB refused them: ") + to_string(r);
		return false;
	}
	egress_ = egress_view(ports);

	input_.keypairs = keypairs_.get();
	input_.allowed_ips = allowed_.get();
	input_.peers = peers_.get();
	// The first address of each family is the one inner packets to the
	// node are recognised by.
	for (const config::IpPrefix &a : wg.addresses) {
		if (a.addr.is_v4 && !input_.tunnel.has_ipv4) {
			std::memcpy(input_.tunnel.ipv4, a.addr.ip4(), 4);
			input_.tunnel.has_ipv4 = true;
		} else if (!a.addr.is_v4 && !input_.tunnel.has_ipv6) {
			std::memcpy(input_.tunnel.ipv6, a.addr.ip.data(), 16);
			input_.tunnel.has_ipv6 = true;
		}
	}
	output_.allowed_ips = allowed_.get();
	output_.peers = peers_.get();
	output_.fib = fib_.get();
	output_.ports = &egress_;
	output_.listen_port = wg.listen_port;
	output_.mtu = static_cast<uint16_t>(wg.mtu);
	ip_out_.fib = fib_.get();
	ip_out_.neighbours = neighbour_index_.get();
	ip_out_.slots = &slots;
	ip_out_.ports = &egress_;

	shared_.input = &input_;
	shared_.output = &output_;
	shared_.ip_out = &ip_out_;
	shared_.listen_port = wg.listen_port;
	shared_.workers = workers;
	if (cfg.exit && !make_exit(cfg, ports, workers, sizes.max_peers, error))
		return false;
	for (uint32_t slot = 0; slot < peer_count_ && nat_; slot++)
		set_exit_peer(slot, wg.peers[slot].public_key);
	return make_rings(workers, sizes, error);
}

namespace {

// Whole seconds and the rest apart, so no product overflows; a timeout
// beyond the TSC's range (centuries) is forever.
uint64_t to_tsc(Duration d)
{
	const uint64_t hz = rte_get_tsc_hz();
	const uint64_t seconds = static_cast<uint64_t>(d / kSecond), rest = static_cast<uint64_t>(d % kSecond);
	if (seconds > UINT64_MAX / 2 / hz)
		return UINT64_MAX / 2;
	return seconds * hz + rest * hz / kSecond;
}

// RFC 5382 REQ-4's 6 s for an inbound SYN waiting for its answer, and RFC
// 6888 REQ-8's 2 min for which a freed mapping's port is kept for its
// inside endpoint alone.
constexpr Duration kIncomingSynTimeout = 6 * kSecond;
constexpr Duration kMappingLinger = 2 * kMinute;

// The MSS that fits the tunnel: its MTU less the IP and TCP headers.
uint16_t mss_for(uint32_t mtu, uint32_t ip_header)
{
	return static_cast<uint16_t>(mtu > ip_header + 20 ? mtu - ip_header - 20 : 0);
}

} // namespace

bool Tables::make_exit(const config::Config &cfg, const std::vector<Port> &ports, unsigned workers,
		       uint32_t max_peers, std::string &error)
{
	const config::Exit &x = *cfg.exit;
	nat_ = std::make_unique<nat::NatShared>(x.port_min, x.port_max, x.max_sessions);
	// The node's own UDP listeners answer on the port's addresses, which a
	// SNAT address may be.
	nat_->reserve(nat::NatProto::udp, cfg.wireguard->listen_port);
	if (cfg.relay)
		nat_->reserve(nat::NatProto::udp, cfg.relay->port);

	nat::SessionTableConfig table;
	// Peers are spread over the workers by slot, so each worker holds its
	// share of exit.max_sessions.
	table.capacity = std::max<uint32_t>(8, (x.max_sessions + workers - 1) / workers);
	table.max_per_peer = x.max_sessions_per_peer;
	table.peers = max_peers;
	table.filtering = x.filtering == config::Filtering::endpoint_independent ? nat::Filtering::endpoint_independent
			  : x.filtering == config::Filtering::address_dependent ? nat::Filtering::address_dependent
										 : nat::Filtering::address_and_port_dependent;
	table.timeouts.udp = to_tsc(x.udp_timeout);
	table.timeouts.tcp_established = to_tsc(x.tcp_established_timeout);
	table.timeouts.tcp_transitory = to_tsc(x.tcp_transitory_timeout);
	table.timeouts.tcp_incoming_syn = to_tsc(kIncomingSynTimeout);
	table.timeouts.icmp = to_tsc(x.icmp_timeout);
	table.timeouts.mapping_linger = to_tsc(kMappingLinger);
	for (unsigned w = 0; w < workers; w++) {
		table.worker = static_cast<uint8_t>(w);
		auto t = nat::SessionTable::create(table, *nat_, error);
		if (!t) {
			error = "exit.max_sessions: worker " + std::to_string(w) + "'s share, " +
				std::to_string(table.capacity) + " sessions: " + error + "; give EAL more memory with -m "
				"or lower exit.max_sessions";
			return false;
		}
		nat_stage_.tables.push_back(t.get());
		sessions_.push_back(std::move(t));
	}

	exit_slots_ = max_peers;
	exit_allowed_ = std::make_unique<std::atomic<uint8_t>[]>(max_peers);
	for (uint32_t i = 0; i < max_peers; i++)
		exit_allowed_[i].store(0, std::memory_order_relaxed);
	exit_any_ = x.allow_any;
	exit_allow_ = x.allow;

	nat_stage_.nat = nat_.get();
	for (size_t i = 0; i < cfg.ports.size() && i < ports.size(); i++)
		if (cfg.ports[i].name == x.port)
			nat_stage_.exit_port = ports[i].port_id;
	nat_stage_.peers = max_peers;
	if ((nat_stage_.has_snat4 = x.snat4.has_value()))
		nat_stage_.snat4 = ip_only(*x.snat4);
	if ((nat_stage_.has_snat6 = x.snat6.has_value()))
		nat_stage_.snat6 = ip_only(*x.snat6);
	nat_stage_.mss4 = mss_for(cfg.wireguard->mtu, 20);
	nat_stage_.mss6 = mss_for(cfg.wireguard->mtu, 40);
	nat_stage_.exit_allowed = exit_allowed_.get();
	ip_out_.exit_port = nat_stage_.exit_port;
	shared_.nat = &nat_stage_;
	return true;
}

void Tables::set_exit_peer(uint32_t slot, const wireguard::PublicKey &key)
{
	if (!nat_ || slot >= exit_slots_)
		return;
	const bool allowed = exit_any_ || std::find(exit_allow_.begin(), exit_allow_.end(), key) != exit_allow_.end();
	exit_allowed_[slot].store(allowed ? 1 : 0, std::memory_order_release);
}

void Tables::clear_exit_peer(uint32_t slot)
{
	if (nat_ && slot < exit_slots_)
		exit_allowed_[slot].store(0, std::memory_order_release);
}

bool Tables::exit_peer(uint32_t slot) const
{
	return nat_ && slot < exit_slots_ && exit_allowed_[slot].load(std::memory_order_relaxed);
}

bool Tables::make_rings(unsigned workers, const TableSizes &sizes, std::string &error)
{
	auto socket = static_cast<int>(rte_socket_id());
	for (unsigned w = 0; w < workers; w++) {
		// One producer, the worker; any number of handshake threads take.
		std::string name = "wayport_hs" + std::to_string(w);
		rte_ring *r = rte_ring_create(name.c_str(), sizes.handshake_ring, socket, RING_F_SP_ENQ);
		if (!r) {
			error = ring_error(name);
			return false;
		}
		shared_.handshake.push_back(r);
	}
	shared_.handoff.assign(static_cast<size_t>(workers) * workers, nullptr);
	for (unsigned from = 0; from < workers; from++) {
		for (unsigned to = 0; to < workers; to++) {
			if (from == to)
				continue;
			std::string name = "wayport_ho" + std::to_string(from) + "_" + std::to_string(to);
			rte_ring *r = rte_ring_create(name.c_str(), sizes.handoff_ring, socket,
						      RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (!r) {
				error = ring_error(name);
				return false;
			}
			shared_.handoff[from * workers + to] = r;
		}
	}
	return true;
}

Tables::~Tables()
{
	// The workers are stopped: whatever is still on a ring is ours to free.
	std::vector<rte_ring *> rings = shared_.handshake;
	rings.insert(rings.end(), shared_.handoff.begin(), shared_.handoff.end());
	for (rte_ring *r : rings) {
		free_queued(r);
		rte_ring_free(r);
	}
}

} // namespace wayport::tunnel
