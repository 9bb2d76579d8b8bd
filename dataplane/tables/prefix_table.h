// Longest-prefix match over IPv4 and IPv6 inner addresses: prefix -> a
// 24-bit value the caller gives meaning (a peer slot for WireGuard's
// allowed IPs, a next-hop index for the FIB).
//
// Thread contract: written only by the control thread (one writer); workers
// read it without locks between two QSBR quiescent states of the Qsbr the
// table was made with, and hold no result pointer across one. The Qsbr and
// the Reclaimer must outlive the table, and the table is destroyed only
// once the workers no longer read it.
//
// IPv4 is one rte_lpm updated in place: its tbl24/tbl8 entries are single
// 32-bit stores ordered for concurrent readers, and a tbl8 group freed by
// a delete goes through the LPM's QSBR defer queue (rte_lpm_rcu_qsbr_add)
// before it can be reused, so a reader never follows a group that now
// holds another prefix's entries.
//
// IPv6 is published by copy. DPDK 22.11's rte_lpm6 and rte_fib6 have no
// QSBR hook (neither header mentions one) and free tbl8 groups at once on
// delete, so a concurrent reader could walk a recycled group. Every change
// that touches IPv6 builds a new rte_fib6 (trie) from the control-side
// list, publishes its pointer with a release store, and retires the old one
// through the Reclaimer. With no IPv6 prefix nothing is allocated.
//
// Memory (DPDK 22.11, x86-64; measured from the DPDK heap by
// perf/prefix_bench): rte_lpm's tbl24 is 2^24 entries x 4 B = 64 MiB, plus
// 8 B per rule and 1 KiB per tbl8 group (one per /25../32 block in use),
// all allocated up front: 68.6 MiB with the default config. The fib6 trie
// with 4-byte next hops is another 2^24 x 4 B tbl24, 1 KiB per tbl8 group
// (a prefix longer than /24 needs up to one group per 8 bits past 24, so
// /128 hosts in unrelated /24s need 13 each) and its RIB's nodes, also
// preallocated, but for the prefixes the copy holds (13 groups and two
// nodes each, under the config's figures as ceilings): 64 MiB + about
// 14 KiB per IPv6 prefix, and a rebuild holds two copies until the old
// one's grace period ends. (Sized to the config's ceilings, the default
// config's copy was 106.4 MiB with one prefix in it.)
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include <rte_fib6.h>
#include <rte_lpm.h>

#include "dataplane/tables/rcu.h"
#include "dataplane/wire/addr.h"

namespace wayport {

struct Prefix {
	// First, so prefixes order IPv6 before IPv4 (the rebuild walks them).
	bool is_v4 = false;
	// IPv4 in ip[0..3] (network order), the rest zero.
	std::array<uint8_t, 16> ip{};
	uint8_t len = 0;

	static Prefix v4(const uint8_t ip4[4], uint8_t len);
	static Prefix v6(const uint8_t ip6[16], uint8_t len);
	// addr's family and bytes (its port ignored).
	static Prefix of(const AddrPort &addr, uint8_t len)
	{
		return addr.is_v4 ? v4(addr.ip4(), len) : v6(addr.ip.data(), len);
	}

	uint8_t max_len() const { return is_v4 ? 32 : 128; }
	// The same prefix with its host bits cleared, for callers that accept
	// "10.0.0.1/24" as wg does; the table itself refuses host bits.
	Prefix masked() const;
	bool has_host_bits() const { return masked().ip != ip; }

	auto operator<=>(const Prefix &) const = default;
};

enum class PrefixResult : uint8_t {
	ok,
	bad_length,      // longer than /32 or /128
	host_bits,       // bits set past the prefix length
	value_too_large, // above PrefixTable::kMaxValue
	not_found,       // remove of a prefix that is not installed
	full,            // max rules or tbl8 groups exhausted
	no_memory,       // an IPv6 rebuild could not allocate its table
};
const char *prefix_result_name(PrefixResult r);

struct PrefixTableConfig {
	uint32_t max_rules4 = 65536;
	uint32_t tbl8_groups4 = 4096;   // 1 KiB each
	uint32_t max_rules6 = 65536;    // a ceiling; RIB nodes, about 400 B each, per copy
	uint32_t tbl8_groups6 = 16384;  // a ceiling; 1 KiB each, per copy
};

class PrefixTable {
public:
	// rte_lpm keeps 24 bits of next hop beside its flags; the IPv6 trie
	// could hold more, but one range for both families keeps callers honest.
	static constexpr uint32_t kMaxValue = (1u << 24) - 1;
	static constexpr uint32_t kNoMatch = UINT32_MAX;

	struct Entry {
		Prefix prefix;
		uint32_t value = 0;
		bool operator==(const Entry &) const = default;
	};

	// Throws std::bad_alloc when DPDK cannot allocate the IPv4 table.
	PrefixTable(Qsbr &qsbr, Reclaimer &reclaimer, const PrefixTableConfig &config = {});
	~PrefixTable();
	PrefixTable(const PrefixTable &) = delete;
	PrefixTable &operator=(const PrefixTable &) = delete;

