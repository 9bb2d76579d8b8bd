// The control thread's status (JSON) and metrics (Prometheus text) views.
#include <nlohmann/json.hpp>

#include <rte_ether.h>

#include <sstream>

#include "controlplane/control/control.h"
#include "controlplane/relay/metrics.h"

namespace wayport {

namespace {

using nlohmann::ordered_json;

// drops: every reason of every stage, flat (reason names are unique);
// stages: each stage's input and its own drops, in graph order.
ordered_json worker_json(const WorkerCounters &c)
{
	ordered_json drops = ordered_json::object(), punts = ordered_json::object(), stages = ordered_json::object();
	for (size_t s = 0; s < kCountedStages; s++)
		stages[to_string(CountedStage(s))] = {{"packets", c.stage_packets[s].get()}, {"drops", ordered_json::object()}};
	for (size_t i = 0; i < kDropCount; i++) {
		DropName name = drop_name(i);
		drops[name.reason] = c.drops[i].get();
		stages[name.stage]["drops"][name.reason] = c.drops[i].get();
	}
	for (size_t r = 0; r < kPuntReasons; r++)
		punts[to_string(PuntReason(r))] = c.punted[r].get();
	uint64_t forwarded = 0;
	for (int i = 0; i < 2; i++)
		for (int o = 0; o < 2; o++)
			forwarded += c.forwarded_packets[i][o].get();
	return {{"rx_packets", c.rx_packets.get()}, {"rx_bytes", c.rx_bytes.get()}, {"rx_bursts", c.rx_bursts.get()},
		{"tx_packets", c.tx_packets.get()}, {"tx_bytes", c.tx_bytes.get()},
		{"injected_packets", c.injected_packets.get()}, {"handshakes_queued", c.handshakes_queued.get()},
		{"handed_off", c.handed_off.get()}, {"handoffs_received", c.handoffs_received.get()},
		{"forwarded_packets", forwarded},
		{"drops", drops}, {"punts", punts}, {"stages", stages}};
}

// a += b for two counter trees of the same shape.
void add_counters(ordered_json &a, const ordered_json &b)
{
	for (auto &[k, v] : b.items()) {
		if (v.is_object())
			add_counters(a[k], v);
		else
			a[k] = a[k].get<uint64_t>() + v.get<uint64_t>();
	}
}

// The sum over workers, same shape as one worker.
ordered_json dataplane_json(const std::vector<const WorkerCounters *> &workers)
{
	ordered_json total;
	for (const WorkerCounters *w : workers) {
		if (total.is_null())
			total = worker_json(*w);
		else
			add_counters(total, worker_json(*w));
	}
	return total.is_null() ? worker_json(WorkerCounters{}) : total;
}

std::string mac_text(const rte_ether_addr &mac)
{
	char buf[RTE_ETHER_ADDR_FMT_SIZE];
	rte_ether_format_addr(buf, sizeof(buf), &mac);
	return buf;
}

} // namespace

std::string Control::status_json() const
{
	const ControlCounters &c = counters_;
	ordered_json punts = ordered_json::object();
	for (size_t r = 0; r < size_t(PuntReason::count); r++)
		punts[to_string(PuntReason(r))] = c.punts[r];
	ordered_json control = {{"punts", punts}, {"stun_replies", c.stun_replies},
		{"stun_malformed", c.stun_malformed}, {"relay_replies", c.relay_replies},
		{"relay_dropped", c.relay_dropped}, {"relay_malformed", c.relay_malformed},
		{"held_forwarded", c.held_forwarded}, {"held_dropped", c.held_dropped},
		{"tx_sent", c.tx_sent}, {"tx_failed", c.tx_failed}, {"no_wireguard", c.no_wireguard},
		{"ip_no_route", c.ip_no_route}, {"ip_no_neighbour", c.ip_no_neighbour}, {"ip_held", c.ip_held},
		{"no_mbuf", c.no_mbuf},
		{"reply_too_big", c.reply_too_big}, {"table_publish_failures", sync_.publish_failures()}};
	const HostCounters &h = host_.counters();
	ordered_json host = {{"arp_replies", h.arp_replies}, {"neighbour_advertisements", h.neighbour_advertisements},
		{"echo_replies", h.echo_replies}, {"absorbed", h.absorbed}, {"malformed", h.malformed},
		{"not_ours", h.not_ours}, {"unsupported", h.unsupported}, {"unknown_port", h.unknown_port}};
	const NeighbourCounters &n = host_.neighbours().counters();
	ordered_json neighbour_counters = {{"probes_sent", n.probes_sent}, {"resolved", n.resolved},
		{"failed", n.failed}, {"queued", n.queued}, {"queue_drops", n.queue_drops},
		{"table_full", n.table_full}, {"probe_no_mbuf", n.probe_no_mbuf}};
	ordered_json workers = ordered_json::array();
	for (const WorkerCounters *w : sources_.workers)
		workers.push_back(worker_json(*w));
	ordered_json neighbours = ordered_json::array();
	for (const auto &[key, e] : host_.neighbours().entries())
		neighbours.push_back({{"port", e.port_id}, {"ip", e.ip.ip_string()},
				      {"mac", mac_text(e.mac)}, {"state", to_string(e.state)}, {"refs", e.refs}});
	ordered_json addrs = ordered_json::array();
	for (const auto &p : host_.ports()) {
		ordered_json port = {{"port_id", p.port_id}, {"mac", mac_text(p.mac)}};
		if (p.ipv4)
			port["ipv4"] = p.ipv4->ip_string();
		if (p.ipv6)
			port["ipv6"] = p.ipv6->ip_string();
		addrs.push_back(port);
	}

	ordered_json relay;
	relay["server_disco"] = server_.server_disco().to_text();
	if (server_.config().udp_port)
		relay["port"] = *server_.config().udp_port;
	relay["endpoints"] = server_.endpoint_count();
	relay["table_entries"] = table_.size();
	ordered_json counters;
	counters["dataplane"] = dataplane_json(sources_.workers);
	counters["workers"] = workers;
	counters["control"] = control;
	counters["host"] = host;
	counters["neighbours"] = neighbour_counters;

	ordered_json j;
	j["node_disco"] = sources_.node_disco;
	j["relay"] = sources_.relay_on ? relay : ordered_json(nullptr);
	j["wireguard"] = tunnel_.core ? ordered_json::parse(tunnel_.core->status_json()) : ordered_json(nullptr);
	j["ports"] = addrs;
	j["counters"] = counters;
	j["neighbours"] = neighbours;
	return j.dump(2);
}

std::string Control::metrics_text() const
{
	std::ostringstream out;
	out << relay::render_prometheus(server_.metrics());
	ordered_json total = dataplane_json(sources_.workers);
	out << "# HELP wayport_dataplane_packets_total Packets the workers received and sent.\n"
	    << "# TYPE wayport_dataplane_packets_total counter\n"
	    << "wayport_dataplane_packets_total{direction=\"rx\"} " << total["rx_packets"].get<uint64_t>() << '\n'
	    << "wayport_dataplane_packets_total{direction=\"tx\"} " << total["tx_packets"].get<uint64_t>() << '\n'
	    << "# HELP wayport_dataplane_dropped_packets_total Packets the workers dropped, by stage and reason.\n"
	    << "# TYPE wayport_dataplane_dropped_packets_total counter\n";
	for (auto &[stage, v] : total["stages"].items())
		for (auto &[reason, n] : v["drops"].items())
			out << "wayport_dataplane_dropped_packets_total{stage=\"" << stage << "\",reason=\"" << reason << "\"} "
			    << n.get<uint64_t>() << '\n';
	out << "# HELP wayport_dataplane_stage_packets_total Packets each stage of the workers' graph was given.\n"
	    << "# TYPE wayport_dataplane_stage_packets_total counter\n";
	for (auto &[stage, v] : total["stages"].items())
		out << "wayport_dataplane_stage_packets_total{stage=\"" << stage << "\"} " << v["packets"].get<uint64_t>()
		    << '\n';
	out << "# HELP wayport_dataplane_punted_packets_total Packets the workers passed to the control thread, by reason.\n"
	    << "# TYPE wayport_dataplane_punted_packets_total counter\n";
	for (auto &[reason, v] : total["punts"].items())
		out << "wayport_dataplane_punted_packets_total{reason=\"" << reason << "\"} " << v.get<uint64_t>() << '\n';
	const NeighbourCounters &n = host_.neighbours().counters();
	out << "# HELP wayport_neighbour_held_dropped_total Packets dropped while waiting for a next hop.\n"
	    << "# TYPE wayport_neighbour_held_dropped_total counter\n"
	    << "wayport_neighbour_held_dropped_total " << n.queue_drops << '\n';
	if (tunnel_.core)
		out << tunnel_.core->metrics_text();
	return out.str();
}

} // namespace wayport
