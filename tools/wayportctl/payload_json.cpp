#include "tools/wayportctl/payload_json.h"

#include <cstdio>

#include "controlplane/disco/key.h"
#include "dataplane/wire/classify.h"
#include "dataplane/wire/disco_frame.h"
#include "dataplane/wire/geneve.h"
#include "tools/wayportctl/disco_json.h"

namespace wayport::ctl {

using json = Json;

namespace {

uint32_t load_le32(const uint8_t *p)
{
	return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

uint64_t load_le64(const uint8_t *p)
{
	return uint64_t{load_le32(p)} | uint64_t{load_le32(p + 4)} << 32;
}

// WireGuard's header fields are little-endian (protocol §5.4).
json describe_wireguard(ByteSpan b)
{
	WireGuardType t = wireguard_type(b);
	json j = {{"type", to_string(t)}, {"length", b.size()}};
	switch (t) {
	case WireGuardType::initiation:
		j["sender_index"] = load_le32(&b[4]);
		break;
	case WireGuardType::response:
		j["sender_index"] = load_le32(&b[4]);
		j["receiver_index"] = load_le32(&b[8]);
		break;
	case WireGuardType::cookie_reply:
		j["receiver_index"] = load_le32(&b[4]);
		break;
	case WireGuardType::transport:
		j["receiver_index"] = load_le32(&b[4]);
		j["counter"] = load_le64(&b[8]);
		break;
	case WireGuardType::none:
		break;
	}
	return j;
}

json describe_disco_frame(ByteSpan b)
{
	json j = {{"sender", disco::PublicKey::from_raw(disco_sender(b)).to_text()}, {"length", b.size()}};
	if (looks_like_disco_wrapper(b))
		j["nonce"] = to_hex(b.subspan(kDiscoHeaderLen, kDiscoNonceLen));
	if (b.size() >= kDiscoSealOverhead)
		j["plaintext_length"] = b.size() - kDiscoSealOverhead;
	else
		j["truncated"] = true;
	return j;
}

json describe_stun(ByteSpan b)
{
	char type[8];
	std::snprintf(type, sizeof(type), "0x%04x", load_be16(&b[0]));
	return {{"message_type", type}, {"length", load_be16(&b[2])},
		{"transaction_id", to_hex(b.subspan(8, 12))}};
}

} // namespace

json describe_payload(ByteSpan b)
{
	PayloadInfo info = classify_payload(b);
	ClientView client = client_classify(b);
	json j = {{"length", b.size()}, {"class", to_string(info.cls)}, {"relay_view", to_string(info.relay)},
		  {"client_view", {{"looks_like", to_string(client.kind)}, {"geneve", client.geneve}}}};

	switch (info.cls) {
	case PayloadClass::stun_binding:
		j["stun"] = describe_stun(b);
		break;
	case PayloadClass::geneve_disco:
		j["geneve"] = geneve_to_json(info.geneve);
		j["disco"] = describe_disco_frame(b.subspan(kGeneveHeaderLen));
		break;
	case PayloadClass::geneve_wireguard:
		j["geneve"] = geneve_to_json(info.geneve);
		j["wireguard"] = describe_wireguard(b.subspan(kGeneveHeaderLen));
		break;
	case PayloadClass::disco:
		j["disco"] = describe_disco_frame(b);
		break;
	case PayloadClass::wireguard:
		j["wireguard"] = describe_wireguard(b);
		break;
	case PayloadClass::other:
		// What a Tailscale relay server would still read from it (spec §1.4).
		if (info.relay == RelayView::geneve_control || info.relay == RelayView::geneve_data)
			j["lenient_geneve"] = geneve_to_json(info.geneve);
		break;
	}
	return j;
}

} // namespace wayport::ctl
