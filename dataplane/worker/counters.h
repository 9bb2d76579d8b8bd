// Per-worker counters. Every packet a worker receives (or is handed on its
// inject ring) is counted once as sent, punted (by reason) or dropped (by
// the dropping stage's reason); a packet the TX queue or the punt ring
// refuses is counted as an output drop instead.
//
// Drops of every stage live in one flat array so totals and exposition
// walk one list; drop_index() maps each stage's own reason enum into it,
// and drop_name() gives the stage and reason names back.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/counter.h"
#include "dataplane/stages/drops.h"
#include "dataplane/stages/punt.h"

namespace wayport {

inline constexpr size_t kClassifyDrops = static_cast<size_t>(ClassifyDrop::count);
inline constexpr size_t kRelayDrops = static_cast<size_t>(RelayDrop::count);
inline constexpr size_t kWgInputDrops = static_cast<size_t>(WgInputDrop::count);
inline constexpr size_t kWgOutputDrops = static_cast<size_t>(WgOutputDrop::count);
inline constexpr size_t kIpOutDrops = static_cast<size_t>(IpOutDrop::count);
inline constexpr size_t kNatDrops = static_cast<size_t>(NatStageDrop::count);
inline constexpr size_t kOutputDrops = static_cast<size_t>(OutputDrop::count);
inline constexpr size_t kDropCount =
	kClassifyDrops + kRelayDrops + kWgInputDrops + kWgOutputDrops + kIpOutDrops + kNatDrops + kOutputDrops;
inline constexpr size_t kPuntReasons = static_cast<size_t>(PuntReason::count);

constexpr size_t drop_index(ClassifyDrop r) { return static_cast<size_t>(r); }
constexpr size_t drop_index(RelayDrop r) { return kClassifyDrops + static_cast<size_t>(r); }
constexpr size_t drop_index(WgInputDrop r) { return kClassifyDrops + kRelayDrops + static_cast<size_t>(r); }
constexpr size_t drop_index(WgOutputDrop r)
{
	return kClassifyDrops + kRelayDrops + kWgInputDrops + static_cast<size_t>(r);
}
constexpr size_t drop_index(IpOutDrop r)
{
	return kClassifyDrops + kRelayDrops + kWgInputDrops + kWgOutputDrops + static_cast<size_t>(r);
}
constexpr size_t drop_index(NatStageDrop r)
{
	return kClassifyDrops + kRelayDrops + kWgInputDrops + kWgOutputDrops + kIpOutDrops + static_cast<size_t>(r);
}
constexpr size_t drop_index(OutputDrop r)
{
	return kClassifyDrops + kRelayDrops + kWgInputDrops + kWgOutputDrops + kIpOutDrops + kNatDrops +
	       static_cast<size_t>(r);
}

struct DropName {
	const char *stage;   // classify, relay, wg_input, wg_output, ip_out, nat, output
	const char *reason;  // unique over all stages
};

DropName drop_name(size_t index);

// The stages whose input is counted, in graph order.
enum class CountedStage : uint8_t { classify, relay, wg_input, wg_output, ip_out, nat, output, count };
inline constexpr size_t kCountedStages = static_cast<size_t>(CountedStage::count);
const char *to_string(CountedStage s);

struct alignas(64) WorkerCounters {
	Counter rx_packets;
	Counter rx_bytes;
	Counter tx_packets;
	Counter tx_bytes;
	Counter injected_packets;  // handed back by the control thread
	Counter handshakes_queued;  // WireGuard handshake messages the handshake ring took
	Counter handed_off;         // WireGuard packets a handoff ring took for their home worker
	Counter handoffs_received;  // and those this worker took off its handoff rings
	Counter rx_bursts;         // non-empty RX bursts
	// Packets each stage was given.
	Counter stage_packets[kCountedStages];
	// Relayed data by transport, [in is IPv6][out is IPv6]: the
	// transport_in/transport_out metrics of Tailscale's relay.
	Counter forwarded_packets[2][2];
	Counter forwarded_bytes[2][2];
	Counter punted[kPuntReasons];
	Counter drops[kDropCount];

	template <typename Reason>
	void drop(Reason r, uint64_t n = 1) { drops[drop_index(r)].add(n); }
	template <typename Reason>
	uint64_t dropped(Reason r) const { return drops[drop_index(r)].get(); }
	void punt(PuntReason r) { punted[static_cast<size_t>(r)].add(); }
	uint64_t punts(PuntReason r) const { return punted[static_cast<size_t>(r)].get(); }
	void stage(CountedStage s, uint64_t n) { stage_packets[static_cast<size_t>(s)].add(n); }
};

} // namespace wayport
