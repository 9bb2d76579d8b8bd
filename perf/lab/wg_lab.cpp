#include "perf/lab/wg_lab.h"

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mempool.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "dataplane/crypto/aead_batch.h"
#include "dataplane/wire/bytes.h"
#include "perf/lab/lab_common.h"
#include "perf/lab/wg_traffic.h"
#include "perf/lab/wg_world.h"

namespace wayport::perf::wg {

namespace {

// Generator passes between two looks at the forwarders' drop counters
// (lab.cpp says why not every pass).
constexpr unsigned kTopUpEvery = 64;
// The reference's offsets: the transport header after Ethernet, IPv4, UDP;
// the inner packet after Ethernet on the LAN side.
constexpr uint16_t kMsgOffset = 14 + 20 + 8;
constexpr uint16_t kLanIpOffset = 14;

AddrPort v4(uint32_t host_order, uint16_t port = 0)
{
	uint8_t b[4];
	store_be32(b, host_order);
	return AddrPort::v4(b, port);
}

} // namespace

double WgResult::rate(uint64_t cycles) const
{
	if (!cycles)
		return 0;
	return static_cast<double>(rx_packets) * static_cast<double>(tsc_hz) * lcores / static_cast<double>(cycles) /
	       1e6;
}

double WgResult::per_packet(uint64_t cycles) const
{
	return rx_packets ? static_cast<double>(cycles) / static_cast<double>(rx_packets) : 0;
}

double WgResult::busy_share() const
{
	double total = seconds * static_cast<double>(tsc_hz) * lcores;
	return total > 0 ? static_cast<double>(busy_cycles) / total : 0;
}

uint64_t WgResult::drops_total() const
{
	uint64_t n = aead_failed;
	for (uint64_t d : drops)
		n += d;
	return n;
}

uint64_t WgResult::punted_total() const
{
	uint64_t n = 0;
	for (uint64_t p : punted)
		n += p;
	return n;
}

// Counters one forwarding lcore writes and the main lcore reads.
struct alignas(64) WgLcoreStats {
	Counter packets;
	Counter busy_cycles;
	Counter aead_cycles;
	Counter aead_failed;  // reference: freed
	Counter unsent;       // reference: refused by TX, freed
};

struct alignas(64) WgGeneratorCounters {
	Counter offered;
	Counter sunk_packets;
	Counter sunk_bytes;
	Counter punts_freed;  // the worker's punts, which the lab takes and frees
};

struct WgLab::Forwarder {
	// mine: the peers homed on this queue's worker, of peers in all.
	Forwarder(WgLab *l, uint16_t q, std::vector<uint32_t> mine, uint32_t peers, const Options &o)
		: lab(l), queue(q), traffic(std::move(mine), o.inner_size, o.seed + q), send_counter(peers, 0)
	{
	}

