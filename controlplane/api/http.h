// The small HTTP/1.1 subset the local API speaks: one request per
// connection, a Content-Length body or none, and a response that closes the
// connection. The parser is strict (RFC 9112 syntax, no obs-fold, no
// chunked bodies): its only clients are wayportctl, curl and scrapers, and
// anything unusual on a control socket is better refused than guessed at.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wayport::api::http {

struct Header {
	std::string name;  // lowercased
	std::string value;
};

struct Request {
	std::string method;
	std::string path;   // the target without its query
	std::string query;  // after '?', may be empty
	std::vector<Header> headers;
	std::string body;

	// The first header of that name (lowercase), or nullptr.
	const std::string *header(std::string_view name) const;
};

enum class Parse : uint8_t {
	incomplete,  // need more bytes
	complete,    // req is filled; `consumed` bytes were used
	error,       // answer `error_status` with `error` and close
};

struct ParseResult {
	Parse state = Parse::incomplete;
	size_t consumed = 0;
	int error_status = 0;
	std::string error;
};

// Parses one request from the start of buf. A request (head and body) longer
// than `limit` bytes is an error with status 413, reported as soon as that is
// certain, so the caller never needs to buffer more than limit bytes.
ParseResult parse_request(std::string_view buf, size_t limit, Request &req);

struct Response {
	int status = 200;
	std::string content_type;
	std::string body;
	std::vector<Header> extra;  // e.g. Allow; names as written
};

// The full response, with Content-Type, Content-Length and
// Connection: close.
std::string serialize(const Response &r);

// "OK", "Not Found", ...; "Unknown" for codes we never send.
std::string_view reason_phrase(int status);

// A complete response as received by a client that read until the server
// closed (or until Content-Length was satisfied). False when buf does not
// hold a whole, well-formed response.
bool parse_response(std::string_view buf, Response &resp);

// For clients reading a response: has buf received all of it yet? Returns
// the response's total length once the head is in and Content-Length is
// known, 0 while that is not yet certain.
size_t response_length(std::string_view buf);

} // namespace wayport::api::http
