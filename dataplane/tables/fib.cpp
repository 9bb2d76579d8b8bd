#include "dataplane/tables/fib.h"

#include <algorithm>
#include <map>
#include <new>
#include <tuple>
#include <utility>

namespace wayport {

namespace {

// Next hops are equal when they send the same way: one id each per build.
auto hop_key(const NextHop &h)
{
	return std::make_tuple(h.port, h.via_gateway, h.gateway.ip, h.gateway.is_v4);
}

Prefix connected(const AddrPort &addr, uint8_t len)
{
	return Prefix::of(addr, len).masked();
}

Prefix default_route(bool v4)
{
	const uint8_t zero[16] = {};
	return v4 ? Prefix::v4(zero, 0) : Prefix::v6(zero, 0);
}

NextHop on_link(uint16_t port)
{
	return NextHop{port, false, {}};
}

NextHop via(uint16_t port, const AddrPort &gateway)
{
	return NextHop{port, true, ip_only(gateway)};
}

FibResult from_prefix_result(PrefixResult r)
{
	switch (r) {
	case PrefixResult::ok: return FibResult::ok;
	case PrefixResult::bad_length:
	case PrefixResult::host_bits: return FibResult::bad_prefix;
	case PrefixResult::no_memory: return FibResult::no_memory;
	case PrefixResult::value_too_large:
	case PrefixResult::not_found:
	case PrefixResult::full: break;
	}
	return FibResult::table_full;
}

} // namespace

const char *to_string(FibResult r)
{
	switch (r) {
	case FibResult::ok: return "ok";
	case FibResult::unknown_port: return "unknown_port";
	case FibResult::wrong_family: return "wrong_family";
	case FibResult::bad_prefix: return "bad_prefix";
	case FibResult::next_hops_full: return "next_hops_full";
	case FibResult::table_full: return "table_full";
	case FibResult::no_memory: return "no_memory";
	}
	return "unknown";
}

Fib::Fib(Qsbr &qsbr, const FibConfig &config)
	: capacity_(std::min(config.next_hops, PrefixTable::kMaxValue + 1)),
	  hops_(std::make_unique<NextHop[]>(capacity_)), reclaimer_(qsbr), table_(qsbr, reclaimer_, config.prefixes)
{
	// Lowest ids first off the back.
	free_ids_.reserve(capacity_);
	for (uint32_t id = capacity_; id > 0; id--)
		free_ids_.push_back(id - 1);
}

FibResult Fib::check(const std::vector<Port> &ports, std::span<const FibRoute> routes) const
{
	for (const FibRoute &r : routes) {
		bool known = std::any_of(ports.begin(), ports.end(), [&](const Port &p) { return p.port_id == r.port; });
		if (!known)
			return FibResult::unknown_port;
		if (r.via && r.via->is_v4 != r.prefix.is_v4)
			return FibResult::wrong_family;
		if (r.prefix.len > r.prefix.max_len() || r.prefix.has_host_bits())
			return FibResult::bad_prefix;
	}
	return FibResult::ok;
}

FibResult Fib::build(const std::vector<Port> &ports, std::span<const FibRoute> routes)
{
	if (FibResult r = check(ports, routes); r != FibResult::ok)
		return r;

	// The entries in precedence order: assign() keeps the last of equal prefixes.
	std::vector<std::pair<Prefix, NextHop>> wanted;
	bool default4 = false, default6 = false;
	for (const Port &p : ports) {
		if (p.ipv4)
			wanted.emplace_back(connected(*p.ipv4, p.ipv4_prefix), on_link(p.port_id));
		if (p.ipv6)
			wanted.emplace_back(connected(*p.ipv6, p.ipv6_prefix), on_link(p.port_id));
	}
	for (const Port &p : ports) {
		if (p.gateway4 && !default4) {
			wanted.emplace_back(default_route(true), via(p.port_id, *p.gateway4));
			default4 = true;
		}
		if (p.gateway6 && !default6) {
			wanted.emplace_back(default_route(false), via(p.port_id, *p.gateway6));
			default6 = true;
		}
	}
	for (const FibRoute &r : routes)
		wanted.emplace_back(r.prefix, r.via ? via(r.port, *r.via) : on_link(r.port));

	// Fresh ids, their entries written before the table can name them.
	std::map<decltype(hop_key(NextHop{})), uint32_t> ids;
	std::vector<uint32_t> taken;
	std::vector<PrefixTable::Entry> entries;
	for (const auto &[prefix, hop] : wanted) {
		auto [it, fresh] = ids.try_emplace(hop_key(hop), 0);
		if (fresh) {
			if (free_ids_.empty()) {
				free_ids_.insert(free_ids_.end(), taken.rbegin(), taken.rend());
				return FibResult::next_hops_full;
			}
			it->second = free_ids_.back();
			free_ids_.pop_back();
			hops_[it->second] = hop;
			taken.push_back(it->second);
		}
		entries.push_back({prefix, it->second});
	}

	PrefixResult r = table_.assign(entries);
	if (r != PrefixResult::ok) {
		// A worker may have seen some of the new ids while assign() was
		// undoing its IPv4 adds: they wait out a grace period too.
		retire(std::move(taken));
		return from_prefix_result(r);
	}
	retire(std::exchange(live_ids_, std::move(taken)));
	return FibResult::ok;
}

void Fib::retire(std::vector<uint32_t> ids)
{
	if (ids.empty())
		return;
	reclaimer_.retire([this, ids = std::move(ids)] { free_ids_.insert(free_ids_.end(), ids.begin(), ids.end()); });
}

} // namespace wayport
