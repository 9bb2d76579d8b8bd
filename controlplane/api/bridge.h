// How the local API thread talks to the control thread without ever
// blocking it: the API thread queues a call on a lock-free single-producer
// single-consumer queue and waits for its answer; the control thread serves
// a bounded number of calls per loop iteration and never waits.
#pragma once

#include <boost/lockfree/spsc_queue.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "controlplane/disco/key.h"

namespace wayport::api {

enum class CallKind : uint8_t {
	status,    // GET /status: node and relay identity, counters (JSON)
	sessions,  // GET /relay/sessions: as `tailscale debug peer-relay-sessions` (JSON)
	metrics,   // GET /metrics: Prometheus text
	allocate,  // POST /relay/allocate {"a": "discokey:...", "b": "discokey:..."}
	wireguard, // GET /wireguard: the interface and its peers, as `wg show` needs them (JSON)
	wg_peer,   // POST /wireguard/peer: add, change or remove a peer, as `wg set <if> peer`
};

// POST /wireguard/peer's body, its shape checked by the API thread; the
// values (base64, prefixes, addresses) by the control thread.
struct WgPeerChange {
	std::string public_key;
	std::optional<std::vector<std::string>> allowed_ips;  // replaces the peer's list
	std::optional<std::string> endpoint;                  // "192.0.2.1:51820", "[2001:db8::1]:51820"
	std::optional<uint32_t> persistent_keepalive;         // seconds, 0..65535; 0: off
	bool remove = false;
};

struct Call {
	CallKind kind = CallKind::status;
	disco::PublicKey a, b;  // allocate only
	WgPeerChange wg_peer;   // wg_peer only

	// Written by the control thread, then `done` is set (release).
	int http_status = 500;
	std::string content_type = "application/json";
	std::string body;
	std::atomic<bool> done{false};
};

class Bridge {
public:
	static constexpr size_t kQueueDepth = 64;

	Bridge() = default;
	Bridge(const Bridge &) = delete;
	Bridge &operator=(const Bridge &) = delete;
	// Releases calls nobody served: Boost's fixed-capacity spsc_queue
	// never destroys the elements left in it. Both threads are done by
	// then.
	~Bridge()
	{
		std::shared_ptr<Call> c;
		while (requests_.pop(c))
			c.reset();
	}

	// API thread: queues the call and waits up to `timeout` for the
	// answer. False when the queue is full or the control thread did not
	// answer in time (the caller answers 503).
	bool call(const std::shared_ptr<Call> &c, std::chrono::milliseconds timeout);

	// API thread: queues the call without waiting; the caller watches
	// `done` itself (the API server does, so that one call in flight does
	// not hold up its other clients). False when the queue is full. The
	// same single-producer rule as call() applies.
	bool submit(const std::shared_ptr<Call> &c) { return requests_.push(c); }

	// Control thread: answers up to `max` queued calls with `handler`
	// (which fills status, content type and body). Never blocks.
	template <typename Handler>
	size_t serve(Handler &&handler, size_t max)
	{
		size_t n = 0;
		std::shared_ptr<Call> c;
		while (n < max && requests_.pop(c)) {
			handler(*c);
			c->done.store(true, std::memory_order_release);
			c.reset();
			n++;
		}
		return n;
	}

private:
	// The queue holds a reference, so a call the API thread gave up on
	// stays alive until the control thread has answered it.
	boost::lockfree::spsc_queue<std::shared_ptr<Call>, boost::lockfree::capacity<kQueueDepth>> requests_;
};

} // namespace wayport::api
