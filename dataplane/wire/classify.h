// What a UDP payload arriving at a relay port is.
//
// payload_classify is wayport's own answer, strict about sizes so that the
// data plane can count what it drops. client_classify mirrors the Tailscale
// client (magicsock packetLooksLike) exactly, so tools can show how a real
// client would read the same bytes.
#pragma once

#include <cstddef>
#include <cstdint>

#include "bytes.h"

namespace wayport {

inline constexpr size_t kStunHeaderLen = 20;
inline constexpr uint8_t kStunMagicCookie[4] = {0x21, 0x12, 0xa4, 0x42};

// stun.Is: a STUN header with the magic cookie.
bool is_stun(ByteSpan b);
// STUN and method Binding (any class), as packetLooksLike tests it.
bool is_stun_binding(ByteSpan b);

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
inline constexpr size_t kWireGuardTransportMinLen = 32;

// A WireGuard message type whose size fits that type, or none.
WireGuardType wireguard_type(ByteSpan b);
const char *to_string(WireGuardType t);

enum class PayloadClass : uint8_t {
	stun_binding,
	geneve_disco,      // Geneve header, protocol disco, disco frame behind it
	geneve_wireguard,  // Geneve header, protocol WireGuard
	disco,             // naked disco frame
	wireguard,         // naked WireGuard message of a known type and size
	other,
};

const char *to_string(PayloadClass c);

PayloadClass payload_classify(ByteSpan b);

// magicsock packetLooksLike: anything not STUN or disco is "WireGuard".
enum class ClientLooksLike : uint8_t { wireguard, stun_binding, disco };

struct ClientView {
	ClientLooksLike kind;
	bool geneve;
};

const char *to_string(ClientLooksLike k);

ClientView client_classify(ByteSpan b);

} // namespace wayport
