// What `wg show <interface>` and `wg show <interface> dump` print, for
// wayport's WireGuard interface, so operators read the same lines and
// scripts and exporters that parse the dump work unchanged. The rules are
// wireguard-tools' (src/show.c); tests/interop checks the output against
// the real `wg` reading a wireguard-go interface set up the same way.
//
// One deliberate difference: the dump's private key and preshared key
// columns say "(hidden)" where wg prints the keys themselves. wayportctl
// only ever gets what the API gives it, and the API never hands out the
// node's keys; "(hidden)" is wg's own word for a key it will not show.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace wayport::ctl {

struct WgShowPeer {
	std::string public_key;  // wg's base64
	bool has_preshared_key = false;
	std::optional<std::string> endpoint;  // "192.0.2.1:51820", "[2001:db8::1]:51820"
	std::vector<std::string> allowed_ips; // "10.99.0.2/32", in the peer's order
	int64_t latest_handshake = 0;         // Unix seconds; 0: never
	uint64_t rx_bytes = 0;
	uint64_t tx_bytes = 0;
	uint16_t persistent_keepalive = 0;    // seconds; 0: off
};

struct WgShowInterface {
	std::string name;
	std::string public_key;
	uint16_t listen_port = 0;
	std::vector<WgShowPeer> peers;
};

// `wg show`: peers with the latest handshake first, never-handshaken ones
// last in their given order; now is the Unix time "ago" counts from.
std::string wg_show_text(const WgShowInterface &iface, int64_t now);
// `wg show dump`: tab-separated, the interface line then a line per peer,
// peers in their given order (wg does not sort the dump).
std::string wg_show_dump(const WgShowInterface &iface);

// wg's durations: "1 hour, 2 minutes, 5 seconds"; empty for 0.
std::string wg_pretty_time(uint64_t seconds);
// wg's byte counts: "512 B", "1.50 KiB", ... "2.00 TiB".
std::string wg_bytes(uint64_t bytes);

} // namespace wayport::ctl
