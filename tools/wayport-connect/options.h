// wayport-connect's settings: a small YAML file and command-line flags, the
// flags winning over the file. Everything is checked here, before a socket
// is opened, and every mistake is reported naming the flag or the file,
// line and key it came from.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>

#include "controlplane/disco/key.h"
#include "dataplane/wire/addr.h"

namespace wayport::connect {

struct ConfigError : std::runtime_error {
	using std::runtime_error::runtime_error;
};

// The settings as written: each one a string, from a flag or the file.
struct RawOptions {
	std::optional<std::string> key, peer, relay, relay_key, api_socket, listen, forward, source, status;
	// Where a setting from the file came from ("FILE:LINE: key"), by its
	// flag name, so errors point there; flags are named as themselves.
	std::map<std::string, std::string> origin;

	std::string name(const std::string &flag) const
	{
		auto it = origin.find(flag);
		return it == origin.end() ? flag : it->second;
	}
};

struct Options {
	std::string key_file;        // our disco private key
	disco::PublicKey peer;       // the other client's disco key
	// How endpoints are allocated: a sealed request over UDP to the relay
	// node (relay + relay_key), or the relay host's local API (api_socket).
	std::optional<AddrPort> relay;
	std::optional<disco::PublicKey> relay_key;
	std::string api_socket;
	AddrPort listen;             // local WireGuard's peer endpoint points here
	AddrPort forward;            // where local WireGuard listens
	AddrPort source;             // the relay socket's local address
	std::string status_file;     // empty: status goes to stderr on SIGUSR1
};

// Reads the YAML file into raw, leaving alone what raw already has (flags
// win). Unknown keys, repeated keys and non-scalar values are errors.
void merge_config_file(const std::string &path, RawOptions &raw);

Options validate(const RawOptions &raw);

} // namespace wayport::connect
