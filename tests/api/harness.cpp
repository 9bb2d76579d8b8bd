#include "tests/api/harness.h"

#include <nlohmann/json.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <random>

#include "dataplane/wire/sockaddr.h"

namespace wayport::test {

namespace {

const std::string kNodeDisco = "discokey:" + std::string(64, 'a');
const std::string kServerDisco = "discokey:" + std::string(64, 'b');

} // namespace

const std::string kStatusJson =
	R"({"node_disco":")" + kNodeDisco + R"(","relay":{"server_disco":")" + kServerDisco +
	R"(","port":7777},"counters":{"alloc_ok":3,"handshake":{"bind_ok":2}}})";

const std::string kSessionsJson =
	R"({"UDPPort":7777,"Sessions":[{"VNI":1,)"
	R"("Client1":{"Endpoint":"198.51.100.1:41641","ShortDisco":"d:aaaaaaaaaaaaaaaa","PacketsTx":10,"BytesTx":1000},)"
	R"("Client2":{"Endpoint":"","ShortDisco":"d:cccccccccccccccc","PacketsTx":0,"BytesTx":0}}]})";

const std::string kMetricsText = "# HELP wayport_relay_sessions Live relay sessions.\n"
				 "# TYPE wayport_relay_sessions gauge\n"
				 "wayport_relay_sessions 1\n";

// Two peers: one with a handshake 90 s before kWireguardNow, one never.
const std::string kWireguardJson =
	R"({"public_key":"HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=","listen_port":51820,"peers":[)"
	R"({"public_key":"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=","preshared_key":true,)"
	R"("endpoint":"192.0.2.10:51820","allowed_ips":["10.99.0.2/32","fd99::2/128"],)"
	R"("latest_handshake":1700000000,"rx_bytes":1536,"tx_bytes":3221225472,"persistent_keepalive":25},)"
	R"({"public_key":"TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=","preshared_key":false,)"
	R"("endpoint":null,"allowed_ips":[],"latest_handshake":0,"rx_bytes":0,"tx_bytes":0,)"
	R"("persistent_keepalive":0}]})";

void canned(api::Call &c)
{
	c.http_status = 200;
	c.content_type = "application/json";
	switch (c.kind) {
	case api::CallKind::status: c.body = kStatusJson; break;
	case api::CallKind::sessions: c.body = kSessionsJson; break;
	case api::CallKind::metrics:
		c.content_type = "text/plain; version=0.0.4";
		c.body = kMetricsText;
		break;
	case api::CallKind::allocate:
		// Stands in for a refusal by the relay core.
		if (c.a == c.b) {
			c.http_status = 409;
			c.body = R"({"error":"client disco keys must differ"})";
			break;
		}
		c.body = R"({"ServerDisco":")" + kServerDisco + R"(","ClientDisco":[")" + c.a.to_text() + R"(",")" +
			 c.b.to_text() + R"("],"LamportID":1,"AddrPorts":["203.0.113.5:7777"],"VNI":1,)"
			 R"("BindLifetime":"30s","SteadyStateLifetime":"5m0s"})";
		break;
	case api::CallKind::wireguard: c.body = kWireguardJson; break;
	case api::CallKind::wg_peer: {
		// Echoes what the API thread parsed, so tests see the request.
		nlohmann::json j = {{"public_key", c.wg_peer.public_key}, {"remove", c.wg_peer.remove}};
		if (c.wg_peer.allowed_ips)
			j["allowed_ips"] = *c.wg_peer.allowed_ips;
		if (c.wg_peer.endpoint)
			j["endpoint"] = *c.wg_peer.endpoint;
		if (c.wg_peer.persistent_keepalive)
			j["persistent_keepalive"] = *c.wg_peer.persistent_keepalive;
		c.body = j.dump();
		break;
	}
	}
}

TempDir::TempDir()
{
	std::random_device rd;
	// Short: a Unix socket path has to fit in 108 bytes.
	path = std::filesystem::temp_directory_path() / ("wpapi." + std::to_string(getpid()) + "." + std::to_string(rd() % 100000));
	std::filesystem::create_directories(path);
}

TempDir::~TempDir()
{
	std::error_code ec;
	std::filesystem::remove_all(path, ec);
}

FakeControl::FakeControl(api::Bridge &bridge, Handler handler)
	: thread_([this, &bridge, handler = std::move(handler)] {
		  while (!stop_.load(std::memory_order_relaxed)) {
			  bridge.serve(handler, 8);
			  std::this_thread::sleep_for(std::chrono::microseconds(50));
		  }
	  })
{
}

FakeControl::~FakeControl()
{
	stop_.store(true);
	thread_.join();
}

TestServer::TestServer(ServerOptions opt)
	: socket((dir.path / "api.sock").string()), server(socket, opt.metrics, bridge, opt.limits)
{
	ok = server.start();
	if (opt.control)
		control.emplace(bridge, opt.handler);
}

int connect_unix(const std::string &path)
{
	sockaddr_un sa{};
	sa.sun_family = AF_UNIX;
	std::memcpy(sa.sun_path, path.data(), std::min(path.size(), sizeof(sa.sun_path) - 1));
	int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr *>(&sa), sizeof(sa)) != 0) {
		::close(fd);
		return -1;
	}
	return fd;
}

int connect_tcp(const AddrPort &addr)
{
	sockaddr_storage ss;
	socklen_t len = to_sockaddr(addr, ss);
	int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr *>(&ss), len) != 0) {
		::close(fd);
		return -1;
	}
	return fd;
}

std::string exchange(int fd, std::string_view request, bool half_close)
{
	std::string in;
	if (fd < 0)
		return in;
	while (!request.empty()) {
		ssize_t n = ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
		if (n <= 0)
			break;  // the server may refuse before reading it all
		request.remove_prefix(static_cast<size_t>(n));
	}
	if (half_close)
		::shutdown(fd, SHUT_WR);
	auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
	char buf[4096];
	while (std::chrono::steady_clock::now() < deadline) {
		pollfd p{fd, POLLIN, 0};
		if (::poll(&p, 1, 100) <= 0)
			continue;
		ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		in.append(buf, static_cast<size_t>(n));
	}
	::close(fd);
	return in;
}

api::http::Response raw_request(int fd, std::string_view bytes)
{
	api::http::Response r;
	if (!api::http::parse_response(exchange(fd, bytes), r))
		r.status = 0;
	return r;
}

api::http::Response request(const std::string &socket, std::string_view method, std::string_view target,
			    std::string_view body)
{
	std::string req = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: x\r\n";
	if (!body.empty() || method == "POST")
		req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
	req += "\r\n";
	req += body;
	return raw_request(connect_unix(socket), req);
}

} // namespace wayport::test
