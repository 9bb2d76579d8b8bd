#include "dataplane/wireguard/keypair_table.h"

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>

#include <algorithm>
#include <atomic>
#include <cstring>

namespace wayport::wireguard {

namespace {

// DPDK objects need names unique in the process; tests make many tables.
std::string next_table_name()
{
	static std::atomic<uint32_t> serial{0};
	return "wg_keypairs_" + std::to_string(serial.fetch_add(1, std::memory_order_relaxed));
}

// Keys leave memory zeroed, whatever path frees them.
void destroy(DataKeypair *kp)
{
	if (!kp)
		return;
	explicit_bzero(kp, sizeof *kp);
	delete kp;
}

} // namespace

const char *to_string(KeypairTableError e)
{
	switch (e) {
	case KeypairTableError::none:
		return "none";
	case KeypairTableError::duplicate_index:
		return "duplicate_index";
	case KeypairTableError::full:
		return "full";
	case KeypairTableError::unknown_index:
		return "unknown_index";
	}
	return "?";
}

std::unique_ptr<KeypairTable> KeypairTable::create(Qsbr &qsbr, uint32_t capacity, std::string &error)
{
	std::string name = next_table_name();
	rte_hash_parameters p{};
	p.name = name.c_str();
	// rte_hash refuses fewer than 8 entries (one bucket).
	p.entries = std::max<uint32_t>(capacity, 8);
	p.key_len = sizeof(uint32_t);
	p.hash_func = rte_hash_crc;
	p.socket_id = static_cast<int>(rte_socket_id());
	p.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
	rte_hash *h = rte_hash_create(&p);
	if (!h) {
		error = "cannot create the WireGuard keypair table for " + std::to_string(capacity) +
			" keypairs: " + rte_strerror(rte_errno);
		return nullptr;
	}
	return std::unique_ptr<KeypairTable>(new KeypairTable(qsbr, h, capacity));
}

void KeypairTable::HashFree::operator()(rte_hash *h) const
{
	rte_hash_free(h);
}

KeypairTable::KeypairTable(Qsbr &qsbr, rte_hash *hash, uint32_t capacity)
	: hash_(hash), capacity_(capacity), reclaimer_(qsbr)
{
}

// Whoever destroys the table has stopped the workers. The live keypairs go
// here; the retired ones when reclaimer_ is destroyed, before hash_ (the
// members' order), since their free functions still use it.
KeypairTable::~KeypairTable()
{
	const void *key;
	void *data;
	uint32_t next = 0;
	while (rte_hash_iterate(hash_.get(), &key, &data, &next) >= 0)
		destroy(static_cast<DataKeypair *>(data));
}

KeypairTableError KeypairTable::publish(std::unique_ptr<DataKeypair> keypair)
{
	const uint32_t index = keypair->local_index;
	// rte_hash_add_key_data would replace the data of an existing key, and
	// a reader could still hold the old keypair.
	if (rte_hash_lookup(hash_.get(), &index) >= 0) {
		destroy(keypair.release());
		return KeypairTableError::duplicate_index;
	}
	if (size_ + reclaimer_.pending() >= capacity_) {
		destroy(keypair.release());
		return KeypairTableError::full;
	}
	// The add's store is a release: a reader that finds the key sees every
	// field written above.
	if (rte_hash_add_key_data(hash_.get(), &index, keypair.get()) != 0) {
		destroy(keypair.release());
		return KeypairTableError::full;
	}
	keypair.release();
	size_++;
	return KeypairTableError::none;
}

KeypairTableError KeypairTable::retire(uint32_t local_index)
{
	void *data = nullptr;
	if (rte_hash_lookup_data(hash_.get(), &local_index, &data) < 0)
		return KeypairTableError::unknown_index;
	// In lock-free mode the key's slot stays reserved after the delete:
	// freeing it before the grace period could hand a reader's slot to a
	// new key under its feet.
	int32_t position = rte_hash_del_key(hash_.get(), &local_index);
	size_--;
	rte_hash *h = hash_.get();
	auto *kp = static_cast<DataKeypair *>(data);
	reclaimer_.retire([h, position, kp] {
		rte_hash_free_key_with_position(h, position);
		destroy(kp);
	});
	return KeypairTableError::none;
}

DataKeypair *KeypairTable::find(uint32_t local_index) const
{
	void *data = nullptr;
	if (rte_hash_lookup_data(hash_.get(), &local_index, &data) < 0)
		return nullptr;
	return static_cast<DataKeypair *>(data);
}

void KeypairTable::find_bulk(const uint32_t *indexes, unsigned n, DataKeypair **out) const
{
	const void *keys[kBulkMax];
	void *data[kBulkMax];
	for (unsigned i = 0; i < n; i++)
		keys[i] = &indexes[i];
	uint64_t hits = 0;
	rte_hash_lookup_bulk_data(hash_.get(), keys, n, &hits, data);
	for (unsigned i = 0; i < n; i++)
		out[i] = (hits >> i) & 1 ? static_cast<DataKeypair *>(data[i]) : nullptr;
}

} // namespace wayport::wireguard
