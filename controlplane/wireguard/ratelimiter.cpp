#include "controlplane/wireguard/ratelimiter.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "controlplane/wireguard/primitives.h"

namespace wayport::wireguard {

size_t Ratelimiter::SourceHash::operator()(const Source &s) const
{
	static_assert(sizeof(key) == crypto_shorthash_KEYBYTES);
	static_assert(crypto_shorthash_BYTES == sizeof(uint64_t));
	uint8_t in[9];
	std::memcpy(in, &s.bits, sizeof(s.bits));
	in[8] = s.is_v6;
	uint8_t out[crypto_shorthash_BYTES];
	crypto_shorthash(out, in, sizeof(in), key);
	uint64_t h;
	std::memcpy(&h, out, sizeof(h));
	return static_cast<size_t>(h);
}

Ratelimiter::Ratelimiter(size_t max_entries)
	: max_entries_(max_entries), table_(0, [] {
		  SourceHash h;
		  random_bytes(h.key);
		  return h;
	  }())
{
}

Ratelimiter::Source Ratelimiter::source_of(const AddrPort &a)
{
	Source s;
	s.is_v6 = !a.is_v4;
	if (a.is_v4) {
		uint32_t v4;
		std::memcpy(&v4, a.ip4(), sizeof(v4));
		s.bits = v4;
	} else {
		std::memcpy(&s.bits, a.ip.data(), sizeof(s.bits));  // the /64
	}
	return s;
}

bool Ratelimiter::allow(const AddrPort &source, Clock::time_point now)
{
	Source s = source_of(source);
	std::lock_guard lock(mu_);
	if (now >= next_sweep_) {
		sweep(now);
		next_sweep_ = now + kIdleTimeout;
	}
	auto it = table_.find(s);
	if (it != table_.end()) {
		Entry &e = it->second;
		// Two threads may read the clock in one order and take mu_ in the
		// other; an earlier `now` than the entry's earns nothing and does
		// not move its time back (which would credit the gap twice).
		auto elapsed = std::max(now - e.last_time, Clock::duration::zero());
		e.last_time = std::max(e.last_time, now);
		auto tokens = std::min(kTokenMax, e.tokens + elapsed);
		bool ok = tokens >= kPacketCost;
		e.tokens = ok ? tokens - kPacketCost : tokens;
		idle_order_.splice(idle_order_.end(), idle_order_, e.in_idle_order);
		return ok;
	}
	if (table_.size() >= max_entries_)
		return false;
	// A new source is allowed and starts a full bucket less this packet.
	idle_order_.push_back(s);
	table_.emplace(s, Entry{now, kTokenMax - kPacketCost, std::prev(idle_order_.end())});
	return true;
}

void Ratelimiter::gc(Clock::time_point now)
{
	std::lock_guard lock(mu_);
	sweep(now);
	next_sweep_ = now + kIdleTimeout;
}

void Ratelimiter::sweep(Clock::time_point now)
{
	// Oldest first; the first entry used within kIdleTimeout ends the
	// sweep. An entry behind it idle a few microseconds longer (threads
	// racing for mu_) waits for the next sweep.
	while (!idle_order_.empty()) {
		auto it = table_.find(idle_order_.front());
		if (now - it->second.last_time <= kIdleTimeout)
			break;
		table_.erase(it);
		idle_order_.pop_front();
	}
}

size_t Ratelimiter::size() const
{
	std::lock_guard lock(mu_);
	return table_.size();
}

} // namespace wayport::wireguard
