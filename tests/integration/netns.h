// Network namespaces and veth pairs the integration tests create, and UDP
// sockets opened inside them. Everything is removed again on destruction.
#pragma once

#include <string>
#include <vector>

#include "dataplane/wire/addr.h"
#include "dataplane/wire/bytes.h"

namespace wayport::test {

// Runs a shell command; returns its exit status.
int sh(const std::string &cmd);

class Netns {
public:
	explicit Netns(std::string name);
	~Netns();
	Netns(const Netns &) = delete;
	Netns &operator=(const Netns &) = delete;

	const std::string &name() const { return name_; }
	// "ip netns exec NAME " + cmd
	int exec(const std::string &cmd) const;
	std::string prefix() const { return "ip netns exec " + name_ + " "; }

private:
	std::string name_;
};

// Deletes namespaces named prefix + <pid> whose test process is gone: what
// a test killed before its clean-up left behind.
void remove_stale_namespaces(const std::string &prefix);

// A veth pair between two namespaces: `a` in na, `b` in nb, both up.
// The kernel-stack end gets checksum offload off, because the af_packet
// PMD forwards CHECKSUM_PARTIAL frames without finishing their checksums.
void veth(const Netns &na, const std::string &a, const Netns &nb, const std::string &b);

// A UDP socket created inside ns, bound to `local` (port 0: any), with a
// receive timeout.
class UdpSocket {
public:
	UdpSocket(const Netns &ns, const AddrPort &local);
	~UdpSocket();
	UdpSocket(const UdpSocket &) = delete;
	UdpSocket &operator=(const UdpSocket &) = delete;

	AddrPort local() const;
	bool send(const Bytes &payload, const AddrPort &to) const;
	// One datagram, or false after the timeout.
	bool recv(Bytes &payload, AddrPort &from, int timeout_ms = 2000) const;
	// Drops whatever is queued.
	void drain() const;

private:
	int fd_ = -1;
};

} // namespace wayport::test
