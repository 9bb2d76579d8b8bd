// Routing and request checks, without sockets: what reaches the control
// thread and what the API thread answers itself.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "controlplane/api/routes.h"

namespace wayport::api {
namespace {

const std::string kA = "discokey:" + std::string(64, '1');
const std::string kB = "discokey:" + std::string(62, '2') + "AB";

http::Request req(std::string method, std::string path, std::string body = {},
		  std::vector<http::Header> headers = {})
{
	http::Request r;
	r.method = std::move(method);
	r.path = std::move(path);
	r.body = std::move(body);
	r.headers = std::move(headers);
	return r;
}

std::string error_of(const Routed &r)
{
	EXPECT_TRUE(r.reply);
	EXPECT_FALSE(r.call);
	if (!r.reply)
		return {};
	EXPECT_EQ(r.reply->content_type, "application/json");
	return nlohmann::json::parse(r.reply->body).at("error");
}

TEST(Routes, EachPathIsACall)
{
	struct {
		const char *method, *path;
		CallKind kind;
	} cases[] = {{"GET", "/status", CallKind::status},
		     {"GET", "/relay/sessions", CallKind::sessions},
		     {"GET", "/metrics", CallKind::metrics}};
	for (const auto &c : cases) {
		Routed r = route(req(c.method, c.path), Surface::control);
		ASSERT_TRUE(r.call) << c.path;
		EXPECT_FALSE(r.reply);
		EXPECT_EQ(r.call->kind, c.kind);
	}
	Routed r = route(req("POST", "/relay/allocate", R"({"a":")" + kA + R"(","b":")" + kB + R"("})"),
			 Surface::control);
	ASSERT_TRUE(r.call) << error_of(r);
	EXPECT_EQ(r.call->kind, CallKind::allocate);
	EXPECT_EQ(r.call->a.to_text(), kA);
	EXPECT_EQ(r.call->b.to_text(), "discokey:" + std::string(62, '2') + "ab");
}

TEST(Routes, UnknownPathAndWrongMethod)
{
	Routed r = route(req("GET", "/nope"), Surface::control);
	EXPECT_EQ(error_of(r), "no such endpoint: /nope");
	EXPECT_EQ(r.reply->status, 404);

	r = route(req("POST", "/status"), Surface::control);
	EXPECT_NE(error_of(r).find("use GET"), std::string::npos);
	EXPECT_EQ(r.reply->status, 405);
	ASSERT_EQ(r.reply->extra.size(), 1u);
	EXPECT_EQ(r.reply->extra[0].name, "Allow");
	EXPECT_EQ(r.reply->extra[0].value, "GET");

	r = route(req("GET", "/relay/allocate"), Surface::control);
	EXPECT_EQ(r.reply->status, 405);
	EXPECT_EQ(r.reply->extra[0].value, "POST");
}

TEST(Routes, MetricsListenerServesOnlyMetrics)
{
	EXPECT_TRUE(route(req("GET", "/metrics"), Surface::metrics_only).call);
	for (const char *path : {"/status", "/relay/sessions", "/relay/allocate"}) {
		Routed r = route(req("GET", path), Surface::metrics_only);
		ASSERT_TRUE(r.reply) << path;
		EXPECT_EQ(r.reply->status, 404);
	}
	EXPECT_EQ(route(req("POST", "/metrics"), Surface::metrics_only).reply->status, 405);
}

TEST(Routes, AllocateBodyIsCheckedHere)
{
	auto refuse = [](const std::string &body, const std::string &mentions, int status = 400,
			 std::vector<http::Header> headers = {}) {
		Routed r = route(req("POST", "/relay/allocate", body, headers), Surface::control);
		std::string why = error_of(r);
		EXPECT_NE(why.find(mentions), std::string::npos) << body << " -> " << why;
		if (r.reply) {
			EXPECT_EQ(r.reply->status, status) << body;
		}
	};
	refuse("", "not valid JSON");
	refuse("{", "not valid JSON");
	refuse("[1,2]", "JSON object");
	refuse(R"({"a":")" + kA + R"("})", "field 'b' is required");
	refuse(R"({"b":")" + kB + R"("})", "field 'a' is required");
	refuse(R"({"a":1,"b":")" + kB + R"("})", "field 'a' must be a disco public key");
	refuse(R"({"a":")" + kA + R"(","b":"discokey:00"})", "field 'b' must be a disco public key");
	refuse(R"({"a":")" + kA + R"(","b":"nodekey:)" + std::string(64, '2') + R"("})", "field 'b'");
	refuse(R"({"a":")" + kA + R"(","b":")" + kB + R"(","c":1})", "unknown field 'c'");
	refuse(R"({"a":")" + kA + R"(","b":")" + kB + R"("})", "application/json", 415,
	       {{"content-type", "text/plain"}});
	// Parameters and case do not matter.
	Routed ok = route(req("POST", "/relay/allocate", R"({"a":")" + kA + R"(","b":")" + kB + R"("})",
			      {{"content-type", "Application/JSON; charset=utf-8"}}),
			  Surface::control);
	EXPECT_TRUE(ok.call);
}

TEST(Routes, WireguardPeerBodyIsCheckedHere)
{
	const std::string key = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
	Routed r = route(req("POST", "/wireguard/peer",
			     R"({"public_key":")" + key + R"(","allowed_ips":["10.0.0.2/32","fd00::2/128"],)"
			     R"("endpoint":"192.0.2.1:51820","persistent_keepalive":25})"),
			 Surface::control);
	ASSERT_TRUE(r.call) << error_of(r);
	EXPECT_EQ(r.call->kind, CallKind::wg_peer);
	const WgPeerChange &c = r.call->wg_peer;
	EXPECT_EQ(c.public_key, key);
	ASSERT_TRUE(c.allowed_ips);
	EXPECT_EQ(*c.allowed_ips, (std::vector<std::string>{"10.0.0.2/32", "fd00::2/128"}));
	EXPECT_EQ(c.endpoint, "192.0.2.1:51820");
	EXPECT_EQ(c.persistent_keepalive, 25u);
	EXPECT_FALSE(c.remove);

	// Absent fields stay absent: an empty list is a change (clear), none is not.
	r = route(req("POST", "/wireguard/peer", R"({"public_key":")" + key + R"(","allowed_ips":[]})"),
		  Surface::control);
	ASSERT_TRUE(r.call);
	ASSERT_TRUE(r.call->wg_peer.allowed_ips);
	EXPECT_TRUE(r.call->wg_peer.allowed_ips->empty());
	EXPECT_FALSE(r.call->wg_peer.endpoint);
	EXPECT_FALSE(r.call->wg_peer.persistent_keepalive);

	struct {
		std::string body;
		const char *mentions;
	} refused[] = {
		{"", "not valid JSON"},
		{"[]", "JSON object"},
		{"{}", "'public_key' is required"},
		{R"({"public_key":1})", "'public_key' must be a string"},
		{R"({"public_key":"k","allowed_ips":"10.0.0.2/32"})", "'allowed_ips' must be an array"},
		{R"({"public_key":"k","allowed_ips":[1]})", "'allowed_ips' must hold strings"},
		{R"({"public_key":"k","endpoint":5})", "'endpoint' must be a string"},
		{R"({"public_key":"k","persistent_keepalive":-1})", "'persistent_keepalive' must be seconds"},
		{R"({"public_key":"k","persistent_keepalive":65536})", "'persistent_keepalive' must be seconds"},
		{R"({"public_key":"k","persistent_keepalive":"25"})", "'persistent_keepalive' must be seconds"},
		{R"({"public_key":"k","remove":"yes"})", "'remove' must be true or false"},
		{R"({"public_key":"k","remove":true,"endpoint":"192.0.2.1:1"})", "'remove' takes no other change"},
		{R"({"public_key":"k","preshared_key":"x"})", "unknown field 'preshared_key'"},
	};
	for (const auto &c : refused) {
		Routed bad = route(req("POST", "/wireguard/peer", c.body), Surface::control);
		std::string why = error_of(bad);
		EXPECT_NE(why.find(c.mentions), std::string::npos) << c.body << " -> " << why;
		if (bad.reply) {
			EXPECT_EQ(bad.reply->status, 400) << c.body;
		}
	}
	EXPECT_EQ(route(req("GET", "/wireguard/peer"), Surface::control).reply->status, 405);
	EXPECT_TRUE(route(req("GET", "/wireguard"), Surface::control).call);
	EXPECT_EQ(route(req("GET", "/wireguard"), Surface::metrics_only).reply->status, 404);
}

TEST(Routes, ErrorsAreJsonEvenForOddBytes)
{
	http::Response r = error_response(404, "no such endpoint: /\xff\xfe");
	EXPECT_EQ(r.status, 404);
	EXPECT_FALSE(nlohmann::json::parse(r.body).at("error").get<std::string>().empty());
	EXPECT_EQ(nlohmann::json::parse(busy_response().body).at("error"), "control thread busy");
	EXPECT_EQ(busy_response().status, 503);
}

} // namespace
} // namespace wayport::api
