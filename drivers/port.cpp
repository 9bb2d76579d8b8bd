#include "drivers/port.h"

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include <algorithm>
#include <cstring>

namespace wayport {

namespace {

std::string fail(const PortSpec &spec, const std::string &what, int rc)
{
	return "port " + spec.name + " (" + spec.device + "): " + what + ": " + rte_strerror(rc < 0 ? -rc : rc);
}

// Drivers whose RX queues are fixed sockets or file descriptors that the
// kernel spreads packets over: every one must be set up and polled, so they
// get as many RX queues as TX queues.
bool needs_rx_per_tx(const char *driver)
{
	static constexpr const char *drivers[] = {"net_tap", "net_af_packet", "net_af_xdp"};
	for (const char *d : drivers)
		if (driver && std::strcmp(driver, d) == 0)
			return true;
	return false;
}

// The port for the device, probing it as a vdev first if EAL's arguments
// did not create it. An af_packet vdev is given enough queue pairs for
// every sender unless its arguments say otherwise.
int find_or_probe(const PortSpec &spec, uint16_t &port_id)
{
	if (rte_eth_dev_get_port_by_name(spec.device.c_str(), &port_id) == 0)
		return 0;
	std::string devargs = spec.device;
	if (!spec.vdev_args.empty())
		devargs += "," + spec.vdev_args;
	if (spec.device.starts_with("net_af_packet") && spec.vdev_args.find("qpairs=") == std::string::npos)
		devargs += ",qpairs=" + std::to_string(std::max(spec.rx_queues, spec.tx_queues));
	int rc = rte_dev_probe(devargs.c_str());
	if (rc < 0)
		return rc;
	return rte_eth_dev_get_port_by_name(spec.device.c_str(), &port_id);
}

// Says what the operator can change when the device cannot serve the lcore
// layout: the device's own queue count, or wayport's demand.
std::string queue_shortage(const PortSpec &spec, const rte_eth_dev_info &info, uint16_t rx_queues)
{
	std::string msg = "port " + spec.name + " (" + spec.device + "): needs " + std::to_string(rx_queues) +
			  " RX and " + std::to_string(spec.tx_queues) + " TX queues (one TX queue per worker";
	msg += rx_queues > spec.tx_queues ? ", ports[].rx_queues RX queues)" : ")";
	msg += ", the device has " + std::to_string(info.max_rx_queues) + " and " + std::to_string(info.max_tx_queues);
	uint16_t need = std::max(rx_queues, spec.tx_queues);
	if (spec.device.starts_with("net_af_packet"))
		msg += ": give the vdev qpairs=" + std::to_string(need) + " (--vdev=" + spec.device + ",iface=IFACE,qpairs=" +
		       std::to_string(need) + ", or ports[].vdev_args), or use fewer lcores.workers";
	else if (spec.tx_queues > info.max_tx_queues)
		msg += ": use at most " + std::to_string(info.max_tx_queues) + " lcores.workers";
	else
		msg += ": set ports[].rx_queues to at most " + std::to_string(info.max_rx_queues);
	return msg;
}

} // namespace

std::string open_port(const PortSpec &spec, rte_mempool *pool, PortInfo &out)
{
	uint16_t port_id;
	if (int rc = find_or_probe(spec, port_id); rc != 0)
		return fail(spec, "no such DPDK device (give --vdev in the EAL arguments, or ports[].vdev_args)", rc);

	rte_eth_dev_info info;
	if (int rc = rte_eth_dev_info_get(port_id, &info); rc != 0)
		return fail(spec, "cannot read device info", rc);
	uint16_t rx_queues = spec.rx_queues;
	if (needs_rx_per_tx(info.driver_name))
		rx_queues = std::max(rx_queues, spec.tx_queues);
	if (rx_queues > info.max_rx_queues || spec.tx_queues > info.max_tx_queues)
		return queue_shortage(spec, info, rx_queues);

	rte_eth_conf conf{};
	if (rx_queues > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
	}
	uint64_t want_tx = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	conf.txmode.offloads = want_tx & info.tx_offload_capa;

	if (int rc = rte_eth_dev_configure(port_id, rx_queues, spec.tx_queues, &conf); rc != 0)
		return fail(spec, "configure failed", rc);
	uint16_t rx_desc = spec.rx_descriptors, tx_desc = spec.tx_descriptors;
	if (int rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &rx_desc, &tx_desc); rc != 0)
		return fail(spec, "descriptor counts rejected", rc);
	int socket = rte_eth_dev_socket_id(port_id);
	for (uint16_t q = 0; q < rx_queues; q++)
		if (int rc = rte_eth_rx_queue_setup(port_id, q, rx_desc, socket, nullptr, pool); rc != 0)
			return fail(spec, "RX queue " + std::to_string(q) + " set-up failed", rc);
	rte_eth_txconf txconf = info.default_txconf;
	txconf.offloads = conf.txmode.offloads;
	for (uint16_t q = 0; q < spec.tx_queues; q++)
		if (int rc = rte_eth_tx_queue_setup(port_id, q, tx_desc, socket, &txconf); rc != 0)
			return fail(spec, "TX queue " + std::to_string(q) + " set-up failed", rc);

	if (spec.mac) {
		rte_ether_addr mac = *spec.mac;
		if (int rc = rte_eth_dev_default_mac_addr_set(port_id, &mac); rc != 0)
			return fail(spec, "cannot set the MAC address", rc);
	}
	if (int rc = rte_eth_dev_start(port_id); rc != 0)
		return fail(spec, "start failed", rc);
	// IPv6 neighbour solicitations arrive on solicited-node multicast
	// groups. Not every driver has the switch, so failure is not fatal.
	rte_eth_allmulticast_enable(port_id);

	out.port_id = port_id;
	out.rx_queues = rx_queues;
	rte_eth_macaddr_get(port_id, &out.mac);
	out.offload_ipv4_cksum = conf.txmode.offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
	out.offload_udp_cksum = conf.txmode.offloads & RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	out.driver = info.driver_name ? info.driver_name : "";
	return {};
}

void close_port(uint16_t port_id)
{
	rte_eth_dev_stop(port_id);
	rte_eth_dev_close(port_id);
}

} // namespace wayport
