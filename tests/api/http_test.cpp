// The request parser on its own: what it accepts, what it refuses and with
// which status, and that no input (truncated, mutated, random, huge) makes
// it misbehave.
#include <gtest/gtest.h>

#include <random>

#include "controlplane/api/http.h"

namespace wayport::api::http {
namespace {

constexpr size_t kLimit = 64 * 1024;

const std::string kGet = "GET /status?x=1 HTTP/1.1\r\nHost: wayportd\r\nAccept: */*\r\n\r\n";
const std::string kPost = "POST /relay/allocate HTTP/1.1\r\nHost: wayportd\r\nContent-Type: application/json\r\n"
			  "Content-Length: 9\r\n\r\n{\"a\":\"x\"}";

ParseResult parse(std::string_view buf, Request &req)
{
	return parse_request(buf, kLimit, req);
}

void expect_error(std::string_view buf, int status)
{
	Request req;
	ParseResult r = parse(buf, req);
	EXPECT_EQ(r.state, Parse::error) << buf;
	EXPECT_EQ(r.error_status, status) << buf << " -> " << r.error;
	EXPECT_FALSE(r.error.empty());
}

TEST(Http, ParsesAGet)
{
	Request req;
	ParseResult r = parse(kGet, req);
	ASSERT_EQ(r.state, Parse::complete) << r.error;
	EXPECT_EQ(r.consumed, kGet.size());
	EXPECT_EQ(req.method, "GET");
	EXPECT_EQ(req.path, "/status");
	EXPECT_EQ(req.query, "x=1");
	ASSERT_NE(req.header("host"), nullptr);
	EXPECT_EQ(*req.header("host"), "wayportd");
	EXPECT_EQ(req.header("content-length"), nullptr);
	EXPECT_TRUE(req.body.empty());
}

TEST(Http, ParsesAPostBodyAndIgnoresWhatFollows)
{
	Request req;
	ParseResult r = parse(kPost + "GET / HTTP/1.1\r\n", req);
	ASSERT_EQ(r.state, Parse::complete) << r.error;
	EXPECT_EQ(r.consumed, kPost.size());
	EXPECT_EQ(req.body, "{\"a\":\"x\"}");
	EXPECT_EQ(*req.header("content-type"), "application/json");
}

TEST(Http, HeaderNamesAreCaseInsensitiveAndValuesTrimmed)
{
	Request req;
	ASSERT_EQ(parse("GET / HTTP/1.0\r\nX-Thing: \t v a l \t\r\nCONTENT-length: 0\r\n\r\n", req).state,
		  Parse::complete);
	EXPECT_EQ(*req.header("x-thing"), "v a l");
	EXPECT_EQ(*req.header("content-length"), "0");
}

TEST(Http, EveryTruncationIsIncomplete)
{
	for (const std::string &full : {kGet, kPost}) {
		for (size_t n = 0; n < full.size(); n++) {
			Request req;
			EXPECT_EQ(parse(full.substr(0, n), req).state, Parse::incomplete) << n;
		}
	}
}

TEST(Http, RefusesMalformedRequests)
{
	expect_error("GET /status HTTP/1.1\n\n", 400);                // bare LF
	expect_error("GET /status HTTP/1.1\r\nHost: x\n\r\n", 400);
	expect_error("GET  /status HTTP/1.1\r\n\r\n", 400);           // two spaces
	expect_error("GET /status\r\n\r\n", 400);                     // HTTP/0.9
	expect_error("GET /status HTTP/1.1 x\r\n\r\n", 400);
	expect_error("G(T /status HTTP/1.1\r\n\r\n", 400);            // not a token
	expect_error("GET status HTTP/1.1\r\n\r\n", 400);             // not origin form
	expect_error("GET http://x/status HTTP/1.1\r\n\r\n", 400);
	expect_error("GET /sta#tus HTTP/1.1\r\n\r\n", 400);
	expect_error("GET /st\x01us HTTP/1.1\r\n\r\n", 400);
	expect_error("GET / HTTP/2.0\r\n\r\n", 505);
	expect_error("GET / HTTP/1.1.1\r\n\r\n", 400);
	expect_error("GET / http/1.1\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400);      // space before colon
	expect_error("GET / HTTP/1.1\r\nHost x\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\n: x\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", 400);    // obs-fold
	expect_error(std::string("GET / HTTP/1.1\r\nA: b\0c\r\n\r\n", 27), 400);
	expect_error("GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400);
	expect_error("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501);
	std::string many = "GET / HTTP/1.1\r\n";
	for (int i = 0; i < 101; i++)
		many += "X: y\r\n";
	expect_error(many + "\r\n", 431);
}

TEST(Http, RepeatedEqualContentLengthIsFine)
{
	Request req;
	ASSERT_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab", req).state,
		  Parse::complete);
	EXPECT_EQ(req.body, "ab");
}

TEST(Http, OversizeIsKnownEarly)
{
	// A body that would not fit: refused on the head alone.
	expect_error("POST / HTTP/1.1\r\nContent-Length: 65536\r\n\r\n", 413);
	expect_error("POST / HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\n", 413);
	// A head that has not ended within the limit.
	std::string huge = "GET / HTTP/1.1\r\nX: " + std::string(kLimit, 'a');
	expect_error(huge.substr(0, kLimit), 413);
	// A request line without its end.
	expect_error("GET /" + std::string(kLimit, 'a'), 413);
	// Exactly at the limit is fine.
	std::string head = "POST / HTTP/1.1\r\nContent-Length: ";
	size_t body = kLimit - head.size() - 5 - 4;
	std::string exact = head + std::to_string(body) + "\r\n\r\n" + std::string(body, 'x');
	ASSERT_EQ(exact.size(), kLimit);
	Request req;
	EXPECT_EQ(parse(exact, req).state, Parse::complete);
}

// Mutated valid requests and random bytes: whatever the verdict, it is
// consistent, and ASan/UBSan builds check that nothing reads out of bounds.
TEST(Http, FuzzNeverMisbehaves)
{
	std::mt19937 rng(12345);
	const std::string alphabet = "GETPOST /:\r\n\t HTTP/1.1Content-Length0123456789 \x00\xff{}\"";
	auto check = [](const std::string &buf) {
		Request req;
		ParseResult r = parse_request(buf, 1024, req);
		switch (r.state) {
		case Parse::complete:
			ASSERT_LE(r.consumed, buf.size());
			ASSERT_LE(r.consumed, 1024u);
			ASSERT_FALSE(req.method.empty());
			ASSERT_EQ(req.path.front(), '/');
			break;
		case Parse::error:
			ASSERT_GE(r.error_status, 400);
			ASSERT_FALSE(r.error.empty());
			break;
		case Parse::incomplete:
			ASSERT_LT(buf.size(), 1024u);
			break;
		}
	};
	for (int i = 0; i < 20000; i++) {
		std::string buf = i % 2 ? kGet : kPost;
		int edits = 1 + static_cast<int>(rng() % 4);
		for (int e = 0; e < edits; e++) {
			size_t pos = rng() % (buf.size() + 1);
			switch (rng() % 4) {
			case 0: buf.insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
			case 1: if (pos < buf.size()) buf.erase(pos, 1); break;
			case 2: if (pos < buf.size()) buf[pos] = static_cast<char>(rng()); break;
			case 3: buf.resize(pos); break;
			}
		}
		check(buf);
		std::string garbage(rng() % 2048, '\0');
		for (char &c : garbage)
			c = static_cast<char>(rng() % 4 ? alphabet[rng() % alphabet.size()] : rng());
		check(garbage);
	}
	// Huge headers: many fields, one long field, endless line.
	std::string many = "GET / HTTP/1.1\r\n";
	while (many.size() < 4096)
		many += "X-" + std::to_string(many.size()) + ": v\r\n";
	check(many);
	check("GET / HTTP/1.1\r\nX: " + std::string(4096, 'v') + "\r\n\r\n");
	check(std::string(4096, 'G'));
}

TEST(Http, SerializeAndParseResponse)
{
	Response out{405, "application/json", "{\"error\":\"x\"}\n", {{"Allow", "GET"}}};
	std::string bytes = serialize(out);
	EXPECT_EQ(bytes.substr(0, bytes.find("\r\n")), "HTTP/1.1 405 Method Not Allowed");
	EXPECT_NE(bytes.find("\r\nContent-Length: 14\r\n"), std::string::npos);
	EXPECT_NE(bytes.find("\r\nConnection: close\r\n"), std::string::npos);
	EXPECT_EQ(response_length(bytes), bytes.size());
	EXPECT_EQ(response_length(bytes.substr(0, 20)), 0u);

	Response in;
	ASSERT_TRUE(parse_response(bytes, in));
	EXPECT_EQ(in.status, 405);
	EXPECT_EQ(in.content_type, "application/json");
	EXPECT_EQ(in.body, out.body);
	EXPECT_FALSE(parse_response(bytes.substr(0, bytes.size() - 1), in));
	EXPECT_FALSE(parse_response("HTTP/1.1 2000 OK\r\n\r\n", in));
	EXPECT_FALSE(parse_response("garbage", in));
	// Without Content-Length the body runs to the end.
	ASSERT_TRUE(parse_response("HTTP/1.0 200 OK\r\n\r\nabc", in));
	EXPECT_EQ(in.body, "abc");
}

} // namespace
} // namespace wayport::api::http
