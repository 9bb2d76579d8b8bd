// wayportd's configuration: the YAML file parsed and checked into plain
// values. Everything here has been validated, so wayportd can use it as is;
// config/wayport.example.yaml documents every key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/common/go_duration.h"
#include "config/net.h"
#include "controlplane/disco/key.h"
#include "controlplane/wireguard/key.h"
#include "dataplane/wire/addr.h"

namespace wayport::config {

inline constexpr size_t kMaxPorts = 32;             // RTE_MAX_ETHPORTS
inline constexpr uint32_t kMaxEndpoints = 0xffffff;  // one per 24-bit VNI
// sizeof(sockaddr_un::sun_path) less its NUL.
inline constexpr size_t kMaxSocketPath = 107;

struct Port {
	std::string name;
	// A vdev name ("net_af_packet0") or a PCI address in EAL's full form
	// ("0000:01:00.0", whatever form the file used).
	std::string device;
	// For a vdev only: wayportd passes --vdev=device,vdev_args. Empty when
	// not given.
	std::string vdev_args;
	// At least one of the two is set.
	std::optional<IpPrefix> ipv4;
	std::optional<IpPrefix> ipv6;
	// Next hops, port 0. gateway4 is inside ipv4; gateway6 is inside ipv6
	// or link-local.
	std::optional<AddrPort> gateway4;
	std::optional<AddrPort> gateway6;
	std::optional<MacAddr> mac;  // unset: the port's own MAC
	uint16_t rx_queues = 1;

	bool is_vdev() const { return device.starts_with("net_"); }
};

struct Lcores {
	unsigned control = 0;
	// Non-empty, no duplicates, never the control lcore; in the order
	// written.
	std::vector<unsigned> workers;
};

struct Node {
	std::string state_dir;  // absolute
};

struct Relay {
	uint16_t port = 0;
	// Advertised to clients; empty means the ports' own addresses with
	// relay.port.
	std::vector<AddrPort> static_endpoints;
	Duration bind_lifetime = 30 * kSecond;
	Duration steady_state_lifetime = 5 * kMinute;
	// Who may allocate endpoints with a UDP request. Neither set (the
	// default) refuses everyone; the two are never both set.
	bool allow_alloc_from_any = false;
	std::vector<disco::PublicKey> allow_alloc_from;
	double alloc_rate = 10;  // per second per source address, > 0
	uint32_t alloc_burst = 20;
	uint32_t max_endpoints_per_client = 1000;
	uint32_t max_endpoints = 1000000;
};

struct WireguardPeer {
	wireguard::PublicKey public_key;  // never all zero; unique among the peers
	// Unique within the peer (nested prefixes are allowed there) and never
	// overlapping another peer's: each inner address has one peer.
	std::vector<Prefix> allowed_ips;
	std::optional<AddrPort> endpoint;     // a real address, port non-zero
	Duration persistent_keepalive = 0;    // 0: off; else whole seconds, 1..65535
	std::string preshared_key_file;       // absolute; empty: no preshared key
	// Follow the peer to the address its authenticated packets come from.
	bool roaming = true;
};

struct Wireguard {
	uint16_t listen_port = 51820;  // never relay.port
	// Absolute; by default node.state_dir + "/wireguard.key". Its content
	// is wayportd's to check at start, not the parser's.
	std::string private_key_file;
	// The node's own tunnel addresses, host bits kept; unique, and none is
	// a port's address.
	std::vector<IpPrefix> addresses;
	// The inner MTU: 576..9000, or 1280..9000 when the tunnel carries IPv6
	// (an IPv6 address or allowed IP), IPv6's minimum link MTU.
	uint32_t mtu = 1420;
	std::vector<WireguardPeer> peers;
	// Threads that run handshakes (X25519 and the Noise messages): 1..16.
	uint32_t handshake_threads = 1;
	// Peers the data plane's tables are sized for, at start and added at
	// run time together: 1..65536, at least peers.size(). Each takes four
	// keypair slots and room for one IPv4 /32 and one IPv6 /128 in the
	// allowed-IPs table.
	uint32_t max_peers = 1024;
};

// A static route for traffic out of the tunnel.
struct Route {
	Prefix prefix;  // unique among the routes; /0 allowed
	// The next hop, of the prefix's family and on-link on port. Unset: the
	// prefix is on-link through port.
	std::optional<AddrPort> via;
	std::string port;  // a configured port with an address of the family
};

enum class Filtering : uint8_t { endpoint_independent, address_dependent, address_and_port_dependent };
// As the config writes it: "address-dependent".
const char *to_string(Filtering f);

// The exit role: tunnel traffic for the internet translated to the SNAT
// addresses (docs/NAT.md). Needs wireguard.
struct Exit {
	std::string port;  // a configured port: the default route of each SNAT family is its gateway
	// At least one. Each on the port's network of its family, the port
	// having a gateway of that family, and outside the tunnel's addresses
	// and the peers' allowed IPs. Default: the port's own address of each
	// family that has a gateway.
	std::optional<AddrPort> snat4, snat6;
	uint16_t port_min = 1024, port_max = 65535;  // TCP and UDP; port_min <= port_max
	// Whose traffic may leave: every peer, or those listed. Default: none.
	bool allow_any = false;
	std::vector<wireguard::PublicKey> allow;  // unique
	Filtering filtering = Filtering::address_dependent;
	// Each at least 1s.
	Duration udp_timeout = 5 * kMinute;
	Duration tcp_established_timeout = 2 * kHour + 4 * kMinute;
	Duration tcp_transitory_timeout = 4 * kMinute;
	Duration icmp_timeout = 60 * kSecond;
	uint32_t max_sessions = 1000000;         // 1..16777216
	uint32_t max_sessions_per_peer = 20000;  // 1..max_sessions (the default lowered to it)
};

struct Api {
	std::string socket;              // absolute, at most kMaxSocketPath bytes
	std::optional<AddrPort> metrics;  // Prometheus text over HTTP
};

struct Dataplane {
	uint32_t burst = 32;
	uint32_t mbufs = 8191;
	uint32_t punt_ring_size = 1024;  // a power of two
	uint32_t neighbor_queue = 64;
	Duration neighbor_timeout = 5 * kMinute;
};

struct Config {
	std::vector<Port> ports;  // 1..kMaxPorts, unique names and devices
	Lcores lcores;
	Node node;
	// The roles: at least one of the two is set.
	std::optional<Relay> relay;
	std::optional<Wireguard> wireguard;
	std::vector<Route> routes;  // empty unless wireguard is set
	std::optional<Exit> exit;   // only with wireguard
	Api api;
	Dataplane dataplane;
};

struct ConfigError {
	std::string file;
	int line = 0;         // 1-based; 0 when the error is about the whole file
	std::string key;      // "ports[1].ipv4"; empty for the file or the top level
	std::string message;  // what was expected and what was found

	// "wayport.yaml:12: relay.bind_lifetime: expected ..., got "30 seconds""
	std::string to_string() const;
};

struct LoadResult {
	std::optional<Config> config;     // set exactly when errors is empty
	std::vector<ConfigError> errors;  // every error found, by line

	bool ok() const { return config.has_value(); }
	// One error a line, each ending in a newline.
	std::string error_text() const;
};

// Reads and checks the file. Never throws for anything in the file or for
// an unreadable path; errors name the path as given.
LoadResult load_config(const std::string &path);

// The same for text already in memory; name stands for the file in errors.
LoadResult parse_config(std::string_view text, const std::string &name);

} // namespace wayport::config
