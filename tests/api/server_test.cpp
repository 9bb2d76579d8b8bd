// A real ApiServer over real sockets, with a stand-in control thread.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <thread>
#include <vector>

#include "tests/api/harness.h"

namespace wayport::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const std::string kA = "discokey:" + std::string(64, '1');
const std::string kB = "discokey:" + std::string(64, '2');

std::string error_of(const api::http::Response &r)
{
	json j = json::parse(r.body, nullptr, false);
	return j.is_object() && j.contains("error") ? j["error"].get<std::string>() : "<no error: " + r.body + ">";
}

AddrPort loopback4(uint16_t port = 0)
{
	const uint8_t ip[4] = {127, 0, 0, 1};
	return AddrPort::v4(ip, port);
}

TEST(ApiServer, EachRoute)
{
	TestServer t;
	ASSERT_TRUE(t.started()) << t.server.error();

	auto r = request(t.socket, "GET", "/status");
	EXPECT_EQ(r.status, 200);
	EXPECT_EQ(r.content_type, "application/json");
	EXPECT_EQ(r.body, kStatusJson);

	r = request(t.socket, "GET", "/relay/sessions");
	EXPECT_EQ(r.status, 200);
	EXPECT_EQ(r.body, kSessionsJson);

	r = request(t.socket, "GET", "/metrics");
	EXPECT_EQ(r.status, 200);
	EXPECT_EQ(r.content_type, "text/plain; version=0.0.4");
	EXPECT_EQ(r.body, kMetricsText);

	r = request(t.socket, "POST", "/relay/allocate", R"({"a":")" + kA + R"(","b":")" + kB + R"("})");
	EXPECT_EQ(r.status, 200) << r.body;
	json ep = json::parse(r.body);
	EXPECT_EQ(ep["ClientDisco"], json::array({kA, kB}));
	EXPECT_EQ(ep["VNI"], 1);

	// The control thread's own refusals pass through as they are.
	r = request(t.socket, "POST", "/relay/allocate", R"({"a":")" + kA + R"(","b":")" + kA + R"("})");
	EXPECT_EQ(r.status, 409);
	EXPECT_EQ(error_of(r), "client disco keys must differ");
}

