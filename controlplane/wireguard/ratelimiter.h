// The per-source token bucket for handshake messages, with the Linux
// kernel's numbers (drivers/net/wireguard/ratelimiter.c): 20 handshakes a
// second from one source, bursts of 5. An IPv4 source is its whole
// address, an IPv6 source its /64, because one host can hold a whole /64.
// The port never counts: a new port is free to pick.
//
// Time is injected (every call takes `now`), so tests run on virtual time,
// and there is no gc thread: allow() sweeps idle entries at most once a
// second as it goes, as the kernel's once-a-second gc work does.
//
// Thread-safe: the handshake threads share one Ratelimiter. One mutex
// guards the table; what it holds it for is a hash lookup and some
// arithmetic, next to the X25519 of every handshake it lets through.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <unordered_map>

#include "controlplane/wireguard/timers.h"
#include "dataplane/wire/addr.h"

namespace wayport::wireguard {

class Ratelimiter {
public:
	static constexpr int kPacketsPerSecond = 20;
	static constexpr int kPacketsBurstable = 5;
	// Tokens are time: one packet costs 50 ms of credit, the bucket holds 5.
	static constexpr std::chrono::nanoseconds kPacketCost =
		std::chrono::nanoseconds(std::chrono::seconds(1)) / kPacketsPerSecond;
	static constexpr std::chrono::nanoseconds kTokenMax = kPacketCost * kPacketsBurstable;
	// Entries idle longer than this are swept; gc runs this often at most.
	static constexpr std::chrono::nanoseconds kIdleTimeout = std::chrono::seconds(1);
	// The kernel sizes its table by RAM: 8192 buckets above 1 GiB, 8 entries
	// a bucket. A gateway has more than 1 GiB.
	static constexpr size_t kDefaultMaxEntries = 8192 * 8;

	// When max_entries sources are held, a new source is denied until gc
	// frees room (the kernel's behaviour); sources already held keep their
	// buckets.
	explicit Ratelimiter(size_t max_entries = kDefaultMaxEntries);
	Ratelimiter(const Ratelimiter &) = delete;
	Ratelimiter &operator=(const Ratelimiter &) = delete;

	// Spends one packet's cost from the source's bucket: false when it
	// holds less than that, or when the source is new and the table full.
	bool allow(const AddrPort &source, Clock::time_point now);
	// Removes entries idle longer than kIdleTimeout.
	void gc(Clock::time_point now);
	size_t size() const;

private:
	// The address bits that name a source, and its family, so that a v4
	// address and the /64 of a v6 one with the same bits stay apart.
	struct Source {
		uint64_t bits = 0;
		bool is_v6 = false;

		bool operator==(const Source &) const = default;
	};
	// SipHash under a key drawn per Ratelimiter: sources are chosen by
	// peers, and unkeyed std::hash of an integer is the integer, so a
	// sender of many /64s could put them all in one hash bucket.
	struct SourceHash {
		uint8_t key[16];
		size_t operator()(const Source &s) const;
	};
	struct Entry {
		Clock::time_point last_time;
		std::chrono::nanoseconds tokens;
		std::list<Source>::iterator in_idle_order;
	};

	static Source source_of(const AddrPort &a);
	void sweep(Clock::time_point now);  // requires mu_

	const size_t max_entries_;
	mutable std::mutex mu_;
	std::unordered_map<Source, Entry, SourceHash> table_;  // guarded by mu_
	// table_'s sources, least recently used first, so a sweep stops at the
	// first entry still in use instead of visiting the whole table.
	std::list<Source> idle_order_;  // guarded by mu_
	Clock::time_point next_sweep_ = Clock::time_point::min();  // guarded by mu_
};

} // namespace wayport::wireguard
