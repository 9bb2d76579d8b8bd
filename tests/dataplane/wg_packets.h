// Packets the WireGuard stage tests build and read: inner IP packets,
// transport messages sealed and opened the way a peer does it (libsodium's
// reference AEAD, the whitepaper's layout), addresses written briefly.
#pragma once

#include <rte_ip.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>

#include "dataplane/crypto/aead.h"
#include "dataplane/wire/addr.h"
#include "dataplane/wire/bytes.h"

namespace wayport::test {

inline AddrPort ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port = 0)
{
	const uint8_t ip[4] = {a, b, c, d};
	return AddrPort::v4(ip, port);
}

// first:second::last
inline AddrPort ip6(uint16_t first, uint16_t second, uint16_t last, uint16_t port = 0)
{
	uint8_t ip[16] = {};
	store_be16(ip, first);
	store_be16(ip + 2, second);
	store_be16(ip + 14, last);
	return AddrPort::v6(ip, port);
}

// rte_raw_cksum sums the header as it lies in memory, so its complement
// goes back the same way, not byte-swapped.
inline void set_ipv4_checksum(Bytes &p)
{
	p[10] = p[11] = 0;
	uint16_t sum = static_cast<uint16_t>(~rte_raw_cksum(p.data(), 20));
	std::memcpy(&p[10], &sum, 2);
}

// An IPv4 or IPv6 UDP packet from src to dst with payload_len bytes of
// payload, TTL / hop limit 64, checksummed IPv4 header.
inline Bytes inner_udp(const AddrPort &src, const AddrPort &dst, size_t payload_len)
{
	size_t l3 = src.is_v4 ? 20 : 40, l4 = 8 + payload_len;
	Bytes p(l3 + l4, 0);
	if (src.is_v4) {
		p[0] = 0x45;
		store_be16(&p[2], static_cast<uint16_t>(p.size()));
		p[8] = 64;
		p[9] = IPPROTO_UDP;
		std::copy_n(src.ip4(), 4, &p[12]);
		std::copy_n(dst.ip4(), 4, &p[16]);
		set_ipv4_checksum(p);
	} else {
		p[0] = 0x60;
		store_be16(&p[4], static_cast<uint16_t>(l4));
		p[6] = IPPROTO_UDP;
		p[7] = 64;
		std::copy_n(src.ip.data(), 16, &p[8]);
		std::copy_n(dst.ip.data(), 16, &p[24]);
	}
	store_be16(&p[l3], src.port);
	store_be16(&p[l3 + 2], dst.port);
	store_be16(&p[l3 + 4], static_cast<uint16_t>(l4));
	for (size_t i = 0; i < payload_len; i++)
		p[l3 + 8 + i] = static_cast<uint8_t>(i * 7);
	return p;
}

// The packet as a router forwards it: TTL or hop limit one less, the IPv4
// header checksum computed afresh.
inline Bytes hop(Bytes p)
{
	if (p[0] >> 4 == 4) {
		p[8]--;
		set_ipv4_checksum(p);
	} else {
		p[7]--;
	}
	return p;
}

// The plaintext a peer opens for inner: padded with zeros to 16.
inline Bytes padded(Bytes inner)
{
	inner.resize(wg_padded_len(inner.size()), 0);
	return inner;
}

// A transport data message (whitepaper §5.4.6): inner padded to 16 with
// zeros, sealed under key with counter as the nonce.
inline Bytes seal_transport(const uint8_t *key, uint32_t receiver, uint64_t counter, const Bytes &inner)
{
	size_t len = wg_padded_len(inner.size());
	Bytes m(16 + len + 16, 0);
	m[0] = 4;
	store_le32(&m[4], receiver);
	store_le64(&m[8], counter);
	std::copy(inner.begin(), inner.end(), m.begin() + 16);
	sodium_wg_encrypt(key, counter, &m[16], len, &m[16 + len]);
	return m;
}

struct Transport {
	uint32_t receiver = 0;
	uint64_t counter = 0;
	Bytes plain;  // padding included
};

// A transport data message opened with key; nothing when it is none or
// does not authenticate.
inline std::optional<Transport> open_transport(const uint8_t *key, Bytes message)
{
	if (message.size() < 32 || message[0] != 4)
		return std::nullopt;
	Transport t;
	t.receiver = load_le32(&message[4]);
	t.counter = load_le64(&message[8]);
	size_t len = message.size() - 32;
	if (sodium_wg_decrypt(key, t.counter, &message[16], len, &message[16 + len]) != AeadStatus::ok)
		return std::nullopt;
	t.plain.assign(message.begin() + 16, message.begin() + 16 + static_cast<ptrdiff_t>(len));
	return t;
}

} // namespace wayport::test
