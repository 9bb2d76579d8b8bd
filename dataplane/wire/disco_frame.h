// The outer frame of a sealed disco message (spec §2.1): just enough for
// the fast path to recognise one and find its sender without any crypto.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "dataplane/wire/bytes.h"

namespace wayport {

inline constexpr uint8_t kDiscoMagic[6] = {0x54, 0x53, 0xf0, 0x9f, 0x92, 0xac}; // "TS💬"
inline constexpr size_t kDiscoMagicLen = sizeof(kDiscoMagic);
inline constexpr size_t kDiscoKeyLen = 32;
inline constexpr size_t kDiscoNonceLen = 24;
inline constexpr size_t kDiscoTagLen = 16;
// magic + sender key: what the client's packetLooksLike requires.
inline constexpr size_t kDiscoHeaderLen = kDiscoMagicLen + kDiscoKeyLen;
// magic + sender key + nonce: disco.LooksLikeDiscoWrapper.
inline constexpr size_t kDiscoWrapperMinLen = kDiscoHeaderLen + kDiscoNonceLen;
// Everything a sealed message adds to its plaintext.
inline constexpr size_t kDiscoSealOverhead = kDiscoWrapperMinLen + kDiscoTagLen;

// As two loads: GCC calls libc memcmp for 6 bytes, which cost the relay
// fast path 3 % of its cycles.
inline bool has_disco_magic(ByteSpan b)
{
	if (b.size() < kDiscoMagicLen)
		return false;
	uint32_t head, want_head;
	uint16_t tail, want_tail;
	std::memcpy(&head, b.data(), 4);
	std::memcpy(&tail, b.data() + 4, 2);
	std::memcpy(&want_head, kDiscoMagic, 4);
	std::memcpy(&want_tail, kDiscoMagic + 4, 2);
	return head == want_head && tail == want_tail;
}

// The client's test (magicsock looksLikeDisco): magic and a sender key.
inline bool looks_like_disco_header(ByteSpan b)
{
	return b.size() >= kDiscoHeaderLen && has_disco_magic(b);
}

// The server's test (disco.LooksLikeDiscoWrapper): magic, sender, nonce.
inline bool looks_like_disco_wrapper(ByteSpan b)
{
	return b.size() >= kDiscoWrapperMinLen && has_disco_magic(b);
}

// The sender's disco public key; b must pass looks_like_disco_header.
inline const uint8_t *disco_sender(ByteSpan b)
{
	return b.data() + kDiscoMagicLen;
}

} // namespace wayport
