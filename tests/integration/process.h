// Processes the namespace tests start: a daemon under test (wayportd,
// wireguard-go) with its output in a log file, and one-shot shell commands
// whose output the test reads.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace wayport::test {

// Runs cmd through the shell; returns its stdout, sets status (-1 when it
// did not exit normally).
std::string capture(const std::string &cmd, int &status);

// A child process: args[0] found on PATH, stdout and stderr to log_path.
// It gets SIGTERM when the test process dies, so a crashed test leaves no
// daemon behind, and is stopped when the object goes.
class ChildProcess {
public:
	ChildProcess(const std::vector<std::string> &args, std::string log_path);
	~ChildProcess();
	ChildProcess(const ChildProcess &) = delete;
	ChildProcess &operator=(const ChildProcess &) = delete;

	// Until path exists (true), the child exits (false, and running()
	// is false then) or timeout passes (false).
	bool wait_for_path(const std::string &path, std::chrono::milliseconds timeout);
	// SIGTERM, up to 10 s for it to exit, then SIGKILL. The exit status;
	// -1 if it had to be killed, did not exit normally, or had exited.
	int stop();
	bool running() const { return pid_ > 0; }
	std::string log() const;

private:
	pid_t pid_ = -1;
	std::string log_path_;
};

} // namespace wayport::test