	WgLab *lab;
	uint16_t queue;
	std::unique_ptr<Worker> worker;  // pipeline runs only
	WgTraffic traffic;
	WgLcoreStats stats;
	WgGeneratorCounters gen;
	uint64_t allocated = 0;  // mbufs taken from the pool (generator side)
	uint64_t passes = 0;
	// The reference's own: its AEAD batch and, by peer, the next nonce of
	// the output direction (the pipeline's is the keypair's).
	AeadBatch aead;
	std::vector<uint64_t> send_counter;
};

struct WgLab::Snapshot {
	uint64_t tsc = 0;
	uint64_t rx_packets = 0, busy_cycles = 0, aead_cycles = 0, aead_failed = 0;
	uint64_t offered = 0, tx_packets = 0, tx_bytes = 0;
	std::array<uint64_t, kPuntReasons> punted{};
	std::array<uint64_t, kDropCount> drops{};
};

WgLab::WgLab(const Options &o) : o_(o) {}

std::unique_ptr<WgLab> WgLab::create(const Options &o, std::string &error)
{
	std::unique_ptr<WgLab> lab(new WgLab(o));
	error = lab->setup();
	if (!error.empty())
		lab.reset();
	return lab;
}

std::string WgLab::setup()
{
	unsigned nq = o_.nb_cores;
	if (std::string err = pick_lcores(nq, lcores_); !err.empty())
		return err;
	if (o_.peers < nq)
		return "--peers " + std::to_string(o_.peers) + " is fewer than --nb-cores " + std::to_string(nq) +
		       ": every worker needs a peer homed on it";

	int socket = static_cast<int>(rte_socket_id());
	unsigned ring_size = rte_align32pow2(o_.inflight * 2);
	std::string error;
	if (!(pool_ = make_lab_pool("wg_pool", nq, o_.inflight, error)))
		return error;

	const char *labels[2] = {"wan", "lan"};
	for (unsigned side = 0; side < 2; side++)
		if (std::string err = open_ring_port("wg" + std::to_string(side), labels[side], nq, ring_size, pool_,
						     ports_[side]);
		    !err.empty())
			return err;

	for (unsigned q = 0; q < nq; q++) {
		punt_.push_back(rte_ring_create(("wg_punt" + std::to_string(q)).c_str(), ring_size, socket,
						RING_F_SP_ENQ | RING_F_SC_DEQ));
		if (!punt_.back())
			return std::string("cannot create the punt rings: ") + rte_strerror(rte_errno);
	}
	engine_name_ = aead_engine_name(AeadBatch(1).engine());

	uint64_t t0 = rte_rdtsc();
	if (std::string err = build_tables(); !err.empty())
		return err;
	build_seconds_ = static_cast<double>(rte_rdtsc() - t0) / static_cast<double>(rte_get_tsc_hz());
	return {};
}

// The node as wg_world.h draws it: a configuration of its peers, the
// tables wayportd builds from one, the neighbours resolved, and one
// keypair per peer.
std::string WgLab::build_tables()
{
	unsigned nq = o_.nb_cores;
	uint32_t n = o_.peers;
	config::Config cfg;
	cfg.wireguard.emplace();
	config::Wireguard &wg = *cfg.wireguard;
	wg.listen_port = kListenPort;
	wg.mtu = kMtu;
	wg.addresses.push_back({AddrPort::v4(kNodeTunnelIp, 0), 10});
	for (uint32_t p = 0; p < n; p++) {
		config::WireguardPeer peer;
		store_be32(peer.public_key.bytes.data(), kIndexBase + p);  // unique, never zero
		peer.allowed_ips.push_back({v4(tunnel_ip(p)), 32});
		peer.endpoint = v4(endpoint_ip(p), kListenPort);
		wg.peers.push_back(std::move(peer));
	}
	std::vector<Port> ports(2);
	for (unsigned side = 0; side < 2; side++) {
		Port &p = ports[side];
		p.port_id = ports_[side].id;
		std::memcpy(p.mac.addr_bytes, kPortMac[side], 6);
		p.ipv4 = AddrPort::v4(kPortIp[side], 0);
		p.ipv4_prefix = 24;
		p.offload_ipv4_cksum = ports_[side].info.offload_ipv4_cksum;
		p.offload_udp_cksum = ports_[side].info.offload_udp_cksum;
	}
	ports[kWanSide].gateway4 = AddrPort::v4(kGatewayIp, 0);

	// One keypair per peer is all the lab publishes.
	tunnel::TableSizes sizes;
	sizes.max_peers = n;
	sizes.keypairs_per_peer = 1;
	qsbr_ = std::make_unique<Qsbr>(nq);
	slots_ = std::make_unique<NeighbourSlots>(kLanHosts + 1);
	std::string error;
	if (!(tables_ = tunnel::Tables::create(cfg, ports, nq, *qsbr_, *slots_, sizes, error)))
		return "cannot build the WireGuard tables for " + std::to_string(n) + " peers: " + error;

	// Slot 0 the WAN gateway, 1 + h the LAN hosts.
	NeighbourIndex &neighbours = tables_->neighbour_index();
	neighbours.add(ports_[kWanSide].id, AddrPort::v4(kGatewayIp, 0), 0);
	slots_->set(0, kGatewayMac);
	for (uint32_t h = 0; h < kLanHosts; h++) {
		neighbours.add(ports_[kLanSide].id, v4(lan_host_ip(h)), 1 + h);
		slots_->set(1 + h, lan_host_mac(h).data());
	}

	for (uint32_t p = 0; p < n; p++) {
		receive_keys_.push_back(receive_key(p));
		send_keys_.push_back(send_key(p));
		uint16_t home = static_cast<uint16_t>(p % nq);
		auto kp = std::make_unique<wireguard::DataKeypair>();
		kp->local_index = kIndexBase + p;
		kp->remote_index = kRemoteBase + p;
		kp->peer = p;
		kp->home_worker = home;
		kp->reject_after_tsc = UINT64_MAX;
		std::memcpy(kp->send_key, send_keys_.back().data(), 32);
		std::memcpy(kp->receive_key, receive_keys_.back().data(), 32);
		wireguard::DataKeypair *raw = kp.get();
		if (tables_->keypairs().publish(std::move(kp)) != wireguard::KeypairTableError::none)
			return "cannot publish peer " + std::to_string(p) + "'s keypair";
		wireguard::DataPeer &peer = tables_->peers()[p];
		peer.home_worker.store(home);
		peer.endpoint.store(v4(endpoint_ip(p), kListenPort));
		peer.send_keypair.store(raw);
	}

	relay_ = std::make_unique<RelayTable>(*qsbr_, nq);
	shared_.relay = relay_.get();
	shared_.neighbours = slots_.get();
	shared_.qsbr = qsbr_.get();
	shared_.ports = egress_view(ports);
	shared_.wireguard = &tables_->shared();
	return {};
}

WgLab::~WgLab()
{
	fwd_.clear();
	for (RingPort &p : ports_)
		close_ring_port(p);
	for (rte_ring *r : punt_) {
		free_queued(r);
		rte_ring_free(r);
	}
	tables_.reset();
	relay_.reset();
	rte_mempool_free(pool_);
}

// One forwarding lcore: RX bursts through the Worker's graph (as
// Worker::poll runs it) or the reference, with the busy cycles testpmd's
// --record-core-cycles reports.
int WgLab::forward_main(void *arg)
{
	auto &f = *static_cast<Forwarder *>(arg);
	WgLab &lab = *f.lab;
	const uint16_t port = lab.ingress().id;
	const bool generate = lab.o_.generator == GeneratorPlace::inline_lcore;
	const bool reference = !f.worker;
	rte_mbuf *pkts[kMaxBurst];
	if (!reference)
		lab.qsbr_->register_worker(f.queue);
	while (!lab.stop_.load(std::memory_order_relaxed)) {
		if (generate)
			lab.serve(f);
		uint64_t t0 = rte_rdtsc();
		uint16_t n = rte_eth_rx_burst(port, f.queue, pkts, lab.o_.burst);
		if (n) {
			if (reference)
				lab.reference_burst(f, pkts, n);
			else
				f.worker->process(pkts, n);
			f.stats.packets.add(n);
			f.stats.busy_cycles.add(rte_rdtsc() - t0);
		}
		if (!reference)
			lab.qsbr_->quiescent(f.queue);
	}
	if (!reference)
		lab.qsbr_->unregister_worker(f.queue);
	return 0;
}

// The least a WireGuard data path does with a burst: a job per packet with
// its peer's key and counter, one run, TX. The key is found by arithmetic
// from the receiver index (input) or the destination (output): no table.
void WgLab::reference_burst(Forwarder &f, rte_mbuf **pkts, uint16_t n)
{
	const uint16_t sealed = sealed_len(o_.inner_size);
	const uint32_t peers = o_.peers;
	AeadBatch &aead = f.aead;
	uint64_t t0 = rte_rdtsc();
	uint16_t done = 0;
	while (done < n) {
		uint16_t slice = std::min<uint16_t>(static_cast<uint16_t>(n - done), aead.capacity());
		aead.clear();
		for (uint16_t i = 0; i < slice; i++) {
			uint8_t *d = rte_pktmbuf_mtod(pkts[done + i], uint8_t *);
			// A packet naming no peer of the lab is clamped to the last
			// one: it then fails to verify and is counted aead_failed.
			if (direction_ == WgDirection::input) {
				uint8_t *msg = d + kMsgOffset;
				uint32_t peer = std::min(load_le32(msg + 4) - kIndexBase, peers - 1);
				uint8_t *data = msg + 16;
				aead.add_decrypt(receive_keys_[peer].data(), load_le64(msg + 8), data, sealed,
						 data + sealed);
			} else {
				uint8_t *ip = d + kLanIpOffset;
				uint32_t peer = std::min(load_be32(ip + 16) - tunnel_ip(0), peers - 1);
				aead.add_encrypt(send_keys_[peer].data(), f.send_counter[peer]++, ip, sealed, ip + sealed);
			}
		}
		aead.run();
		// A job that did not verify: its packet freed and counted.
		for (uint16_t i = 0; i < slice; i++)
			if (aead.status(i) != AeadStatus::ok) {
				rte_pktmbuf_free(pkts[done + i]);
				pkts[done + i] = nullptr;
			}
		done = static_cast<uint16_t>(done + slice);
	}
	f.stats.aead_cycles.add(rte_rdtsc() - t0);

	uint16_t kept = 0;
	for (uint16_t i = 0; i < n; i++)
		if (pkts[i])
			pkts[kept++] = pkts[i];
	if (kept < n)
		f.stats.aead_failed.add(n - kept);
	uint16_t sent = rte_eth_tx_burst(egress().id, f.queue, pkts, kept);
	if (sent < kept) {
		f.stats.unsent.add(kept - sent);
		rte_pktmbuf_free_bulk(pkts + sent, kept - sent);
	}
}

// Mbufs the forwarding lcore freed, and the punts the generator freed:
// what the generator replaces.
uint64_t WgLab::freed(const Forwarder &f)
{
	uint64_t n = f.stats.aead_failed.get() + f.stats.unsent.get() + f.gen.punts_freed.get();
	if (f.worker)
		for (const Counter &c : f.worker->counters().drops)
			n += c.get();
	return n;
}

// One pass of a queue's generator: what left by the egress port comes back
// as new packets into the ingress port; punts are freed (a data-only run
// makes none: the report shows any); what was dropped is replaced.
void WgLab::serve(Forwarder &f)
{
	rte_mbuf *pkts[kGenBurst];
	const unsigned q = f.queue;
	const bool input = direction_ == WgDirection::input;
	rte_ring *in = ingress().rx[q];
	const uint16_t in_port = ingress().id;
	auto make = [&](rte_mbuf **m, unsigned n) {
		if (input)
			f.traffic.from_peers(m, n, in_port);
		else
			f.traffic.from_lan(m, n, in_port);
		// The ring holds twice the queue's packets: it cannot be full.
		rte_ring_sp_enqueue_burst(in, reinterpret_cast<void **>(m), n, nullptr);
	};

	unsigned n = rte_ring_sc_dequeue_burst(egress().tx[q], reinterpret_cast<void **>(pkts), kGenBurst, nullptr);
	uint64_t offered = n;
	if (n) {
		uint64_t bytes = 0;
		for (unsigned i = 0; i < n; i++)
			bytes += rte_pktmbuf_pkt_len(pkts[i]);
		f.gen.sunk_packets.add(n);
		f.gen.sunk_bytes.add(bytes);
		make(pkts, n);
	}
	if (unsigned p = rte_ring_sc_dequeue_burst(punt_[q], reinterpret_cast<void **>(pkts), kGenBurst, nullptr)) {
		rte_pktmbuf_free_bulk(pkts, p);
		f.gen.punts_freed.add(p);
	}
	if (++f.passes % kTopUpEvery == 0) {
		uint64_t live = f.allocated - freed(f);
		n = live < o_.inflight ? std::min<unsigned>(kGenBurst, static_cast<unsigned>(o_.inflight - live)) : 0;
		if (n && rte_pktmbuf_alloc_bulk(pool_, pkts, n) == 0) {
			f.allocated += n;
			offered += n;
			make(pkts, n);
		}
	}
	f.gen.offered.add(offered);
}

WgLab::Snapshot WgLab::snapshot() const
{
	Snapshot s;
	s.tsc = rte_rdtsc();
	for (const auto &f : fwd_) {
		s.rx_packets += f->stats.packets.get();
		s.busy_cycles += f->stats.busy_cycles.get();
		s.aead_cycles += f->stats.aead_cycles.get();
		s.aead_failed += f->stats.aead_failed.get();
		s.offered += f->gen.offered.get();
		s.tx_packets += f->gen.sunk_packets.get();
		s.tx_bytes += f->gen.sunk_bytes.get();
		if (f->worker) {
			const WorkerCounters &c = f->worker->counters();
			for (size_t r = 0; r < kPuntReasons; r++)
				s.punted[r] += c.punted[r].get();
			for (size_t r = 0; r < kDropCount; r++)
				s.drops[r] += c.drops[r].get();
		} else {
			s.drops[drop_index(OutputDrop::tx_full)] += f->stats.unsent.get();
		}
	}
	return s;
}

WgResult WgLab::make_result(const Snapshot &a, const Snapshot &b) const
{
	WgResult r;
	r.direction = direction_;
	r.reference = reference_;
	r.tsc_hz = rte_get_tsc_hz();
	r.lcores = static_cast<unsigned>(fwd_.size());
	r.seconds = static_cast<double>(b.tsc - a.tsc) / static_cast<double>(r.tsc_hz);
	r.rx_packets = b.rx_packets - a.rx_packets;
	r.busy_cycles = b.busy_cycles - a.busy_cycles;
	r.aead_cycles = b.aead_cycles - a.aead_cycles;
	r.aead_failed = b.aead_failed - a.aead_failed;
	r.offered_packets = b.offered - a.offered;
	r.tx_packets = b.tx_packets - a.tx_packets;
	r.tx_bytes = b.tx_bytes - a.tx_bytes;
	for (size_t i = 0; i < kPuntReasons; i++)
		r.punted[i] = b.punted[i] - a.punted[i];
	for (size_t i = 0; i < kDropCount; i++)
		r.drops[i] = b.drops[i] - a.drops[i];
	return r;
}

void WgLab::pass_time(uint64_t until, uint64_t period, const std::function<void(const WgResult &)> *periodic)
{
	Snapshot last = period ? snapshot() : Snapshot();
	perf::pass_time(
		until, period, o_.generator == GeneratorPlace::main_lcore,
		[this] {
			for (auto &f : fwd_)
				serve(*f);
		},
		[&] {
			Snapshot s = snapshot();
			(*periodic)(make_result(last, s));
			last = s;
		});
}

WgResult WgLab::run(WgDirection d, bool reference, const std::function<void(const WgResult &)> &periodic)
{
	direction_ = d;
	reference_ = reference;
	stop_.store(false);
	fwd_.clear();
	unsigned nq = static_cast<unsigned>(lcores_.size());
	for (unsigned q = 0; q < nq; q++) {
		std::vector<uint32_t> mine;
		for (uint32_t p = q; p < o_.peers; p += nq)
			mine.push_back(p);
		auto f = std::make_unique<Forwarder>(this, static_cast<uint16_t>(q), std::move(mine), o_.peers, o_);
		if (!reference)
			f->worker = std::make_unique<Worker>(
				q, shared_, std::vector<RxQueue>{{ports_[kWanSide].id, f->queue}, {ports_[kLanSide].id, f->queue}},
				f->queue, punt_[q], o_.burst);
		fwd_.push_back(std::move(f));
	}
	for (unsigned q = 0; q < nq; q++)
		rte_eal_remote_launch(forward_main, fwd_[q].get(), lcores_[q]);

	double hz = static_cast<double>(rte_get_tsc_hz());
	pass_time(rte_rdtsc() + static_cast<uint64_t>(o_.warmup * hz), 0, nullptr);
	Snapshot a = snapshot();
	pass_time(a.tsc + static_cast<uint64_t>(o_.duration * hz), static_cast<uint64_t>(o_.stats_period * hz),
		  &periodic);
	Snapshot b = snapshot();

	stop_.store(true);
	for (unsigned lcore : lcores_)
		rte_eal_wait_lcore(lcore);
	for (RingPort &p : ports_)
		drain_ring_port(p);
	for (rte_ring *r : punt_)
		free_queued(r);
	const WireGuardShared &wg = tables_->shared();
	for (const auto *rings : {&wg.handshake, &wg.handoff})
		for (rte_ring *r : *rings)
			free_queued(r);
	WgResult r = make_result(a, b);
	fwd_.clear();
	if (unsigned leaked = rte_mempool_in_use_count(pool_))
		std::fprintf(stderr, "wayport-perf: %u mbufs not returned to the pool after the wg %s %s run\n", leaked,
			     to_string(d), reference ? "reference" : "pipeline");
	return r;
}

} // namespace wayport::perf::wg
