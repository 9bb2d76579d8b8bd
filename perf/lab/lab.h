// The perf lab: two net_ring ports whose RX and TX rings an in-process
// generator holds, the relay table with the bound endpoints, and one
// measured run per mode over the same ports, lcores and packets.
//
// Each forwarding lcore runs either the real relay Worker (RX burst, then
// Worker::process, exactly what Worker::poll does) or the reference, a
// testpmd io/macswap forward from one port to the other. The generator and
// sink of its queue (traffic.h) run either inline, on the same lcore
// between polls and outside the busy cycles, so packets stay in that
// core's caches as testpmd's loopback keeps them; or on the main lcore,
// which then feeds every queue and every packet crosses cores.
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

#include "dataplane/counter.h"
#include "dataplane/worker/worker.h"
#include "perf/lab/latency.h"
#include "perf/lab/options.h"
#include "perf/lab/ring_port.h"
#include "perf/lab/traffic.h"

namespace wayport::perf {

inline constexpr size_t kDropReasons = kDropCount;

// Written by one forwarding lcore, read by the main lcore.
struct alignas(64) LcoreStats {
	Counter packets;      // received
	Counter busy_cycles;  // TSC cycles of polls that received packets
	Counter unsent;       // reference only: what the TX queue refused
	Counter bursts[kMaxBurst + 1];  // RX bursts by size
};

// Cumulative counts at one instant.
struct Snapshot {
	uint64_t tsc = 0;
	uint64_t rx_packets = 0;
	uint64_t busy_cycles = 0;
	uint64_t offered_packets = 0;  // stamped by the generator
	uint64_t offered_bytes = 0;
	uint64_t tx_packets = 0;       // taken from the TX rings by the sink
	uint64_t tx_bytes = 0;
	uint64_t forwarded = 0;
	std::array<uint64_t, kPuntReasons> punted{};
	std::array<uint64_t, kDropReasons> drops{};
	std::vector<uint64_t> bursts;
};

// What one mode did between two snapshots.
struct Result {
	Mode mode = Mode::relay;
	double seconds = 0;
	uint64_t tsc_hz = 0;
	unsigned lcores = 0;
	Snapshot delta;  // b - a
	LatencyHistogram latency;  // cycles, injection to the sink

	// The forwarding rate: packets per second of forwarding-lcore time
	// spent in polls that got packets (testpmd's cycles/packet as a
	// rate), so the generator's own cost never counts.
	double mpps() const;
	// Packets received per wall-clock second, generator included.
	double rx_pps() const { return delta.rx_packets / seconds; }
	double tx_pps() const { return delta.tx_packets / seconds; }
	// Bytes without FCS, as testpmd counts them; received bytes are
	// received packets at the offered mean size.
	double rx_bps() const;
	double tx_bps() const { return delta.tx_bytes * 8.0 / seconds; }
	double cycles_per_packet() const;
	// Share of the forwarding lcores' time spent in polls that got
	// packets: near 1 means they bound the rate, well below 1 that the
	// generator did.
	double busy_share() const;
	uint64_t drops_total() const;
	uint64_t punted_total() const;
	double latency_ns(double q) const;
	double latency_max_ns() const;
};

class Lab {
public:
	// The lab over the EAL already initialised; error is set on failure.
	static std::unique_ptr<Lab> create(const Options &o, std::string &error);
	~Lab();
	Lab(const Lab &) = delete;
	Lab &operator=(const Lab &) = delete;

	// Warm-up, then the measured run; periodic gets the result of every
	// --stats-period while measuring.
	Result run(Mode m, const std::function<void(const Result &)> &periodic);

	size_t table_bytes() const { return table_->memory_bytes(); }
	double table_build_seconds() const { return build_seconds_; }
	const std::vector<unsigned> &lcores() const { return lcores_; }

private:
	struct Forwarder;  // one forwarding lcore's state and its generator

	explicit Lab(const Options &o);
	std::string setup();
	static int relay_main(void *arg);
	static int reference_main(void *arg);
	void pass_time(uint64_t until, uint64_t period, const std::function<void(const Result &)> *periodic);
	void serve(Forwarder &f);
	static uint64_t freed(const Forwarder &f);
	Snapshot snapshot() const;
	void drain();

	Options o_;
	Addressing addr_;
	rte_mempool *pool_ = nullptr;
	RingPort ports_[kSides];
	std::vector<rte_ring *> punt_;
	std::unique_ptr<Qsbr> qsbr_;
	std::unique_ptr<RelayTable> table_;
	std::unique_ptr<NeighbourSlots> neighbours_;
	DataplaneShared shared_;
	std::vector<unsigned> lcores_;
	std::vector<std::unique_ptr<Forwarder>> fwd_;
	std::atomic<bool> stop_{false};
	std::atomic<bool> measuring_{false};  // generators record latency
	Mode mode_ = Mode::relay;
	double build_seconds_ = 0;
};

} // namespace wayport::perf
