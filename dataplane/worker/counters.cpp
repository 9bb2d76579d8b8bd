#include "counters.h"

namespace wayport {

const char *to_string(DropReason r)
{
	switch (r) {
	case DropReason::malformed: return "malformed";
	case DropReason::multi_segment: return "multi_segment";
	case DropReason::fragment: return "fragment";
	case DropReason::not_for_us: return "not_for_us";
	case DropReason::short_payload: return "short_payload";
	case DropReason::unknown_vni: return "unknown_vni";
	case DropReason::entry_busy: return "entry_busy";
	case DropReason::not_bound: return "not_bound";
	case DropReason::source_mismatch: return "source_mismatch";
	case DropReason::no_route: return "no_route";
	case DropReason::ring_full: return "ring_full";
	case DropReason::tx_full: return "tx_full";
	case DropReason::count: break;
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
	case PuntReason::count: break;
	}
	return "unknown";
}

} // namespace wayport
