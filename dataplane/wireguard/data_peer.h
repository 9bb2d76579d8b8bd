// One WireGuard peer as the workers see it: where it is (its endpoint,
// which follows its latest authenticated packet unless roaming is off),
// which worker owns it, and its traffic counters and receive times, which
// the slow path reads for `wg show`, metrics and the timers.
//
// Thread contract, field by field:
// - `home_worker` and `roaming` are written by the control thread (when the
//   peer is configured or changed) and read by workers: atomics, relaxed.
// - `generation`: the control thread adds one when a peer takes the slot
//   and when it leaves, so it is odd exactly while a peer holds it. A packet
//   that names the slot in a ring (PacketMeta::aux, the punts to the control
//   thread and what it hands back to wg_output) carries the generation it
//   was named under (PacketMeta::peer_gen), and whoever takes it off the
//   ring drops it unless the two agree: a slot is reused once the workers'
//   grace period has passed (tunnel/slot_pool.h), but a packet may sit in a
//   ring for longer than that.
// - The endpoint has two writers, the home worker (roaming) and the control
//   thread (`wg set … endpoint`), and readers everywhere, so it sits under a
//   sequence number in atomic words (the relay table's seqlock shape). A
//   writer claims the odd sequence with a compare-exchange; the worker only
//   ever tries once and moves on if the control thread holds it, so it
//   never waits. A reader that finds a write in progress gets nothing and
//   says so; nobody spins on a worker.
// - `send_keypair` is written by the control thread (release) when a
//   handshake completes, a responder's keypair is confirmed or the peer is
//   removed, and read by workers (acquire). The keypair it names lives in
//   the KeypairTable; the control thread clears or replaces this pointer
//   before it retires that keypair, so a worker's pointer stays valid until
//   its next quiescent state (keypair_table.h).
// - `wants_handshake`: set by the home worker when it has something to send
//   and no usable keypair, or its keypair is due for a rekey; cleared by the
//   control thread when it takes the request (exchange). A flag, not a ring:
//   a burst of packets asks once, and nothing is lost when the slow path is
//   busy.
// - `staged_in_flight`: packets the home worker punted for staging that the
//   control thread has not yet taken off the ring; the worker adds, the
//   control thread subtracts (fetch_add/fetch_sub, the only read-modify-
//   writes here, off the per-packet path). The worker punts no more than
//   kMaxStaged at once, so a flood to a peer with no session cannot fill
//   the punt ring for everyone else. A punt the full ring refused is never
//   taken, so the control thread also sets it to 0 each time it starts a
//   handshake for the peer: a count lost to an overloaded ring costs staged
//   packets until the next attempt (REKEY_TIMEOUT), never the peer's
//   traffic for good. Signed, so the decrements that follow a reset cannot
//   wrap.
// - Counters and times: the home worker is their only writer (Counter).
//
// Header-only and fixed-size: no allocation, no DPDK.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <vector>

#include "dataplane/counter.h"
#include "dataplane/wire/addr.h"

namespace wayport::wireguard {

class EndpointCell {
public:
	// Worker side: false (and nothing written) when another writer holds it.
	bool try_store(const AddrPort &a)
	{
		uint64_t s = seq_.load(std::memory_order_relaxed);
		if ((s & 1) || !seq_.compare_exchange_strong(s, s + 1, std::memory_order_acquire))
			return false;
		std::atomic_thread_fence(std::memory_order_release);
		write_words(a, true);
		seq_.store(s + 2, std::memory_order_release);
		return true;
	}

	// Control side: waits for a worker's store, which is a few stores long.
	void store(const AddrPort &a)
	{
		while (!try_store(a))
			;
	}

	// Control side: no endpoint (a slot given to another peer).
	void clear()
	{
		uint64_t s = seq_.load(std::memory_order_relaxed);
		while ((s & 1) || !seq_.compare_exchange_weak(s, s + 1, std::memory_order_acquire))
			s = seq_.load(std::memory_order_relaxed);
		std::atomic_thread_fence(std::memory_order_release);
		write_words(AddrPort{}, false);
		seq_.store(s + 2, std::memory_order_release);
	}

