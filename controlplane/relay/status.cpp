#include "controlplane/relay/status.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "controlplane/common/go_duration.h"

namespace wayport::relay {

namespace {

// Go marshals struct fields in declaration order; ordered_json keeps it.
using Json = nlohmann::ordered_json;

// netip.AddrPort's MarshalText: "" for the zero value (a leg not bound).
Json client_info(const Endpoint &e, int leg)
{
	Json c;
	c["Endpoint"] = e.is_bound(leg) ? e.bound[leg].to_string() : "";
	c["ShortDisco"] = e.client[leg].short_text();
	c["PacketsTx"] = e.packets_rx[leg];
	c["BytesTx"] = e.bytes_rx[leg];
	return c;
}

} // namespace

std::string server_endpoint_json(const ServerEndpoint &ep)
{
	Json j;
	j["ServerDisco"] = ep.server_disco.to_text();
	j["ClientDisco"] = Json::array({ep.client_disco[0].to_text(), ep.client_disco[1].to_text()});
	j["LamportID"] = ep.lamport_id;
	Json addrs = Json::array();
	for (const auto &a : ep.addr_ports)
		addrs.push_back(a.to_string());
	j["AddrPorts"] = addrs;
	j["VNI"] = ep.vni;
	j["BindLifetime"] = go_duration_string(ep.bind_lifetime_ns);
	j["SteadyStateLifetime"] = go_duration_string(ep.steady_state_lifetime_ns);
	return j.dump();
}

// status.ServerStatus{UDPPort, Sessions []ServerSession{VNI, Client1,
// Client2}}, sessions by VNI. A client's PacketsTx is what the server
// received from it to relay.
std::string Server::sessions_json() const
{
	std::vector<const Endpoint *> live;
	live.reserve(by_vni_.size());
	for (const Endpoint &e : slots_)
		if (e.vni != 0)
			live.push_back(&e);
	std::sort(live.begin(), live.end(),
		  [](const Endpoint *x, const Endpoint *y) { return x->vni < y->vni; });

	Json j;
	j["UDPPort"] = config_.udp_port ? Json(*config_.udp_port) : Json(nullptr);
	Json sessions = Json::array();
	for (const Endpoint *e : live) {
		Json s;
		s["VNI"] = e->vni;
		s["Client1"] = client_info(*e, 0);
		s["Client2"] = client_info(*e, 1);
		sessions.push_back(std::move(s));
	}
	j["Sessions"] = std::move(sessions);
	return j.dump();
}

} // namespace wayport::relay