TEST(ApiServer, ResponsesCarryLengthTypeAndClose)
{
	TestServer t;
	ASSERT_TRUE(t.started()) << t.server.error();
	std::string raw = exchange(connect_unix(t.socket), "GET /status HTTP/1.1\r\nHost: x\r\n\r\n");
	EXPECT_EQ(raw.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << raw;
	EXPECT_NE(raw.find("\r\nContent-Type: application/json\r\n"), std::string::npos);
	EXPECT_NE(raw.find("\r\nContent-Length: " + std::to_string(kStatusJson.size()) + "\r\n"), std::string::npos);
	EXPECT_NE(raw.find("\r\nConnection: close\r\n"), std::string::npos);
}

TEST(ApiServer, ClientErrorsNeverReachTheControlThread)
{
	std::atomic<int> calls{0};
	ServerOptions opt;
	opt.handler = [&](api::Call &c) {
		calls++;
		canned(c);
	};
	TestServer t(std::move(opt));
	ASSERT_TRUE(t.started()) << t.server.error();

	auto r = request(t.socket, "GET", "/nope");
	EXPECT_EQ(r.status, 404);
	EXPECT_EQ(error_of(r), "no such endpoint: /nope");

	r = request(t.socket, "DELETE", "/status");
	EXPECT_EQ(r.status, 405);
	ASSERT_FALSE(r.extra.empty());
	bool allow = false;
	for (const auto &h : r.extra)
		allow |= h.name == "allow" && h.value == "GET";
	EXPECT_TRUE(allow);

	r = request(t.socket, "POST", "/relay/allocate", "{not json");
	EXPECT_EQ(r.status, 400);
	EXPECT_EQ(error_of(r), "body is not valid JSON");
	r = request(t.socket, "POST", "/relay/allocate", R"({"a":")" + kA + R"(","b":"discokey:zz"})");
	EXPECT_EQ(r.status, 400);
	EXPECT_NE(error_of(r).find("field 'b'"), std::string::npos);

	r = raw_request(connect_unix(t.socket), "GET /status HTTP/1.1\r\nBad Header\r\n\r\n");
	EXPECT_EQ(r.status, 400);
	EXPECT_EQ(error_of(r), "malformed header field");
	EXPECT_EQ(calls.load(), 0);
}

TEST(ApiServer, ControlThreadThatNeverAnswersIs503)
{
	ServerOptions opt;
	opt.control = false;
	opt.limits.call_timeout = 200ms;
	TestServer t(std::move(opt));
	ASSERT_TRUE(t.started()) << t.server.error();
	auto start = Clock::now();
	auto r = request(t.socket, "GET", "/status");
	EXPECT_EQ(r.status, 503);
	EXPECT_EQ(error_of(r), "control thread busy");
	EXPECT_GE(Clock::now() - start, 200ms);
	EXPECT_LT(Clock::now() - start, 2s);
}

TEST(ApiServer, FullQueueIs503AtOnce)
{
	ServerOptions opt;
	opt.control = false;
	opt.limits.call_timeout = 10s;
	TestServer t(std::move(opt));
	ASSERT_TRUE(t.started()) << t.server.error();
	// Fill the queue from here before any request: the server thread has
	// not produced yet, so there is still one producer at a time.
	for (size_t i = 0; i < api::Bridge::kQueueDepth; i++)
		ASSERT_TRUE(t.bridge.submit(std::make_shared<api::Call>()));
	auto start = Clock::now();
	auto r = request(t.socket, "GET", "/metrics");
	EXPECT_EQ(r.status, 503);
	EXPECT_EQ(error_of(r), "control thread busy");
	EXPECT_LT(Clock::now() - start, 5s);
}

TEST(ApiServer, StaleSocketIsReplacedButALiveOneIsNot)
{
	TempDir dir;
	std::string path = (dir.path / "api.sock").string();
	{
		// What a crashed daemon leaves: a socket file nobody listens on.
		int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
		sockaddr_un sa{};
		sa.sun_family = AF_UNIX;
		std::strcpy(sa.sun_path, path.c_str());
		ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr *>(&sa), sizeof(sa)), 0);
		::close(fd);
		ASSERT_TRUE(std::filesystem::exists(path));
	}
	api::Bridge bridge;
	api::ApiServer first(path, std::nullopt, bridge);
	ASSERT_TRUE(first.start()) << first.error();
	struct stat st;
	ASSERT_EQ(::stat(path.c_str(), &st), 0);
	EXPECT_EQ(st.st_mode & 0777, 0660u);

	api::Bridge bridge2;
	api::ApiServer second(path, std::nullopt, bridge2);
	EXPECT_FALSE(second.start());
	EXPECT_NE(second.error().find("in use"), std::string::npos) << second.error();
	EXPECT_FALSE(second.start());  // and again: nothing half-open

	// The first still serves, and its file is still there.
	FakeControl control(bridge, canned);
	EXPECT_EQ(request(path, "GET", "/status").status, 200);
	first.stop();
	EXPECT_FALSE(std::filesystem::exists(path));
	first.stop();  // idempotent

	// Now the second can have it.
	EXPECT_TRUE(second.start()) << second.error();
}

TEST(ApiServer, RefusesBadPaths)
{
	TempDir dir;
	api::Bridge bridge;
	auto refuse = [&](const std::string &path, const std::string &mentions) {
		api::ApiServer s(path, std::nullopt, bridge);
		EXPECT_FALSE(s.start()) << path;
		EXPECT_NE(s.error().find(mentions), std::string::npos) << path << ": " << s.error();
	};
	refuse((dir.path / "missing" / "api.sock").string(), "No such file or directory");
	refuse((dir.path / "missing" / "api.sock").string(), "directory");
	refuse((dir.path / std::string(120, 'x')).string(), "bytes long");
	refuse("", "bytes long");
	std::string file = (dir.path / "file").string();
	std::ofstream(file) << "x";
	refuse(file, "not a socket");
	EXPECT_TRUE(std::filesystem::exists(file));
	refuse((dir.path / "file" / "api.sock").string(), "not a directory");
}

