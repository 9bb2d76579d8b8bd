#include "controlplane/api/listener.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "dataplane/wire/sockaddr.h"

namespace wayport::api {

namespace {

constexpr int kBacklog = 64;

std::string errno_text(int err)
{
	return std::strerror(err);
}

bool unix_address(const std::string &path, sockaddr_un &sa)
{
	sa = {};
	sa.sun_family = AF_UNIX;
	if (path.empty() || path.size() >= sizeof(sa.sun_path))
		return false;
	std::memcpy(sa.sun_path, path.data(), path.size());
	return true;
}

// Whether a process accepts connections on the socket file at path:
// 1 yes, 0 no (the file is stale), -1 cannot tell (error set).
int socket_in_use(const sockaddr_un &sa, const std::string &path, std::string &error)
{
	Fd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	if (!probe) {
		error = "cannot create a Unix socket: " + errno_text(errno);
		return -1;
	}
	if (::connect(probe.get(), reinterpret_cast<const sockaddr *>(&sa), sizeof(sa)) == 0)
		return 1;
	if (errno == ECONNREFUSED)
		return 0;
	error = "cannot tell whether " + path + " is in use: " + errno_text(errno);
	return -1;
}

// Checks what is at path now, and clears a stale socket away.
bool prepare_path(const std::string &path, const sockaddr_un &sa, std::string &error)
{
	std::filesystem::path dir = std::filesystem::path(path).parent_path();
	if (dir.empty())
		dir = ".";
	struct stat st;
	if (::stat(dir.c_str(), &st) != 0) {
		error = "directory " + dir.string() + " of " + path + ": " + errno_text(errno);
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		error = dir.string() + " is not a directory";
		return false;
	}
	if (::lstat(path.c_str(), &st) != 0) {
		if (errno == ENOENT)
			return true;
		error = "cannot check " + path + ": " + errno_text(errno);
		return false;
	}
	if (!S_ISSOCK(st.st_mode)) {
		error = path + " exists and is not a socket";
		return false;
	}
	switch (socket_in_use(sa, path, error)) {
	case 1:
		error = path + " is in use: another process is listening on it";
		return false;
	case 0:
		break;
	default:
		return false;
	}
	if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
		error = "cannot remove stale socket " + path + ": " + errno_text(errno);
		return false;
	}
	return true;
}

} // namespace

Fd listen_unix(const std::string &path, SocketFile &file, std::string &error)
{
	sockaddr_un sa;
	if (!unix_address(path, sa)) {
		error = "socket path " + (path.empty() ? std::string("\"\"") : path) + " must be 1 to " +
			std::to_string(sizeof(sa.sun_path) - 1) + " bytes long";
		return {};
	}
	if (!prepare_path(path, sa, error))
		return {};
	Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
	if (!fd) {
		error = "cannot create a Unix socket: " + errno_text(errno);
		return {};
	}
	if (::bind(fd.get(), reinterpret_cast<const sockaddr *>(&sa), sizeof(sa)) != 0) {
		error = "cannot bind " + path + ": " + errno_text(errno);
		return {};
	}
	struct stat st;
	// The group is the operators' (the directory's setgid bit or the
	// service's group); others get nothing.
	if (::chmod(path.c_str(), 0660) != 0 || ::stat(path.c_str(), &st) != 0 ||
	    ::listen(fd.get(), kBacklog) != 0) {
		error = "cannot set up " + path + ": " + errno_text(errno);
		::unlink(path.c_str());
		return {};
	}
	file = {st.st_dev, st.st_ino};
	return fd;
}

void remove_unix(const std::string &path, const SocketFile &file)
{
	struct stat st;
	if (::lstat(path.c_str(), &st) == 0 && st.st_dev == file.dev && st.st_ino == file.ino)
		::unlink(path.c_str());
}

Fd listen_tcp(const AddrPort &addr, uint16_t &bound_port, std::string &error)
{
	sockaddr_storage ss;
	socklen_t len = to_sockaddr(addr, ss);
	std::string where = "metrics listener " + addr.to_string();
	Fd fd(::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
	int one = 1;
	if (!fd || ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
		error = where + ": " + errno_text(errno);
		return {};
	}
	if (::bind(fd.get(), reinterpret_cast<const sockaddr *>(&ss), len) != 0 ||
	    ::listen(fd.get(), kBacklog) != 0 ||
	    ::getsockname(fd.get(), reinterpret_cast<sockaddr *>(&ss), &len) != 0) {
		error = "cannot listen on " + where + ": " + errno_text(errno);
		return {};
	}
	bound_port = ntohs(ss.ss_family == AF_INET ? reinterpret_cast<sockaddr_in *>(&ss)->sin_port
						   : reinterpret_cast<sockaddr_in6 *>(&ss)->sin6_port);
	return fd;
}

} // namespace wayport::api
