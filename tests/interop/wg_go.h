// A real wireguard-go, run in a namespace for the interop test, and the
// `wg` tool that configures it. wireguard-go finds its interface through
// /var/run/wireguard/<ifname>.sock, which every namespace shares, so the
// interface name must be unique on the machine.
#pragma once

#include <string>
#include <vector>

#include "tests/integration/netns.h"
#include "tests/integration/process.h"

namespace wayport::test {

// Removes the UAPI sockets named prefix + <pid> whose test process is
// gone (wireguard-go dies with the test, but a SIGKILLed one leaves its
// socket behind).
void remove_stale_uapi_sockets(const std::string &prefix);

class WireguardGo {
public:
	// Starts `wireguard-go -f ifname` in ns with its verbose log in
	// log_path and waits for its UAPI socket; throws if it does not come.
	WireguardGo(const Netns &ns, std::string ifname, std::string log_path);
	~WireguardGo();
	WireguardGo(const WireguardGo &) = delete;
	WireguardGo &operator=(const WireguardGo &) = delete;

	const std::string &ifname() const { return ifname_; }
	// `wg ARGS` inside the namespace: exit status, and its stdout.
	int wg(const std::string &args) const;
	std::string wg_output(const std::string &args) const;
	// SIGTERM (wireguard-go then removes its interface and socket), wait.
	void stop();
	std::string log() const { return process_.log(); }

private:
	static std::vector<std::string> command(const Netns &ns, const std::string &ifname);

	const Netns &ns_;
	const std::string ifname_;
	ChildProcess process_;
};

} // namespace wayport::test
