#include "controlplane/control/table_sync.h"

namespace wayport {

TableSync::TableSync(relay::Server &server, RelayTable &table, Host &host, unsigned workers, uint64_t tsc_hz)
	: server_(server), table_(table), host_(host), workers_(workers), tsc_hz_(tsc_hz)
{
}

const Port *TableSync::egress_port(const AddrPort &leg) const
{
	for (const auto &p : host_.ports())
		if (p.on_link(leg))
			return &p;
	for (const auto &p : host_.ports())
		if (leg.is_v4 ? p.gateway4.has_value() : p.gateway6.has_value())
			return &p;
	return nullptr;
}

void TableSync::release_slots(Tracked &t)
{
	for (uint32_t &s : t.slot) {
		if (s != kNoSlot)
			host_.neighbours().release(s);
		s = kNoSlot;
	}
}

void TableSync::upsert(const relay::TableChange &c, int64_t now)
{
	auto [it, fresh] = live_.try_emplace(c.vni);
	Tracked &t = it->second;
	if (fresh || t.lamport_id != c.lamport_id) {
		// A new endpoint on this VNI: counters start from what the
		// workers hold now, which may include a previous endpoint's.
		t.lamport_id = c.lamport_id;
		t.seen.assign(size_t{workers_} * 2, LegSeen{});
		for (unsigned w = 0; w < workers_; w++) {
			const EndpointActivity *a = table_.activity(w, c.vni);
			for (int leg = 0; leg < 2 && a; leg++)
				t.seen[w * 2 + leg] = {a->leg[leg].packets.get(), a->leg[leg].bytes.get()};
		}
	}

	RelayEntry e;
	e.vni = c.vni;
	e.bound = c.bound;
	uint32_t old_slot[2] = {t.slot[0], t.slot[1]};
	for (int leg = 0; leg < 2; leg++) {
		e.leg[leg] = c.leg[leg];
		e.egress[leg] = {kNoEgressPort, 0};
		t.slot[leg] = kNoSlot;
		if (!(c.bound & (1u << leg)))
			continue;
		const Port *port = egress_port(c.leg[leg]);
		auto hop = port ? port->next_hop(c.leg[leg]) : std::nullopt;
		auto slot = hop ? host_.neighbours().slot_for(port->port_id, *hop, now) : std::nullopt;
		if (!slot)
			continue;
		host_.neighbours().retain(*slot);
		t.slot[leg] = *slot;
		e.egress[leg] = {port->port_id, *slot};
	}
	// Release after retaining, so a slot both entries use never drops to
	// zero references in between.
	for (uint32_t s : old_slot)
		if (s != kNoSlot)
			host_.neighbours().release(s);
	if (!table_.publish(e)) {
		publish_failures_++;
		release_slots(t);
		live_.erase(it);
	}
}

void TableSync::remove(uint32_t vni)
{
	auto it = live_.find(vni);
	if (it != live_.end()) {
		release_slots(it->second);
		live_.erase(it);
	}
	table_.erase(vni);
}

void TableSync::apply_changes(int64_t now)
{
	changes_.clear();
	server_.take_table_changes(changes_);
	for (const auto &c : changes_) {
		if (c.op == relay::TableOp::upsert)
			upsert(c, now);
		else
			remove(c.vni);
	}
}

void TableSync::feed_activity(int64_t now, uint64_t tsc_now, size_t budget)
{
	if (live_.empty())
		return;
	activity_.clear();
	auto it = live_.upper_bound(activity_cursor_);
	for (size_t n = 0; n < budget && n < live_.size(); n++, ++it) {
		if (it == live_.end())
			it = live_.begin();
		activity_cursor_ = it->first;
		Tracked &t = it->second;
		for (int leg = 0; leg < 2; leg++) {
			relay::LegActivity a{it->first, t.lamport_id, static_cast<uint8_t>(leg), 0, 0, 0};
			uint64_t last_tsc = 0;
			for (unsigned w = 0; w < workers_; w++) {
				const EndpointActivity *ea = table_.activity(w, it->first);
				if (!ea)
					continue;
				LegSeen &seen = t.seen[w * 2 + leg];
				uint64_t packets = ea->leg[leg].packets.get(), bytes = ea->leg[leg].bytes.get();
				if (packets == seen.packets)
					continue;
				a.packets += packets - seen.packets;
				a.bytes += bytes - seen.bytes;
				seen = {packets, bytes};
				last_tsc = std::max(last_tsc, ea->leg[leg].last_tsc.get());
			}
			if (!a.packets)
				continue;
			uint64_t age_tsc = tsc_now > last_tsc ? tsc_now - last_tsc : 0;
			a.last_seen = now - static_cast<int64_t>(static_cast<double>(age_tsc) * 1e9 / static_cast<double>(tsc_hz_));
			activity_.push_back(a);
		}
	}
	server_.apply_activity(activity_);
}

} // namespace wayport
