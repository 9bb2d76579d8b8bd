#include "controlplane/wireguard/handshake_pool.h"

#include <cstring>

namespace wayport::wireguard {

static_assert(std::is_trivially_copyable_v<AddrPort>, "slots are copied as bytes");

HandshakePool::HandshakePool(Device &device, Options options, Sink sink, Now now)
	: device_(device), sink_(std::move(sink)), now_(std::move(now)), slots_(options.capacity),
	  free_(options.capacity), ready_(options.capacity)
{
	for (uint32_t i = 0; i < options.capacity; ++i)
		free_.bounded_push(i);
	const unsigned n = options.threads == 0 ? 1 : options.threads;
	threads_.reserve(n);
	for (unsigned i = 0; i < n; ++i)
		threads_.emplace_back([this] { run(); });
}

HandshakePool::~HandshakePool()
{
	stop_.store(true, std::memory_order_relaxed);
	wake_.release(static_cast<std::ptrdiff_t>(threads_.size()));
	for (auto &t : threads_)
		t.join();
	uint32_t index;
	while (ready_.pop(index))
		dropped_at_stop_.fetch_add(1, std::memory_order_relaxed);
}

bool HandshakePool::submit(ByteSpan message, const AddrPort &from)
{
	const WireGuardType type = wireguard_type(message);
	if (type != WireGuardType::initiation && type != WireGuardType::response &&
	    type != WireGuardType::cookie_reply) {
		not_handshake_.fetch_add(1, std::memory_order_relaxed);
		return false;
	}
	uint32_t index;
	if (!free_.pop(index)) {
		queue_full_.fetch_add(1, std::memory_order_relaxed);
		return false;
	}
	Slot &slot = slots_[index];
	std::memcpy(slot.bytes, message.data(), message.size());
	slot.len = static_cast<uint8_t>(message.size());
	slot.from = from;
	queued_.fetch_add(1, std::memory_order_relaxed);
	ready_.bounded_push(index);  // cannot fail: at most capacity indexes exist
	wake_.release();
	return true;
}

void HandshakePool::run()
{
	Output out;
	for (;;) {
		wake_.acquire();
		if (stop_.load(std::memory_order_relaxed))
			return;
		uint32_t index;
		if (!ready_.pop(index))
			continue;
		// The fill level this message met, as the kernel reads its queue
		// length when it takes a handshake off it.
		const QueueLoad load{queued_.load(std::memory_order_relaxed), slots_.size()};
		const Slot &slot = slots_[index];
		device_.receive(ByteSpan(slot.bytes, slot.len), slot.from, now_(), out, load);
		free_.bounded_push(index);
		queued_.fetch_sub(1, std::memory_order_relaxed);
		processed_.fetch_add(1, std::memory_order_relaxed);
		if (!out.empty()) {
			sink_(out);
			out.clear();
		}
	}
}

} // namespace wayport::wireguard
