#include "tools/wayportctl/payload_json.h"

#include <cstdio>

#include "controlplane/disco/key.h"
#include "dataplane/wire/classify.h"
#include "dataplane/wire/disco_frame.h"
#include "dataplane/wire/geneve.h"
#include "dataplane/wire/wireguard.h"
#include "tools/wayportctl/disco_json.h"

namespace wayport::ctl {

using json = Json;

namespace {

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

// WireGuard's cleartext fields (whitepaper §5.4); integers are
// little-endian, keys, MACs and ciphertext hex.
json describe_wireguard(ByteSpan b)
{
	using namespace wgmsg;
	WireGuardType t = wireguard_type(b);
	json j = {{"type", to_string(t)}, {"length", b.size()}};
	const uint8_t *p = b.data();
	auto hex = [&](size_t offset, size_t len) { return to_hex(b.subspan(offset, len)); };
	switch (t) {
	case WireGuardType::initiation:
		j["sender_index"] = load_le32(p + Initiation::sender);
		j["ephemeral"] = hex(Initiation::ephemeral, kKeyLen);
		j["encrypted_static"] = hex(Initiation::encrypted_static, kKeyLen + kTagLen);
		j["encrypted_timestamp"] = hex(Initiation::encrypted_timestamp, kTimestampLen + kTagLen);
		j["mac1"] = hex(Initiation::mac1, kMacLen);
		j["mac2"] = hex(Initiation::mac2, kMacLen);
		break;
	case WireGuardType::response:
		j["sender_index"] = load_le32(p + Response::sender);
		j["receiver_index"] = load_le32(p + Response::receiver);
		j["ephemeral"] = hex(Response::ephemeral, kKeyLen);
		j["encrypted_nothing"] = hex(Response::encrypted_nothing, kTagLen);
		j["mac1"] = hex(Response::mac1, kMacLen);
		j["mac2"] = hex(Response::mac2, kMacLen);
		break;
	case WireGuardType::cookie_reply:
		j["receiver_index"] = load_le32(p + CookieReply::receiver);
		j["nonce"] = hex(CookieReply::nonce, kXNonceLen);
		j["encrypted_cookie"] = hex(CookieReply::encrypted_cookie, kMacLen + kTagLen);
		break;
	case WireGuardType::transport:
		j["receiver_index"] = load_le32(p + Transport::receiver);
		j["counter"] = load_le64(p + Transport::counter);
		// The padded inner packet; 0 is a keepalive.
		j["encrypted_length"] = b.size() - Transport::header_len - kTagLen;
		break;
	case WireGuardType::none:
		break;
	}
	return j;
}

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
