// A relay and clients for wayport-connect's Path tests, all in-process on
// real UDP sockets: the relay is wayportd's relay core (relay::Server)
// behind sockets on loopback addresses, the clients are real Paths fed from
// their own sockets the way the connector feeds them. Time is virtual: tests pass
// every `now`, and the relay core sees the same instant.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/relay_mirror.h"
#include "controlplane/api/bridge.h"
#include "controlplane/api/server.h"
#include "controlplane/relay/server.h"
#include "tools/wayport-connect/path.h"

namespace wayport::connect::test {

using namespace std::chrono_literals;

// The tests' epoch; any instant does, the Path reads no clock.
inline const Clock::time_point kT0{std::chrono::hours(1)};

// A datagram that reached the relay, as far as the relay can read it.
enum class Kind { alloc_request, bind, answer, peer_disco, wireguard, other };

struct Arrival {
	Kind kind;
	size_t socket;  // index of the advertised address it came to
	AddrPort from;
	Clock::time_point at;
	uint32_t vni = 0;         // Geneve
	uint32_t generation = 0;  // allocation request, Bind, Answer
};

// wayportd's local API server on socket_path, and a thread standing in for
// the control thread that answers its calls with handler.
class ApiStub {
public:
	ApiStub(const std::string &socket_path, std::function<void(api::Call &)> handler);
	~ApiStub();
	ApiStub(const ApiStub &) = delete;
	ApiStub &operator=(const ApiStub &) = delete;

	bool started() const { return started_; }
	const std::string &error() const { return server_.error(); }

private:
	api::Bridge bridge_;
	api::ApiServer server_;
	bool started_ = false;
	std::atomic<bool> stop_{false};
	std::thread control_;
};

class Relay {
public:
	// One socket per advertised address, one on each of ips, on ports the
	// kernel picks.
	explicit Relay(relay::Config config, const std::vector<std::string> &ips = {"127.0.0.1"});

	const disco::PublicKey &node_key() const { return node_pub_; }
	const disco::PublicKey &server_key() const { return server_pub_; }
	const std::vector<AddrPort> &addresses() const { return addresses_; }
	relay::Server &core() { return *core_; }
	relay::Time time(Clock::time_point t) const;

	// Handles every datagram that has arrived (on socket `only`, if given)
	// at `now`: records it, then answers or forwards it as wayportd does,
	// unless silent. Expires endpoints first. Returns how many it read.
	size_t serve(Clock::time_point now, std::optional<size_t> only = std::nullopt);

	// A restarted wayportd: the same node key, a new server key, no
	// endpoints.
	void restart();

	// Sends from advertised address `socket`, as the relay would.
	void send_from(size_t socket, ByteSpan b, const AddrPort &to);
	// A Challenge sealed with the server key, Geneve header with `vni`.
	Bytes challenge(const disco::PublicKey &client, const disco::BindCommon &c, uint32_t vni) const;

	// wayportd's local API on socket_path: allocations there go to the same
	// core, answered as Control::serve_api answers them.
	void start_api(const std::string &socket_path);

	// Reads and records, but answers and forwards nothing: a relay gone.
	bool silent = false;
	// Like silent, for what it matches only.
	std::function<bool(const Arrival &)> drop;
	std::vector<Arrival> arrivals;
	std::vector<Arrival> of(Kind k) const;
	std::vector<int> fds() const;

private:
	void record(ByteSpan b, size_t socket, const AddrPort &from, Clock::time_point now);
	size_t leg_socket(const AddrPort &client) const;

	relay::Config config_;
	relay::SystemRandom random_;
	disco::PrivateKey node_priv_ = disco::PrivateKey::generate();
	disco::PublicKey node_pub_ = node_priv_.public_key();
	disco::PrivateKey server_priv_;
	disco::PublicKey server_pub_;
	// Every server key so far: clients may still seal to an old one.
	std::vector<disco::PrivateKey> server_keys_;
	std::unique_ptr<relay::Server> core_;
	std::unique_ptr<relay::test::RelayMirror> workers_;  // what wayportd's workers do with data
	std::vector<std::unique_ptr<UdpSocket>> sockets_;
	std::vector<AddrPort> addresses_;
	// The advertised address each client answered on: data to that client
	// leaves from there, as the client takes data only from its binding.
	std::vector<std::pair<AddrPort, size_t>> legs_;
	Batch batch_;

	// The API's control thread shares the core, hence the lock.
	std::mutex mu_;
	relay::Time api_now_;  // the last serve()'s
	std::unique_ptr<ApiStub> api_;  // last: stops before the core goes
};

struct Client {
	// Allocating from the relay over UDP, its relay socket on `source`.
	Client(const Relay &relay, const disco::PrivateKey &key, const disco::PublicKey &peer,
	       const std::string &source = "127.0.0.1:0");

	void start(Clock::time_point now) { path.emplace(opt, key, sock, counters, now); }
	Path::State state() const { return path->state(); }
	nlohmann::json status(Clock::time_point now) const { return path->status(now); }
	Clock::time_point tick(Clock::time_point now) { return path->tick(now); }

	// As the connector: relayed WireGuard data to `to_wireguard` (header
	// stripped), the rest to the Path. Returns how many it read.
	size_t receive(Clock::time_point now);
	// WireGuard data through the path, wrapped as the connector wraps it;
	// false when there is no binding yet.
	bool send_data(const std::string &payload);

	disco::PrivateKey key;
	Options opt;
	UdpSocket sock;
	Counters counters;
	std::optional<Path> path;
	std::vector<std::string> to_wireguard;
	Batch batch;
};

// The relay and the clients between them.
struct Net {
	Relay &relay;
	std::vector<Client *> clients;

	// Delivers what has arrived anywhere, once; returns how many.
	size_t deliver(Clock::time_point now);
	// Delivers at `now` until nothing more arrives for a quiet moment;
	// returns how many it delivered.
	size_t settle(Clock::time_point now);
	// Delivers until done() holds (false after 5 s of real time), then
	// settles.
	bool settle_until(Clock::time_point now, const std::function<bool()> &done);
	// Ticks every started client and settles, again until nothing moves
	// (what arrived, or a change of state, may have made something due);
	// returns the earliest time a client asked to run again.
	Clock::time_point step(Clock::time_point now);
	// Steps from `now` at each time a client asks for, until stop() holds
	// or `until`; returns the time it stopped at.
	Clock::time_point run(Clock::time_point now, Clock::time_point until,
			      const std::function<bool()> &stop = [] { return false; });
};

// Lifetimes short enough for keepalives and timeouts within seconds:
// keepalive every second, a path given up after four.
relay::Config short_lifetimes();

// Runs body on a thread of its own in a new network namespace (they are
// per thread), with lo up; false when that is not allowed (not root).
bool in_new_netns(const std::function<void()> &body);

} // namespace wayport::connect::test
