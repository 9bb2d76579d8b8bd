#include "tests/integration/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace wayport::test {

std::vector<std::string> default_eal()
{
	return {"-l", "0-1", "--no-huge", "-m", "512", "--no-pci", "--no-shconf", "--log-level=error"};
}

Daemon::Daemon(const Netns &ns, const std::string &config_path, const std::string &api_socket,
	       const std::string &log_path, std::vector<std::string> eal)
	: log_path_(log_path)
{
	std::vector<std::string> args = {"ip", "netns", "exec", ns.name(), WAYPORTD};
	for (std::string &a : eal.empty() ? default_eal() : eal)
		args.push_back(std::move(a));
	for (const char *a : {"--", "--config"})
		args.push_back(a);
	args.push_back(config_path);
	pid_ = fork();
	if (pid_ == 0) {
		// Should the test die without cleaning up, wayportd goes too.
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		std::vector<char *> argv;
		for (auto &a : args)
			argv.push_back(a.data());
		argv.push_back(nullptr);
		execvp(argv[0], argv.data());
		_exit(127);
	}
	struct stat st;
	for (int i = 0; i < 200; i++) {
		if (stat(api_socket.c_str(), &st) == 0)
			return;
		int status;
		if (waitpid(pid_, &status, WNOHANG) == pid_) {
			pid_ = -1;
			throw std::runtime_error("wayportd exited at start:\n" + log());
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(50));
	}
	stop();
	throw std::runtime_error("wayportd did not open its API socket:\n" + log());
}

Daemon::~Daemon()
{
	stop();
}

int Daemon::stop()
{
	if (pid_ <= 0)
		return -1;
	kill(pid_, SIGTERM);
	int status = 0;
	for (int i = 0; i < 200; i++) {
		if (waitpid(pid_, &status, WNOHANG) == pid_) {
			pid_ = -1;
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(50));
	}
	kill(pid_, SIGKILL);
	waitpid(pid_, &status, 0);
	pid_ = -1;
	return -1;
}

std::string Daemon::log() const
{
	std::ifstream in(log_path_);
	std::stringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

std::string wayportctl(const std::string &args, int &status)
{
	std::string cmd = std::string(WAYPORTCTL) + " " + args + " 2>&1";
	FILE *p = popen(cmd.c_str(), "r");
	std::string out;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		out.append(buf, n);
	int rc = pclose(p);
	status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
	return out;
}

} // namespace wayport::test
