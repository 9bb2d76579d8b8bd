#include "tools/wayport-connect/allocator.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

#include "controlplane/common/go_duration.h"
#include "tools/wayportctl/api_client.h"

namespace wayport::connect {

namespace {

using nlohmann::json;

disco::PublicKey json_key(const json &j)
{
	auto k = disco::PublicKey::from_text(j.get<std::string>());
	if (!k)
		throw std::runtime_error("not a disco key: " + j.dump());
	return *k;
}

int64_t json_duration(const json &j)
{
	Duration d;
	if (parse_go_duration(j.get<std::string>(), d) != DurationError::ok)
		throw std::runtime_error("not a Go duration: " + j.dump());
	return d;
}

// Tailscale's endpoint.ServerEndpoint JSON (docs/API.md).
disco::UdpRelayEndpoint endpoint_from_json(const json &j)
{
	disco::UdpRelayEndpoint ep;
	ep.server_disco = json_key(j.at("ServerDisco"));
	ep.client_disco = {json_key(j.at("ClientDisco").at(0)), json_key(j.at("ClientDisco").at(1))};
	ep.lamport_id = j.at("LamportID").get<uint64_t>();
	ep.vni = j.at("VNI").get<uint32_t>();
	ep.bind_lifetime_ns = json_duration(j.at("BindLifetime"));
	ep.steady_state_lifetime_ns = json_duration(j.at("SteadyStateLifetime"));
	for (const auto &a : j.at("AddrPorts")) {
		auto ap = AddrPort::parse(a.get<std::string>());
		if (!ap)
			throw std::runtime_error("not an address: " + a.dump());
		ep.addr_ports.push_back(*ap);
	}
	return ep;
}

} // namespace

std::array<disco::PublicKey, 2> sorted_pair(const disco::PublicKey &a, const disco::PublicKey &b)
{
	return a < b ? std::array{a, b} : std::array{b, a};
}

Bytes allocation_request(const Correspondent &node, const disco::PublicKey &self,
			 const std::array<disco::PublicKey, 2> &pair, uint32_t generation)
{
	disco::Message m;
	m.body = disco::AllocateUdpRelayEndpointRequest{pair, generation};
	return seal_to(node, self, m);
}

std::optional<disco::UdpRelayEndpoint> allocation_response(ByteSpan b, const Correspondent &node,
							    const std::array<disco::PublicKey, 2> &pair,
							    uint32_t generation)
{
	auto m = open_from(node, b);
	auto *r = m ? std::get_if<disco::AllocateUdpRelayEndpointResponse>(&m->body) : nullptr;
	if (!r || r->generation != generation || r->endpoint.addr_ports.empty() ||
	    sorted_pair(r->endpoint.client_disco[0], r->endpoint.client_disco[1]) != pair)
		return std::nullopt;
	return r->endpoint;
}

disco::UdpRelayEndpoint allocate_via_api(const std::string &socket, const std::array<disco::PublicKey, 2> &pair)
{
	json req = {{"a", pair[0].to_text()}, {"b", pair[1].to_text()}};
	auto resp = ctl::api_request(socket, "POST", "/relay/allocate", req.dump());
	json body = json::parse(resp.body, nullptr, false);
	if (resp.status != 200) {
		std::string why = body.is_object() && body.contains("error") ? body["error"].dump() : resp.body;
		throw std::runtime_error("wayportd refused the allocation (" + std::to_string(resp.status) + "): " + why);
	}
	try {
		auto ep = endpoint_from_json(body);
		if (ep.addr_ports.empty())
			throw std::runtime_error("no AddrPorts");
		return ep;
	} catch (const std::exception &e) {
		throw std::runtime_error(std::string("wayportd's endpoint JSON is malformed: ") + e.what());
	}
}

} // namespace wayport::connect
