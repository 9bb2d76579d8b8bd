#include "dataplane/worker/counters.h"

namespace wayport {

const char *to_string(OutputDrop r)
{
	switch (r) {
	case OutputDrop::ring_full: return "ring_full";
	case OutputDrop::tx_full: return "tx_full";
	case OutputDrop::bad_inject: return "bad_inject";
	case OutputDrop::handshake_ring_full: return "handshake_ring_full";
	case OutputDrop::handoff_full: return "handoff_full";
	case OutputDrop::bad_handoff: return "bad_handoff";
	case OutputDrop::count: break;
	}
	return "unknown";
}

const char *to_string(CountedStage s)
{
	switch (s) {
	case CountedStage::classify: return "classify";
	case CountedStage::relay: return "relay";
	case CountedStage::wg_input: return "wg_input";
	case CountedStage::wg_output: return "wg_output";
	case CountedStage::ip_out: return "ip_out";
	case CountedStage::nat: return "nat";
	case CountedStage::output: return "output";
	case CountedStage::count: break;
	}
	return "unknown";
}

const char *to_string(PuntReason r)
{
	switch (r) {
	case PuntReason::neighbour: return "neighbour";
	case PuntReason::stun: return "stun";
	case PuntReason::disco: return "disco";
	case PuntReason::relay_control: return "relay_control";
	case PuntReason::unresolved: return "unresolved";
	case PuntReason::ttl_exceeded: return "ttl_exceeded";
	case PuntReason::wg_staged: return "wg_staged";
	case PuntReason::ip_unresolved: return "ip_unresolved";
	case PuntReason::wg_host: return "wg_host";
	case PuntReason::count: break;
	}
	return "unknown";
}

DropName drop_name(size_t index)
{
	if (index < kClassifyDrops)
		return {to_string(CountedStage::classify), to_string(static_cast<ClassifyDrop>(index))};
	index -= kClassifyDrops;
	if (index < kRelayDrops)
		return {to_string(CountedStage::relay), to_string(static_cast<RelayDrop>(index))};
	index -= kRelayDrops;
	if (index < kWgInputDrops)
		return {to_string(CountedStage::wg_input), to_string(static_cast<WgInputDrop>(index))};
	index -= kWgInputDrops;
	if (index < kWgOutputDrops)
		return {to_string(CountedStage::wg_output), to_string(static_cast<WgOutputDrop>(index))};
	index -= kWgOutputDrops;
	if (index < kIpOutDrops)
		return {to_string(CountedStage::ip_out), to_string(static_cast<IpOutDrop>(index))};
	index -= kIpOutDrops;
	if (index < kNatDrops)
		return {to_string(CountedStage::nat), to_string(static_cast<NatStageDrop>(index))};
	index -= kNatDrops;
	if (index < kOutputDrops)
		return {to_string(CountedStage::output), to_string(static_cast<OutputDrop>(index))};
	return {"unknown", "unknown"};
}

} // namespace wayport
