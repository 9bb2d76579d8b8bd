#include "dataplane/wire/classify.h"

namespace wayport {

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

const char *to_string(RelayView v)
{
	switch (v) {
	case RelayView::stun_binding: return "stun_binding";
	case RelayView::disco: return "disco";
	case RelayView::geneve_control: return "geneve_control";
	case RelayView::geneve_data: return "geneve_data";
	case RelayView::too_short: return "too_short";
	}
	return "too_short";
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
