#include "tests/interop/wg_go.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace wayport::test {

namespace {

constexpr const char *kUapiDir = "/var/run/wireguard";

std::string uapi_socket(const std::string &ifname)
{
	return std::string(kUapiDir) + "/" + ifname + ".sock";
}

bool listening(const std::filesystem::path &path)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return true;
	sockaddr_un sa{};
	sa.sun_family = AF_UNIX;
	std::strncpy(sa.sun_path, path.c_str(), sizeof(sa.sun_path) - 1);
	bool ok = connect(fd, reinterpret_cast<sockaddr *>(&sa), sizeof(sa)) == 0 || errno != ECONNREFUSED;
	close(fd);
	return ok;
}

} // namespace

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

void remove_stale_uapi_sockets(const std::string &prefix)
{
	std::error_code ec;
	if (!std::filesystem::is_directory(kUapiDir, ec))
		return;
	for (const auto &entry : std::filesystem::directory_iterator(kUapiDir, ec)) {
		std::string name = entry.path().filename();
		if (!name.starts_with(prefix) || !name.ends_with(".sock"))
			continue;
		std::string pid = name.substr(prefix.size(), name.size() - prefix.size() - 5);
		if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos)
			continue;
		// Only a socket nobody listens on: a name like ours may still
		// belong to someone else's live wireguard-go.
		if (kill(std::stoi(pid), 0) != 0 && errno == ESRCH && !listening(entry.path()))
			std::filesystem::remove(entry.path(), ec);
	}
}

WireguardGo::WireguardGo(const Netns &ns, std::string ifname, std::string log_path)
	: ns_(ns), ifname_(std::move(ifname)), log_path_(std::move(log_path))
{
	// env and `ip netns exec` both exec, so pid_ ends up wireguard-go's
	// own: SIGTERM reaches it, not a shell. -f keeps it in the
	// foreground (WG_PROCESS_FOREGROUND is what its own daemonising child
	// sees); the verbose log says what it sent and why it dropped.
	std::vector<std::string> args = {"env", "WG_PROCESS_FOREGROUND=1", "LOG_LEVEL=verbose",
		"ip", "netns", "exec", ns_.name(), "wireguard-go", "-f", ifname_};
	std::vector<char *> argv;
	for (auto &a : args)
		argv.push_back(a.data());
	argv.push_back(nullptr);
	pid_ = fork();
	if (pid_ < 0)
		throw std::runtime_error("fork failed");
	if (pid_ == 0) {
		// Should the test die without cleaning up, wireguard-go goes too.
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		execvp(argv[0], argv.data());
		_exit(127);
	}
	struct stat st;
	for (int i = 0; i < 200; i++) {
		if (stat(uapi_socket(ifname_).c_str(), &st) == 0)
			return;
		int status;
		if (waitpid(pid_, &status, WNOHANG) == pid_) {
			pid_ = -1;
			throw std::runtime_error("wireguard-go exited at start:\n" + log());
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(25));
	}
	stop();
	throw std::runtime_error("wireguard-go did not open its UAPI socket:\n" + log());
}

WireguardGo::~WireguardGo()
{
	stop();
}

int WireguardGo::wg(const std::string &args) const
{
	return ns_.exec("wg " + args);
}

std::string WireguardGo::wg_output(const std::string &args) const
{
	int status;
	return capture(ns_.prefix() + "wg " + args, status);
}

void WireguardGo::stop()
{
	if (pid_ <= 0)
		return;
	kill(pid_, SIGTERM);
	int status = 0;
	for (int i = 0; i < 200; i++) {
		if (waitpid(pid_, &status, WNOHANG) == pid_) {
			pid_ = -1;
			return;
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(25));
	}
	kill(pid_, SIGKILL);
	waitpid(pid_, &status, 0);
	pid_ = -1;
	std::error_code ec;
	std::filesystem::remove(uapi_socket(ifname_), ec);
}

std::string WireguardGo::log() const
{
	std::ifstream in(log_path_);
	std::stringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

} // namespace wayport::test
