// wayport-connect's poll loop: the relay socket, the socket local WireGuard
// talks to, and signals. Single-threaded: it carries one WireGuard peer's
// traffic, which one core moves in batches with room to spare.
#pragma once

#include "tools/wayport-connect/path.h"

namespace wayport::connect {

class Connector {
public:
	// Opens the sockets; throws std::runtime_error or ConfigError.
	Connector(const Options &opt, const disco::PrivateKey &self);

	// Until SIGINT or SIGTERM; returns the exit status.
	int run();

private:
	void from_wireguard();
	void from_relay(Clock::time_point now);
	// To the --status file if there is one, else to stderr.
	void report(Clock::time_point now, bool to_stderr);

	const Options &opt_;
	Counters counters_;
	UdpSocket relay_;
	UdpSocket local_;
	Path path_;
	api::Fd signals_;
	Batch batch_;
};

} // namespace wayport::connect
