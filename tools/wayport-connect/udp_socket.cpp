#include "tools/wayport-connect/udp_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "dataplane/wire/sockaddr.h"

namespace wayport::connect {

namespace {

// Room for several bursts of wireguard-go's batches while we are busy on
// the other socket.
constexpr int kSocketBuffer = 4 << 20;

// Dual stack whatever net.ipv6.bindv6only says.
int open_socket(bool v6)
{
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int off = 0;
	if (fd >= 0 && v6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	return fd;
}

void set_buffer(int fd, int force, int plain)
{
	// FORCE passes net.core.{r,w}mem_max when we may (root); otherwise the
	// kernel caps the plain request.
	if (setsockopt(fd, SOL_SOCKET, force, &kSocketBuffer, sizeof(kSocketBuffer)) != 0)
		setsockopt(fd, SOL_SOCKET, plain, &kSocketBuffer, sizeof(kSocketBuffer));
}

} // namespace

Batch::Batch() : buffer_(new uint8_t[kSize * kSlot])
{
}

UdpSocket::UdpSocket(const AddrPort &local) : v6_(!local.is_v4)
{
	auto fail = [&](const char *what) {
		return std::runtime_error(std::string("cannot ") + what + " UDP socket on " + local.to_string() + ": " +
					  std::strerror(errno));
	};
	fd_ = api::Fd(open_socket(v6_));
	if (!fd_)
		throw fail("open a");
	set_buffer(fd_.get(), SO_RCVBUFFORCE, SO_RCVBUF);
	set_buffer(fd_.get(), SO_SNDBUFFORCE, SO_SNDBUF);
	sockaddr_storage ss;
	socklen_t len = to_sockaddr(local, ss, v6_);
	if (bind(fd_.get(), reinterpret_cast<sockaddr *>(&ss), len) != 0)
		throw fail("bind a");
}

AddrPort UdpSocket::local() const
{
	sockaddr_storage ss{};
	socklen_t len = sizeof(ss);
	getsockname(fd_.get(), reinterpret_cast<sockaddr *>(&ss), &len);
	return from_sockaddr(ss);
}

bool UdpSocket::send_to(ByteSpan payload, const AddrPort &to) const
{
	if (!v6_ && !to.is_v4) {
		errno = EAFNOSUPPORT;
		return false;
	}
	sockaddr_storage ss;
	socklen_t len = to_sockaddr(to, ss, v6_);
	return sendto(fd_.get(), payload.data(), payload.size(), 0, reinterpret_cast<sockaddr *>(&ss), len) ==
	       static_cast<ssize_t>(payload.size());
}

size_t UdpSocket::receive(Batch &b, uint64_t &truncated) const
{
	std::array<mmsghdr, Batch::kSize> msgs{};
	std::array<iovec, Batch::kSize> iov{};
	std::array<sockaddr_storage, Batch::kSize> from{};
	for (size_t i = 0; i < Batch::kSize; i++) {
		iov[i] = {b.buffer_.get() + i * Batch::kSlot + Batch::kHeadroom, Batch::kSlot - Batch::kHeadroom};
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &from[i];
		msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
	}
	int n = recvmmsg(fd_.get(), msgs.data(), Batch::kSize, MSG_DONTWAIT, nullptr);
	size_t got = 0;
	for (int i = 0; i < n; i++) {
		if ((msgs[i].msg_hdr.msg_flags & MSG_TRUNC) || msgs[i].msg_len > Batch::kMaxPayload) {
			truncated++;
			continue;
		}
		b.items_[got++] = {static_cast<uint8_t *>(iov[i].iov_base), msgs[i].msg_len, from_sockaddr(from[i])};
	}
	return got;
}

size_t UdpSocket::send_many(Batch::Datagram *items, size_t n) const
{
	std::array<mmsghdr, Batch::kSize> msgs{};
	std::array<iovec, Batch::kSize> iov{};
	std::array<sockaddr_storage, Batch::kSize> to{};
	size_t queued = 0;
	for (size_t i = 0; i < n && queued < Batch::kSize; i++) {
		iov[queued] = {items[i].data, items[i].len};
		msgs[queued].msg_hdr.msg_iov = &iov[queued];
		msgs[queued].msg_hdr.msg_iovlen = 1;
		msgs[queued].msg_hdr.msg_name = &to[queued];
		msgs[queued].msg_hdr.msg_namelen = to_sockaddr(items[i].peer, to[queued], v6_);
		queued++;
	}
	size_t sent = 0;
	while (sent < queued) {
		int r = sendmmsg(fd_.get(), msgs.data() + sent, static_cast<unsigned>(queued - sent), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		sent += static_cast<size_t>(r);
	}
	return sent;
}

std::optional<AddrPort> UdpSocket::route_source(const AddrPort &to) const
{
	if (!v6_ && !to.is_v4)
		return std::nullopt;
	api::Fd probe(open_socket(v6_));
	sockaddr_storage ss;
	socklen_t len = to_sockaddr(to, ss, v6_);
	if (!probe || ::connect(probe.get(), reinterpret_cast<sockaddr *>(&ss), len) != 0)
		return std::nullopt;
	sockaddr_storage src{};
	socklen_t srclen = sizeof(src);
	if (getsockname(probe.get(), reinterpret_cast<sockaddr *>(&src), &srclen) != 0)
		return std::nullopt;
	AddrPort a = from_sockaddr(src);
	a.port = 0;
	return a;
}

} // namespace wayport::connect
