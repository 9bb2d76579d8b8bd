#include "controlplane/host/neighbour_table.h"

#include <cstring>

#include "controlplane/host/arp.h"
#include "controlplane/host/ndp.h"

namespace wayport {

NeighbourTable::NeighbourTable(NeighbourSlots &slots, const std::vector<Port> &ports, HostIo &io,
			       NeighbourConfig cfg)
	: slots_(slots), ports_(ports), io_(io), cfg_(cfg), by_slot_(slots.capacity(), nullptr)
{
	for (uint32_t s = slots.capacity(); s-- > 0;)
		free_slots_.push_back(s);
}

NeighbourTable::~NeighbourTable()
{
	for (auto &[k, e] : entries_)
		for (rte_mbuf *m : e.pending)
			rte_pktmbuf_free(m);
}

NeighbourTable::Key NeighbourTable::key(uint16_t port_id, const AddrPort &ip)
{
	std::array<uint8_t, 17> k;
	std::memcpy(k.data(), ip.ip.data(), 16);
	k[16] = ip.is_v4;
	return {port_id, k};
}

const NeighbourTable::Entry *NeighbourTable::find(uint16_t port_id, const AddrPort &ip) const
{
	auto it = entries_.find(key(port_id, ip));
	return it == entries_.end() ? nullptr : &it->second;
}

std::optional<uint32_t> NeighbourTable::slot_for(uint16_t port_id, const AddrPort &ip_port, int64_t now)
{
	AddrPort ip = ip_only(ip_port);
	auto it = entries_.find(key(port_id, ip));
	if (it != entries_.end()) {
		it->second.used_at = now;
		return it->second.slot;
	}
	if (free_slots_.empty()) {
		counters_.table_full++;
		return std::nullopt;
	}
	uint32_t slot = free_slots_.back();
	free_slots_.pop_back();
	slots_.clear(slot);
	Entry &e = entries_[key(port_id, ip)];
	e.slot = slot;
	e.port_id = port_id;
	e.ip = ip;
	e.used_at = now;
	by_slot_[slot] = &e;
	probe(e, now);
	return slot;
}

void NeighbourTable::retain(uint32_t slot)
{
	if (slot < by_slot_.size() && by_slot_[slot])
		by_slot_[slot]->refs++;
}

void NeighbourTable::release(uint32_t slot)
{
	if (slot < by_slot_.size() && by_slot_[slot] && by_slot_[slot]->refs)
		by_slot_[slot]->refs--;
}

void NeighbourTable::learn(uint16_t port_id, const AddrPort &ip, const rte_ether_addr &mac, int64_t now)
{
	auto it = entries_.find(key(port_id, ip_only(ip)));
	if (it == entries_.end())
		return;
	Entry &e = it->second;
	if (e.state != State::reachable)
		counters_.resolved++;
	e.mac = mac;
	e.state = State::reachable;
	e.confirmed_at = now;
	e.probes = 0;
	slots_.set(e.slot, mac.addr_bytes);
	while (!e.pending.empty()) {
		rte_mbuf *m = e.pending.front();
		e.pending.pop_front();
		io_.resolved(m);
	}
}

void NeighbourTable::hold(uint32_t slot, rte_mbuf *m)
{
	Entry *e = slot < by_slot_.size() ? by_slot_[slot] : nullptr;
	if (e && e->state == State::reachable) {
		// Resolved between the worker's look and ours.
		io_.resolved(m);
		return;
	}
	if (!e || e->pending.size() >= cfg_.queue_limit) {
		counters_.queue_drops++;
		rte_pktmbuf_free(m);
		return;
	}
	counters_.queued++;
	e->pending.push_back(m);
}

void NeighbourTable::probe(Entry &e, int64_t now)
{
	e.probe_at = now + cfg_.retry_ns;
	e.probes++;
	const Port *port = nullptr;
	for (const auto &p : ports_)
		if (p.port_id == e.port_id)
			port = &p;
	rte_mbuf *m = port ? io_.alloc() : nullptr;
	if (!m) {
		counters_.probe_no_mbuf++;
		return;
	}
	bool built = e.ip.is_v4 ? build_arp_request(m, *port, e.ip) : build_neighbour_solicitation(m, *port, e.ip);
	if (!built) {
		counters_.probe_no_mbuf++;
		rte_pktmbuf_free(m);
		return;
	}
	counters_.probes_sent++;
	io_.send(*port, m);
}

void NeighbourTable::drop_pending(Entry &e)
{
	counters_.queue_drops += e.pending.size();
	for (rte_mbuf *m : e.pending)
		rte_pktmbuf_free(m);
	e.pending.clear();
}

void NeighbourTable::fail(Entry &e)
{
	counters_.failed++;
	e.state = State::failed;
	slots_.clear(e.slot);
	drop_pending(e);
}

void NeighbourTable::tick(int64_t now)
{
	for (auto it = entries_.begin(); it != entries_.end();) {
		Entry &e = it->second;
		switch (e.state) {
		case State::incomplete:
			if (now >= e.probe_at) {
				if (e.probes >= cfg_.max_probes)
					fail(e);
				else
					probe(e, now);
			}
			break;
		case State::reachable:
			// Stale: keep forwarding with the old MAC while re-probing.
			if (now - e.confirmed_at > cfg_.reachable_ns && now >= e.probe_at) {
				if (e.probes >= cfg_.max_probes)
					fail(e);
				else
					probe(e, now);
			}
			break;
		case State::failed:
			// Someone still needs it: try again, slowly.
			if (e.refs && now >= e.probe_at + cfg_.retry_ns * cfg_.max_probes) {
				e.probes = 0;
				e.state = State::incomplete;
				probe(e, now);
			}
			break;
		}
		// Unused for a whole reachable time: forget it. Its slot was last
		// named by a RelayEntry long ago, far beyond any grace period.
		if (!e.refs && e.pending.empty() && now - e.used_at > cfg_.reachable_ns) {
			slots_.clear(e.slot);
			by_slot_[e.slot] = nullptr;
			free_slots_.push_back(e.slot);
			it = entries_.erase(it);
			continue;
		}
		++it;
	}
}

const char *to_string(NeighbourTable::State s)
{
	switch (s) {
	case NeighbourTable::State::incomplete: return "incomplete";
	case NeighbourTable::State::reachable: return "reachable";
	case NeighbourTable::State::failed: return "failed";
	}
	return "unknown";
}

} // namespace wayport
