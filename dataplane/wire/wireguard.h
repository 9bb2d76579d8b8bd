// WireGuard's four message layouts (whitepaper §5.4): sizes, field offsets,
// type values, and which type a message is. Header-only, so the workers
// read the same fields the handshake threads write (controlplane/wireguard
// owns the cryptography). Integers are little-endian: load_le32 and friends
// in bytes.h.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/wire/bytes.h"

namespace wayport {

// The first byte of every WireGuard message; the next three are zero.
enum class WireGuardType : uint8_t {
	none = 0,
	initiation = 1,   // 148 bytes
	response = 2,     // 92 bytes
	cookie_reply = 3, // 64 bytes
	transport = 4,    // >= 32 bytes
};

inline constexpr size_t kWireGuardInitiationLen = 148;
inline constexpr size_t kWireGuardResponseLen = 92;
inline constexpr size_t kWireGuardCookieReplyLen = 64;
// Header and an empty payload's tag: a keepalive.
inline constexpr size_t kWireGuardTransportMinLen = 32;

// A WireGuard message type whose size fits that type (and whose reserved
// bytes are zero), or none.
inline WireGuardType wireguard_type(ByteSpan b)
{
	if (b.size() < 4 || b[1] != 0 || b[2] != 0 || b[3] != 0)
		return WireGuardType::none;
	switch (b[0]) {
	case 1:
		return b.size() == kWireGuardInitiationLen ? WireGuardType::initiation : WireGuardType::none;
	case 2:
		return b.size() == kWireGuardResponseLen ? WireGuardType::response : WireGuardType::none;
	case 3:
		return b.size() == kWireGuardCookieReplyLen ? WireGuardType::cookie_reply : WireGuardType::none;
	case 4:
		return b.size() >= kWireGuardTransportMinLen ? WireGuardType::transport : WireGuardType::none;
	default:
		return WireGuardType::none;
	}
}

const char *to_string(WireGuardType t);

namespace wgmsg {

inline constexpr size_t kKeyLen = 32;      // X25519 public key
inline constexpr size_t kTagLen = 16;      // Poly1305
inline constexpr size_t kMacLen = 16;      // mac1, mac2, cookie
inline constexpr size_t kTimestampLen = 12; // TAI64N
inline constexpr size_t kXNonceLen = 24;   // XChaCha20

// Every message: type (1), reserved zero (3), then the fields below.
inline constexpr size_t kType = 0;

struct Initiation {
	static constexpr size_t sender = 4;
	static constexpr size_t ephemeral = 8;
	static constexpr size_t encrypted_static = ephemeral + kKeyLen;                 // 40
	static constexpr size_t encrypted_timestamp = encrypted_static + kKeyLen + kTagLen; // 88
	static constexpr size_t mac1 = encrypted_timestamp + kTimestampLen + kTagLen;   // 116
	static constexpr size_t mac2 = mac1 + kMacLen;                                  // 132
	static constexpr size_t len = mac2 + kMacLen;
};
static_assert(Initiation::len == kWireGuardInitiationLen);

struct Response {
	static constexpr size_t sender = 4;
	static constexpr size_t receiver = 8;
	static constexpr size_t ephemeral = 12;
	static constexpr size_t encrypted_nothing = ephemeral + kKeyLen; // 44
	static constexpr size_t mac1 = encrypted_nothing + kTagLen;      // 60
	static constexpr size_t mac2 = mac1 + kMacLen;                   // 76
	static constexpr size_t len = mac2 + kMacLen;
};
static_assert(Response::len == kWireGuardResponseLen);

struct CookieReply {
	static constexpr size_t receiver = 4;
	static constexpr size_t nonce = 8;
	static constexpr size_t encrypted_cookie = nonce + kXNonceLen; // 32
	static constexpr size_t len = encrypted_cookie + kMacLen + kTagLen;
};
static_assert(CookieReply::len == kWireGuardCookieReplyLen);

struct Transport {
	static constexpr size_t receiver = 4;
	static constexpr size_t counter = 8;
	static constexpr size_t data = 16; // encrypted packet, then its tag
	static constexpr size_t header_len = data;
};
static_assert(Transport::header_len + kTagLen == kWireGuardTransportMinLen);

// Type byte and three zero reserved bytes.
inline void store_type(uint8_t *p, WireGuardType t)
{
	p[0] = static_cast<uint8_t>(t);
	p[1] = p[2] = p[3] = 0;
}

} // namespace wgmsg
} // namespace wayport