	// Control thread. Each call is all or nothing and costs at most one
	// IPv6 rebuild. add replaces the value of an installed prefix.
	PrefixResult add(const Prefix &prefix, uint32_t value);
	PrefixResult remove(const Prefix &prefix);
	// Every prefix of one value (a peer removed). Deletes only, so the one
	// refusal is no_memory (the IPv6 copy), and then none is removed.
	PrefixResult remove_value(uint32_t value);
	// The prefixes of one value become exactly these (wg's allowed-ips);
	// a prefix held by another value moves to this one.
	PrefixResult replace_value(uint32_t value, std::span<const Prefix> prefixes);
	// The whole table becomes these entries (a later duplicate prefix wins).
	// IPv4 adds go in before the old rules are deleted, so max_rules4 must
	// hold both sets' union for the moment of the change.
	PrefixResult assign(std::span<const Entry> entries);
	void clear();

	// What is installed, in prefix order: IPv6 then IPv4, by address, then length.
	const std::map<Prefix, uint32_t> &entries() const { return rules_; }
	size_t size() const { return rules_.size(); }
	size_t size6() const { return count6_; }

	// Workers: no locks, no allocation, no system calls.
	uint32_t lookup4(const uint8_t ip[4]) const;
	uint32_t lookup6(const uint8_t ip[16]) const;
	void lookup4_bulk(const uint32_t *ips_host_order, uint32_t *out, unsigned n) const;
	void lookup6_bulk(const uint8_t (*ips)[16], uint32_t *out, unsigned n) const;

private:
	struct Change {
		Prefix prefix;
		uint32_t value;     // the new value; unused for a delete
		uint32_t old;       // kNoMatch when the prefix was not installed
	};
	PrefixResult check(const Prefix &prefix, uint32_t value) const;
	// Applies upserts and deletes as one step: IPv4 upserts, then the IPv6
	// rebuild, then IPv4 deletes, undoing the upserts if a later step fails
	// (undoing an upsert needs no new tbl8 group, so it cannot fail).
	PrefixResult commit(std::vector<Change> upserts, std::vector<Change> deletes);
	int add4(const Prefix &p, uint32_t value);
	void delete4(const Prefix &p);
	PrefixResult upsert4(const std::vector<Change> &upserts, size_t &done);
	void undo4(const std::vector<Change> &upserts, size_t done);
	PrefixResult rebuild6();
	void retire6(rte_fib6 *old);

	static constexpr uint64_t kMiss6 = uint64_t{kMaxValue} + 1;
	static constexpr unsigned kChunk6 = 64;

	Reclaimer &reclaimer_;
	PrefixTableConfig config_;
	rte_lpm *lpm_ = nullptr;
	std::atomic<uint32_t> default4_{kNoMatch};  // 0.0.0.0/0
	std::atomic<rte_fib6 *> fib6_{nullptr};
	std::map<Prefix, uint32_t> rules_;
	size_t count6_ = 0;
};

inline uint32_t PrefixTable::lookup4(const uint8_t ip[4]) const
{
	uint32_t addr = uint32_t{ip[0]} << 24 | uint32_t{ip[1]} << 16 | uint32_t{ip[2]} << 8 | ip[3];
	uint32_t hop;
	return rte_lpm_lookup(lpm_, addr, &hop) == 0 ? hop : default4_.load(std::memory_order_relaxed);
}

inline void PrefixTable::lookup4_bulk(const uint32_t *ips_host_order, uint32_t *out, unsigned n) const
{
	rte_lpm_lookup_bulk(lpm_, ips_host_order, out, n);
	uint32_t miss = default4_.load(std::memory_order_relaxed);
	for (unsigned i = 0; i < n; i++)
		out[i] = (out[i] & RTE_LPM_LOOKUP_SUCCESS) ? out[i] & kMaxValue : miss;
}

inline void PrefixTable::lookup6_bulk(const uint8_t (*ips)[16], uint32_t *out, unsigned n) const
{
	rte_fib6 *fib = fib6_.load(std::memory_order_acquire);
	if (!fib) {
		std::fill(out, out + n, kNoMatch);
		return;
	}
	uint64_t hops[kChunk6];
	for (unsigned base = 0; base < n; base += kChunk6) {
		unsigned m = std::min(kChunk6, n - base);
		// rte_fib6_lookup_bulk's ips parameter is not const but only read.
		rte_fib6_lookup_bulk(fib, const_cast<uint8_t (*)[16]>(ips + base), hops, static_cast<int>(m));
		for (unsigned i = 0; i < m; i++)
			out[base + i] = hops[i] == kMiss6 ? kNoMatch : static_cast<uint32_t>(hops[i]);
	}
}

inline uint32_t PrefixTable::lookup6(const uint8_t ip[16]) const
{
	uint32_t out;
	lookup6_bulk(reinterpret_cast<const uint8_t (*)[16]>(ip), &out, 1);
	return out;
}

} // namespace wayport
