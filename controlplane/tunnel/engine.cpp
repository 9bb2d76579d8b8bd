#include "controlplane/tunnel/engine.h"

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <sstream>

#include <nlohmann/json.hpp>

#include "controlplane/host/icmp_echo.h"
#include "controlplane/common/go_duration.h"
#include "controlplane/host/icmp_error.h"
#include "dataplane/packet/meta.h"
#include "dataplane/packet/outer_udp.h"
#include "dataplane/stages/relay.h"

namespace wayport::tunnel {

namespace {

using wireguard::Clock;
using ordered_json = nlohmann::ordered_json;

constexpr unsigned kHandshakeBurst = 32;
// How long an add waits, when every free slot is a just-removed peer's,
// for the workers' grace period (a loop each: microseconds) before it
// answers 503. The control thread's other work waits that long at most.
constexpr std::chrono::milliseconds kSlotPatience{2};

Clock::time_point clock_at(int64_t ns)
{
	return Clock::time_point(std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(ns)));
}

// The IP version of the packet at data, as PacketMeta says it.
L3 l3_of(const uint8_t *data, size_t len)
{
	if (len >= sizeof(rte_ipv4_hdr) && (data[0] >> 4) == 4)
		return L3::ipv4;
	if (len >= sizeof(rte_ipv6_hdr) && (data[0] >> 4) == 6)
		return L3::ipv6;
	return L3::none;
}

AddrPort source_of(const uint8_t *ip, L3 l3)
{
	return l3 == L3::ipv4 ? AddrPort::v4(ip + offsetof(rte_ipv4_hdr, src_addr), 0)
			      : AddrPort::v6(ip + offsetof(rte_ipv6_hdr, src_addr), 0);
}

} // namespace

rte_mbuf *Engine::fresh(size_t len, uint8_t *&data)
{
	rte_mbuf *m = io_.alloc();
	if (!m) {
		count(EngineDrop::no_mbuf);
		return nullptr;
	}
	if (len > rte_pktmbuf_tailroom(m)) {
		count(EngineDrop::too_big);
		rte_pktmbuf_free(m);
		return nullptr;
	}
	data = reinterpret_cast<uint8_t *>(rte_pktmbuf_append(m, static_cast<uint16_t>(len)));
	meta(m) = PacketMeta{};
	return m;
}

const char *to_string(EngineDrop d)
{
	switch (d) {
	case EngineDrop::no_mbuf: return "no_mbuf";
	case EngineDrop::bad_punt: return "bad_punt";
	case EngineDrop::handshake_queue: return "handshake_queue";
	case EngineDrop::no_route: return "no_route";
	case EngineDrop::too_big: return "too_big";
	case EngineDrop::host_not_echo: return "host_not_echo";
	case EngineDrop::icmp_error_refused: return "icmp_error_refused";
	case EngineDrop::inner_packet: return "inner_packet";
	case EngineDrop::removed_peer: return "removed_peer";
	case EngineDrop::count: break;
	}
	return "?";
}

Engine::Engine(const config::Wireguard &cfg, Tables &tables, TunnelIo &io, uint64_t tsc_hz)
	: listen_port_(cfg.listen_port), addresses_(cfg.addresses), tables_(tables), io_(io),
	  clock_(tsc_hz, rte_rdtsc(), Clock::now()), info_(tables.peers().capacity()),
	  slots_(tables.peers().capacity(), tables.qsbr())
{
}

