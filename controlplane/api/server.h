// The local API: HTTP/1.1 + JSON on a Unix socket, and optionally the
// Prometheus metrics on TCP. It runs on one thread of its own, off the DPDK
// lcores, and reaches the control thread only through the Bridge.
//
// One poll(2) loop serves every client: sockets are non-blocking, each
// connection has its own buffers and deadlines, and a call waiting for the
// control thread is watched rather than waited for, so no client (slow,
// stuck or hostile) can hold up another.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "controlplane/api/bridge.h"
#include "controlplane/api/fd.h"
#include "controlplane/api/listener.h"
#include "dataplane/wire/addr.h"

namespace wayport::api {

namespace http {
struct Request;
}

struct ServerLimits {
	size_t max_request = 64 * 1024;  // head and body; more is 413
	size_t max_connections = 64;     // beyond it, 503 and close
	std::chrono::milliseconds request_timeout{5000};  // whole request; then 408
	std::chrono::milliseconds call_timeout{2000};     // control thread; then 503
	std::chrono::milliseconds write_timeout{5000};    // client taking the response
};

class ApiServer {
public:
	ApiServer(std::string socket_path, std::optional<AddrPort> metrics_listen, Bridge &bridge,
		  ServerLimits limits = {});
	~ApiServer();
	ApiServer(const ApiServer &) = delete;
	ApiServer &operator=(const ApiServer &) = delete;

	// Opens the listeners and starts the thread. False, with error() saying
	// why, when a listener cannot be opened (see listen_unix); nothing is
	// left open or running then. Never throws.
	bool start();
	const std::string &error() const { return error_; }

	// Stops the thread, closes every connection and removes the socket
	// file. Idempotent; the destructor calls it.
	void stop();

	// The metrics listener's port (the one the kernel picked, when asked
	// for port 0); 0 without a listener or before start().
	uint16_t metrics_port() const { return metrics_port_; }

private:
	struct Conn;
	using Clock = std::chrono::steady_clock;

	bool abandon_start();
	void run();
	void accept_all(int listen_fd, bool metrics);
	void on_ready(Conn &c, Clock::time_point now);
	void read_request(Conn &c, Clock::time_point now);
	void dispatch(Conn &c, const http::Request &req, Clock::time_point now);
	void respond(Conn &c, std::string bytes, Clock::time_point now);
	void write_response(Conn &c, Clock::time_point now);
	void drain(Conn &c);
	void tick(Conn &c, Clock::time_point now);

	std::string socket_path_;
	std::optional<AddrPort> metrics_listen_;
	Bridge &bridge_;
	ServerLimits limits_;

	std::string error_;
	Fd unix_fd_, tcp_fd_, wake_fd_;
	SocketFile socket_file_;
	uint16_t metrics_port_ = 0;
	std::thread thread_;
	std::vector<std::unique_ptr<Conn>> conns_;  // API thread only
};

} // namespace wayport::api
