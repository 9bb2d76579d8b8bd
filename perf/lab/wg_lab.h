// wayport-perf --mode wg: WireGuard's stages on a real Worker, next to the
// raw AEAD batch, on the same lcores, ports and packets in the same run
// (the world is wg_world.h, the traffic wg_traffic.h).
//
// Two directions, each measured twice:
// - input: transport data from the peers on the WAN port through classify,
//   wg_input (keypair lookup, one AEAD batch, replay window, allowed IPs)
//   and ip_out (FIB, neighbour, Ethernet) out of the LAN port;
// - output: LAN frames to the peers' tunnel addresses through classify,
//   wg_output (allowed IPs, keypair, endpoint, one AEAD batch, outer
//   headers) and ip_out out of the WAN port.
// The pipeline run is Worker::process over each RX burst, as Worker::poll
// does. The reference run takes the same bursts off the same port and
// does only what no WireGuard data path can skip: one AEAD job per packet
// (its key found from the receiver index or the destination, by
// arithmetic), one run for the burst, and TX out of the other port. Its
// AEAD part (jobs and run) is timed apart: that is the raw AEAD rate the
// pipeline is held against.
//
// The tables are wayportd's own (tunnel::Tables, from a configuration of
// the world's peers), with one keypair per peer published directly (no
// handshake): never too old, never due for a rekey, so every packet takes
// the data path.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "controlplane/tunnel/tables.h"
#include "dataplane/tables/rcu.h"
#include "dataplane/worker/worker.h"
#include "perf/lab/options.h"
#include "perf/lab/ring_port.h"

namespace wayport::perf::wg {

// What one run did, between two snapshots.
struct WgResult {
	WgDirection direction = WgDirection::input;
	bool reference = false;
	double seconds = 0;
	uint64_t tsc_hz = 0;
	unsigned lcores = 0;
	uint64_t rx_packets = 0;
	uint64_t busy_cycles = 0;   // polls that received packets
	uint64_t aead_cycles = 0;   // reference: the AEAD jobs and run alone
	uint64_t offered_packets = 0;
	uint64_t tx_packets = 0;    // taken from the egress port's TX rings
	uint64_t tx_bytes = 0;
	uint64_t aead_failed = 0;   // reference: jobs that did not verify
	std::array<uint64_t, kPuntReasons> punted{};
	std::array<uint64_t, kDropCount> drops{};

	// Packets per second of forwarding-lcore time in busy polls.
	double mpps() const { return rate(busy_cycles); }
	// Reference: packets per second of AEAD time alone.
	double aead_mpps() const { return rate(aead_cycles); }
	double cycles_per_packet() const { return per_packet(busy_cycles); }
	double aead_cycles_per_packet() const { return per_packet(aead_cycles); }
	double busy_share() const;
	double tx_bps() const { return seconds > 0 ? static_cast<double>(tx_bytes) * 8 / seconds : 0; }
	uint64_t drops_total() const;
	uint64_t punted_total() const;

private:
	double rate(uint64_t cycles) const;
	double per_packet(uint64_t cycles) const;
};

class WgLab {
public:
	// Over the EAL already initialised; null with error set on failure.
	static std::unique_ptr<WgLab> create(const Options &o, std::string &error);
	~WgLab();
	WgLab(const WgLab &) = delete;
	WgLab &operator=(const WgLab &) = delete;

	// Warm-up, then the measured run; periodic gets the result of every
	// --stats-period while measuring.
	WgResult run(WgDirection d, bool reference, const std::function<void(const WgResult &)> &periodic);

	double build_seconds() const { return build_seconds_; }
	// The AEAD engine the stages and the reference run (one CPU, one pick).
	const std::string &engine_name() const { return engine_name_; }

private:
	struct Forwarder;  // one forwarding lcore, its worker or reference, and its generator
	struct Snapshot;

	explicit WgLab(const Options &o);
	std::string setup();
	std::string build_tables();
	static int forward_main(void *arg);
	void serve(Forwarder &f);
	void reference_burst(Forwarder &f, rte_mbuf **pkts, uint16_t n);
	static uint64_t freed(const Forwarder &f);
	Snapshot snapshot() const;
	void pass_time(uint64_t until, uint64_t period, const std::function<void(const WgResult &)> *periodic);
	WgResult make_result(const Snapshot &a, const Snapshot &b) const;
	RingPort &ingress() { return ports_[direction_ == WgDirection::input ? kWanSide : kLanSide]; }
	RingPort &egress() { return ports_[direction_ == WgDirection::input ? kLanSide : kWanSide]; }

	static constexpr unsigned kWanSide = 0;
	static constexpr unsigned kLanSide = 1;

	Options o_;
	rte_mempool *pool_ = nullptr;
	RingPort ports_[2];
	std::vector<rte_ring *> punt_;  // by worker

	std::unique_ptr<Qsbr> qsbr_;
	std::unique_ptr<NeighbourSlots> slots_;
	std::unique_ptr<tunnel::Tables> tables_;
	std::unique_ptr<RelayTable> relay_;  // empty: the worker always has one
	DataplaneShared shared_;
	std::string engine_name_;
	// The reference's keys, by peer (the pipeline's are in the keypairs).
	std::vector<std::array<uint8_t, 32>> receive_keys_, send_keys_;

	std::vector<unsigned> lcores_;
	std::vector<std::unique_ptr<Forwarder>> fwd_;
	std::atomic<bool> stop_{false};
	WgDirection direction_ = WgDirection::input;
	bool reference_ = false;
	double build_seconds_ = 0;
};

} // namespace wayport::perf::wg