std::unique_ptr<Engine> Engine::create(const config::Wireguard &cfg, Tables &tables, const wireguard::PrivateKey &key,
				       std::vector<wireguard::Key32> psks, TunnelIo &io, uint64_t tsc_hz,
				       EngineOptions options, std::string &error)
{
	std::unique_ptr<Engine> e(new Engine(cfg, tables, io, tsc_hz));
	e->link_interval_ = options.link_interval;
	wireguard::DeviceOptions dopt;
	dopt.external_data_path = true;
	e->device_ = std::make_unique<wireguard::Device>(key, dopt);
	e->link_ = std::make_unique<wireguard::DataLink>(*e->device_, tables.peers(), tables.keypairs(), e->clock_,
							 static_cast<uint16_t>(tables.shared().workers));
	const Clock::time_point now = Clock::now();
	for (size_t i = 0; i < cfg.peers.size(); i++) {
		const config::WireguardPeer &p = cfg.peers[i];
		wireguard::PeerConfig pc;
		pc.public_key = p.public_key;
		if (i < psks.size())
			pc.preshared_key = psks[i];
		pc.endpoint = p.endpoint;
		pc.persistent_keepalive = std::chrono::seconds(p.persistent_keepalive / kSecond);
		pc.roaming = p.roaming;
		auto id = e->device_->add_peer(pc, now);
		sodium_memzero(pc.preshared_key.data(), pc.preshared_key.size());
		if (!id) {
			error = "wireguard.peers[" + std::to_string(i) + "]: " + id.error;
			break;
		}
		// Slot i is peer i in every table (tables.h): the lowest free.
		std::optional<uint32_t> slot = e->slots_.acquire();
		if (slot != i || !e->link_->add_peer(*id.value, *slot, p.endpoint, p.roaming)) {
			error = "wireguard.peers[" + std::to_string(i) + "]: no data-plane slot for it";
			break;
		}
		e->info_[i] = PeerInfo{*id.value, p.allowed_ips, !p.preshared_key_file.empty()};
	}
	for (wireguard::Key32 &k : psks)
		sodium_memzero(k.data(), k.size());
	if (!error.empty())
		return nullptr;

	wireguard::HandshakePool::Options popt;
	popt.threads = options.handshake_threads;
	Engine *raw = e.get();
	e->pool_ = std::make_unique<wireguard::HandshakePool>(*e->device_, popt, [raw](wireguard::Output &out) {
		std::lock_guard lock(raw->inbox_mu_);
		raw->inbox_.push_back(std::move(out));
	});
	return e;
}

Engine::~Engine()
{
	// The pool's threads first: they call the Device and fill the inbox.
	pool_.reset();
}

size_t Engine::drain_handshakes()
{
	size_t n_total = 0;
	rte_mbuf *burst[kHandshakeBurst];
	for (rte_ring *ring : tables_.shared().handshake) {
		unsigned n = rte_ring_dequeue_burst(ring, reinterpret_cast<void **>(burst), kHandshakeBurst, nullptr);
		for (unsigned i = 0; i < n; i++) {
			rte_mbuf *m = burst[i];
			// Classify checked the outer headers and the message's size.
			ParsedUdp in;
			relay_view(m, meta(m), in);
			ByteSpan msg(rte_pktmbuf_mtod_offset(m, const uint8_t *, in.payload_offset), in.payload_len);
			if (!pool_->submit(msg, in.src))
				count(EngineDrop::handshake_queue);
			rte_pktmbuf_free(m);
		}
		n_total += n;
	}
	return n_total;
}

size_t Engine::poll(int64_t now)
{
	size_t work = drain_handshakes();
	std::vector<wireguard::Output> ready;
	{
		std::lock_guard lock(inbox_mu_);
		ready.swap(inbox_);
	}
	for (wireguard::Output &out : ready)
		deliver(out);
	work += ready.size();

	if (now >= next_link_) {
		next_link_ = now + link_interval_;
		const Clock::time_point t = clock_at(now);
		wireguard::Output out;
		link_->poll(t, out);
		device_->tick(t, out);
		deliver(out);
		tables_.reclaimer().poll();
		tables_.fib().reclaim();
	}
	return work;
}

void Engine::deliver(wireguard::Output &out)
{
	link_->apply(out);
	for (const wireguard::Datagram &d : out.datagrams)
		send_datagram(d);
	for (const wireguard::ToSeal &s : out.to_seal)
		seal(s);
	for (size_t i = 0; i < out.packets.size(); i++)
		count(EngineDrop::inner_packet);
	out.clear();
}

