#include "dataplane/stages/relay.h"

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_prefetch.h>


namespace wayport {

const char *to_string(RelayDrop r)
{
	switch (r) {
	case RelayDrop::short_payload: return "short_payload";
	case RelayDrop::unknown_vni: return "unknown_vni";
	case RelayDrop::entry_busy: return "entry_busy";
	case RelayDrop::not_bound: return "not_bound";
	case RelayDrop::source_mismatch: return "source_mismatch";
	case RelayDrop::no_route: return "no_route";
	case RelayDrop::no_neighbour: return "no_neighbour";
	case RelayDrop::count: break;
	}
	return "unknown";
}

RelayStage::RelayStage(const RelayShared &shared, unsigned worker, uint16_t capacity)
	: shared_(shared), worker_(worker), data_(capacity), view_(capacity), vni_(capacity), found_(capacity),
	  entry_(capacity)
{
}

void RelayStage::finish(Output &out, WorkerCounters &c)
{
	const RelayTable &table = *shared_.table;
	if (n_admitted_)
		c.stage(CountedStage::relay, n_admitted_);
	n_admitted_ = 0;
	uint16_t nd = nd_;
	nd_ = 0;

	// Pass 2: copy the entries, whose lines are arriving, and start
	// fetching the activity lines pass 3 writes. A pass of its own, so the
	// copies are settled in cache before pass 3 reads them back in other
	// widths (straight after, that would stall on store forwarding). The
	// activity prefetch waits until here: issued in pass 1 as well, two
	// misses per packet back to back ran the core out of miss buffers.
	for (uint16_t k = 0; k < nd; k++) {
		table.prefetch_activity(worker_, vni_[k]);
		found_[k] = table.read(vni_[k], entry_[k]);
	}

	// Pass 3: forward.
	uint64_t tsc = rte_rdtsc();
	for (uint16_t k = 0; k < nd; k++)
		forward(data_[k], view_[k], found_[k], entry_[k], tsc, out, c);
}

void RelayStage::forward(rte_mbuf *m, const ParsedUdp &in, EntryRead found, const RelayEntry &e, uint64_t tsc,
			 Output &out, WorkerCounters &c)
{
	switch (found) {
	case EntryRead::found:
		break;
	case EntryRead::missing:
		out.drop(m, RelayDrop::unknown_vni);
		return;
	case EntryRead::busy:
		out.drop(m, RelayDrop::entry_busy);
		return;
	}
	if (!e.forwarding()) {
		out.drop(m, RelayDrop::not_bound);
		return;
	}
	int from;
	if (in.src == e.leg[0])
		from = 0;
	else if (in.src == e.leg[1])
		from = 1;
	else {
		out.drop(m, RelayDrop::source_mismatch);
		return;
	}
	int to = 1 - from;
	const Egress &egress = e.egress[to];
	const std::vector<EgressPort> &ports = *shared_.ports;
	if (egress.port >= ports.size() || egress.port >= out.ports()) {
		out.drop(m, RelayDrop::no_route);
		return;
	}
	uint8_t mac[6];
	if (!shared_.neighbours->get(egress.neighbour, mac)) {
		PacketMeta &pm = meta(m);
		if (pm.flags & meta_flags::injected) {
			// It waited once already and the neighbour is gone again:
			// another round trip would only chase it.
			out.drop(m, RelayDrop::no_neighbour);
			return;
		}
		pm.aux = egress.neighbour;
		out.punt(m, PuntReason::unresolved);
		return;
	}
	if (!rewrite_udp(m, in, ports[egress.port], mac, shared_.udp_port, e.leg[to])) {
		out.drop(m, RelayDrop::no_route);
		return;
	}
	// Only what is relayed is the leg's activity: the core counts it as
	// forwarded and as the leg being alive.
	if (EndpointActivity *activity = shared_.table->activity(worker_, e.vni))
		activity->leg[from].add(in.payload_len, tsc);
	bool in6 = !in.src.is_v4, out6 = !e.leg[to].is_v4;
	c.forwarded_packets[in6][out6].add();
	c.forwarded_bytes[in6][out6].add(in.payload_len);
	out.tx(m, egress.port);
}

} // namespace wayport