TEST(ApiServer, StopRemovesOnlyItsOwnFile)
{
	TempDir dir;
	std::string path = (dir.path / "api.sock").string();
	api::Bridge bridge;
	api::ApiServer s(path, std::nullopt, bridge);
	ASSERT_TRUE(s.start()) << s.error();
	// Someone replaced the file (an operator, a successor): not ours now.
	std::filesystem::remove(path);
	std::ofstream(path) << "x";
	s.stop();
	EXPECT_TRUE(std::filesystem::exists(path));
}

TEST(ApiServer, ManyConcurrentClients)
{
	TestServer t;
	ASSERT_TRUE(t.started()) << t.server.error();
	constexpr int kThreads = 32, kEach = 20;
	std::atomic<int> ok{0};
	std::vector<std::thread> clients;
	for (int i = 0; i < kThreads; i++)
		clients.emplace_back([&, i] {
			for (int j = 0; j < kEach; j++) {
				auto r = (i + j) % 2 ? request(t.socket, "GET", "/status")
						     : request(t.socket, "GET", "/metrics");
				ok += r.status == 200 && (r.body == kStatusJson || r.body == kMetricsText);
			}
		});
	for (auto &c : clients)
		c.join();
	EXPECT_EQ(ok.load(), kThreads * kEach);
}

TEST(ApiServer, SlowClientDoesNotBlockOthers)
{
	ServerOptions opt;
	opt.limits.request_timeout = 1500ms;
	TestServer t(std::move(opt));
	ASSERT_TRUE(t.started()) << t.server.error();

	// Half a request, then nothing.
	int slow = connect_unix(t.socket);
	ASSERT_GE(slow, 0);
	ASSERT_EQ(::send(slow, "GET /sta", 8, 0), 8);
	// And one that never reads its response.
	int deaf = connect_unix(t.socket);
	std::string req = "GET /metrics HTTP/1.1\r\n\r\n";
	ASSERT_EQ(::send(deaf, req.data(), req.size(), 0), static_cast<ssize_t>(req.size()));

	auto start = Clock::now();
	for (int i = 0; i < 10; i++)
		EXPECT_EQ(request(t.socket, "GET", "/status").status, 200);
	EXPECT_LT(Clock::now() - start, 1s);

	// The slow one is told it took too long.
	auto r = raw_request(slow, "");
	EXPECT_EQ(r.status, 408);
	EXPECT_GE(Clock::now() - start, 1s);
	::close(deaf);
}

TEST(ApiServer, TooManyConnectionsAre503)
{
	ServerOptions opt;
	opt.limits.max_connections = 4;
	TestServer t(std::move(opt));
	ASSERT_TRUE(t.started()) << t.server.error();
	std::vector<int> idle;
	for (int i = 0; i < 4; i++)
		idle.push_back(connect_unix(t.socket));
	// Let the server accept them all before the next one.
	std::this_thread::sleep_for(100ms);
	auto r = request(t.socket, "GET", "/status");
	EXPECT_EQ(r.status, 503);
	EXPECT_EQ(error_of(r), "too many connections");
	for (int fd : idle)
		::close(fd);
	std::this_thread::sleep_for(100ms);
	EXPECT_EQ(request(t.socket, "GET", "/status").status, 200);
}

TEST(ApiServer, OversizeRequestIs413)
{
	TestServer t;
	ASSERT_TRUE(t.started()) << t.server.error();
	// Announced too large: refused before the body is read.
	auto r = raw_request(connect_unix(t.socket),
			     "POST /relay/allocate HTTP/1.1\r\nContent-Length: 1000000\r\n\r\n" + std::string(100000, 'x'));
	EXPECT_EQ(r.status, 413);
	// Headers without end.
	r = raw_request(connect_unix(t.socket), "GET /status HTTP/1.1\r\nX: " + std::string(200000, 'a'));
	EXPECT_EQ(r.status, 413);
	EXPECT_EQ(request(t.socket, "GET", "/status").status, 200);
}