void Engine::send_datagram(const wireguard::Datagram &d)
{
	// From the address of the port the FIB sends it out of, as wg_output's
	// data is.
	const Fib &fib = tables_.fib();
	uint32_t hop = d.to.is_v4 ? fib.lookup4(d.to.ip4()) : fib.lookup6(d.to.ip.data());
	const auto &ports = *tables_.shared().output->ports;
	if (!fib.valid(hop) || fib.next_hop(hop).port >= ports.size()) {
		count(EngineDrop::no_route);
		return;
	}
	const PortAddrs &src = ports[fib.next_hop(hop).port].addrs;
	if (d.to.is_v4 ? !src.has_ipv4 : !src.has_ipv6) {
		count(EngineDrop::no_route);
		return;
	}
	const size_t l3_len = d.to.is_v4 ? sizeof(rte_ipv4_hdr) : sizeof(rte_ipv6_hdr);
	const size_t udp_len = sizeof(rte_udp_hdr) + d.bytes.size();
	uint8_t *data = nullptr;
	rte_mbuf *m = fresh(l3_len + udp_len, data);
	if (!m)
		return;
	write_ip_udp(data, d.to.is_v4 ? src.ipv4 : src.ipv6, d.to, listen_port_, static_cast<uint16_t>(udp_len));
	auto *udp = reinterpret_cast<rte_udp_hdr *>(data + l3_len);
	std::memcpy(udp + 1, d.bytes.data(), d.bytes.size());
	PacketMeta &pm = meta(m);
	if (d.to.is_v4) {
		auto *ip = reinterpret_cast<rte_ipv4_hdr *>(data);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
		pm.l3 = L3::ipv4;
	} else {
		udp->dgram_cksum = rte_ipv6_udptcp_cksum(reinterpret_cast<rte_ipv6_hdr *>(data), udp);
		pm.l3 = L3::ipv6;
	}
	pm.proto = IPPROTO_UDP;
	pm.l4_offset = static_cast<uint16_t>(l3_len);
	pm.payload_offset = static_cast<uint16_t>(l3_len + sizeof(rte_udp_hdr));
	pm.payload_len = static_cast<uint16_t>(d.bytes.size());
	pm.src_port = listen_port_;
	pm.dst_port = d.to.port;
	io_.route(m);
}

void Engine::seal(const wireguard::ToSeal &s)
{
	// A handshake thread's Output for a peer removed while it worked.
	std::optional<uint32_t> slot = link_->slot_of(s.peer);
	if (!slot) {
		count(EngineDrop::removed_peer);
		return;
	}
	uint8_t *data = nullptr;
	rte_mbuf *m = fresh(s.inner.size(), data);
	if (!m)
		return;
	if (!s.inner.empty())
		std::memcpy(data, s.inner.data(), s.inner.size());
	// Empty: a keepalive (l3 none).
	meta(m).l3 = l3_of(data, s.inner.size());
	if (!s.inner.empty() && meta(m).l3 == L3::none) {
		count(EngineDrop::bad_punt);
		rte_pktmbuf_free(m);
		return;
	}
	to_peer(m, *slot);
}

void Engine::to_peer(rte_mbuf *m, uint32_t slot)
{
	PacketMeta &pm = meta(m);
	const wireguard::DataPeer &dp = tables_.peers()[slot];
	pm.next = Stage::wg_output;
	pm.aux = slot;
	pm.peer_gen = dp.generation.load(std::memory_order_relaxed);
	unsigned home = dp.home_worker.load(std::memory_order_relaxed);
	io_.to_worker(m, home);
}

void Engine::punt(rte_mbuf *m, PuntReason reason, int64_t now)
{
	const uint32_t slot = meta(m).aux;
	if (reason != PuntReason::ttl_exceeded) {
		if (slot >= info_.size()) {
			count(EngineDrop::bad_punt);
			rte_pktmbuf_free(m);
			return;
		}
		if (!names_live_peer(slot, meta(m).peer_gen)) {
			// Still counted in flight for the slot's last peer; the new one's
			// count started at 0.
			count(EngineDrop::removed_peer);
			rte_pktmbuf_free(m);
			return;
		}
	}
	switch (reason) {
	case PuntReason::wg_staged:
		staged(m, now);
		return;
	case PuntReason::wg_host:
		echo(m);
		return;
	case PuntReason::ttl_exceeded:
		time_exceeded(m);
		return;
	default:
		count(EngineDrop::bad_punt);
		rte_pktmbuf_free(m);
		return;
	}
}

