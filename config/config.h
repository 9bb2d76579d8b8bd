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
	Relay relay;
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
