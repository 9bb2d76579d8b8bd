// PrefixTable: fixed cases, a randomized comparison with a linear-scan
// reference, and a reader hammering stable answers while the control side
// rewrites the prefixes around them.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/tables/prefix_table.h"

namespace wayport {
namespace {

constexpr uint32_t kNone = PrefixTable::kNoMatch;

struct Addr {
	bool is_v4 = false;
	std::array<uint8_t, 16> ip{};
};

Addr addr(const std::string &text)
{
	Addr a;
	a.is_v4 = text.find(':') == std::string::npos;
	EXPECT_EQ(inet_pton(a.is_v4 ? AF_INET : AF_INET6, text.c_str(), a.ip.data()), 1) << text;
	return a;
}

Prefix pfx(const std::string &text)
{
	auto slash = text.find('/');
	Addr a = addr(text.substr(0, slash));
	auto len = static_cast<uint8_t>(std::stoi(text.substr(slash + 1)));
	return a.is_v4 ? Prefix::v4(a.ip.data(), len) : Prefix::v6(a.ip.data(), len);
}

uint32_t host_order(const Addr &a)
{
	return uint32_t{a.ip[0]} << 24 | uint32_t{a.ip[1]} << 16 | uint32_t{a.ip[2]} << 8 | a.ip[3];
}

uint32_t lookup(const PrefixTable &t, const Addr &a)
{
	return a.is_v4 ? t.lookup4(a.ip.data()) : t.lookup6(a.ip.data());
}

bool contains(const Prefix &p, const Addr &a)
{
	if (p.is_v4 != a.is_v4)
		return false;
	Prefix q = p;
	q.ip = a.ip;
	return q.masked().ip == p.ip;
}

// The trivially correct answer: scan everything for the longest match.
uint32_t reference(const PrefixTable &t, const Addr &a)
{
	int best = -1;
	uint32_t value = kNone;
	for (const auto &[p, v] : t.entries())
		if (contains(p, a) && p.len > best) {
			best = p.len;
			value = v;
		}
	return value;
}

PrefixTableConfig small_config()
{
	PrefixTableConfig c;
	c.max_rules4 = 8192;
	c.tbl8_groups4 = 2048;
	c.max_rules6 = 8192;
	c.tbl8_groups6 = 4096;
	return c;
}

struct Tables {
	Qsbr qsbr{2};
	Reclaimer reclaimer{qsbr};
	PrefixTable table;