void Engine::staged(rte_mbuf *m, int64_t now)
{
	const uint32_t slot = meta(m).aux;
	// The worker counted it in flight when it punted it.
	tables_.peers()[slot].staged_in_flight.fetch_sub(1, std::memory_order_relaxed);
	ByteSpan packet(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m));
	wireguard::Output out;
	device_->send(info_[slot]->id, packet, clock_at(now), out);
	rte_pktmbuf_free(m);
	deliver(out);
}

bool Engine::is_tunnel_address(const AddrPort &a) const
{
	for (const config::IpPrefix &p : addresses_)
		if (p.addr.is_v4 == a.is_v4 && p.addr.ip == a.ip)
			return true;
	return false;
}

void Engine::echo(rte_mbuf *m)
{
	size_t reply_len = 0;
	HostResult r = icmp_echo_reply(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_data_len(m),
				       [this](const AddrPort &a) { return is_tunnel_address(a); }, reply_len);
	if (r != HostResult::reply) {
		count(EngineDrop::host_not_echo);
		rte_pktmbuf_free(m);
		return;
	}
	rte_pktmbuf_trim(m, static_cast<uint16_t>(rte_pktmbuf_data_len(m) - reply_len));
	const uint32_t slot = meta(m).aux;
	L3 l3 = meta(m).l3;
	meta(m) = PacketMeta{};
	meta(m).l3 = l3;
	to_peer(m, slot);
}

void Engine::time_exceeded(rte_mbuf *m)
{
	const uint8_t *orig = rte_pktmbuf_mtod(m, const uint8_t *);
	const size_t orig_len = rte_pktmbuf_data_len(m);
	const L3 l3 = l3_of(orig, orig_len);
	if (l3 == L3::none) {
		count(EngineDrop::bad_punt);
		rte_pktmbuf_free(m);
		return;
	}
	// Back the way it came: a source inside a peer's allowed IPs came out of
	// that peer's tunnel (wg_input checked it); any other came in on a port.
	const AddrPort to = source_of(orig, l3);
	const PrefixTable &allowed = tables_.allowed_ips();
	const uint32_t owner = l3 == L3::ipv4 ? allowed.lookup4(to.ip4()) : allowed.lookup6(to.ip.data());
	std::optional<AddrPort> from;
	if (owner != PrefixTable::kNoMatch) {
		for (const config::IpPrefix &p : addresses_)
			if (!from && p.addr.is_v4 == to.is_v4)
				from = p.addr;
	} else {
		const Fib &fib = tables_.fib();
		uint32_t hop = to.is_v4 ? fib.lookup4(to.ip4()) : fib.lookup6(to.ip.data());
		const auto &ports = *tables_.shared().output->ports;
		if (fib.valid(hop) && fib.next_hop(hop).port < ports.size()) {
			const PortAddrs &a = ports[fib.next_hop(hop).port].addrs;
			if (to.is_v4 && a.has_ipv4)
				from = AddrPort::v4(a.ipv4, 0);
			else if (!to.is_v4 && a.has_ipv6)
				from = AddrPort::v6(a.ipv6, 0);
		}
	}
	if (!from) {
		count(EngineDrop::icmp_error_refused);
		rte_pktmbuf_free(m);
		return;
	}
	uint8_t buf[kIcmp6ErrorMax];
	IcmpError err = build_time_exceeded(std::span<const uint8_t>(orig, orig_len), *from, buf);
	rte_pktmbuf_free(m);
	if (err.result != IcmpErrorResult::ok) {
		count(EngineDrop::icmp_error_refused);
		return;
	}
	uint8_t *data = nullptr;
	rte_mbuf *e = fresh(err.len, data);
	if (!e)
		return;
	std::memcpy(data, buf, err.len);
	meta(e).l3 = l3;
	if (owner != PrefixTable::kNoMatch)
		to_peer(e, owner);
	else
		io_.route(e);
}

std::string Engine::set_allowed_ips(uint32_t slot, const std::vector<config::Prefix> &prefixes)
{
	std::vector<Prefix> table;
	for (const config::Prefix &p : prefixes)
		table.push_back(Prefix::of(p.addr, static_cast<uint8_t>(p.len)));
	if (PrefixResult r = tables_.allowed_ips().replace_value(slot, table); r != PrefixResult::ok)
		return std::string("the allowed-IPs table refused them: ") + prefix_result_name(r);
	for (size_t i = 0; i < info_.size(); i++) {
		if (i == slot || !info_[i])
			continue;
		std::erase_if(info_[i]->allowed_ips, [&](const config::Prefix &theirs) {
			return std::find(prefixes.begin(), prefixes.end(), theirs) != prefixes.end();
		});
	}
	info_[slot]->allowed_ips = prefixes;
	return {};
}

