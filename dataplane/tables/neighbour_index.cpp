#include "dataplane/tables/neighbour_index.h"

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>

#include <algorithm>
#include <atomic>
#include <cstring>

namespace wayport {

namespace {

// DPDK objects need names unique in the process; tests make many tables.
std::string next_table_name()
{
	static std::atomic<uint32_t> serial{0};
	return "neighbour_index_" + std::to_string(serial.fetch_add(1, std::memory_order_relaxed));
}

void *as_data(uint32_t slot)
{
	return reinterpret_cast<void *>(static_cast<uintptr_t>(slot));
}

} // namespace

NeighbourKey NeighbourKey::v4(uint16_t port, const uint8_t ip[4])
{
	NeighbourKey k{};
	std::memcpy(k.addr, ip, 4);
	k.port = port;
	k.family = 4;
	return k;
}

NeighbourKey NeighbourKey::v6(uint16_t port, const uint8_t ip[16])
{
	NeighbourKey k{};
	std::memcpy(k.addr, ip, 16);
	k.port = port;
	k.family = 6;
	return k;
}

NeighbourKey NeighbourKey::of(uint16_t port, const AddrPort &ip)
{
	return ip.is_v4 ? v4(port, ip.ip4()) : v6(port, ip.ip.data());
}

const char *to_string(NeighbourIndexResult r)
{
	switch (r) {
	case NeighbourIndexResult::ok: return "ok";
	case NeighbourIndexResult::duplicate: return "duplicate";
	case NeighbourIndexResult::full: return "full";
	case NeighbourIndexResult::not_found: return "not_found";
	}
	return "unknown";
}

std::unique_ptr<NeighbourIndex> NeighbourIndex::create(Qsbr &qsbr, uint32_t capacity, std::string &error)
{
	std::string name = next_table_name();
	rte_hash_parameters p{};
	p.name = name.c_str();
	// rte_hash refuses fewer than 8 entries (one bucket).
	p.entries = std::max<uint32_t>(capacity, 8);
	p.key_len = sizeof(NeighbourKey);
	p.hash_func = rte_hash_crc;
	p.socket_id = static_cast<int>(rte_socket_id());
	p.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
	rte_hash *h = rte_hash_create(&p);
	if (!h) {
		error = "cannot create the neighbour index for " + std::to_string(capacity) +
			" neighbours: " + rte_strerror(rte_errno);
		return nullptr;
	}
	return std::unique_ptr<NeighbourIndex>(new NeighbourIndex(qsbr, h, capacity));
}

void NeighbourIndex::HashFree::operator()(rte_hash *h) const
{
	rte_hash_free(h);
}

NeighbourIndex::NeighbourIndex(Qsbr &qsbr, rte_hash *hash, uint32_t capacity)
	: hash_(hash), capacity_(capacity), reclaimer_(qsbr)
{
}

// Whoever destroys the index has stopped the workers; reclaimer_ runs the
// pending position frees before hash_ goes (the members' order).
NeighbourIndex::~NeighbourIndex() = default;

NeighbourIndexResult NeighbourIndex::add(uint16_t port, const AddrPort &ip, uint32_t slot)
{
	const NeighbourKey key = NeighbourKey::of(port, ip);
	// rte_hash_add_key_data would replace an existing key's slot under a
	// reader; a neighbour changes slot only by removal and a new add.
	if (rte_hash_lookup(hash_.get(), &key) >= 0)
		return NeighbourIndexResult::duplicate;
	if (size_ + reclaimer_.pending() >= capacity_)
		return NeighbourIndexResult::full;
	if (rte_hash_add_key_data(hash_.get(), &key, as_data(slot)) != 0)
		return NeighbourIndexResult::full;
	size_++;
	return NeighbourIndexResult::ok;
}

NeighbourIndexResult NeighbourIndex::remove(uint16_t port, const AddrPort &ip)
{
	const NeighbourKey key = NeighbourKey::of(port, ip);
	// In lock-free mode the key's position stays reserved after the
	// delete, until a grace period lets no reader be inside it.
	int32_t position = rte_hash_del_key(hash_.get(), &key);
	if (position < 0)
		return NeighbourIndexResult::not_found;
	size_--;
	rte_hash *h = hash_.get();
	reclaimer_.retire([h, position] { rte_hash_free_key_with_position(h, position); });
	return NeighbourIndexResult::ok;
}

uint32_t NeighbourIndex::find(const NeighbourKey &key) const
{
	void *data = nullptr;
	if (rte_hash_lookup_data(hash_.get(), &key, &data) < 0)
		return kNone;
	return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(data));
}

} // namespace wayport