	enum class Read : uint8_t { found, none, busy };

	// Any thread. busy: a write was in progress; try again later.
	Read load(AddrPort &out) const
	{
		uint64_t s = seq_.load(std::memory_order_acquire);
		if (s & 1)
			return Read::busy;
		uint64_t w[kWords];
		for (size_t i = 0; i < kWords; i++)
			w[i] = words_[i].load(std::memory_order_relaxed);
		std::atomic_thread_fence(std::memory_order_acquire);
		if (seq_.load(std::memory_order_relaxed) != s)
			return Read::busy;
		if (!(w[2] & kSet))
			return Read::none;
		std::memcpy(out.ip.data(), w, 16);
		out.port = static_cast<uint16_t>(w[2]);
		out.is_v4 = w[2] & kIsV4;
		return Read::found;
	}

private:
	// Three words: the address's 16 bytes, then the port and two flags.
	static constexpr size_t kWords = 3;
	static constexpr uint64_t kIsV4 = uint64_t{1} << 16;
	static constexpr uint64_t kSet = uint64_t{1} << 17;

	void write_words(const AddrPort &a, bool set)
	{
		uint64_t w[kWords];
		std::memcpy(w, a.ip.data(), 16);
		w[2] = a.port | (a.is_v4 ? kIsV4 : 0) | (set ? kSet : 0);
		for (size_t i = 0; i < kWords; i++)
			words_[i].store(w[i], std::memory_order_relaxed);
	}

	std::atomic<uint64_t> seq_{0};  // odd while written
	std::atomic<uint64_t> words_[kWords]{};
};

struct DataKeypair;

// Packets held for a peer while its handshake completes: the kernel's
// MAX_STAGED_PACKETS.
inline constexpr int32_t kMaxStaged = 128;

struct alignas(64) DataPeer {
	// Control thread writes, workers read.
	std::atomic<uint16_t> home_worker{0};
	std::atomic<uint16_t> generation{0};  // odd while a peer holds the slot
	std::atomic<bool> roaming{true};
	std::atomic<DataKeypair *> send_keypair{nullptr};

	// Home worker sets, control thread clears.
	std::atomic<bool> wants_handshake{false};
	// Home worker adds, control thread subtracts.
	std::atomic<int32_t> staged_in_flight{0};

	EndpointCell endpoint;

	// Home worker only. rx_bytes counts whole WireGuard messages (header,
	// ciphertext, tag), as the kernel's rx_bytes does.
	alignas(64) Counter rx_packets;
	Counter rx_bytes;
	Counter keepalives_received;
	Counter last_rx_tsc;       // any authenticated packet: the timers' "received"
	Counter last_data_rx_tsc;  // one with a payload: the passive keepalive's trigger
	Counter roamed;            // endpoint changes by roaming
	// tx_bytes counts whole messages like rx_bytes; keepalives included.
	// A line of their own: wg_input writes the line above, wg_output this one.
	alignas(64) Counter tx_packets;
	Counter tx_bytes;
	Counter last_tx_tsc;       // any packet sent: the timers' "sent"
	Counter last_data_tx_tsc;  // one with a payload: the "no reply, new handshake" timer
};

// Peers by slot, the value the allowed-IPs table gives back. Sized once;
// the control thread assigns slots and reuses one only after the keypairs
// and allowed IPs naming it have been retired and a grace period has
// passed (tunnel/slot_pool.h), its generation moved on.
class DataPeerTable {
public:
	explicit DataPeerTable(uint32_t capacity) : peers_(capacity) {}

	uint32_t capacity() const { return static_cast<uint32_t>(peers_.size()); }
	DataPeer &operator[](uint32_t slot) { return peers_[slot]; }
	const DataPeer &operator[](uint32_t slot) const { return peers_[slot]; }

private:
	std::vector<DataPeer> peers_;
};

} // namespace wayport::wireguard