	explicit Tables(const PrefixTableConfig &c = small_config()) : table(qsbr, reclaimer, c) {}
	// No worker is registered, so every grace period is already over.
	void settle() { reclaimer.poll(); }
};

struct Case {
	const char *name;
	std::vector<std::pair<const char *, uint32_t>> install;
	std::vector<const char *> remove;
	std::vector<std::pair<const char *, uint32_t>> expect;
};

const std::vector<Case> kCases = {
	{"v4 default", {{"0.0.0.0/0", 1}}, {},
	 {{"1.2.3.4", 1}, {"255.255.255.255", 1}, {"0.0.0.0", 1}, {"::1", kNone}}},
	{"v6 default", {{"::/0", 2}}, {},
	 {{"2001:db8::1", 2}, {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 2}, {"1.2.3.4", kNone}}},
	{"hosts", {{"10.0.0.1/32", 3}, {"2001:db8::1/128", 4}}, {},
	 {{"10.0.0.1", 3}, {"10.0.0.2", kNone}, {"10.0.0.0", kNone}, {"2001:db8::1", 4},
	  {"2001:db8::2", kNone}, {"2001:db8::", kNone}}},
	{"v4 nested, longest wins",
	 {{"10.0.0.0/8", 1}, {"10.1.0.0/16", 2}, {"10.1.2.0/24", 3}, {"10.1.2.128/25", 4}, {"10.1.2.129/32", 5}}, {},
	 {{"10.9.9.9", 1}, {"10.1.9.9", 2}, {"10.1.2.1", 3}, {"10.1.2.130", 4}, {"10.1.2.129", 5}, {"11.0.0.0", kNone}}},
	{"v6 nested, longest wins",
	 {{"2001:db8::/32", 1}, {"2001:db8:1::/48", 2}, {"2001:db8:1:2::/64", 3}, {"2001:db8:1:2::1/128", 4}}, {},
	 {{"2001:db8:9::1", 1}, {"2001:db8:1:9::1", 2}, {"2001:db8:1:2::2", 3}, {"2001:db8:1:2::1", 4},
	  {"2001:db9::", kNone}}},
	{"removing the longer falls back to the shorter",
	 {{"10.0.0.0/8", 1}, {"10.1.0.0/16", 2}, {"10.1.2.128/25", 4}, {"2001:db8::/32", 5}, {"2001:db8:1::/48", 6},
	  {"2001:db8:1::1/128", 7}},
	 {"10.1.2.128/25", "10.1.0.0/16", "2001:db8:1::1/128"},
	 {{"10.1.2.129", 1}, {"10.1.0.1", 1}, {"2001:db8:1::1", 6}, {"2001:db8:2::1", 5}}},
	{"v4-mapped IPv6 does not reach IPv4 entries", {{"1.2.3.0/24", 7}}, {},
	 {{"1.2.3.4", 7}, {"::ffff:1.2.3.4", kNone}, {"::1.2.3.4", kNone}}},
	{"an IPv6 ::ffff:0:0/96 does not answer IPv4", {{"::ffff:0:0/96", 8}}, {},
	 {{"::ffff:1.2.3.4", 8}, {"1.2.3.4", kNone}}},
	{"value 0 and the largest value", {{"192.0.2.0/24", 0}, {"2001:db8::/32", PrefixTable::kMaxValue}}, {},
	 {{"192.0.2.1", 0}, {"2001:db8::1", PrefixTable::kMaxValue}}},
};

TEST(PrefixTable, Cases)
{
	for (const auto &c : kCases) {
		SCOPED_TRACE(c.name);
		Tables t;
		for (const auto &[p, v] : c.install)
			ASSERT_EQ(t.table.add(pfx(p), v), PrefixResult::ok) << p;
		for (const char *p : c.remove)
			ASSERT_EQ(t.table.remove(pfx(p)), PrefixResult::ok) << p;
		t.settle();
		for (const auto &[a, v] : c.expect)
			EXPECT_EQ(lookup(t.table, addr(a)), v) << a;
		EXPECT_EQ(t.table.size(), c.install.size() - c.remove.size());
	}
}

TEST(PrefixTable, ErrorsAreValuesAndChangeNothing)
{
	Tables t;
	ASSERT_EQ(t.table.add(pfx("10.0.0.0/8"), 1), PrefixResult::ok);
	EXPECT_EQ(t.table.remove(pfx("10.0.0.0/16")), PrefixResult::not_found);
	EXPECT_EQ(t.table.remove(pfx("2001:db8::/32")), PrefixResult::not_found);
	EXPECT_EQ(t.table.add(pfx("10.1.0.0/16"), PrefixTable::kMaxValue + 1), PrefixResult::value_too_large);
	EXPECT_EQ(t.table.add(pfx("2001:db8::/32"), 1u << 31), PrefixResult::value_too_large);
	EXPECT_EQ(t.table.add(pfx("10.0.0.0/33"), 1), PrefixResult::bad_length);
	EXPECT_EQ(t.table.add(pfx("2001:db8::/129"), 1), PrefixResult::bad_length);
	EXPECT_EQ(t.table.remove(pfx("2001:db8::/200")), PrefixResult::bad_length);
	// Host bits are refused, not masked: "10.1.2.3/16" is a typo as often
	// as it is shorthand, so the caller decides and masks explicitly.
	EXPECT_EQ(t.table.add(pfx("10.1.2.3/16"), 2), PrefixResult::host_bits);
	EXPECT_EQ(t.table.add(pfx("2001:db8::1/64"), 2), PrefixResult::host_bits);
	EXPECT_EQ(pfx("10.1.2.3/16").masked(), pfx("10.1.0.0/16"));
	EXPECT_EQ(pfx("2001:db8:ffff::1/35").masked(), pfx("2001:db8:e000::/35"));
	EXPECT_EQ(t.table.add(pfx("10.1.2.3/16").masked(), 2), PrefixResult::ok);
	EXPECT_EQ(lookup(t.table, addr("10.1.2.3")), 2u);
	EXPECT_EQ(t.table.size(), 2u);
}

TEST(PrefixTable, AddOverwritesAndEntriesEnumerate)
{
	Tables t;
	ASSERT_EQ(t.table.add(pfx("10.0.0.0/8"), 1), PrefixResult::ok);
	ASSERT_EQ(t.table.add(pfx("2001:db8::/32"), 2), PrefixResult::ok);
	ASSERT_EQ(t.table.add(pfx("10.0.0.0/8"), 3), PrefixResult::ok);
	ASSERT_EQ(t.table.add(pfx("2001:db8::/32"), 4), PrefixResult::ok);
	EXPECT_EQ(lookup(t.table, addr("10.2.3.4")), 3u);
	EXPECT_EQ(lookup(t.table, addr("2001:db8::9")), 4u);
	std::vector<std::pair<Prefix, uint32_t>> got(t.table.entries().begin(), t.table.entries().end());
	std::vector<std::pair<Prefix, uint32_t>> want = {{pfx("2001:db8::/32"), 4}, {pfx("10.0.0.0/8"), 3}};
	EXPECT_EQ(got, want);
	EXPECT_EQ(t.table.size6(), 1u);
}

TEST(PrefixTable, FullTablesRefuseAndKeepTheirState)
{
	PrefixTableConfig c = small_config();
	c.max_rules4 = 3;
	c.tbl8_groups4 = 1;
	c.max_rules6 = 2;
	Tables t(c);
	ASSERT_EQ(t.table.add(pfx("10.0.0.1/32"), 1), PrefixResult::ok);
	// A second /25../32 block needs a second tbl8 group.
	EXPECT_EQ(t.table.add(pfx("10.0.1.1/32"), 2), PrefixResult::full);
	ASSERT_EQ(t.table.add(pfx("10.0.0.2/32"), 2), PrefixResult::ok);
	ASSERT_EQ(t.table.add(pfx("11.0.0.0/8"), 3), PrefixResult::ok);
	EXPECT_EQ(t.table.add(pfx("12.0.0.0/8"), 4), PrefixResult::full);
	EXPECT_EQ(t.table.size(), 3u);
	EXPECT_EQ(lookup(t.table, addr("10.0.1.1")), kNone);
	EXPECT_EQ(lookup(t.table, addr("12.0.0.1")), kNone);

	ASSERT_EQ(t.table.add(pfx("2001:db8::/32"), 5), PrefixResult::ok);
	ASSERT_EQ(t.table.add(pfx("2001:db9::/32"), 6), PrefixResult::ok);
	EXPECT_EQ(t.table.add(pfx("2001:dba::/32"), 7), PrefixResult::full);
	EXPECT_EQ(lookup(t.table, addr("2001:dba::1")), kNone);
	// A freed tbl8 group is reused once its grace period is over.
	ASSERT_EQ(t.table.remove(pfx("10.0.0.1/32")), PrefixResult::ok);
	ASSERT_EQ(t.table.remove(pfx("10.0.0.2/32")), PrefixResult::ok);
	EXPECT_EQ(t.table.add(pfx("10.0.1.1/32"), 2), PrefixResult::ok);
	EXPECT_EQ(lookup(t.table, addr("10.0.1.1")), 2u);
}

TEST(PrefixTable, FailedIpv6RebuildUndoesTheIpv4Half)
{
	PrefixTableConfig c = small_config();
	c.tbl8_groups6 = 4;  // a /128 in a new /24 needs 13 groups
	Tables t(c);
	ASSERT_EQ(t.table.add(pfx("10.0.0.0/8"), 1), PrefixResult::ok);
	auto before = t.table.entries();
	std::vector<PrefixTable::Entry> next = {
		{pfx("10.0.0.0/8"), 9}, {pfx("10.1.1.1/32"), 2}, {pfx("2001:db8::1/128"), 3}};
	EXPECT_EQ(t.table.assign(next), PrefixResult::full);
	EXPECT_EQ(t.table.entries(), before);
	EXPECT_EQ(lookup(t.table, addr("10.1.1.1")), 1u);
	EXPECT_EQ(lookup(t.table, addr("2001:db8::1")), kNone);
}

TEST(PrefixTable, ReplaceAndRemoveByValue)
{
	Tables t;
	ASSERT_EQ(t.table.add(pfx("10.0.0.0/24"), 1), PrefixResult::ok);
	ASSERT_EQ(t.table.add(pfx("10.0.1.0/24"), 1), PrefixResult::ok);
	ASSERT_EQ(t.table.add(pfx("fd00::/64"), 1), PrefixResult::ok);
	ASSERT_EQ(t.table.add(pfx("10.0.2.0/24"), 2), PrefixResult::ok);
	// Peer 1's allowed IPs become exactly these; 10.0.2.0/24 moves to it.
	std::vector<Prefix> mine = {pfx("10.0.1.0/24"), pfx("10.0.2.0/24"), pfx("fd01::/64")};
	ASSERT_EQ(t.table.replace_value(1, mine), PrefixResult::ok);
	EXPECT_EQ(lookup(t.table, addr("10.0.0.1")), kNone);
	EXPECT_EQ(lookup(t.table, addr("10.0.1.1")), 1u);
	EXPECT_EQ(lookup(t.table, addr("10.0.2.1")), 1u);
	EXPECT_EQ(lookup(t.table, addr("fd00::1")), kNone);
	EXPECT_EQ(lookup(t.table, addr("fd01::1")), 1u);
	ASSERT_EQ(t.table.add(pfx("10.0.3.0/24"), 2), PrefixResult::ok);
	EXPECT_EQ(t.table.remove_value(1), PrefixResult::ok);
	EXPECT_EQ(t.table.size(), 1u);
	EXPECT_EQ(lookup(t.table, addr("fd01::1")), kNone);
	EXPECT_EQ(lookup(t.table, addr("10.0.3.1")), 2u);
	t.table.clear();
	EXPECT_EQ(t.table.size(), 0u);
	EXPECT_EQ(lookup(t.table, addr("10.0.3.1")), kNone);
}

// Random prefixes drawn near each other, so they nest and share tbl8 groups.
struct Random {
	std::mt19937_64 rng{12};

