// Drives a wireguard::Device over a kernel UDP socket on a thread of its
// own, the way wayportd's handshake threads and workers will: datagrams in
// go to receive(), whatever comes out is sent, the timers tick, and the
// host behind the tunnel (one IPv4 address) answers pings. Everything it
// sends and receives is written to a trace the test prints on failure.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "controlplane/wireguard/device.h"
#include "tests/integration/netns.h"
#include "tests/interop/icmp.h"

namespace wayport::test {

class Pump {
public:
	// load: what every receive() is told about the handshake queue.
	// host: the tunnel address whose echo requests are answered.
	Pump(wireguard::Device &device, const UdpSocket &socket, const Ip4 &host, wireguard::QueueLoad load = {});
	~Pump();
	Pump(const Pump &) = delete;
	Pump &operator=(const Pump &) = delete;

	// device.send from the caller's thread (the device allows it
	// alongside the pump's receive and tick), and sends what it gives.
	void send(wireguard::PeerId peer, ByteSpan packet);

	// The first inner packet delivered to the host (echo requests to host
	// are answered instead) that accept takes, waiting up to timeout.
	std::optional<Bytes> wait_for(const std::function<bool(ByteSpan)> &accept, std::chrono::milliseconds timeout);

	uint64_t echoes_answered() const { return answered_.load(); }
	std::string trace() const;

private:
	void run();
	void transmit(wireguard::Output &out);
	void note(const std::string &line);

	wireguard::Device &device_;
	const UdpSocket &socket_;
	const Ip4 host_;
	const wireguard::QueueLoad load_;
	const wireguard::Clock::time_point start_;

	mutable std::mutex mu_;  // guards delivered_ and trace_
	std::condition_variable delivered_cv_;
	std::deque<Bytes> delivered_;
	std::vector<std::string> trace_;
	size_t trace_dropped_ = 0;

	std::atomic<uint64_t> answered_{0};
	std::atomic<bool> stop_{false};
	std::thread thread_;  // last: it starts once the rest is built
};

} // namespace wayport::test
