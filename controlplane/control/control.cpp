#include "controlplane/control/control.h"

#include <rte_ethdev.h>

#include <nlohmann/json.hpp>

#include "controlplane/control/stun.h"
#include "controlplane/control/udp_reply.h"
#include "controlplane/relay/metrics.h"
#include "controlplane/relay/status.h"
#include "dataplane/packet/mbuf_ring.h"
#include "dataplane/packet/meta.h"
#include "dataplane/stages/relay.h"

namespace wayport {

Control::Control(relay::Server &server, RelayTable &table, NeighbourSlots &slots, std::vector<Port> ports,
		 NeighbourConfig neighbour_cfg, std::vector<WorkerRings> rings, rte_mempool *pool,
		 api::Bridge *bridge, StatusSources sources, uint64_t tsc_hz, ControlTimers timers)
	: server_(server), table_(table), rings_(std::move(rings)), pool_(pool), bridge_(bridge),
	  sources_(std::move(sources)), timers_(timers), host_(std::move(ports), slots, *this, neighbour_cfg),
	  sync_(server, table, host_, static_cast<unsigned>(sources_.workers.size()), tsc_hz)
{
}

Control::~Control()
{
	// The workers are stopped: what is still queued either way is ours.
	for (const WorkerRings &w : rings_) {
		free_queued(w.punt);
		free_queued(w.inject);
	}
}

rte_mbuf *Control::alloc()
{
	rte_mbuf *m = rte_pktmbuf_alloc(pool_);
	if (!m)
		counters_.no_mbuf++;
	return m;
}

bool Control::to_worker(rte_mbuf *m, unsigned worker)
{
	if (inject(m, worker))
		return true;
	counters_.tx_failed++;
	return false;
}

bool Control::inject(rte_mbuf *m, unsigned worker)
{
	// A worker id from a packet's metadata is checked, not trusted.
	if (!rings_.empty() && rte_ring_sp_enqueue(rings_[worker < rings_.size() ? worker : 0].inject, m) == 0)
		return true;
	rte_pktmbuf_free(m);
	return false;
}

void Control::send(const Port &port, rte_mbuf *m)
{
	// Out through a worker's TX queue: the one whose punt this answers,
	// so a port needs no TX queue of the control thread's own.
	PacketMeta &pm = meta(m);
	pm.next = Stage::tx;
	pm.tx_port = port.port_id;
	if (inject(m, current_worker_))
		counters_.tx_sent++;
	else
		counters_.tx_failed++;
}

size_t Control::poll(int64_t now, uint64_t tsc)
{
	size_t work = 0;
	now_ = now;
	rte_mbuf *burst[64];
	for (size_t w = 0; w < rings_.size(); w++) {
		unsigned n = rte_ring_sc_dequeue_burst(rings_[w].punt, reinterpret_cast<void **>(burst),
						       std::min<size_t>(timers_.punts_per_ring, 64), nullptr);
		current_worker_ = static_cast<unsigned>(w);
		for (unsigned i = 0; i < n; i++)
			punt(burst[i], now);
		work += n;
	}
	// What the control thread sends on its own (probes) leaves through
	// worker 0.
	current_worker_ = 0;
	// Bindings made by this batch reach the workers before the next one.
	sync_.apply_changes(now);

	if (bridge_)
		work += bridge_->serve([&](api::Call &c) { serve_api(c, now); }, timers_.api_calls_per_loop);

	// Activity before GC: an endpoint the workers saw traffic for must not
	// be judged on a last-seen time the core has not heard of yet.
	if (now >= next_activity_) {
		sync_.feed_activity(now, tsc, timers_.activity_budget);
		next_activity_ = now + timers_.activity_interval;
	}
	if (now >= next_gc_) {
		server_.gc_step(now, relay::kGcStepBudget);
		sync_.apply_changes(now);
		next_gc_ = now + timers_.gc_interval;
	}
	if (now >= next_neighbour_) {
		host_.neighbours().tick(now);
		next_neighbour_ = now + timers_.neighbour_interval;
	}
	if (tunnel_.core)
		work += tunnel_.core->poll(now);
	if (tunnel_.neighbours)
		tunnel_.neighbours->reclaim();
	table_.reclaim();
	return work;
}

void Control::punt(rte_mbuf *m, int64_t now)
{
	PuntReason reason = static_cast<PuntReason>(meta(m).reason);
	if (reason < PuntReason::count)
		counters_.punts[static_cast<size_t>(reason)]++;
	switch (reason) {
	case PuntReason::neighbour:
		host_.input(m, now);
		return;
	case PuntReason::stun:
	case PuntReason::disco:
	case PuntReason::relay_control:
		relay_input(m, reason, now);
		return;
	case PuntReason::unresolved:
		hold_unresolved(m);
		return;
	case PuntReason::ttl_exceeded:
	case PuntReason::wg_staged:
	case PuntReason::wg_host:
		if (tunnel_.core) {
			tunnel_.core->punt(m, reason, now);
			return;
		}
		counters_.no_wireguard++;
		rte_pktmbuf_free(m);
		return;
	case PuntReason::ip_unresolved:
		if (tunnel_.fib) {
			hold_for_ip_out(m);
			return;
		}
		counters_.no_wireguard++;
		rte_pktmbuf_free(m);
		return;
	case PuntReason::count:
		break;
	}
	counters_.relay_malformed++;
	rte_pktmbuf_free(m);
}

void Control::relay_input(rte_mbuf *m, PuntReason reason, int64_t now)
{
	const Port *port = host_.port(m->port);
	if (!port) {
		counters_.relay_malformed++;
		rte_pktmbuf_free(m);
		return;
	}
	// The worker's classify left the packet's layout in its metadata and
	// did not change the packet.
	ParsedUdp in;
	relay_view(m, meta(m), in);
	ByteSpan payload(rte_pktmbuf_mtod_offset(m, const uint8_t *, in.payload_offset), in.payload_len);

	if (reason == PuntReason::stun) {
		auto resp = stun_binding_response(payload, in.src);
		if (!resp) {
			counters_.stun_malformed++;
			rte_pktmbuf_free(m);
			return;
		}
		if (!udp_reply(m, in, port->mac.addr_bytes, *resp)) {
			counters_.reply_too_big++;
			rte_pktmbuf_free(m);
			return;
		}
		counters_.stun_replies++;
		send(*port, m);
		return;
	}

	AddrPort from = in.src;
	relay::PacketResult r = server_.handle_packet(payload, from, now, reply_);
	switch (r.verdict) {
	case relay::Verdict::reply:
		if (!udp_reply(m, in, port->mac.addr_bytes, ByteSpan(reply_.data(), r.reply_len))) {
			counters_.reply_too_big++;
			rte_pktmbuf_free(m);
			return;
		}
		counters_.relay_replies++;
		send(*port, m);
		return;
	case relay::Verdict::consumed: {
		// An Answer bound a leg. The frame came from the leg's next hop
		// (the client, or the router in front of it), and the Answer
		// proved the address, so its MAC is the neighbour to use.
		rte_ether_addr src_mac = rte_pktmbuf_mtod(m, rte_ether_hdr *)->src_addr;
		sync_.apply_changes(now);
		if (auto hop = port->next_hop(from))
			host_.neighbours().learn(port->port_id, *hop, src_mac, now);
		break;
	}
	case relay::Verdict::drop:
	case relay::Verdict::refused:
		counters_.relay_dropped++;
		break;
	}
	rte_pktmbuf_free(m);
}

void Control::hold_unresolved(rte_mbuf *m)
{
	// The relay stage named the neighbour slot it lacks a MAC for.
	host_.neighbours().hold(meta(m).aux, m);
}

void Control::route(rte_mbuf *m)
{
	PacketMeta &pm = meta(m);
	pm.worker = 0;
	hold_for_ip_out(m);
}

void Control::hold_for_ip_out(rte_mbuf *m)
{
	// The worker's route may be stale by now: look it up again.
	// By its own header: a sealed packet's PacketMeta describes the inner one.
	const uint8_t *ip = rte_pktmbuf_mtod(m, const uint8_t *);
	const size_t len = rte_pktmbuf_data_len(m);
	const unsigned version = len ? ip[0] >> 4 : 0;
	const bool v4 = version == 4 && len >= sizeof(rte_ipv4_hdr);
	if (!v4 && !(version == 6 && len >= sizeof(rte_ipv6_hdr))) {
		counters_.ip_no_route++;
		rte_pktmbuf_free(m);
		return;
	}
	AddrPort dst = v4 ? AddrPort::v4(ip + offsetof(rte_ipv4_hdr, dst_addr), 0)
			  : AddrPort::v6(ip + offsetof(rte_ipv6_hdr, dst_addr), 0);
	uint32_t id = v4 ? tunnel_.fib->lookup4(dst.ip4()) : tunnel_.fib->lookup6(dst.ip.data());
	if (!tunnel_.fib->valid(id)) {
		counters_.ip_no_route++;
		rte_pktmbuf_free(m);
		return;
	}
	const NextHop &hop = tunnel_.fib->next_hop(id);
	const AddrPort neighbour = hop.via_gateway ? hop.gateway : dst;
	uint32_t slot = tunnel_.neighbours->find(hop.port, neighbour);
	if (slot == NeighbourIndex::kNone) {
		auto made = host_.neighbours().slot_for(hop.port, neighbour, now_);
		if (!made || tunnel_.neighbours->add(hop.port, neighbour, *made) != NeighbourIndexResult::ok) {
			counters_.ip_no_neighbour++;
			rte_pktmbuf_free(m);
			return;
		}
		host_.neighbours().retain(*made);
		slot = *made;
	}
	PacketMeta &pm = meta(m);
	pm.reason = static_cast<uint8_t>(PuntReason::ip_unresolved);
	host_.neighbours().hold(slot, m);
}

void Control::resolved(rte_mbuf *m)
{
	// A held packet whose next hop is now known: back to the worker that
	// punted it. Relay data goes through the same relay stage as every
	// other packet (which looks the endpoint up again: it may have moved
	// meanwhile); an IP packet through ip_out, which routes it again.
	PacketMeta &pm = meta(m);
	bool ip = pm.reason == static_cast<uint8_t>(PuntReason::ip_unresolved);
	pm.next = ip ? Stage::ip_out : Stage::relay;
	if (inject(m, pm.worker))
		(ip ? counters_.ip_held : counters_.held_forwarded)++;
	else
		counters_.held_dropped++;
}

void Control::serve_api(api::Call &call, int64_t now)
{
	bool relay_call = call.kind == api::CallKind::sessions || call.kind == api::CallKind::allocate;
	if (relay_call && !sources_.relay_on) {
		call.http_status = 404;
		call.body = R"({"error":"the relay is off: the config has no relay section"})";
		return;
	}
	bool wg_call = call.kind == api::CallKind::wireguard || call.kind == api::CallKind::wg_peer;
	if (wg_call && !tunnel_.core) {
		call.http_status = 404;
		call.body = R"({"error":"WireGuard is off: the config has no wireguard section"})";
		return;
	}
	switch (call.kind) {
	case api::CallKind::status:
		call.http_status = 200;
		call.body = status_json();
		return;
	case api::CallKind::sessions:
		call.http_status = 200;
		call.body = server_.sessions_json();
		return;
	case api::CallKind::metrics:
		call.http_status = 200;
		call.content_type = "text/plain; version=0.0.4";
		call.body = metrics_text();
		return;
	case api::CallKind::wireguard:
		call.http_status = 200;
		call.body = tunnel_.core->status_json();
		return;
	case api::CallKind::wg_peer: {
		auto [status, body] = tunnel_.core->set_peer(call.wg_peer, now);
		call.http_status = status;
		call.body = std::move(body);
		return;
	}
	case api::CallKind::allocate: {
		relay::ServerEndpoint ep;
		relay::AllocError err = server_.allocate(call.a, call.b, now, ep);
		if (err != relay::AllocError::ok) {
			call.http_status = err == relay::AllocError::not_ready ? 503 : 400;
			call.body = nlohmann::json{{"error", relay::to_string(err)}}.dump();
			return;
		}
		sync_.apply_changes(now);
		call.http_status = 200;
		call.body = relay::server_endpoint_json(ep);
		return;
	}
	}
	call.http_status = 400;
	call.body = R"({"error":"unknown call"})";
}

} // namespace wayport