void Engine::drop_peer(uint32_t slot)
{
	// Its keypairs leave the workers' table (the Device's retire events,
	// then whatever the link still has published) and its allowed IPs the
	// lookups before the slot goes back: SlotPool's contract.
	const wireguard::PeerId id = info_[slot]->id;
	wireguard::Output out;
	device_->remove_peer(id, out);
	deliver(out);
	link_->remove_peer(id);
	tables_.clear_exit_peer(slot);
	info_[slot].reset();
	if (tables_.allowed_ips().remove_value(slot) == PrefixResult::ok)
		slots_.release(slot);
	else
		stranded_.push_back(slot);
}

void Engine::retry_stranded()
{
	std::erase_if(stranded_, [this](uint32_t slot) {
		if (tables_.allowed_ips().remove_value(slot) != PrefixResult::ok)
			return false;
		slots_.release(slot);
		return true;
	});
}

bool Engine::names_live_peer(uint32_t slot, uint16_t gen) const
{
	return slot < info_.size() && info_[slot] &&
	       tables_.peers()[slot].generation.load(std::memory_order_relaxed) == gen;
}

std::vector<Engine::PeerView> Engine::live_peers() const
{
	std::vector<PeerView> v;
	for (size_t i = 0; i < info_.size(); i++)
		if (info_[i])
			v.push_back({&*info_[i], device_->status(info_[i]->id), &tables_.peers()[static_cast<uint32_t>(i)]});
	return v;
}

std::pair<int, std::string> Engine::add_peer(const wireguard::PeerConfig &pc, const std::vector<config::Prefix> &allowed,
					     Clock::time_point now)
{
	auto fail = [](int status, const std::string &why) {
		return std::pair{status, ordered_json{{"error", why}}.dump()};
	};
	retry_stranded();
	std::optional<uint32_t> slot = slots_.acquire(kSlotPatience);
	if (!slot) {
		if (slots_.quarantined() > 0)
			return fail(503, std::to_string(slots_.quarantined()) + " of the " +
						 std::to_string(slots_.capacity()) + " peer slots (wireguard.max_peers) "
						 "wait for the workers to let go of a removed peer; try again");
		return fail(507, "all " + std::to_string(slots_.capacity()) + " peer slots are taken; raise "
				 "wireguard.max_peers");
	}
	auto added = device_->add_peer(pc, now);
	if (!added) {
		slots_.give_back(*slot);
		return fail(400, added.error);
	}
	info_[*slot] = PeerInfo{*added.value, {}, false};
	if (!link_->add_peer(*added.value, *slot, pc.endpoint, pc.roaming)) {
		drop_peer(*slot);
		return fail(507, "no data-plane slot for the peer");
	}
	tables_.set_exit_peer(*slot, pc.public_key);
	if (std::string why = set_allowed_ips(*slot, allowed); !why.empty()) {
		drop_peer(*slot);
		return fail(507, "allowed_ips: " + why);
	}
	return {200, ""};
}

