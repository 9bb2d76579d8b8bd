// The handshake threads (docs/ARCHITECTURE.md, "The thread contract"): a
// configurable pool of slow-path threads that take WireGuard handshake
// messages (initiations, responses, cookie replies) off one bounded queue
// and run them through a Device, so handshakes use every core given to
// them rather than one. The queue's fill level is the kernel's "under
// load" signal: at 1/8 full the device answers with cookies.
//
// Producers (the threads that read datagrams) never block and never
// allocate: submit() copies the message into a preallocated slot or
// refuses it. Slots move between two fixed-size Boost.Lockfree queues
// (free and ready), so there is no lock between producers and the pool.
// A semaphore wakes a sleeping thread; its release() is a futex call only
// when a thread sleeps. (issue 12's DPDK workers will feed per-worker
// rte_rings that these threads poll instead.)
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <semaphore>
#include <thread>
#include <vector>

#include <boost/lockfree/queue.hpp>

#include "controlplane/wireguard/device.h"

namespace wayport::wireguard {

class HandshakePool {
public:
	struct Options {
		unsigned threads = 1;
		size_t capacity = 4096;  // the kernel's MAX_QUEUED_INCOMING_HANDSHAKES
	};
	// Where a message's output goes: called on a pool thread, with no
	// device lock held, by several threads at once.
	using Sink = std::function<void(Output &)>;
	using Now = std::function<Clock::time_point()>;

	HandshakePool(Device &device, Options options, Sink sink, Now now = Clock::now);
	// Stops the threads; messages still queued are dropped and counted.
	~HandshakePool();
	HandshakePool(const HandshakePool &) = delete;
	HandshakePool &operator=(const HandshakePool &) = delete;

	// Any thread. false when the message is no handshake message
	// (not_handshake) or the queue is full (queue_full).
	bool submit(ByteSpan message, const AddrPort &from);

	size_t capacity() const { return slots_.size(); }
	size_t queued() const { return queued_.load(std::memory_order_relaxed); }
	uint64_t processed() const { return processed_.load(std::memory_order_relaxed); }
	uint64_t queue_full() const { return queue_full_.load(std::memory_order_relaxed); }
	uint64_t not_handshake() const { return not_handshake_.load(std::memory_order_relaxed); }
	uint64_t dropped_at_stop() const { return dropped_at_stop_.load(std::memory_order_relaxed); }

private:
	struct Slot {
		uint8_t bytes[kWireGuardInitiationLen];  // the longest handshake message
		uint8_t len;
		AddrPort from;
	};

	void run();

	Device &device_;
	const Sink sink_;
	const Now now_;
	// A slot belongs to whoever popped its index: a producer between the
	// free and ready queues, a pool thread between ready and free.
	std::vector<Slot> slots_;
	boost::lockfree::queue<uint32_t, boost::lockfree::fixed_sized<true>> free_;
	boost::lockfree::queue<uint32_t, boost::lockfree::fixed_sized<true>> ready_;
	std::counting_semaphore<> wake_{0};
	std::atomic<bool> stop_{false};
	std::atomic<size_t> queued_{0};
	std::atomic<uint64_t> processed_{0}, queue_full_{0}, not_handshake_{0}, dropped_at_stop_{0};
	std::vector<std::thread> threads_;
};

} // namespace wayport::wireguard