TEST(ApiServer, GarbageAndTruncationNeverHurt)
{
	ServerOptions opt;
	opt.limits.request_timeout = 300ms;
	TestServer t(std::move(opt));
	ASSERT_TRUE(t.started()) << t.server.error();
	const std::string body = R"({"a":")" + kA + R"(","b":")" + kB + R"("})";
	const std::string valid =
		"POST /relay/allocate HTTP/1.1\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
	std::mt19937 rng(7);
	std::vector<std::thread> clients;
	for (int i = 0; i < 8; i++)
		clients.emplace_back([&, seed = rng()] {
			std::mt19937 r(seed);
			for (int j = 0; j < 40; j++) {
				std::string bytes;
				switch (j % 3) {
				case 0:  // truncated, then closed
					bytes = valid.substr(0, r() % valid.size());
					break;
				case 1:  // random bytes
					bytes.resize(r() % 600);
					for (char &c : bytes)
						c = static_cast<char>(r());
					break;
				case 2:  // a valid request with a byte changed
					bytes = valid;
					bytes[r() % bytes.size()] = static_cast<char>(r());
					break;
				}
				std::string resp = exchange(connect_unix(t.socket), bytes, true);
				api::http::Response parsed;
				// Either nothing (the client left half way) or a
				// well-formed response.
				if (!resp.empty()) {
					EXPECT_TRUE(api::http::parse_response(resp, parsed)) << resp;
				}
			}
		});
	for (auto &c : clients)
		c.join();
	EXPECT_EQ(request(t.socket, "GET", "/status").status, 200);
}

TEST(ApiServer, MetricsListenerOnTcp)
{
	ServerOptions opt;
	opt.metrics = loopback4();
	TestServer t(std::move(opt));
	ASSERT_TRUE(t.started()) << t.server.error();
	uint16_t port = t.server.metrics_port();
	ASSERT_NE(port, 0);

	auto r = raw_request(connect_tcp(loopback4(port)), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	EXPECT_EQ(r.status, 200);
	EXPECT_EQ(r.content_type, "text/plain; version=0.0.4");
	EXPECT_EQ(r.body, kMetricsText);
	// Only the metrics there.
	EXPECT_EQ(raw_request(connect_tcp(loopback4(port)), "GET /status HTTP/1.1\r\n\r\n").status, 404);
	EXPECT_EQ(raw_request(connect_tcp(loopback4(port)),
			      "POST /relay/allocate HTTP/1.1\r\nContent-Length: 0\r\n\r\n").status,
		  404);
	r = raw_request(connect_tcp(loopback4(port)), "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
	EXPECT_EQ(r.status, 405);
	// A 413 over TCP still arrives whole (no reset eats it).
	r = raw_request(connect_tcp(loopback4(port)), "GET /metrics HTTP/1.1\r\nX: " + std::string(300000, 'a'));
	EXPECT_EQ(r.status, 413);

	// The port is taken now: a second server says so and leaves nothing.
	TempDir dir;
	std::string path = (dir.path / "api.sock").string();
	api::Bridge bridge;
	api::ApiServer second(path, loopback4(port), bridge);
	EXPECT_FALSE(second.start());
	EXPECT_NE(second.error().find("metrics"), std::string::npos) << second.error();
	EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(ApiServer, MetricsListenerOnIpv6)
{
	uint8_t ip6[16] = {};
	ip6[15] = 1;
	ServerOptions opt;
	opt.metrics = AddrPort::v6(ip6, 0);
	TestServer t(std::move(opt));
	if (!t.started())
		GTEST_SKIP() << "no IPv6 loopback here: " << t.server.error();
	auto r = raw_request(connect_tcp(AddrPort::v6(ip6, t.server.metrics_port())), "GET /metrics HTTP/1.1\r\n\r\n");
	EXPECT_EQ(r.status, 200);
	EXPECT_EQ(r.body, kMetricsText);
}

} // namespace
} // namespace wayport::test
