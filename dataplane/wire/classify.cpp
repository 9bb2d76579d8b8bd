#include "classify.h"

#include <cstring>

#include "disco_frame.h"
#include "geneve.h"

namespace wayport {

bool is_stun(ByteSpan b)
{
	return b.size() >= kStunHeaderLen && (b[0] & 0xC0) == 0 &&
	       std::memcmp(&b[4], kStunMagicCookie, sizeof(kStunMagicCookie)) == 0;
}

bool is_stun_binding(ByteSpan b)
{
	return is_stun(b) && b[1] == 0x01;
}

WireGuardType wireguard_type(ByteSpan b)
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

const char *to_string(WireGuardType t)
{
	switch (t) {
	case WireGuardType::none: return "none";
	case WireGuardType::initiation: return "initiation";
	case WireGuardType::response: return "response";
	case WireGuardType::cookie_reply: return "cookie_reply";
	case WireGuardType::transport: return "transport";
	}
	return "none";
}

const char *to_string(PayloadClass c)
{
	switch (c) {
	case PayloadClass::stun_binding: return "stun_binding";
	case PayloadClass::geneve_disco: return "geneve_disco";
	case PayloadClass::geneve_wireguard: return "geneve_wireguard";
	case PayloadClass::disco: return "disco";
	case PayloadClass::wireguard: return "wireguard";
	case PayloadClass::other: return "other";
	}
	return "other";
}

PayloadClass payload_classify(ByteSpan b)
{
	if (is_stun_binding(b))
		return PayloadClass::stun_binding;
	if (geneve_is_client_strict(b)) {
		uint16_t protocol = load_be16(&b[2]);
		if (protocol == kGeneveProtocolWireGuard)
			return PayloadClass::geneve_wireguard;
		if (protocol == kGeneveProtocolDisco && looks_like_disco_header(b.subspan(kGeneveHeaderLen)))
			return PayloadClass::geneve_disco;
		// A Geneve-shaped header we cannot use: judge the bytes as naked.
	}
	if (looks_like_disco_header(b))
		return PayloadClass::disco;
	if (wireguard_type(b) != WireGuardType::none)
		return PayloadClass::wireguard;
	return PayloadClass::other;
}

const char *to_string(ClientLooksLike k)
{
	switch (k) {
	case ClientLooksLike::wireguard: return "wireguard";
	case ClientLooksLike::stun_binding: return "stun_binding";
	case ClientLooksLike::disco: return "disco";
	}
	return "wireguard";
}

ClientView client_classify(ByteSpan b)
{
	if (is_stun_binding(b))
		return {ClientLooksLike::stun_binding, false};
	if (geneve_is_client_strict(b)) {
		switch (load_be16(&b[2])) {
		case kGeneveProtocolDisco:
			if (looks_like_disco_header(b.subspan(kGeneveHeaderLen)))
				return {ClientLooksLike::disco, true};
			return {ClientLooksLike::wireguard, false};
		case kGeneveProtocolWireGuard:
			return {ClientLooksLike::wireguard, true};
		default:
			return {ClientLooksLike::wireguard, false};
		}
	}
	if (looks_like_disco_header(b))
		return {ClientLooksLike::disco, false};
	return {ClientLooksLike::wireguard, false};
}

} // namespace wayport