	Addr address(bool v4)
	{
		Addr a;
		a.is_v4 = v4;
		uint64_t hi = rng(), lo = rng();
		std::memcpy(a.ip.data(), &hi, 8);
		std::memcpy(a.ip.data() + 8, &lo, 8);
		if (v4) {
			a.ip[0] = static_cast<uint8_t>(10 + rng() % 2);
			std::fill(a.ip.begin() + 4, a.ip.end(), 0);
		} else {
			a.ip[0] = 0x20;
			a.ip[1] = 0x01;
			a.ip[2] = 0x0d;
			a.ip[3] = static_cast<uint8_t>(0xb8 + rng() % 2);
		}
		return a;
	}
	Prefix prefix(bool v4)
	{
		Addr a = address(v4);
		auto len = static_cast<uint8_t>(rng() % (v4 ? 33 : 129));
		Prefix p = v4 ? Prefix::v4(a.ip.data(), len) : Prefix::v6(a.ip.data(), len);
		return p.masked();
	}
	// Half inside an installed prefix, half anywhere near them.
	Addr probe(const std::vector<Prefix> &installed, bool v4)
	{
		Addr a = address(v4);
		if (installed.empty() || rng() % 2)
			return a;
		const Prefix &p = installed[rng() % installed.size()];
		for (unsigned i = 0; i < 16; i++) {
			unsigned kept = p.len > 8 * i ? p.len - 8 * i : 0;
			uint8_t keep = kept >= 8 ? 0xff : static_cast<uint8_t>(0xff00u >> kept);
			a.ip[i] = static_cast<uint8_t>((p.ip[i] & keep) | (a.ip[i] & ~keep));
		}
		if (v4)
			std::fill(a.ip.begin() + 4, a.ip.end(), 0);
		return a;
	}
};

void compare_with_reference(const PrefixTable &t, Random &r, bool v4, unsigned probes)
{
	std::vector<Prefix> installed;
	for (const auto &[p, v] : t.entries())
		if (p.is_v4 == v4)
			installed.push_back(p);
	std::vector<Addr> addrs;
	for (unsigned i = 0; i < probes; i++)
		addrs.push_back(r.probe(installed, v4));
	std::vector<uint32_t> bulk(probes);
	if (v4) {
		std::vector<uint32_t> ips;
		for (const auto &a : addrs)
			ips.push_back(host_order(a));
		t.lookup4_bulk(ips.data(), bulk.data(), probes);
	} else {
		std::vector<std::array<uint8_t, 16>> ips;
		for (const auto &a : addrs)
			ips.push_back(a.ip);
		t.lookup6_bulk(reinterpret_cast<const uint8_t (*)[16]>(ips.data()), bulk.data(), probes);
	}
	unsigned hits = 0, failures = 0;
	for (unsigned i = 0; i < probes && failures < 10; i++) {
		uint32_t want = reference(t, addrs[i]);
		uint32_t single = lookup(t, addrs[i]);
		hits += want != kNone;
		if (single != want || bulk[i] != want) {
			failures++;
			ADD_FAILURE() << "probe " << i << ": want " << want << " single " << single << " bulk " << bulk[i];
		}
	}
	// The probes must exercise matches, not only misses.
	EXPECT_GT(hits, probes / 3);
}

TEST(PrefixTable, RandomAgainstLinearScan)
{
	PrefixTableConfig c = small_config();
	c.tbl8_groups6 = 16384;
	Tables t(c);
	Random r;
	constexpr unsigned kPrefixes = 3000, kProbes = 2000;
	for (unsigned i = 0; i < kPrefixes; i++)
		ASSERT_EQ(t.table.add(r.prefix(true), static_cast<uint32_t>(r.rng() % 64)), PrefixResult::ok);
	// IPv6 in one assign (which keeps the IPv4 entries it is given): every
	// single add would be a rebuild.
	std::vector<PrefixTable::Entry> both;
	for (const auto &[p, v] : t.table.entries())
		both.push_back({p, v});
	for (unsigned i = 0; i < kPrefixes; i++)
		both.push_back({r.prefix(false), static_cast<uint32_t>(r.rng() % 64)});
	ASSERT_EQ(t.table.assign(both), PrefixResult::ok);
	t.settle();
	compare_with_reference(t.table, r, true, kProbes);
	compare_with_reference(t.table, r, false, kProbes);

	std::vector<Prefix> all;
	for (const auto &[p, v] : t.table.entries())
		all.push_back(p);
	std::shuffle(all.begin(), all.end(), r.rng);
	// Half the IPv4 prefixes one by one; twenty IPv6 ones, a rebuild each.
	size_t total4 = all.size() - t.table.size6(), removed4 = 0, removed6 = 0;
	for (const auto &p : all) {
		size_t &removed = p.is_v4 ? removed4 : removed6;
		if (removed >= (p.is_v4 ? total4 / 2 : 20))
			continue;
		ASSERT_EQ(t.table.remove(p), PrefixResult::ok);
		removed++;
		t.settle();
	}
	for (uint32_t v = 0; v < 8; v++)
		ASSERT_EQ(t.table.remove_value(v), PrefixResult::ok);
	t.settle();
	compare_with_reference(t.table, r, true, kProbes);
	compare_with_reference(t.table, r, false, kProbes);

	// Re-adding after removes reuses reclaimed tbl8 groups.
	for (unsigned i = 0; i < kPrefixes / 2; i++)
		ASSERT_EQ(t.table.add(r.prefix(true), static_cast<uint32_t>(r.rng() % 64)), PrefixResult::ok);
	compare_with_reference(t.table, r, true, kProbes);
}

// A worker looks up addresses whose answers never change while the control
// thread adds and removes prefixes around them, in the same tbl24 entries
// (IPv4) and the same /48 (IPv6), and rebuilds the IPv6 copy each time.
TEST(PrefixTable, ConcurrentReaderSeesStableAnswers)
{
	Tables t;
	const std::vector<std::pair<const char *, uint32_t>> stable_prefixes = {
		{"10.0.0.0/8", 1}, {"10.1.2.0/24", 2}, {"10.1.2.3/32", 3},
		{"2001:db8::/32", 4}, {"2001:db8:1::/48", 5}, {"2001:db8:1::1/128", 6}};
	for (const auto &[p, v] : stable_prefixes)
		ASSERT_EQ(t.table.add(pfx(p), v), PrefixResult::ok);
	const std::vector<std::pair<Addr, uint32_t>> stable = {
		{addr("10.9.9.9"), 1}, {addr("10.1.2.200"), 2}, {addr("10.1.2.4"), 2}, {addr("10.1.2.3"), 3},
		{addr("2001:db8:9::1"), 4}, {addr("2001:db8:1::2"), 5}, {addr("2001:db8:1:ffff::"), 5},
		{addr("2001:db8:1::1"), 6}};
	std::vector<uint32_t> ips4;
	std::vector<std::array<uint8_t, 16>> ips6;
	std::vector<uint32_t> want4, want6;
	for (const auto &[a, v] : stable) {
		if (a.is_v4) {
			ips4.push_back(host_order(a));
			want4.push_back(v);
		} else {
			ips6.push_back(a.ip);
			want6.push_back(v);
		}
	}

	std::atomic<bool> stop{false};
	std::atomic<uint64_t> wrong{0}, rounds{0};
	std::thread reader([&] {
		t.qsbr.register_worker(0);
		std::vector<uint32_t> out4(ips4.size()), out6(ips6.size());
		while (!stop.load(std::memory_order_relaxed)) {
			for (const auto &[a, v] : stable)
				wrong += lookup(t.table, a) != v;
			t.table.lookup4_bulk(ips4.data(), out4.data(), static_cast<unsigned>(ips4.size()));
			t.table.lookup6_bulk(reinterpret_cast<const uint8_t (*)[16]>(ips6.data()), out6.data(),
					     static_cast<unsigned>(ips6.size()));
			wrong += out4 != want4;
			wrong += out6 != want6;
			rounds++;
			t.qsbr.quiescent(0);
		}
		t.qsbr.unregister_worker(0);
	});

	Random r;
	auto touches_stable = [&](const Prefix &p) {
		for (const auto &[a, v] : stable)
			if (contains(p, a))
				return true;
		return false;
	};
	auto churn = [&](bool v4) {
		Addr a = addr(v4 ? "10.1.0.0" : "2001:db8:1::");
		Addr rnd = r.address(v4);
		std::copy(rnd.ip.begin() + (v4 ? 2 : 6), rnd.ip.begin() + (v4 ? 4 : 16), a.ip.begin() + (v4 ? 2 : 6));
		auto len = static_cast<uint8_t>(v4 ? 17 + r.rng() % 16 : 49 + r.rng() % 80);
		return (v4 ? Prefix::v4(a.ip.data(), len) : Prefix::v6(a.ip.data(), len)).masked();
	};
	std::vector<Prefix> mine;
	unsigned ops = 0, rebuilds = 0;
	auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
	while (std::chrono::steady_clock::now() < deadline) {
		bool v4 = r.rng() % 8 != 0;
		if (!mine.empty() && (r.rng() % 2 || mine.size() > 200)) {
			size_t i = r.rng() % mine.size();
			rebuilds += !mine[i].is_v4;
			ASSERT_EQ(t.table.remove(mine[i]), PrefixResult::ok);
			mine.erase(mine.begin() + static_cast<std::ptrdiff_t>(i));
		} else {
			Prefix p = churn(v4);
			if (touches_stable(p) || t.table.entries().contains(p))
				continue;
			ASSERT_EQ(t.table.add(p, 100 + ops % 50), PrefixResult::ok);
			rebuilds += !v4;
			mine.push_back(p);
		}
		ops++;
		// Free each retired IPv6 copy (64 MiB) before the next rebuild.
		while (t.reclaimer.poll(), t.reclaimer.pending() > 0)
			std::this_thread::yield();
	}
	stop = true;
	reader.join();
	t.settle();
	EXPECT_EQ(wrong.load(), 0u);
	EXPECT_GT(rounds.load(), 1000u);
	EXPECT_GT(ops, 100u);
	EXPECT_GT(rebuilds, 5u);
	std::printf("concurrent: %u changes (%u IPv6 rebuilds), %llu reader rounds\n", ops, rebuilds,
		    static_cast<unsigned long long>(rounds.load()));
}

} // namespace
} // namespace wayport
