#include "tests/integration/daemon.h"

#include <stdexcept>

namespace wayport::test {

using namespace std::chrono_literals;

std::vector<std::string> default_eal()
{
	return {"-l", "0-1", "--no-huge", "-m", "512", "--no-pci", "--no-shconf", "--log-level=error"};
}

std::vector<std::string> Daemon::command(const Netns &ns, const std::string &config_path,
					 std::vector<std::string> eal)
{
	std::vector<std::string> args = {"ip", "netns", "exec", ns.name(), WAYPORTD};
	for (std::string &a : eal.empty() ? default_eal() : eal)
		args.push_back(std::move(a));
	for (const char *a : {"--", "--config"})
		args.push_back(a);
	args.push_back(config_path);
	return args;
}

Daemon::Daemon(const Netns &ns, const std::string &config_path, const std::string &api_socket,
	       const std::string &log_path, std::vector<std::string> eal)
	: process_(command(ns, config_path, std::move(eal)), log_path)
{
	if (process_.wait_for_path(api_socket, 10s))
		return;
	if (!process_.running())
		throw std::runtime_error("wayportd exited at start:\n" + log());
	process_.stop();
	throw std::runtime_error("wayportd did not open its API socket:\n" + log());
}

std::string wayportctl(const std::string &args, int &status)
{
	return capture(std::string(WAYPORTCTL) + " " + args + " 2>&1", status);
}

} // namespace wayport::test
