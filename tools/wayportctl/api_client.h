// wayportctl's side of the local API: one HTTP/1.1 request per connection
// over wayportd's Unix socket, as the daemon closes after each response.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "controlplane/api/http.h"

namespace wayport::ctl {

// Sends the request and returns the daemon's response, whatever its status.
// Throws CommandError when the daemon cannot be reached ("cannot reach
// wayportd at PATH: <reason>"), does not answer in time, or answers with
// something that is not HTTP.
api::http::Response api_request(const std::string &socket_path, std::string_view method, std::string_view path,
				std::string_view json_body = {});

// The body of a 2xx response; for any other status the daemon's
// {"error": "..."} becomes a CommandError with its message.
std::string api_fetch(const std::string &socket_path, std::string_view method, std::string_view path,
		      std::string_view json_body = {});
// The same, parsed, in the daemon's field order; invalid JSON is an error.
nlohmann::ordered_json api_fetch_json(const std::string &socket_path, std::string_view method, std::string_view path,
				      std::string_view json_body = {});

} // namespace wayport::ctl
