#include "tests/integration/netns.h"

#include "dataplane/wire/sockaddr.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <signal.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace wayport::test {

int sh(const std::string &cmd)
{
	int rc = std::system(cmd.c_str());
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

Netns::Netns(std::string name) : name_(std::move(name))
{
	sh("ip netns del " + name_ + " 2>/dev/null");
	if (sh("ip netns add " + name_) != 0)
		throw std::runtime_error("cannot create network namespace " + name_);
	exec("ip link set lo up");
}

Netns::~Netns()
{
	sh("ip netns del " + name_ + " 2>/dev/null");
}

int Netns::exec(const std::string &cmd) const
{
	return sh(prefix() + cmd);
}

void remove_stale_namespaces(const std::string &prefix)
{
	std::error_code ec;
	if (!std::filesystem::is_directory("/var/run/netns", ec))
		return;
	for (const auto &entry : std::filesystem::directory_iterator("/var/run/netns", std::filesystem::directory_options::skip_permission_denied)) {
		std::string name = entry.path().filename();
		if (!name.starts_with(prefix))
			continue;
		std::string pid = name.substr(prefix.size());
		if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos)
			continue;
		if (kill(std::stoi(pid), 0) != 0 && errno == ESRCH)
			sh("ip netns del " + name + " 2>/dev/null");
	}
}

void veth(const Netns &na, const std::string &a, const Netns &nb, const std::string &b)
{
	if (sh("ip link add " + a + " netns " + na.name() + " type veth peer name " + b + " netns " + nb.name()) != 0)
		throw std::runtime_error("cannot create veth " + a + "/" + b);
	na.exec("ip link set " + a + " up");
	nb.exec("ip link set " + b + " up");
	na.exec("ethtool -K " + a + " tx off >/dev/null");
}

UdpSocket::UdpSocket(const Netns &ns, const AddrPort &local)
{
	// A socket belongs to the namespace it was created in; create it on a
	// thread that has joined ns, then use it from anywhere.
	std::thread t([&] {
		int nsfd = open(("/var/run/netns/" + ns.name()).c_str(), O_RDONLY | O_CLOEXEC);
		if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) != 0)
			return;
		close(nsfd);
		fd_ = socket(local.is_v4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	});
	t.join();
	if (fd_ < 0)
		throw std::runtime_error("cannot open a UDP socket in " + ns.name());
	sockaddr_storage ss;
	socklen_t len = to_sockaddr(local, ss);
	if (bind(fd_, reinterpret_cast<sockaddr *>(&ss), len) != 0)
		throw std::runtime_error("cannot bind " + local.to_string() + " in " + ns.name() + ": " + std::strerror(errno));
}

UdpSocket::~UdpSocket()
{
	if (fd_ >= 0)
		close(fd_);
}

AddrPort UdpSocket::local() const
{
	sockaddr_storage ss{};
	socklen_t len = sizeof(ss);
	getsockname(fd_, reinterpret_cast<sockaddr *>(&ss), &len);
	return from_sockaddr(ss);
}

bool UdpSocket::send(const Bytes &payload, const AddrPort &to) const
{
	sockaddr_storage ss;
	socklen_t len = to_sockaddr(to, ss);
	return sendto(fd_, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr *>(&ss), len) ==
	       static_cast<ssize_t>(payload.size());
}

bool UdpSocket::recv(Bytes &payload, AddrPort &from, int timeout_ms) const
{
	pollfd p{fd_, POLLIN, 0};
	if (poll(&p, 1, timeout_ms) != 1)
		return false;
	payload.resize(65536);
	sockaddr_storage ss{};
	socklen_t len = sizeof(ss);
	ssize_t n = recvfrom(fd_, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr *>(&ss), &len);
	if (n < 0)
		return false;
	payload.resize(static_cast<size_t>(n));
	from = from_sockaddr(ss);
	return true;
}

void UdpSocket::drain() const
{
	Bytes b;
	AddrPort a;
	while (recv(b, a, 0)) {
	}
}

} // namespace wayport::test
