// Two Devices that are each other's only peer, joined by an in-memory
// network the test controls, on virtual time: the harness of the device
// tests. Datagrams are delivered one hop at a time (deliver_all runs until
// nothing is in flight), and a test may drop, hold, copy or alter them.
// Either side may run in external data-path mode, with a WorkerDouble as
// its workers: they seal what the Device hands them, open transport data
// before the Device sees it, and report what they did (at once, or when the
// test says).
#pragma once

#include <deque>
#include <functional>
#include <optional>
#include <vector>

#include "controlplane/wireguard/device.h"
#include "tests/wireguard/worker_double.h"
#include "dataplane/wire/addr.h"
#include "dataplane/wire/bytes.h"

namespace wayport::wireguard::test {

// A datagram in flight, and the side that sent it.
struct InFlight {
	bool from_a = false;
	Datagram datagram;
};

// How many datagrams in q of type t one side sent.
size_t count_type(const std::deque<InFlight> &q, WireGuardType t, bool from_a);

// An IPv4 packet of `len` bytes (header included) from 10.0.0.<src> to
// 10.0.0.<dst>: what the devices carry.
Bytes ipv4_packet(uint8_t src, uint8_t dst, size_t len = 60, uint8_t fill = 0xab);

struct PairMode {
	bool a_external = false;  // a runs with DeviceOptions::external_data_path
	bool b_external = false;
	bool roaming = true;      // both peers' PeerConfig::roaming
};

class DevicePair {
public:
	// persistent keepalive of each side's peer (0: off).
	explicit DevicePair(std::chrono::seconds a_keepalive = {}, std::chrono::seconds b_keepalive = {},
			    PairMode mode = {});

	Clock::time_point now;
	WallTime wall{1'700'000'000, 0};
	// Both devices' jitter and indexes come from here: 0 makes every
	// retry exactly REKEY_TIMEOUT.
	std::function<uint32_t()> random32;

	Device a, b;
	PeerId a_peer = 0, b_peer = 0;  // a's peer (b) and b's peer (a)
	const AddrPort addr_a, addr_b;

	// Load a message to b comes through: {0, 0} normally.
	QueueLoad b_load;
	// Looks at every datagram before delivery: false drops it.
	std::function<bool(const InFlight &)> filter;

	std::deque<InFlight> in_flight;
	std::vector<InnerPacket> delivered_a, delivered_b;

	const PairMode mode;
	// An external side's workers, and every ToSeal its Device handed them.
	WorkerDouble workers_a, workers_b;
	std::vector<ToSeal> to_seal_a, to_seal_b;
	// Transport datagrams an external side's Device made itself: never any.
	size_t device_transport = 0;
	// false: the workers' activity waits for report_a() / report_b().
	bool auto_report = true;
	void report_a() { report(true); }
	void report_b() { report(false); }

	// Moves time (and the wall clock) on, running both devices' timers.
	void advance(Clock::duration d);
	// An inner packet from the host: on an external side the workers seal
	// it, or punt it to the Device for staging when they cannot.
	void send_a(ByteSpan packet) { send(true, packet); }
	void send_b(ByteSpan packet) { send(false, packet); }
	void initiate_a() { collect(true, [&](Output &o) { a.initiate(a_peer, now, o); }); }
	// Delivers one datagram (the oldest); false when none is in flight.
	bool deliver_one();
	void deliver_all();
	// Delivers raw bytes to one side as if they came from the other.
	void inject_to_a(ByteSpan bytes);
	void inject_to_b(ByteSpan bytes);
	// a sends a packet, everything is delivered: b should have it.
	bool a_reaches_b();
	bool b_reaches_a();

	// The keypair a device's index table holds under index.
	static std::shared_ptr<Keypair> keypair(Device &d, std::optional<uint32_t> index);

private:
	void collect(bool from_a, const std::function<void(Output &)> &call);
	void send(bool from_a, ByteSpan packet);
	// An external side's workers seal inner for the other side; false when
	// they have no usable keypair.
	bool seal(bool from_a, ByteSpan inner);
	void report(bool from_a);
	WallTime wall_now() const { return wall; }
};

} // namespace wayport::wireguard::test
