#include "controlplane/api/routes.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

namespace wayport::api {

namespace {

using nlohmann::json;

constexpr std::string_view kJson = "application/json";

struct Route {
	std::string_view path;
	std::string_view method;
	CallKind kind;
	bool on_metrics_listener;
};

constexpr Route kRoutes[] = {
	{"/status", "GET", CallKind::status, false},
	{"/relay/sessions", "GET", CallKind::sessions, false},
	{"/metrics", "GET", CallKind::metrics, true},
	{"/relay/allocate", "POST", CallKind::allocate, false},
	{"/wireguard", "GET", CallKind::wireguard, false},
	{"/wireguard/peer", "POST", CallKind::wg_peer, false},
};

http::Response method_not_allowed(const http::Request &req, const Route &r)
{
	http::Response resp = error_response(405, "method " + req.method + " not allowed on " + req.path +
							 "; use " + std::string(r.method));
	resp.extra.push_back({"Allow", std::string(r.method)});
	return resp;
}

// "application/json", optionally with parameters; absent is fine too, as
// curl -d sends application/x-www-form-urlencoded only when told nothing.
bool json_content_type(const http::Request &req)
{
	const std::string *ct = req.header("content-type");
	if (!ct)
		return true;
	std::string media = ct->substr(0, ct->find(';'));
	while (!media.empty() && (media.back() == ' ' || media.back() == '\t'))
		media.pop_back();
	std::transform(media.begin(), media.end(), media.begin(),
		       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
	return media == kJson;
}

// A POST's body as a JSON object, or the answer refusing it; shape: what
// the object must hold, for the message.
std::optional<http::Response> json_object_body(const http::Request &req, json &body, std::string_view shape)
{
	if (!json_content_type(req))
		return error_response(415, "Content-Type must be application/json");
	body = json::parse(req.body, nullptr, false);
	if (body.is_discarded())
		return error_response(400, "body is not valid JSON");
	if (!body.is_object())
		return error_response(400, "body must be a JSON object with " + std::string(shape));
	return std::nullopt;
}

// {"a": "discokey:...", "b": "discokey:..."}, nothing else.
std::optional<http::Response> parse_allocate(const http::Request &req, Call &call)
{
	json body;
	if (auto bad = json_object_body(req, body, "fields 'a' and 'b'"))
		return bad;
	for (const auto &[name, value] : body.items())
		if (name != "a" && name != "b")
			return error_response(400, "unknown field '" + name + "'");
	for (auto [name, key] : {std::pair{"a", &call.a}, std::pair{"b", &call.b}}) {
		auto it = body.find(name);
		if (it == body.end())
			return error_response(400, std::string("field '") + name + "' is required");
		auto k = it->is_string() ? disco::PublicKey::from_text(it->get<std::string>()) : std::nullopt;
		if (!k)
			return error_response(400, std::string("field '") + name +
							   "' must be a disco public key: \"discokey:\" and 64 hex digits");
		*key = *k;
	}
	return std::nullopt;
}

// {"public_key": "<base64>", "allowed_ips": ["10.0.0.2/32", ...],
// "endpoint": "192.0.2.1:51820", "persistent_keepalive": 25, "remove": true},
// public_key required, the rest optional, nothing else.
std::optional<http::Response> parse_wg_peer(const http::Request &req, WgPeerChange &change)
{
	json body;
	if (auto bad = json_object_body(req, body, "at least 'public_key'"))
		return bad;
	for (const auto &[name, value] : body.items()) {
		if (name == "public_key") {
			if (!value.is_string())
				return error_response(400, "field 'public_key' must be a string (base64, as wg prints keys)");
			change.public_key = value.get<std::string>();
		} else if (name == "allowed_ips") {
			if (!value.is_array())
				return error_response(400, "field 'allowed_ips' must be an array of prefixes");
			change.allowed_ips.emplace();
			for (const json &p : value) {
				if (!p.is_string())
					return error_response(400, "field 'allowed_ips' must hold strings like \"10.0.0.2/32\"");
				change.allowed_ips->push_back(p.get<std::string>());
			}
		} else if (name == "endpoint") {
			if (!value.is_string())
				return error_response(400, "field 'endpoint' must be a string like \"192.0.2.1:51820\"");
			change.endpoint = value.get<std::string>();
		} else if (name == "persistent_keepalive") {
			if (!value.is_number_unsigned() || value.get<uint64_t>() > 65535)
				return error_response(400, "field 'persistent_keepalive' must be seconds, 0 (off) to 65535");
			change.persistent_keepalive = value.get<uint32_t>();
		} else if (name == "remove") {
			if (!value.is_boolean())
				return error_response(400, "field 'remove' must be true or false");
			change.remove = value.get<bool>();
		} else {
			return error_response(400, "unknown field '" + name + "'");
		}
	}
	if (change.public_key.empty())
		return error_response(400, "field 'public_key' is required");
	if (change.remove && (change.allowed_ips || change.endpoint || change.persistent_keepalive))
		return error_response(400, "'remove' takes no other change with it");
	return std::nullopt;
}

} // namespace

http::Response error_response(int status, std::string_view why)
{
	// replace: a message may quote client bytes that are not UTF-8.
	json j = {{"error", why}};
	return {status, std::string(kJson), j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n", {}};
}

http::Response busy_response()
{
	return error_response(503, "control thread busy");
}

http::Response call_response(const Call &c)
{
	return {c.http_status, c.content_type, c.body, {}};
}

Routed route(const http::Request &req, Surface surface)
{
	auto r = std::find_if(std::begin(kRoutes), std::end(kRoutes), [&](const Route &x) {
		return x.path == req.path && (surface == Surface::control || x.on_metrics_listener);
	});
	if (r == std::end(kRoutes))
		return {error_response(404, "no such endpoint: " + req.path), nullptr};
	if (req.method != r->method)
		return {method_not_allowed(req, *r), nullptr};

	auto call = std::make_shared<Call>();
	call->kind = r->kind;
	if (r->kind == CallKind::allocate)
		if (auto bad = parse_allocate(req, *call))
			return {std::move(bad), nullptr};
	if (r->kind == CallKind::wg_peer)
		if (auto bad = parse_wg_peer(req, call->wg_peer))
			return {std::move(bad), nullptr};
	return {std::nullopt, std::move(call)};
}

} // namespace wayport::api
