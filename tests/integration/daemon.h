// The real wayportd binary, run in a namespace for a test.
#pragma once

#include <string>
#include <vector>

#include "tests/integration/netns.h"
#include "tests/integration/process.h"

namespace wayport::test {

// Two lcores, no hugepages, no PCI: what every integration test runs on.
std::vector<std::string> default_eal();

class Daemon {
public:
	// Starts `wayportd EAL... -- --config config_path` in ns and waits for
	// its API socket; throws if it does not come up. eal: the EAL
	// arguments, default_eal() when empty.
	Daemon(const Netns &ns, const std::string &config_path, const std::string &api_socket,
	       const std::string &log_path, std::vector<std::string> eal = {});

	// SIGTERM, then wait; returns the exit status (-1: had to be killed).
	int stop() { return process_.stop(); }
	bool running() const { return process_.running(); }
	std::string log() const { return process_.log(); }

private:
	static std::vector<std::string> command(const Netns &ns, const std::string &config_path,
						std::vector<std::string> eal);

	ChildProcess process_;
};

// Runs wayportctl with args; returns stdout, sets status.
std::string wayportctl(const std::string &args, int &status);

} // namespace wayport::test
