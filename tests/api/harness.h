// A real ApiServer on a socket in a temporary directory, with a thread that
// stands in for the control thread, and raw clients to talk to it.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "controlplane/api/bridge.h"
#include "controlplane/api/http.h"
#include "controlplane/api/server.h"

namespace wayport::test {

// Removed with everything in it when the test ends.
struct TempDir {
	TempDir();
	~TempDir();
	TempDir(const TempDir &) = delete;
	TempDir &operator=(const TempDir &) = delete;
	std::filesystem::path path;
};

using Handler = std::function<void(api::Call &)>;

// Canned answers in the shapes the real control thread gives.
extern const std::string kStatusJson;
extern const std::string kSessionsJson;
extern const std::string kMetricsText;
extern const std::string kWireguardJson;
void canned(api::Call &c);

// Calls bridge.serve in a loop, as the control thread does every iteration.
class FakeControl {
public:
	FakeControl(api::Bridge &bridge, Handler handler);
	~FakeControl();
	FakeControl(const FakeControl &) = delete;
	FakeControl &operator=(const FakeControl &) = delete;

private:
	std::atomic<bool> stop_{false};
	std::thread thread_;
};

struct ServerOptions {
	bool control = true;  // false: nobody serves the bridge (503s)
	Handler handler = canned;
	std::optional<AddrPort> metrics;
	api::ServerLimits limits;
};

// Started in the constructor; tests ASSERT on started().
struct TestServer {
	explicit TestServer(ServerOptions opt = {});
	bool started() const { return ok; }

	TempDir dir;
	std::string socket;
	api::Bridge bridge;
	api::ApiServer server;
	bool ok = false;
	std::optional<FakeControl> control;  // declared last: stops first
};

// Connects to the Unix socket at path (or -1).
int connect_unix(const std::string &path);
// Connects to 127.0.0.1 or ::1 at port (or -1).
int connect_tcp(const AddrPort &addr);

// Sends raw bytes (then half-closes if asked) and reads until the server
// closes, or 10 s pass. Closes fd.
std::string exchange(int fd, std::string_view request, bool half_close = false);

// One request to the Unix socket; the parsed response (status 0 when the
// server sent nothing that parses).
api::http::Response request(const std::string &socket, std::string_view method, std::string_view target,
			    std::string_view body = {});
api::http::Response raw_request(int fd, std::string_view bytes);

} // namespace wayport::test
