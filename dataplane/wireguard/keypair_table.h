// Receiver index → keypair, for the workers: the table wg_input looks up
// every transport packet's receiver index in, and the keypairs that
// wg_output encrypts with. The slow path derives a keypair in a handshake
// and publishes it here; the workers read it without locks.
//
// Thread contract:
// - One writer. publish(), retire() and reclaim() are called by one
//   thread at a time (the control thread in wayportd; callers serialise
//   them). The writer is the only thread that frees anything.
// - Readers are workers between two QSBR quiescent states (rcu.h). A
//   DataKeypair* found stays valid until the reader's next quiescent
//   state, even if it is retired meanwhile: retire() unlinks at once, and
//   the memory is zeroed and freed by reclaim() only after every worker has
//   passed a quiescent state since.
// - The table is DPDK's rte_hash in its lock-free reader mode
//   (RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF) with extendable buckets, so an
//   insert fails only when the table holds `capacity` keypairs, never
//   because two random indexes collide in a bucket. Indexes are uniformly
//   random 32-bit values (the peer chooses nothing), so they need no
//   keyed hash: a flood of unknown indexes costs one failed lookup each.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "dataplane/counter.h"
#include "dataplane/tables/rcu.h"
#include "dataplane/wireguard/replay_window.h"

struct rte_hash;

namespace wayport::wireguard {

// One keypair as the data path uses it.
struct alignas(64) DataKeypair {
	// Immutable once published: written before publish() and never after.
	uint32_t local_index = 0;   // the receiver index of packets to us: the table's key
	uint32_t remote_index = 0;  // the peer's index, written into every packet we send it
	uint32_t peer = 0;          // the peer's slot in the data path's peer table
	uint16_t home_worker = 0;   // the only writer of the fields below
	uint16_t peer_gen = 0;      // the peer slot's DataPeer::generation when published
	// TSC at which the keypair is too old to receive with (REJECT_AFTER_TIME
	// after its handshake), in the workers' clock.
	uint64_t reject_after_tsc = 0;
	// TSC after which sending under it asks for a new handshake: REKEY_AFTER_TIME
	// after the handshake for the initiator's keypair, never (UINT64_MAX) for
	// the responder's, which the kernel leaves to the initiator.
	uint64_t rekey_after_tsc = UINT64_MAX;
	uint8_t send_key[32] = {};
	uint8_t receive_key[32] = {};

	// Home worker only (docs/ARCHITECTURE.md, the thread contract WireGuard
	// follows): the next send nonce, the receive replay window, and how many
	// packets authenticated under it (the slow path reads that: the first
	// one confirms a responder's keypair).
	alignas(64) uint64_t send_counter = 0;
	Counter rx_packets;
	ReplayWindow window;
};

enum class KeypairTableError : uint8_t {
	none,
	duplicate_index,  // a keypair with that local index is published already
	full,             // capacity keypairs are published or not yet reclaimed
	unknown_index,    // retire(): no keypair has that index
};

const char *to_string(KeypairTableError e);

class KeypairTable {
public:
	// Lookups per bulk call, rte_hash's limit.
	static constexpr unsigned kBulkMax = 64;

	// capacity: the most keypairs published at once (three per peer and one
	// per handshake in flight is the protocol's need); a retired keypair
	// counts until reclaim() frees it. Null, with error
	// set, when DPDK cannot make the table (EAL memory).
	static std::unique_ptr<KeypairTable> create(Qsbr &qsbr, uint32_t capacity, std::string &error);
	~KeypairTable();
	KeypairTable(const KeypairTable &) = delete;
	KeypairTable &operator=(const KeypairTable &) = delete;

	// Writer side. publish takes the keypair; on error it is zeroed and
	// freed at once (no reader ever saw it).
	KeypairTableError publish(std::unique_ptr<DataKeypair> keypair);
	// Unlinks the keypair now; reclaim() zeroes and frees it after the grace
	// period.
	KeypairTableError retire(uint32_t local_index);
	// Frees what has passed its grace period; returns how many. Call it
	// from the writer's loop.
	size_t reclaim() { return reclaimer_.poll(); }
	size_t retired_pending() const { return reclaimer_.pending(); }
	uint32_t size() const { return size_; }
	uint32_t capacity() const { return capacity_; }

	// Reader side: no locks, no allocation.
	DataKeypair *find(uint32_t local_index) const;
	// out[i] is the keypair of indexes[i], or null; n <= kBulkMax.
	void find_bulk(const uint32_t *indexes, unsigned n, DataKeypair **out) const;

private:
	KeypairTable(Qsbr &qsbr, rte_hash *hash, uint32_t capacity);

	struct HashFree {
		void operator()(rte_hash *h) const;
	};

	const std::unique_ptr<rte_hash, HashFree> hash_;
	const uint32_t capacity_;
	uint32_t size_ = 0;    // writer only
	Reclaimer reclaimer_;  // writer only; declared after hash_, destroyed before it
};

} // namespace wayport::wireguard