std::pair<int, std::string> Engine::set_peer(const api::WgPeerChange &change, int64_t now)
{
	auto fail = [](int status, const std::string &why) {
		return std::pair{status, ordered_json{{"error", why}}.dump()};
	};
	auto key = wireguard::PublicKey::from_base64(change.public_key);
	if (!key)
		return fail(400, "public_key: " + key.error);
	std::vector<config::Prefix> prefixes;
	if (change.allowed_ips) {
		for (const std::string &text : *change.allowed_ips) {
			// As wg: host bits are cleared, not refused.
			auto p = config::Prefix::parse_masked(text);
			if (!p)
				return fail(400, "allowed_ips: \"" + text + "\" is not a prefix like 10.0.0.2/32 or fd00::2/128");
			if (std::find(prefixes.begin(), prefixes.end(), *p) == prefixes.end())
				prefixes.push_back(*p);
		}
	}
	std::optional<AddrPort> endpoint;
	if (change.endpoint) {
		endpoint = AddrPort::parse(*change.endpoint);
		if (!endpoint || endpoint->port == 0)
			return fail(400, "endpoint: \"" + *change.endpoint + "\" is not an address and port like "
					 "192.0.2.1:51820 or [2001:db8::1]:51820");
	}
	const Clock::time_point t = clock_at(now);
	std::optional<wireguard::PeerId> id = device_->find_peer(*key.value);
	std::optional<uint32_t> slot = id ? link_->slot_of(*id) : std::nullopt;

	if (change.remove) {
		if (!slot)
			return fail(404, "no peer " + change.public_key);
		drop_peer(*slot);
		return {200, ordered_json{{"removed", change.public_key}}.dump()};
	}

	if (!slot) {
		wireguard::PeerConfig pc;
		pc.public_key = *key.value;
		pc.endpoint = endpoint;
		pc.persistent_keepalive = std::chrono::seconds(change.persistent_keepalive.value_or(0));
		auto [status, body] = add_peer(pc, prefixes, t);
		if (status != 200)
			return {status, body};
		return {200, ordered_json{{"added", change.public_key}}.dump()};
	}

	if (change.allowed_ips)
		if (std::string why = set_allowed_ips(*slot, prefixes); !why.empty())
			return fail(507, "allowed_ips: " + why);
	if (endpoint) {
		device_->set_endpoint(*id, *endpoint);
		link_->set_endpoint(*id, *endpoint);
	}
	if (change.persistent_keepalive)
		device_->set_persistent_keepalive(*id, std::chrono::seconds(*change.persistent_keepalive), t);
	return {200, ordered_json{{"changed", change.public_key}}.dump()};
}

std::string Engine::status_json() const
{
	ordered_json peers = ordered_json::array();
	for (const PeerView &v : live_peers()) {
		ordered_json allowed = ordered_json::array();
		for (const config::Prefix &a : v.info->allowed_ips)
			allowed.push_back(a.to_string());
		ordered_json p;
		p["public_key"] = v.st.public_key.to_base64();
		p["preshared_key"] = v.info->has_preshared_key;
		p["endpoint"] = v.st.endpoint ? ordered_json(v.st.endpoint->to_string()) : ordered_json(nullptr);
		p["allowed_ips"] = allowed;
		p["latest_handshake"] = v.latest_handshake();
		p["rx_bytes"] = v.rx_bytes();
		p["tx_bytes"] = v.tx_bytes();
		p["rx_packets"] = v.dp->rx_packets.get();
		p["tx_packets"] = v.dp->tx_packets.get();
		p["persistent_keepalive"] = v.st.persistent_keepalive.count();
		p["handshake_pending"] = v.st.handshake_pending;
		p["staged"] = v.st.staged;
		p["roamed"] = v.dp->roamed.get();
		peers.push_back(p);
	}
	ordered_json device_drops = ordered_json::object();
	for (size_t d = 0; d < static_cast<size_t>(wireguard::WgDrop::count); d++)
		device_drops[wireguard::to_string(wireguard::WgDrop(d))] = device_->drops(wireguard::WgDrop(d));
	ordered_json events = ordered_json::object();
	for (size_t e = 0; e < static_cast<size_t>(wireguard::WgEvent::count); e++)
		events[wireguard::to_string(wireguard::WgEvent(e))] = device_->events(wireguard::WgEvent(e));
	ordered_json engine_drops = ordered_json::object();
	for (size_t d = 0; d < static_cast<size_t>(EngineDrop::count); d++)
		engine_drops[to_string(EngineDrop(d))] = drops_[d];
	ordered_json link_drops = ordered_json::object();
	for (size_t d = 0; d < static_cast<size_t>(wireguard::LinkDrop::count); d++)
		link_drops[wireguard::to_string(wireguard::LinkDrop(d))] = link_->drops(wireguard::LinkDrop(d));
	ordered_json pool = {{"queued", pool_->queued()},
			     {"capacity", pool_->capacity()},
			     {"processed", pool_->processed()},
			     {"queue_full", pool_->queue_full()},
			     {"not_handshake", pool_->not_handshake()}};
	ordered_json j;
	j["public_key"] = device_->identity().static_public.to_base64();
	j["listen_port"] = listen_port_;
	j["peers"] = peers;
	j["handshakes"] = events;
	j["drops"] = {{"device", device_drops}, {"engine", engine_drops}, {"link", link_drops}};
	j["handshake_pool"] = pool;
	j["under_load"] = device_->under_load_at(Clock::now());
	j["keypairs_published"] = link_->published();
	j["peer_slots"] = {{"capacity", slots_.capacity()}, {"held", slots_.held()}, {"quarantined", slots_.quarantined()},
			   {"stranded", stranded_.size()}};
	return j.dump();
}

