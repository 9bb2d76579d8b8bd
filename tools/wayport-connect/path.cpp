#include "tools/wayport-connect/path.h"

#include <sodium.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iostream>

#include "controlplane/common/go_duration.h"
#include "dataplane/wire/disco_frame.h"

namespace wayport::connect {

namespace {

using namespace std::chrono_literals;

// Allocation requests are retried with backoff; Tailscale's client retries
// once after 3 s, but it also has other paths to use meanwhile.
constexpr auto kAllocRetryFirst = 1s;
constexpr auto kAllocRetryMax = 8s;
// Binds are resent while no Challenge comes (Tailscale sends each once,
// then retries the whole handshake later). A relay that answers none in
// kBindTimeout no longer knows the endpoint: it restarted or expired it.
constexpr auto kBindRetry = 1s;
constexpr auto kBindTimeout = 5s;
// Pings while the path is unconfirmed, and how long we wait for the first
// Pong before starting the handshake over.
constexpr auto kConfirmPing = 1s;
constexpr auto kConfirmTimeout = 5s;
// Keepalive pings: often enough that both legs send several times per
// steady-state lifetime (the relay expires a leg that stays silent that
// long), rarely enough to cost nothing.
constexpr auto kKeepaliveMin = 250ms;
constexpr auto kKeepaliveMax = 5s;
// Pings in flight we remember for their RTT.
constexpr size_t kMaxPings = 16;

// Timestamped to the millisecond: healing is a matter of seconds, and the
// relay's own logs and counters are to be read next to ours.
void note(const std::string &msg)
{
	timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	tm t;
	localtime_r(&ts.tv_sec, &t);
	char stamp[32];
	std::snprintf(stamp, sizeof(stamp), "%02d:%02d:%02d.%03ld", t.tm_hour, t.tm_min, t.tm_sec, ts.tv_nsec / 1000000);
	std::cerr << stamp << " wayport-connect: " << msg << std::endl;
}

uint32_t next_generation()
{
	// Process-wide and never 0, as magicsock's: the relay drops a Bind
	// with generation 0.
	static uint32_t g = 0;
	if (++g == 0)
		++g;
	return g;
}

double ms(Clock::duration d)
{
	return std::chrono::duration<double, std::milli>(d).count();
}

} // namespace

const char *to_string(Path::State s)
{
	switch (s) {
	case Path::State::allocating:
		return "allocating";
	case Path::State::binding:
		return "binding";
	case Path::State::confirming:
		return "confirming";
	case Path::State::up:
		return "up";
	}
	return "?";
}

Path::Path(const Options &opt, const disco::PrivateKey &self, const UdpSocket &sock, Counters &counters,
	   Clock::time_point now)
	: opt_(opt), self_(self), self_pub_(self.public_key()), sock_(sock), counters_(counters),
	  pair_(sorted_pair(self_pub_, opt.peer))
{
	if (opt.peer == self_pub_)
		throw ConfigError("--peer is our own public key: give the other client's");
	auto peer = Correspondent::make(self, opt.peer);
	if (!peer)
		throw ConfigError("--peer " + opt.peer.to_text() + ": not a usable key (a low-order point)");
	peer_ = *peer;
	if (opt.relay_key) {
		node_ = Correspondent::make(self, *opt.relay_key);
		if (!node_)
			throw ConfigError("--relay-key " + opt.relay_key->to_text() + ": not a usable key (a low-order point)");
	}
	start_allocating(now, "starting");
}

void Path::send(const Bytes &b, const AddrPort &to)
{
	// Failures are not fatal: an unreachable family or route is one of the
	// advertised addresses we cannot use, and lost handshakes are retried.
	sock_.send_to(b, to);
}

void Path::start_allocating(Clock::time_point now, const std::string &why)
{
	note(why + "; allocating an endpoint " +
	     (opt_.api_socket.empty() ? "from " + opt_.relay->to_string() : "through " + opt_.api_socket));
	state_ = State::allocating;
	generation_ = next_generation();
	next_alloc_ = now;
	alloc_backoff_ = kAllocRetryFirst;
}

void Path::adopt(const disco::UdpRelayEndpoint &ep, Clock::time_point now)
{
	bool same = have_endpoint_ && ep.server_disco == endpoint_.server_disco && ep.vni == endpoint_.vni &&
		    ep.lamport_id == endpoint_.lamport_id;
	if (have_endpoint_)
		counters_.reallocations++;
	counters_.allocations++;
	if (!same) {
		// A binding on another endpoint carries nothing any more.
		relay_addr_.reset();
		server_ = Correspondent::make(self_, ep.server_disco);
		if (!server_) {
			last_error_ = "the relay's server key " + ep.server_disco.to_text() + " is unusable";
			note(last_error_);
			alloc_backoff_ = kAllocRetryMax;
			next_alloc_ = now + alloc_backoff_;
			return;
		}
	}
	endpoint_ = ep;
	have_endpoint_ = true;
	auto steady = std::chrono::nanoseconds(ep.steady_state_lifetime_ns);
	keepalive_ = std::clamp<Clock::duration>(steady / 4, kKeepaliveMin, kKeepaliveMax);
	// Three keepalives lost in a row, and a second for the last one's RTT.
	path_timeout_ = 3 * keepalive_ + 1s;
	std::string addrs;
	for (const auto &a : ep.addr_ports)
		addrs += (addrs.empty() ? "" : ", ") + a.to_string();
	note("endpoint VNI " + std::to_string(ep.vni) + " (LamportID " + std::to_string(ep.lamport_id) + ", server " +
	     ep.server_disco.short_text() + ", steady-state lifetime " + go_duration_string(ep.steady_state_lifetime_ns) +
	     ") at " + addrs);
	start_binding(now, relay_addr_ ? "rebinding on the same endpoint" : "binding");
}

void Path::start_binding(Clock::time_point now, const std::string &why)
{
	if (relay_addr_)
		counters_.rebinds++;
	state_ = State::binding;
	generation_ = next_generation();
	bind_started_ = now;
	next_bind_ = now;
	last_error_.clear();
	note(why + " (generation " + std::to_string(generation_) + ")");
}

void Path::send_binds()
{
	GeneveHeader control{0, true, kGeneveProtocolDisco, endpoint_.vni};
	disco::Message m;
	auto &b = m.body.emplace<disco::BindUdpRelayEndpoint>();
	b.vni = endpoint_.vni;
	b.generation = generation_;
	b.remote_key = opt_.peer;
	Bytes pkt = seal_to(*server_, self_pub_, m, control);
	for (const auto &a : endpoint_.addr_ports)
		send(pkt, a);
}

void Path::send_ping(Clock::time_point now)
{
	disco::Ping p;
	randombytes_buf(p.tx_id.data(), p.tx_id.size());
	if (pings_.size() >= kMaxPings)
		pings_.erase(std::min_element(pings_.begin(), pings_.end(),
					      [](const auto &a, const auto &b) { return a.second < b.second; }));
	pings_[p.tx_id] = now;
	disco::Message m;
	m.body = p;
	send(seal_to(peer_, self_pub_, m, GeneveHeader{0, false, kGeneveProtocolDisco, endpoint_.vni}), *relay_addr_);
	counters_.pings_sent++;
}

bool Path::source_changed(Clock::time_point now)
{
	auto src = sock_.route_source(*relay_addr_);
	if (!src || !bound_source_ || *src == *bound_source_)
		return false;
	start_binding(now, "our address toward the relay changed from " + bound_source_->ip_string() + " to " +
				   src->ip_string() + ": rebinding");
	return true;
}

Clock::time_point Path::tick(Clock::time_point now)
{
	switch (state_) {
	case State::allocating:
		if (now < next_alloc_)
			return next_alloc_;
		if (opt_.api_socket.empty()) {
			send(allocation_request(*node_, self_pub_, pair_, generation_), *opt_.relay);
		} else {
			try {
				adopt(allocate_via_api(opt_.api_socket, pair_), now);
				return now;
			} catch (const std::exception &e) {
				if (last_error_ != e.what())
					note(e.what());
				last_error_ = e.what();
			}
		}
		next_alloc_ = now + alloc_backoff_;
		alloc_backoff_ = std::min<Clock::duration>(2 * alloc_backoff_, kAllocRetryMax);
		return next_alloc_;

	case State::binding:
		if (now - bind_started_ >= kBindTimeout) {
			start_allocating(now, "no Challenge from the relay: it no longer knows the endpoint");
			return now;
		}
		if (now >= next_bind_) {
			send_binds();
			next_bind_ = now + kBindRetry;
		}
		return std::min(next_bind_, bind_started_ + kBindTimeout);

	case State::confirming:
		if (now - std::max(answered_at_, last_heard_) >= kConfirmTimeout) {
			start_binding(now, "no Pong from the peer through the relay: binding again");
			return now;
		}
		if (now >= next_ping_) {
			if (source_changed(now))
				return now;
			send_ping(now);
			next_ping_ = now + kConfirmPing;
		}
		return std::min(next_ping_, std::max(answered_at_, last_heard_) + kConfirmTimeout);

	case State::up:
		if (now - last_heard_ >= path_timeout_) {
			start_binding(now, "nothing from the peer through the relay for " +
						   std::to_string(static_cast<int>(ms(now - last_heard_))) +
						   " ms: binding again");
			return now;
		}
		if (now >= next_ping_) {
			if (source_changed(now))
				return now;
			send_ping(now);
			next_ping_ = now + keepalive_;
		}
		return std::min(next_ping_, last_heard_ + path_timeout_);
	}
	return now;
}

bool Path::carries(ByteSpan b, const AddrPort &from) const
{
	GeneveHeader gh;
	return geneve_is_client_strict(b) && geneve_decode(b, gh) && !gh.control &&
	       gh.protocol == kGeneveProtocolWireGuard && carries(from, gh.vni);
}

void Path::on_control(ByteSpan b, const AddrPort &from, Clock::time_point now)
{
	if (has_disco_magic(b)) {
		// Naked disco: only the relay node's allocation response.
		if (state_ != State::allocating || !node_) {
			counters_.dropped_unexpected++;
			return;
		}
		auto ep = allocation_response(b, *node_, pair_, generation_);
		if (!ep) {
			counters_.dropped_unexpected++;
			return;
		}
		adopt(*ep, now);
		return;
	}
	GeneveHeader gh;
	if (!have_endpoint_ || !geneve_is_client_strict(b) || !geneve_decode(b, gh) ||
	    gh.protocol != kGeneveProtocolDisco || gh.vni != endpoint_.vni) {
		counters_.dropped_unexpected++;
		return;
	}
	ByteSpan frame = b.subspan(kGeneveHeaderLen);
	if (gh.control) {
		auto m = server_ ? open_from(*server_, frame) : std::nullopt;
		auto *c = m ? std::get_if<disco::BindUdpRelayEndpointChallenge>(&m->body) : nullptr;
		if (!c) {
			counters_.dropped_unexpected++;
			return;
		}
		on_challenge(*c, from, now);
		return;
	}
	auto m = open_from(peer_, frame);
	if (!m || !relay_addr_ || from != *relay_addr_) {
		counters_.dropped_unexpected++;
		return;
	}
	on_peer_message(*m, from, now);
}

void Path::on_challenge(const disco::BindUdpRelayEndpointChallenge &c, const AddrPort &from, Clock::time_point now)
{
	// Only the first valid Challenge of a handshake counts; the relay
	// answers every Bind, and we sent one to each address, maybe twice.
	if (state_ != State::binding || c.vni != endpoint_.vni || c.generation != generation_ ||
	    c.remote_key != opt_.peer)
		return;
	disco::Message answer;
	answer.body = disco::BindUdpRelayEndpointAnswer{c};
	send(seal_to(*server_, self_pub_, answer, GeneveHeader{0, true, kGeneveProtocolDisco, endpoint_.vni}), from);
	counters_.handshakes++;
	relay_addr_ = from;
	bound_source_ = sock_.route_source(from);
	answered_at_ = now;
	state_ = State::confirming;
	note("bound to " + from.to_string() + " (VNI " + std::to_string(endpoint_.vni) + ", generation " +
	     std::to_string(generation_) + "); pinging the peer through the relay");
	send_ping(now);
	next_ping_ = now + kConfirmPing;
}

void Path::on_peer_message(const disco::Message &m, const AddrPort &from, Clock::time_point now)
{
	if (auto *ping = std::get_if<disco::Ping>(&m.body)) {
		counters_.pings_received++;
		last_heard_ = now;
		disco::Message pong;
		pong.body = disco::Pong{ping->tx_id, from};
		send(seal_to(peer_, self_pub_, pong, GeneveHeader{0, false, kGeneveProtocolDisco, endpoint_.vni}), from);
		// The peer is there: ask back at once rather than at the next
		// retry, as magicsock does after its Answer.
		if (state_ == State::confirming)
			send_ping(now);
		return;
	}
	auto *pong = std::get_if<disco::Pong>(&m.body);
	auto it = pong ? pings_.find(pong->tx_id) : pings_.end();
	if (it == pings_.end()) {
		counters_.dropped_unexpected++;
		return;
	}
	counters_.pongs_received++;
	rtt_ = now - it->second;
	pings_.erase(it);
	last_heard_ = now;
	if (state_ == State::confirming) {
		state_ = State::up;
		next_ping_ = now + keepalive_;
		note("path up through " + relay_addr_->to_string() + ", RTT " + std::to_string(ms(*rtt_)) + " ms");
	}
}

nlohmann::json Path::status(Clock::time_point now) const
{
	nlohmann::json j = {
		{"state", to_string(state_)},
		{"self", self_pub_.to_text()},
		{"peer", opt_.peer.to_text()},
		{"source", sock_.local().to_string()},
		{"listen", opt_.listen.to_string()},
		{"forward", opt_.forward.to_string()},
		{"generation", generation_},
	};
	if (have_endpoint_)
		j["endpoint"] = {
			{"server_disco", endpoint_.server_disco.to_text()},
			{"vni", endpoint_.vni},
			{"lamport_id", endpoint_.lamport_id},
			{"bind_lifetime", go_duration_string(endpoint_.bind_lifetime_ns)},
			{"steady_state_lifetime", go_duration_string(endpoint_.steady_state_lifetime_ns)},
		};
	j["relay_addr"] = relay_addr_ ? relay_addr_->to_string() : "";
	j["rtt_ms"] = rtt_ ? nlohmann::json(ms(*rtt_)) : nlohmann::json();
	j["last_heard_ms"] = last_heard_ == Clock::time_point{} ? nlohmann::json() : nlohmann::json(ms(now - last_heard_));
	if (!last_error_.empty())
		j["last_error"] = last_error_;
	return j;
}

} // namespace wayport::connect
