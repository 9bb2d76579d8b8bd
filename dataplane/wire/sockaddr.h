// AddrPort to and from the kernel's socket addresses, for the tools and
// threads that use ordinary sockets (API, wayport-connect, tests).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

#include "dataplane/wire/addr.h"

namespace wayport {

// An IPv4 address goes in a sockaddr_in, unless the socket is IPv6
// (dual stack), which reaches it through its v4-mapped form.
inline socklen_t to_sockaddr(const AddrPort &a, sockaddr_storage &ss, bool v6_socket = false)
{
	ss = {};
	if (a.is_v4 && !v6_socket) {
		auto *s = reinterpret_cast<sockaddr_in *>(&ss);
		s->sin_family = AF_INET;
		s->sin_port = htons(a.port);
		std::memcpy(&s->sin_addr, a.ip4(), 4);
		return sizeof(*s);
	}
	auto *s = reinterpret_cast<sockaddr_in6 *>(&ss);
	s->sin6_family = AF_INET6;
	s->sin6_port = htons(a.port);
	std::memcpy(&s->sin6_addr, a.ip.data(), 16);
	return sizeof(*s);
}

// A v4-mapped IPv6 address comes back as IPv4.
inline AddrPort from_sockaddr(const sockaddr_storage &ss)
{
	if (ss.ss_family == AF_INET) {
		auto *s = reinterpret_cast<const sockaddr_in *>(&ss);
		return AddrPort::v4(reinterpret_cast<const uint8_t *>(&s->sin_addr), ntohs(s->sin_port));
	}
	auto *s = reinterpret_cast<const sockaddr_in6 *>(&ss);
	return AddrPort::from_16(reinterpret_cast<const uint8_t *>(&s->sin6_addr), ntohs(s->sin6_port));
}

} // namespace wayport