std::string Engine::metrics_text() const
{
	std::ostringstream out;
	const std::vector<PeerView> peers = live_peers();
	// One metric, a line per peer (and direction, when given).
	auto per_peer = [&](const char *name, const char *type, const char *help, auto value) {
		out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
		for (const PeerView &v : peers)
			value(v, [&](const char *direction, uint64_t n) {
				out << name << "{peer=\"" << v.st.public_key.to_base64() << '"';
				if (direction)
					out << ",direction=\"" << direction << '"';
				out << "} " << n << '\n';
			});
	};
	per_peer("wayport_wireguard_peer_bytes_total", "counter", "WireGuard bytes per peer, handshakes and data.",
		 [](const PeerView &v, auto line) {
			 line("rx", v.rx_bytes());
			 line("tx", v.tx_bytes());
		 });
	per_peer("wayport_wireguard_peer_packets_total", "counter", "WireGuard transport packets per peer.",
		 [](const PeerView &v, auto line) {
			 line("rx", v.dp->rx_packets.get());
			 line("tx", v.dp->tx_packets.get());
		 });
	per_peer("wayport_wireguard_peer_latest_handshake_seconds", "gauge",
		 "Unix time of the peer's latest handshake (0: none).",
		 [](const PeerView &v, auto line) { line(nullptr, static_cast<uint64_t>(v.latest_handshake())); });
	per_peer("wayport_wireguard_peer_staged_packets", "gauge",
		 "Packets staged for a peer while its handshake completes.",
		 [](const PeerView &v, auto line) { line(nullptr, v.st.staged); });
	out << "# HELP wayport_wireguard_handshakes_total Handshake messages by what happened.\n"
	    << "# TYPE wayport_wireguard_handshakes_total counter\n";
	for (size_t e = 0; e < static_cast<size_t>(wireguard::WgEvent::count); e++)
		out << "wayport_wireguard_handshakes_total{event=\"" << wireguard::to_string(wireguard::WgEvent(e)) << "\"} "
		    << device_->events(wireguard::WgEvent(e)) << '\n';
	out << "# HELP wayport_wireguard_dropped_total What the WireGuard slow path dropped, by where and why.\n"
	    << "# TYPE wayport_wireguard_dropped_total counter\n";
	for (size_t d = 0; d < static_cast<size_t>(wireguard::WgDrop::count); d++)
		out << "wayport_wireguard_dropped_total{where=\"device\",reason=\"" << wireguard::to_string(wireguard::WgDrop(d))
		    << "\"} " << device_->drops(wireguard::WgDrop(d)) << '\n';
	for (size_t d = 0; d < static_cast<size_t>(EngineDrop::count); d++)
		out << "wayport_wireguard_dropped_total{where=\"engine\",reason=\"" << to_string(EngineDrop(d)) << "\"} "
		    << drops_[d] << '\n';
	out << "# HELP wayport_wireguard_under_load 1 while handshakes without a cookie get cookie replies.\n"
	    << "# TYPE wayport_wireguard_under_load gauge\n"
	    << "wayport_wireguard_under_load " << (device_->under_load_at(Clock::now()) ? 1 : 0) << '\n';
	out << "# HELP wayport_wireguard_handshake_queue Handshake messages queued for the handshake threads.\n"
	    << "# TYPE wayport_wireguard_handshake_queue gauge\n"
	    << "wayport_wireguard_handshake_queue " << pool_->queued() << '\n';
	return out.str();
}

} // namespace wayport::tunnel
