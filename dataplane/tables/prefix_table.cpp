// rte_lpm_rcu_qsbr_add is still experimental in DPDK 22.11.
#define ALLOW_EXPERIMENTAL_API 1

#include "dataplane/tables/prefix_table.h"

#include <rte_errno.h>
#include <rte_memory.h>

#include <cstdio>
#include <cstring>
#include <new>

namespace wayport {
namespace {

// DPDK objects are named and the names must be unique in the process; an
// IPv6 copy and its successor live side by side until the grace period.
std::atomic<uint32_t> next_name{0};

uint32_t host_order4(const std::array<uint8_t, 16> &ip)
{
	return uint32_t{ip[0]} << 24 | uint32_t{ip[1]} << 16 | uint32_t{ip[2]} << 8 | ip[3];
}

rte_lpm *create_lpm(Qsbr &qsbr, const PrefixTableConfig &config)
{
	char name[RTE_LPM_NAMESIZE];
	std::snprintf(name, sizeof name, "wpl%u", next_name.fetch_add(1));
	rte_lpm_config lc{};
	lc.max_rules = config.max_rules4;
	lc.number_tbl8s = config.tbl8_groups4;
	rte_lpm *lpm = rte_lpm_create(name, SOCKET_ID_ANY, &lc);
	if (!lpm)
		throw std::bad_alloc();
	// Defer-queue mode: a freed tbl8 group waits for a grace period and is
	// reclaimed by a later add that needs one, so the writer never blocks.
	rte_lpm_rcu_config rc{};
	rc.v = qsbr.raw();
	rc.mode = RTE_LPM_QSBR_MODE_DQ;
	if (rte_lpm_rcu_qsbr_add(lpm, &rc) != 0) {
		rte_lpm_free(lpm);
		throw std::bad_alloc();
	}
	return lpm;
}

PrefixResult from_errno(int rc)
{
	return rc == -ENOMEM ? PrefixResult::no_memory : PrefixResult::full;
}

} // namespace

Prefix Prefix::v4(const uint8_t ip4[4], uint8_t len)
{
	Prefix p;
	std::memcpy(p.ip.data(), ip4, 4);
	p.len = len;
	p.is_v4 = true;
	return p;
}

Prefix Prefix::v6(const uint8_t ip6[16], uint8_t len)
{
	Prefix p;
	std::memcpy(p.ip.data(), ip6, 16);
	p.len = len;
	return p;
}

Prefix Prefix::masked() const
{
	Prefix p = *this;
	for (unsigned i = 0; i < 16; i++) {
		unsigned kept = len > 8 * i ? len - 8 * i : 0;
		if (kept < 8)
			p.ip[i] &= static_cast<uint8_t>(0xff00u >> kept);
	}
	return p;
}

const char *prefix_result_name(PrefixResult r)
{
	switch (r) {
	case PrefixResult::ok: return "ok";
	case PrefixResult::bad_length: return "bad_length";
	case PrefixResult::host_bits: return "host_bits";
	case PrefixResult::value_too_large: return "value_too_large";
	case PrefixResult::not_found: return "not_found";
	case PrefixResult::full: return "full";
	case PrefixResult::no_memory: return "no_memory";
	}
	return "unknown";
}

PrefixTable::PrefixTable(Qsbr &qsbr, Reclaimer &reclaimer, const PrefixTableConfig &config)
	: reclaimer_(reclaimer), config_(config), lpm_(create_lpm(qsbr, config))
{
}

PrefixTable::~PrefixTable()
{
	rte_lpm_free(lpm_);
	rte_fib6_free(fib6_.load(std::memory_order_relaxed));
}

PrefixResult PrefixTable::check(const Prefix &prefix, uint32_t value) const
{
	if (prefix.len > prefix.max_len())
		return PrefixResult::bad_length;
	if (prefix.has_host_bits())
		return PrefixResult::host_bits;
	if (value > kMaxValue)
		return PrefixResult::value_too_large;
	return PrefixResult::ok;
}

PrefixResult PrefixTable::add(const Prefix &prefix, uint32_t value)
{
	if (auto r = check(prefix, value); r != PrefixResult::ok)
		return r;
	auto it = rules_.find(prefix);
	uint32_t old = it == rules_.end() ? kNoMatch : it->second;
	if (old == value)
		return PrefixResult::ok;
	return commit({{prefix, value, old}}, {});
}

PrefixResult PrefixTable::remove(const Prefix &prefix)
{
	if (auto r = check(prefix, 0); r != PrefixResult::ok)
		return r;
	auto it = rules_.find(prefix);
	if (it == rules_.end())
		return PrefixResult::not_found;
	return commit({}, {{prefix, 0, it->second}});
}

PrefixResult PrefixTable::remove_value(uint32_t value)
{
	std::vector<Change> deletes;
	for (const auto &[prefix, v] : rules_)
		if (v == value)
			deletes.push_back({prefix, 0, v});
	return commit({}, std::move(deletes));
}

PrefixResult PrefixTable::replace_value(uint32_t value, std::span<const Prefix> prefixes)
{
	std::map<Prefix, uint32_t> target;
	for (const auto &p : prefixes) {
		if (auto r = check(p, value); r != PrefixResult::ok)
			return r;
		target[p] = value;
	}
	std::vector<Change> upserts, deletes;
	for (const auto &[prefix, v] : target) {
		auto it = rules_.find(prefix);
		if (it == rules_.end() || it->second != value)
			upserts.push_back({prefix, value, it == rules_.end() ? kNoMatch : it->second});
	}
	for (const auto &[prefix, v] : rules_)
		if (v == value && !target.contains(prefix))
			deletes.push_back({prefix, 0, v});
	return commit(std::move(upserts), std::move(deletes));
}

PrefixResult PrefixTable::assign(std::span<const Entry> entries)
{
	std::map<Prefix, uint32_t> target;
	for (const auto &e : entries) {
		if (auto r = check(e.prefix, e.value); r != PrefixResult::ok)
			return r;
		target[e.prefix] = e.value;
	}
	std::vector<Change> upserts, deletes;
	for (const auto &[prefix, value] : target) {
		auto it = rules_.find(prefix);
		if (it == rules_.end() || it->second != value)
			upserts.push_back({prefix, value, it == rules_.end() ? kNoMatch : it->second});
	}
	for (const auto &[prefix, value] : rules_)
		if (!target.contains(prefix))
			deletes.push_back({prefix, 0, value});
	return commit(std::move(upserts), std::move(deletes));
}

void PrefixTable::clear()
{
	assign({});
}

// rte_lpm takes depths 1..32 only, so the IPv4 default route is a word
// of its own that lookups fall back to.
int PrefixTable::add4(const Prefix &p, uint32_t value)
{
	if (p.len == 0) {
		default4_.store(value, std::memory_order_relaxed);
		return 0;
	}
	return rte_lpm_add(lpm_, host_order4(p.ip), p.len, value);
}

void PrefixTable::delete4(const Prefix &p)
{
	if (p.len == 0)
		default4_.store(kNoMatch, std::memory_order_relaxed);
	else
		rte_lpm_delete(lpm_, host_order4(p.ip), p.len);
}

PrefixResult PrefixTable::upsert4(const std::vector<Change> &upserts, size_t &done)
{
	for (done = 0; done < upserts.size(); done++) {
		const Change &c = upserts[done];
		if (!c.prefix.is_v4)
			continue;
		if (int rc = add4(c.prefix, c.value); rc < 0)
			return from_errno(rc);
	}
	return PrefixResult::ok;
}

void PrefixTable::undo4(const std::vector<Change> &upserts, size_t done)
{
	for (size_t i = done; i-- > 0;) {
		const Change &c = upserts[i];
		if (!c.prefix.is_v4)
			continue;
		if (c.old == kNoMatch)
			delete4(c.prefix);
		else
			add4(c.prefix, c.old);
	}
}

PrefixResult PrefixTable::commit(std::vector<Change> upserts, std::vector<Change> deletes)
{
	size_t added6 = 0, deleted6 = 0;
	for (const auto &c : upserts)
		added6 += !c.prefix.is_v4 && c.old == kNoMatch;
	for (const auto &c : deletes)
		deleted6 += !c.prefix.is_v4;
	if (count6_ + added6 - deleted6 > config_.max_rules6)
		return PrefixResult::full;

	size_t done = 0;
	if (auto r = upsert4(upserts, done); r != PrefixResult::ok) {
		undo4(upserts, done);
		return r;
	}
	for (const auto &c : upserts)
		rules_[c.prefix] = c.value;
	for (const auto &c : deletes)
		rules_.erase(c.prefix);
	count6_ = count6_ + added6 - deleted6;

	if (added6 || deleted6 || std::any_of(upserts.begin(), upserts.end(),
						 [](const Change &c) { return !c.prefix.is_v4; })) {
		if (auto r = rebuild6(); r != PrefixResult::ok) {
			for (const auto &c : upserts)
				if (c.old == kNoMatch)
					rules_.erase(c.prefix);
				else
					rules_[c.prefix] = c.old;
			for (const auto &c : deletes)
				rules_[c.prefix] = c.old;
			count6_ = count6_ + deleted6 - added6;
			undo4(upserts, upserts.size());
			return r;
		}
	}
	for (const auto &c : deletes)
		if (c.prefix.is_v4)
			delete4(c.prefix);
	return PrefixResult::ok;
}

// One rebuild, measured by perf/prefix_bench's BM_Rebuild6 (release,
// --no-huge, 2.1 GHz): 19.9 ms with 1,000 IPv6 prefixes, 41.3 ms with
// 10,000. Most of it is allocating and filling the 64 MiB tbl24, the rest
// about 2 us a route; so a change is one rebuild however many prefixes it
// touches (replace_value, assign), never one per prefix.
PrefixResult PrefixTable::rebuild6()
{
	// Free the copies whose grace period is over before allocating another.
	reclaimer_.poll();
	rte_fib6 *fresh = nullptr;
	if (count6_ > 0) {
		char name[RTE_LPM_NAMESIZE];
		std::snprintf(name, sizeof name, "wpf%u", next_name.fetch_add(1));
		rte_fib6_conf conf{};
		conf.type = RTE_FIB6_TRIE;
		conf.default_nh = kMiss6;
		// Sized for the prefixes it will hold, the config's figures being
		// ceilings: a prefix takes at most 13 tbl8 groups (one per 8 bits
		// past /24) and its RIB at most two nodes (its own and a branch).
		// A ceiling-sized copy would cost 13 KiB per possible /128 however
		// few are installed.
		const uint32_t n = static_cast<uint32_t>(count6_);
		conf.max_routes = static_cast<int>(std::min<uint64_t>(2ull * n + 64, 2ull * config_.max_rules6 + 64));
		conf.trie.nh_sz = RTE_FIB6_TRIE_4B;
		conf.trie.num_tbl8 = std::min<uint32_t>(config_.tbl8_groups6, std::max<uint32_t>(64, 13 * n));
		fresh = rte_fib6_create(name, SOCKET_ID_ANY, &conf);
		if (!fresh)
			return PrefixResult::no_memory;
		// The map holds IPv6 before IPv4 (is_v4 false sorts first).
		for (auto it = rules_.begin(); it != rules_.end() && !it->first.is_v4; ++it) {
			int rc = rte_fib6_add(fresh, it->first.ip.data(), it->first.len, it->second);
			if (rc < 0) {
				rte_fib6_free(fresh);
				return from_errno(rc);
			}
		}
	}
	retire6(fib6_.exchange(fresh, std::memory_order_acq_rel));
	return PrefixResult::ok;
}

void PrefixTable::retire6(rte_fib6 *old)
{
	if (old)
		reclaimer_.retire([old] { rte_fib6_free(old); });
}

} // namespace wayport
