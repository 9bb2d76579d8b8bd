// A worker's counters by name, for stage tests that compare every counter
// at once and want a mismatch to say which one.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>

#include "dataplane/worker/counters.h"

namespace wayport::test {

using CounterMap = std::map<std::string, uint64_t>;

inline std::string forwarded_key(bool in6, bool out6)
{
	return std::string(in6 ? "v6" : "v4") + "->" + (out6 ? "v6" : "v4");
}

inline std::string drop_key(size_t index)
{
	DropName n = drop_name(index);
	return std::string("dropped ") + n.stage + "/" + n.reason;
}

inline std::string punt_key(PuntReason r)
{
	return std::string("punted ") + to_string(r);
}

inline CounterMap counter_map(const WorkerCounters &c)
{
	CounterMap t;
	t["rx_packets"] = c.rx_packets.get();
	t["rx_bytes"] = c.rx_bytes.get();
	t["rx_bursts"] = c.rx_bursts.get();
	t["tx_packets"] = c.tx_packets.get();
	t["tx_bytes"] = c.tx_bytes.get();
	t["injected_packets"] = c.injected_packets.get();
	for (size_t s = 0; s < kCountedStages; s++)
		t[std::string("stage ") + to_string(static_cast<CountedStage>(s))] = c.stage_packets[s].get();
	for (int in6 = 0; in6 < 2; in6++) {
		for (int out6 = 0; out6 < 2; out6++) {
			t["forwarded packets " + forwarded_key(in6, out6)] = c.forwarded_packets[in6][out6].get();
			t["forwarded bytes " + forwarded_key(in6, out6)] = c.forwarded_bytes[in6][out6].get();
		}
	}
	for (size_t r = 0; r < kPuntReasons; r++)
		t[punt_key(static_cast<PuntReason>(r))] = c.punted[r].get();
	for (size_t i = 0; i < kDropCount; i++)
		t[drop_key(i)] = c.drops[i].get();
	return t;
}

inline CounterMap counter_delta(const CounterMap &after, const CounterMap &before)
{
	CounterMap d;
	for (const auto &[name, value] : after)
		d[name] = value - before.at(name);
	return d;
}

inline void expect_counters(const CounterMap &got, const CounterMap &want)
{
	for (const auto &[name, value] : got)
		EXPECT_EQ(value, want.at(name)) << name;
}

} // namespace wayport::test
