// What each request means: an answer the API thread gives on its own (bad
// requests, unknown paths), or a call for the control thread. Everything a
// client sends is checked here, so the control thread only ever sees calls
// that are well formed.
#pragma once

#include <memory>
#include <optional>
#include <string_view>

#include "controlplane/api/bridge.h"
#include "controlplane/api/http.h"

namespace wayport::api {

// The Unix socket serves every route; the TCP listener only the metrics,
// which is all a Prometheus scraper needs and all that is safe to expose.
enum class Surface : uint8_t { control, metrics_only };

struct Routed {
	std::optional<http::Response> reply;  // answer now, or
	std::shared_ptr<Call> call;           // ask the control thread
};

Routed route(const http::Request &req, Surface surface);

// {"error": why} with the given status.
http::Response error_response(int status, std::string_view why);

// What a call's answer becomes; 503 when the control thread did not answer.
http::Response call_response(const Call &c);
http::Response busy_response();

} // namespace wayport::api
