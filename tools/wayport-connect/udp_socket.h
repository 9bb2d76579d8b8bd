// Non-blocking UDP sockets that move datagrams in batches (recvmmsg,
// sendmmsg): one system call per batch keeps a single thread ahead of
// wireguard-go.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "controlplane/api/fd.h"
#include "dataplane/wire/addr.h"
#include "dataplane/wire/bytes.h"
#include "dataplane/wire/geneve.h"

namespace wayport::connect {

// Received datagrams, each with room in front for a Geneve header, so one
// can be wrapped in place and sent on.
class Batch {
public:
	static constexpr size_t kSize = 64;
	static constexpr size_t kHeadroom = kGeneveHeaderLen;
	static constexpr size_t kMaxPayload = 65535;

	struct Datagram {
		uint8_t *data;  // into the batch's buffer
		size_t len;
		AddrPort peer;  // the source when received
	};

	Batch();
	Datagram &operator[](size_t i) { return items_[i]; }

private:
	friend class UdpSocket;
	static constexpr size_t kSlot = kHeadroom + kMaxPayload + 1;  // +1 sees truncation
	std::unique_ptr<uint8_t[]> buffer_;
	std::array<Datagram, kSize> items_{};
};

class UdpSocket {
public:
	// Binds local; an IPv6 wildcard also serves IPv4 (dual stack). Throws
	// std::runtime_error naming the address.
	explicit UdpSocket(const AddrPort &local);

	int fd() const { return fd_.get(); }
	AddrPort local() const;

	// One datagram; false when the kernel refused it (errno is set).
	bool send_to(ByteSpan payload, const AddrPort &to) const;
	// Reads what is queued, up to a batch, into b[0..returned); datagrams
	// that did not fit are left out and counted in `truncated`.
	size_t receive(Batch &b, uint64_t &truncated) const;
	// Sends the datagrams in `items`, each to its own peer (of an address
	// family this socket reaches); returns how many the kernel took, the
	// first ones: the rest found the socket buffer full.
	size_t send_many(Batch::Datagram *items, size_t n) const;

	// The source address the kernel picks toward `to` from this socket's
	// address family: how we notice that the host's address changed.
	std::optional<AddrPort> route_source(const AddrPort &to) const;

private:
	api::Fd fd_;
	bool v6_;
};

} // namespace wayport::connect
