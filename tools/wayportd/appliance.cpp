#include "tools/wayportd/appliance.h"

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <sys/stat.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "tools/wayportd/node_keys.h"

namespace wayport {

namespace {

constexpr uint32_t kNeighbourSlots = 65536;
constexpr unsigned kMbufCache = 256;

int64_t monotonic_ns()
{
	return std::chrono::duration_cast<std::chrono::nanoseconds>(
		       std::chrono::steady_clock::now().time_since_epoch())
		.count();
}

relay::Config relay_config(const config::Relay &relay)
{
	relay::Config rc;
	rc.bind_lifetime = relay.bind_lifetime;
	rc.steady_state_lifetime = relay.steady_state_lifetime;
	rc.alloc.allow = relay.allow_alloc_from;
	rc.alloc.allow_any = relay.allow_alloc_from_any;
	rc.alloc.rate.per_second = relay.alloc_rate;
	rc.alloc.rate.burst = relay.alloc_burst;
	rc.alloc.max_endpoints_per_client = relay.max_endpoints_per_client;
	rc.max_endpoints = relay.max_endpoints;
	rc.udp_port = relay.port;
	return rc;
}

// Static endpoints when configured, else every port address with the
// relay port.
std::vector<AddrPort> advertised(const config::Config &cfg, const config::Relay &relay)
{
	if (!relay.static_endpoints.empty())
		return relay.static_endpoints;
	std::vector<AddrPort> out;
	for (const auto &p : cfg.ports) {
		for (const auto &prefix : {p.ipv4, p.ipv6}) {
			if (!prefix)
				continue;
			AddrPort a = prefix->addr;
			a.port = relay.port;
			out.push_back(a);
		}
	}
	return out;
}

// Each port once: what bring-up found (id, MAC, offloads) with what the
// configuration gives it (addresses, prefixes, gateways).
std::vector<Port> describe_ports(const config::Config &cfg, const std::vector<PortInfo> &opened)
{
	std::vector<Port> ports;
	for (size_t i = 0; i < opened.size(); i++) {
		const PortInfo &info = opened[i];
		const config::Port &c = cfg.ports[i];
		Port p;
		p.port_id = info.port_id;
		p.mac = info.mac;
		if (c.ipv4) {
			p.ipv4 = c.ipv4->addr;
			p.ipv4_prefix = static_cast<uint8_t>(c.ipv4->len);
		}
		if (c.ipv6) {
			p.ipv6 = c.ipv6->addr;
			p.ipv6_prefix = static_cast<uint8_t>(c.ipv6->len);
		}
		p.gateway4 = c.gateway4;
		p.gateway6 = c.gateway6;
		p.offload_ipv4_cksum = info.offload_ipv4_cksum;
		p.offload_udp_cksum = info.offload_udp_cksum;
		ports.push_back(p);
	}
	return ports;
}

// The socket's directory, like /run/wayport, is ours to create.
void make_socket_dir(const std::string &socket)
{
	size_t slash = socket.rfind('/');
	if (slash != std::string::npos && slash > 0)
		mkdir(socket.substr(0, slash).c_str(), 0755);
}

} // namespace

std::unique_ptr<Appliance> Appliance::create(const config::Config &cfg, std::string &error)
{
	std::unique_ptr<Appliance> a(new Appliance());
	if (!a->build(cfg, error))
		return nullptr;
	return a;
}

bool Appliance::open_ports(const config::Config &cfg, std::string &error)
{
	// Every worker sends on its own TX queue of every port; the control
	// thread sends through the workers (their inject rings).
	uint16_t tx_queues = static_cast<uint16_t>(cfg.lcores.workers.size());
	for (const auto &p : cfg.ports) {
		PortSpec spec;
		spec.name = p.name;
		spec.device = p.device;
		spec.vdev_args = p.vdev_args;
		spec.rx_queues = p.rx_queues;
		spec.tx_queues = tx_queues;
		if (p.mac) {
			rte_ether_addr mac;
			std::memcpy(mac.addr_bytes, p.mac->data(), 6);
			spec.mac = mac;
		}
		PortInfo info;
		if (std::string err = open_port(spec, pool_, info); !err.empty()) {
			error = err;
			return false;
		}
		ports_.push_back(info);
	}
	return true;
}

bool Appliance::build(const config::Config &cfg, std::string &error)
{
	// The NAT's core is in (dataplane/nat, docs/NAT.md), its stages not:
	// a config that asks for the exit is refused rather than half served.
	if (cfg.exit) {
		error = "exit: the exit role is not available in this build yet; remove the exit section";
		return false;
	}
	unsigned main_lcore = rte_get_main_lcore();
	if (cfg.lcores.control != main_lcore) {
		error = "lcores.control is " + std::to_string(cfg.lcores.control) + " but the EAL main lcore is " +
			std::to_string(main_lcore) + ": pass --main-lcore " + std::to_string(cfg.lcores.control) +
			" in the EAL arguments";
		return false;
	}
	for (unsigned w : cfg.lcores.workers) {
		if (!rte_lcore_is_enabled(w)) {
			error = "lcores.workers names lcore " + std::to_string(w) +
				", which EAL did not enable: add it to -l in the EAL arguments";
			return false;
		}
	}

	if (!register_packet_meta()) {
		error = std::string("cannot register the packet metadata mbuf field: ") + rte_strerror(rte_errno);
		return false;
	}

	std::string key_error;
	auto node_key = load_or_create_node_key(cfg.node.state_dir, key_error);
	if (!node_key) {
		error = "node.state_dir: " + key_error;
		return false;
	}

	pool_ = rte_pktmbuf_pool_create("wayport_mbufs", cfg.dataplane.mbufs, kMbufCache, 0,
					RTE_MBUF_DEFAULT_BUF_SIZE, static_cast<int>(rte_socket_id()));
	if (!pool_) {
		error = "cannot create the mbuf pool of " + std::to_string(cfg.dataplane.mbufs) +
			" mbufs (dataplane.mbufs): " + rte_strerror(rte_errno) + "; give EAL more memory with -m";
		return false;
	}
	if (!open_ports(cfg, error))
		return false;

	unsigned nworkers = static_cast<unsigned>(cfg.lcores.workers.size());
	qsbr_ = std::make_unique<Qsbr>(nworkers);
	table_ = std::make_unique<RelayTable>(*qsbr_, nworkers);
	neighbours_ = std::make_unique<NeighbourSlots>(kNeighbourSlots);

	shared_.relay = table_.get();
	shared_.neighbours = neighbours_.get();
	shared_.qsbr = qsbr_.get();
	// Port 0 when there is no relay section: classify then sends nothing
	// to the relay stage, so the relay core never sees a packet.
	shared_.relay_port = cfg.relay ? cfg.relay->port : 0;
	std::vector<Port> ports = describe_ports(cfg, ports_);
	shared_.ports = egress_view(ports);
	if (cfg.wireguard && !build_tunnel_tables(cfg, ports, error))
		return false;

	// The control thread is built around a relay core, so one exists even
	// with the relay off; with no addresses to advertise it allocates
	// nothing, and the control thread refuses the relay's API calls.
	relay_ = std::make_unique<relay::Server>(disco::PrivateKey::generate(), node_key,
						 cfg.relay ? relay_config(*cfg.relay) : relay::Config{}, random_);
	if (cfg.relay)
		relay_->set_addr_ports(advertised(cfg, *cfg.relay));

	if (!start_workers(cfg, error))
		return false;

	NeighbourConfig ncfg;
	ncfg.reachable_ns = cfg.dataplane.neighbor_timeout;
	ncfg.queue_limit = cfg.dataplane.neighbor_queue;
	StatusSources sources;
	sources.node_disco = node_key->public_key().to_text();
	sources.relay_on = cfg.relay.has_value();
	std::vector<WorkerRings> rings;
	for (const auto &w : workers_) {
		sources.workers.push_back(&w.worker->counters());
		rings.push_back({w.punt, w.inject});
	}
	control_ = std::make_unique<Control>(*relay_, *table_, *neighbours_, std::move(ports), ncfg,
					     std::move(rings), pool_, &bridge_, std::move(sources), rte_get_tsc_hz());

	if (cfg.wireguard && !start_tunnel(cfg, error))
		return false;

	make_socket_dir(cfg.api.socket);
	api_ = std::make_unique<api::ApiServer>(cfg.api.socket, cfg.api.metrics, bridge_);
	if (!api_->start()) {
		error = "api.socket: " + api_->error();
		return false;
	}
	return true;
}

bool Appliance::build_tunnel_tables(const config::Config &cfg, const std::vector<Port> &ports, std::string &error)
{
	tunnel::TableSizes sizes;
	sizes.max_peers = cfg.wireguard->max_peers;
	tunnel_tables_ = tunnel::Tables::create(cfg, ports, static_cast<unsigned>(cfg.lcores.workers.size()), *qsbr_,
						*neighbours_, sizes, error);
	if (!tunnel_tables_)
		return false;
	shared_.wireguard = &tunnel_tables_->shared();
	return true;
}

bool Appliance::start_tunnel(const config::Config &cfg, std::string &error)
{
	const config::Wireguard &wg = *cfg.wireguard;
	std::string key_error;
	auto key = load_or_create_wireguard_key(wg.private_key_file, key_error);
	if (!key) {
		error = "wireguard.private_key_file: " + key_error;
		return false;
	}
	std::vector<wireguard::Key32> psks(wg.peers.size());
	for (size_t i = 0; i < wg.peers.size(); i++) {
		if (wg.peers[i].preshared_key_file.empty())
			continue;
		auto psk = read_preshared_key(wg.peers[i].preshared_key_file, key_error);
		if (!psk) {
			error = "wireguard.peers[" + std::to_string(i) + "].preshared_key_file: " + key_error;
			return false;
		}
		psks[i] = *psk;
	}
	tunnel::EngineOptions options;
	options.handshake_threads = wg.handshake_threads;
	tunnel_ = tunnel::Engine::create(wg, *tunnel_tables_, *key, std::move(psks), *control_, rte_get_tsc_hz(),
					 options, error);
	if (!tunnel_)
		return false;
	control_->attach_tunnel({tunnel_.get(), &tunnel_tables_->fib(), &tunnel_tables_->neighbour_index()});
	return true;
}

int Appliance::worker_main(void *arg)
{
	auto *slot = static_cast<WorkerSlot *>(arg);
	slot->worker->run(slot->owner->workers_stop_);
	return 0;
}

bool Appliance::start_workers(const config::Config &cfg, std::string &error)
{
	size_t nworkers = cfg.lcores.workers.size();
	std::vector<std::vector<RxQueue>> rx(nworkers);
	size_t next = 0;
	for (size_t i = 0; i < ports_.size(); i++)
		for (uint16_t q = 0; q < ports_[i].rx_queues; q++)
			rx[next++ % nworkers].push_back({ports_[i].port_id, q});

	workers_.resize(nworkers);
	for (size_t w = 0; w < nworkers; w++) {
		for (auto [ring, kind] : {std::pair{&workers_[w].punt, "punt"}, std::pair{&workers_[w].inject, "inject"}}) {
			std::string name = std::string("wayport_") + kind + std::to_string(w);
			*ring = rte_ring_create(name.c_str(), cfg.dataplane.punt_ring_size, static_cast<int>(rte_socket_id()),
						RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (!*ring) {
				error = "cannot create " + std::string(kind) + " ring " + name + ": " + rte_strerror(rte_errno);
				return false;
			}
		}
		workers_[w].worker = std::make_unique<Worker>(static_cast<unsigned>(w), shared_, rx[w],
							      static_cast<uint16_t>(w), workers_[w].punt,
							      static_cast<uint16_t>(cfg.dataplane.burst), workers_[w].inject);
		workers_[w].lcore = cfg.lcores.workers[w];
		workers_[w].owner = this;
	}
	for (auto &w : workers_) {
		if (int rc = rte_eal_remote_launch(worker_main, &w, w.lcore); rc != 0) {
			error = "cannot start a worker on lcore " + std::to_string(w.lcore) + ": " + rte_strerror(-rc);
			stop_workers();
			return false;
		}
		workers_running_ = true;
	}
	return true;
}

void Appliance::stop_workers()
{
	if (!workers_running_)
		return;
	workers_stop_.store(true, std::memory_order_relaxed);
	rte_eal_mp_wait_lcore();
	workers_running_ = false;
}

void Appliance::run(const std::atomic<bool> &stop)
{
	while (!stop.load(std::memory_order_relaxed)) {
		// Busy-poll while there is work; when idle, give the core back
		// briefly (the control lcore is often shared on small boxes).
		if (control_->poll(monotonic_ns(), rte_rdtsc()) == 0)
			std::this_thread::sleep_for(std::chrono::microseconds(50));
	}
	stop_workers();
}

Appliance::~Appliance()
{
	if (api_)
		api_->stop();
	stop_workers();
	// The engine's handshake threads stop before the control thread's
	// state they hand work to goes.
	tunnel_.reset();
	control_.reset();
	tunnel_tables_.reset();
	for (auto &w : workers_) {
		rte_ring_free(w.punt);
		rte_ring_free(w.inject);
	}
	workers_.clear();
	for (const auto &p : ports_)
		close_port(p.port_id);
	table_.reset();
	if (pool_)
		rte_mempool_free(pool_);
}

} // namespace wayport
