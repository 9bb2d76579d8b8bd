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

// {"a": "discokey:...", "b": "discokey:..."}, nothing else.
std::optional<http::Response> parse_allocate(const http::Request &req, Call &call)
{
	if (!json_content_type(req))
		return error_response(415, "Content-Type must be application/json");
	json body = json::parse(req.body, nullptr, false);
	if (body.is_discarded())
		return error_response(400, "body is not valid JSON");
	if (!body.is_object())
		return error_response(400, "body must be a JSON object with fields 'a' and 'b'");
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
	return {std::nullopt, std::move(call)};
}

} // namespace wayport::api
