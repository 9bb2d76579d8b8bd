// wayportctl's side of the local API: one HTTP/1.1 request per connection
// over wayportd's Unix socket, as the daemon closes after each response.
#pragma once

#include <string>
#include <string_view>

#include "controlplane/api/http.h"

namespace wayport::ctl {

// Sends the request and returns the daemon's response, whatever its status.
// Throws CommandError when the daemon cannot be reached ("cannot reach
// wayportd at PATH: <reason>"), does not answer in time, or answers with
// something that is not HTTP.
api::http::Response api_request(const std::string &socket_path, std::string_view method, std::string_view path,
				std::string_view json_body = {});

} // namespace wayport::ctl
