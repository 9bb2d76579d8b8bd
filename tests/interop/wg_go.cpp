#include "tests/interop/wg_go.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <vector>

namespace wayport::test {

using namespace std::chrono_literals;

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

// env and `ip netns exec` both exec, so the child ends up wireguard-go
// itself: SIGTERM reaches it, not a shell. -f keeps it in the foreground
// (WG_PROCESS_FOREGROUND is what its own daemonising child sees); the
// verbose log says what it sent and why it dropped.
std::vector<std::string> WireguardGo::command(const Netns &ns, const std::string &ifname)
{
	return {"env", "WG_PROCESS_FOREGROUND=1", "LOG_LEVEL=verbose", "ip", "netns", "exec", ns.name(),
		"wireguard-go", "-f", ifname};
}

WireguardGo::WireguardGo(const Netns &ns, std::string ifname, std::string log_path)
	: ns_(ns), ifname_(std::move(ifname)), process_(command(ns, ifname_), std::move(log_path))
{
	if (process_.wait_for_path(uapi_socket(ifname_), 5s))
		return;
	if (!process_.running())
		throw std::runtime_error("wireguard-go exited at start:\n" + log());
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
	process_.stop();
	// wireguard-go removes its socket on SIGTERM; one it was killed
	// before it could goes here.
	std::error_code ec;
	std::filesystem::remove(uapi_socket(ifname_), ec);
}

} // namespace wayport::test
