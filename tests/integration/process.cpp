#include "tests/integration/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace wayport::test {

using namespace std::chrono_literals;

std::string capture(const std::string &cmd, int &status)
{
	FILE *p = popen(cmd.c_str(), "r");
	if (!p) {
		status = -1;
		return {};
	}
	std::string out;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		out.append(buf, n);
	int rc = pclose(p);
	status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
	return out;
}

ChildProcess::ChildProcess(const std::vector<std::string> &args, std::string log_path)
	: log_path_(std::move(log_path))
{
	std::vector<std::string> words = args;
	std::vector<char *> argv;
	for (auto &a : words)
		argv.push_back(a.data());
	argv.push_back(nullptr);
	pid_ = fork();
	if (pid_ < 0)
		throw std::runtime_error("fork failed");
	if (pid_ == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		execvp(argv[0], argv.data());
		_exit(127);
	}
}

ChildProcess::~ChildProcess()
{
	stop();
}

bool ChildProcess::wait_for_path(const std::string &path, std::chrono::milliseconds timeout)
{
	const auto deadline = std::chrono::steady_clock::now() + timeout;
	struct stat st;
	while (std::chrono::steady_clock::now() < deadline) {
		if (stat(path.c_str(), &st) == 0)
			return true;
		int status;
		if (pid_ <= 0 || waitpid(pid_, &status, WNOHANG) == pid_) {
			pid_ = -1;
			return false;
		}
		std::this_thread::sleep_for(25ms);
	}
	return false;
}

int ChildProcess::stop()
{
	if (pid_ <= 0)
		return -1;
	kill(pid_, SIGTERM);
	int status = 0;
	for (int i = 0; i < 400; i++) {
		if (waitpid(pid_, &status, WNOHANG) == pid_) {
			pid_ = -1;
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		}
		std::this_thread::sleep_for(25ms);
	}
	kill(pid_, SIGKILL);
	waitpid(pid_, &status, 0);
	pid_ = -1;
	return -1;
}

std::string ChildProcess::log() const
{
	std::ifstream in(log_path_);
	std::stringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

} // namespace wayport::test
