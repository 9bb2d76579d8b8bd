// What a UDP payload arriving at a relay or WireGuard port is.
//
// classify_payload is wayport's one answer, used by the workers' relay
// stage, the relay core and wayportctl: a class strict about sizes (so the
// data plane can count what it drops) and the relay server's lenient view
// beside it. client_classify mirrors the Tailscale
// client (magicsock packetLooksLike) exactly, so tools can show how a real
// client would read the same bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "dataplane/wire/bytes.h"
#include "dataplane/wire/disco_frame.h"
#include "dataplane/wire/geneve.h"
#include "dataplane/wire/wireguard.h"

namespace wayport {

inline constexpr size_t kStunHeaderLen = 20;
inline constexpr uint8_t kStunMagicCookie[4] = {0x21, 0x12, 0xa4, 0x42};

// stun.Is: a STUN header with the magic cookie.
inline bool is_stun(ByteSpan b)
{
	return b.size() >= kStunHeaderLen && (b[0] & 0xC0) == 0 &&
	       std::memcmp(&b[4], kStunMagicCookie, sizeof(kStunMagicCookie)) == 0;
}

// STUN and method Binding (any class), as packetLooksLike tests it.
inline bool is_stun_binding(ByteSpan b)
{
	return is_stun(b) && b[1] == 0x01;
}

enum class PayloadClass : uint8_t {
	stun_binding,
	geneve_disco,      // Geneve header, protocol disco, disco frame behind it
	geneve_wireguard,  // Geneve header, protocol WireGuard
	disco,             // naked disco frame
	wireguard,         // naked WireGuard message of a known type and size
	other,
};

const char *to_string(PayloadClass c);

// What a relay port does with a payload, in Tailscale's server order (spec
// §3.5): STUN and naked disco first (neither can be a Geneve header a
// client sends), then any 8 bytes as a Geneve header, read leniently.
enum class RelayView : uint8_t {
	stun_binding,    // answered (wayport) / dropped (the core is no STUN client)
	disco,           // naked disco: an allocation request
	geneve_control,  // the control bit: bind handshake
	geneve_data,     // relayed as it is, whatever its protocol
	too_short,       // under 8 bytes and neither of the above
};

const char *to_string(RelayView v);

// The one reading of a UDP payload that the workers, the relay core and
// wayportctl share.
struct PayloadInfo {
	PayloadClass cls;
	RelayView relay;
	GeneveHeader geneve;         // the lenient decode; valid unless relay is stun_binding, disco or too_short
	WireGuardType wireguard;     // cls wireguard: the naked message; geneve_wireguard: the one behind the header
};

// Inline so a caller that reads only `relay` and `geneve` (the relay fast
// path) pays for nothing else: the rest is dead code to the compiler.
inline PayloadInfo classify_payload(ByteSpan b)
{
	PayloadInfo info{PayloadClass::other, RelayView::too_short, {}, WireGuardType::none};
	if (is_stun_binding(b)) {
		info.cls = PayloadClass::stun_binding;
		info.relay = RelayView::stun_binding;
		return info;
	}
	if (has_disco_magic(b)) {
		info.relay = RelayView::disco;
		if (looks_like_disco_header(b))
			info.cls = PayloadClass::disco;
		return info;
	}
	if (geneve_decode(b, info.geneve)) {
		info.relay = info.geneve.control ? RelayView::geneve_control : RelayView::geneve_data;
		if (geneve_is_client_strict(b)) {
			ByteSpan inner = b.subspan(kGeneveHeaderLen);
			if (info.geneve.protocol == kGeneveProtocolWireGuard) {
				info.cls = PayloadClass::geneve_wireguard;
				info.wireguard = wireguard_type(inner);
				return info;
			}
			if (info.geneve.protocol == kGeneveProtocolDisco && looks_like_disco_header(inner)) {
				info.cls = PayloadClass::geneve_disco;
				return info;
			}
			// A Geneve-shaped header we cannot use: judge the bytes as naked.
		}
	}
	info.wireguard = wireguard_type(b);
	if (info.wireguard != WireGuardType::none)
		info.cls = PayloadClass::wireguard;
	return info;
}

// magicsock packetLooksLike: anything not STUN or disco is "WireGuard".
enum class ClientLooksLike : uint8_t { wireguard, stun_binding, disco };

struct ClientView {
	ClientLooksLike kind;
	bool geneve;
};

const char *to_string(ClientLooksLike k);

ClientView client_classify(ByteSpan b);

} // namespace wayport
