// Bringing up one DPDK port for wayport: find or hot-plug the device,
// configure RSS over its RX queues and one TX queue per worker (the
// control thread sends through the workers), enable the TX checksum offloads it
// offers, and start it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <rte_ether.h>
#include <rte_mempool.h>

namespace wayport {

struct PortSpec {
	std::string name;      // the operator's name, for messages
	std::string device;    // DPDK device name: a vdev (net_af_packet0) or a PCI address
	std::string vdev_args; // devargs used when the vdev is not there yet
	uint16_t rx_queues = 1;
	uint16_t tx_queues = 1;
	uint16_t rx_descriptors = 1024;
	uint16_t tx_descriptors = 1024;
	std::optional<rte_ether_addr> mac;  // override the device's MAC
};

struct PortInfo {
	uint16_t port_id = 0;
	uint16_t rx_queues = 0;  // may exceed the spec's when the driver needs it
	rte_ether_addr mac{};
	bool offload_ipv4_cksum = false;
	bool offload_udp_cksum = false;
	std::string driver;
};

// Empty error on success; otherwise a message naming the port and what
// failed, and the device is left stopped.
std::string open_port(const PortSpec &spec, rte_mempool *pool, PortInfo &out);
void close_port(uint16_t port_id);

} // namespace wayport
