#include "controlplane/api/http.h"

#include <algorithm>
#include <charconv>

namespace wayport::api::http {

namespace {

constexpr size_t kMaxHeaders = 100;
constexpr size_t kMaxMethod = 16;

// RFC 9110 token characters.
bool is_tchar(char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s)
{
	return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

// field-content: visible ASCII, space, tab and obs-text; never CR, LF, NUL.
bool is_field_char(char c)
{
	auto u = static_cast<unsigned char>(c);
	return u == '\t' || (u >= 0x20 && u != 0x7f);
}

char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowercase(std::string_view s)
{
	std::string out(s);
	std::transform(out.begin(), out.end(), out.begin(), lower);
	return out;
}

std::string_view trim_ows(std::string_view s)
{
	while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
		s.remove_prefix(1);
	while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
		s.remove_suffix(1);
	return s;
}

struct Fail {
	int status;
	std::string why;
};

// The next line of buf from pos, without its CRLF; not complete when no
// full line is there yet. A bare LF is an error: RFC 9112 lets a server
// accept it, but nothing that talks to us needs that.
struct Line {
	std::string_view text;
	size_t next = 0;
	bool complete = false;
};

bool next_line(std::string_view buf, size_t pos, Line &line, Fail &fail)
{
	size_t lf = buf.find('\n', pos);
	if (lf == std::string_view::npos) {
		line.complete = false;
		return true;
	}
	if (lf == pos || buf[lf - 1] != '\r') {
		fail = {400, "line not ended by CRLF"};
		return false;
	}
	line.text = buf.substr(pos, lf - 1 - pos);
	line.next = lf + 1;
	line.complete = true;
	return true;
}

bool parse_field(std::string_view text, std::vector<Header> &headers, Fail &fail)
{
	if (text.front() == ' ' || text.front() == '\t') {
		fail = {400, "obsolete header line folding"};
		return false;
	}
	size_t colon = text.find(':');
	if (colon == std::string_view::npos || !is_token(text.substr(0, colon))) {
		fail = {400, "malformed header field"};
		return false;
	}
	std::string_view value = text.substr(colon + 1);
	if (!std::all_of(value.begin(), value.end(), is_field_char)) {
		fail = {400, "control character in header field"};
		return false;
	}
	if (headers.size() == kMaxHeaders) {
		fail = {431, "too many header fields"};
		return false;
	}
	headers.push_back({lowercase(text.substr(0, colon)), std::string(trim_ows(value))});
	return true;
}

// Parses header lines from pos up to the empty line. Sets head_end past it,
// or leaves it 0 while the head is incomplete.
bool parse_fields(std::string_view buf, size_t pos, std::vector<Header> &headers, size_t &head_end,
		  Fail &fail)
{
	head_end = 0;
	for (;;) {
		Line line;
		if (!next_line(buf, pos, line, fail))
			return false;
		if (!line.complete)
			return true;
		if (line.text.empty()) {
			head_end = line.next;
			return true;
		}
		if (!parse_field(line.text, headers, fail))
			return false;
		pos = line.next;
	}
}

const Header *find_header(const std::vector<Header> &headers, std::string_view name)
{
	auto it = std::find_if(headers.begin(), headers.end(), [&](const Header &h) { return h.name == name; });
	return it == headers.end() ? nullptr : &*it;
}

bool parse_size(std::string_view s, size_t &out)
{
	if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
		return false;
	auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
	return ec == std::errc() && end == s.data() + s.size();
}

// Content-Length, which may repeat only with the same value (RFC 9112 6.3).
// Absent means no body.
bool content_length(const std::vector<Header> &headers, size_t &len, Fail &fail)
{
	std::string_view seen;
	for (const Header &h : headers) {
		if (h.name != "content-length")
			continue;
		if (!seen.empty() && h.value != seen) {
			fail = {400, "conflicting Content-Length"};
			return false;
		}
		seen = h.value;
	}
	len = 0;
	if (seen.empty())
		return true;
	if (!parse_size(seen, len)) {
		fail = {400, "invalid Content-Length"};
		return false;
	}
	return true;
}

bool parse_request_line(std::string_view text, Request &req, Fail &fail)
{
	size_t sp1 = text.find(' ');
	size_t sp2 = sp1 == std::string_view::npos ? sp1 : text.find(' ', sp1 + 1);
	if (sp2 == std::string_view::npos || text.find(' ', sp2 + 1) != std::string_view::npos) {
		fail = {400, "malformed request line"};
		return false;
	}
	std::string_view method = text.substr(0, sp1);
	std::string_view target = text.substr(sp1 + 1, sp2 - sp1 - 1);
	std::string_view version = text.substr(sp2 + 1);
	if (!is_token(method) || method.size() > kMaxMethod) {
		fail = {400, "malformed method"};
		return false;
	}
	// Origin form only: this is no proxy.
	bool target_ok = !target.empty() && target.front() == '/' &&
			 std::all_of(target.begin(), target.end(), [](char c) {
				 auto u = static_cast<unsigned char>(c);
				 return u > 0x20 && u < 0x7f && c != '#';
			 });
	if (!target_ok) {
		fail = {400, "malformed request target"};
		return false;
	}
	if (version != "HTTP/1.1" && version != "HTTP/1.0") {
		bool looks_http = version.size() == 8 && version.substr(0, 5) == "HTTP/" &&
				  version[5] >= '0' && version[5] <= '9' && version[6] == '.' &&
				  version[7] >= '0' && version[7] <= '9';
		fail = looks_http ? Fail{505, "only HTTP/1.0 and HTTP/1.1 are supported"}
				  : Fail{400, "malformed HTTP version"};
		return false;
	}
	req.method = method;
	size_t q = target.find('?');
	req.path = target.substr(0, q);
	req.query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
	return true;
}

ParseResult failed(const Fail &f)
{
	return {Parse::error, 0, f.status, f.why};
}

ParseResult too_large(size_t limit)
{
	return failed({413, "request larger than " + std::to_string(limit) + " bytes"});
}

} // namespace

const std::string *Request::header(std::string_view name) const
{
	const Header *h = find_header(headers, name);
	return h ? &h->value : nullptr;
}

ParseResult parse_request(std::string_view buf, size_t limit, Request &req)
{
	req = Request{};
	Fail fail;
	Line first;
	if (!next_line(buf, 0, first, fail))
		return failed(fail);
	if (!first.complete)
		return buf.size() >= limit ? too_large(limit) : ParseResult{};
	if (!parse_request_line(first.text, req, fail))
		return failed(fail);

	size_t head_end;
	if (!parse_fields(buf, first.next, req.headers, head_end, fail))
		return failed(fail);
	if (head_end == 0)
		return buf.size() >= limit ? too_large(limit) : ParseResult{};

	// No chunked bodies: RFC 9112 asks for 501 when a transfer coding is
	// not understood.
	if (req.header("transfer-encoding"))
		return failed({501, "Transfer-Encoding is not supported; send Content-Length"});
	size_t body_len;
	if (!content_length(req.headers, body_len, fail))
		return failed(fail);
	if (body_len > limit || head_end + body_len > limit)
		return too_large(limit);
	if (buf.size() < head_end + body_len)
		return {};
	req.body = buf.substr(head_end, body_len);
	return {Parse::complete, head_end + body_len, 0, {}};
}

std::string_view reason_phrase(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

std::string serialize(const Response &r)
{
	std::string out = "HTTP/1.1 " + std::to_string(r.status) + " ";
	out += reason_phrase(r.status);
	out += "\r\nContent-Type: " + r.content_type;
	out += "\r\nContent-Length: " + std::to_string(r.body.size());
	for (const Header &h : r.extra)
		out += "\r\n" + h.name + ": " + h.value;
	out += "\r\nConnection: close\r\n\r\n";
	out += r.body;
	return out;
}

namespace {

// "HTTP/1.x NNN reason": the status code, or 0 when the line is not one.
int parse_status_line(std::string_view text)
{
	if (text.size() < 12 || (text.substr(0, 9) != "HTTP/1.1 " && text.substr(0, 9) != "HTTP/1.0 "))
		return 0;
	size_t code = 0;
	if (!parse_size(text.substr(9, 3), code) || code < 100 || (text.size() > 12 && text[12] != ' '))
		return 0;
	return static_cast<int>(code);
}

// The status line and header fields of a response; head_end past the empty
// line, and body_len from Content-Length or, without one, the rest of buf.
bool parse_response_head(std::string_view buf, int &status, std::vector<Header> &headers, size_t &head_end,
			 size_t &body_len, bool &has_length)
{
	Fail fail;
	Line first;
	if (!next_line(buf, 0, first, fail) || !first.complete)
		return false;
	status = parse_status_line(first.text);
	if (status == 0 || !parse_fields(buf, first.next, headers, head_end, fail) || head_end == 0)
		return false;
	has_length = find_header(headers, "content-length") != nullptr;
	body_len = buf.size() - head_end;
	return !has_length || content_length(headers, body_len, fail);
}

} // namespace

bool parse_response(std::string_view buf, Response &resp)
{
	resp = Response{};
	size_t head_end, body_len;
	bool has_length;
	if (!parse_response_head(buf, resp.status, resp.extra, head_end, body_len, has_length) ||
	    buf.size() - head_end < body_len)
		return false;
	if (const Header *ct = find_header(resp.extra, "content-type"))
		resp.content_type = ct->value;
	resp.body = buf.substr(head_end, body_len);
	return true;
}

size_t response_length(std::string_view buf)
{
	int status;
	std::vector<Header> headers;
	size_t head_end, body_len;
	bool has_length;
	if (!parse_response_head(buf, status, headers, head_end, body_len, has_length) || !has_length)
		return 0;
	return head_end + body_len;
}

} // namespace wayport::api::http
