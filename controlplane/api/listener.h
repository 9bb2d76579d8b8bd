// The API's listening sockets: the Unix socket, which must never steal a
// running daemon's path but must reclaim one a crashed daemon left behind,
// and the optional TCP listener for Prometheus.
#pragma once

#include <sys/types.h>

#include <string>

#include "controlplane/api/fd.h"
#include "dataplane/wire/addr.h"

namespace wayport::api {

// Which file we bound, so that stopping removes it only while it is still
// ours and not a successor's.
struct SocketFile {
	dev_t dev = 0;
	ino_t ino = 0;
};

// A non-blocking listening socket at path, mode 0660. A socket file nobody
// listens on is stale and replaced; a live one, a missing directory, a path
// too long for sun_path or any other file there is refused. On failure the
// Fd is empty and error says why.
Fd listen_unix(const std::string &path, SocketFile &file, std::string &error);

// Removes path if it is still the file listen_unix created.
void remove_unix(const std::string &path, const SocketFile &file);

// A non-blocking listening TCP socket on addr (IPv4 or IPv6; port 0 picks
// one); bound_port is the port it got.
Fd listen_tcp(const AddrPort &addr, uint16_t &bound_port, std::string &error);

} // namespace wayport::api
