#include <gtest/gtest.h>

#include "dataplane/wire/classify.h"
#include "tests/unit/vectors.h"

namespace wayport {
namespace {

using test::vec;

Bytes cat(const Bytes &a, const Bytes &b)
{
	Bytes out = a;
	out.insert(out.end(), b.begin(), b.end());
	return out;
}

Bytes stun_binding_request()
{
	return *from_hex("00010000" "2112a442" "0102030405060708090a0b0c");
}

Bytes wireguard(uint8_t type, size_t len)
{
	Bytes b(len, 0xaa);
	b[0] = type;
	b[1] = b[2] = b[3] = 0;
	return b;
}

void expect_client(const Bytes &b, ClientLooksLike kind, bool geneve)
{
	ClientView v = client_classify(b);
	EXPECT_EQ(v.kind, kind) << to_string(v.kind);
	EXPECT_EQ(v.geneve, geneve);
}

TEST(Classify, ClientViewMatchesMagicsockPacketLooksLike)
{
	// Test_packetLooksLike cases (spec §1.5 and the vectors file).
	expect_client(vec("pkt_looks_like_geneve_encap_disco"), ClientLooksLike::disco, true);
	expect_client(vec("pkt_looks_like_geneve_encap_too_short_disco"), ClientLooksLike::wireguard, false);
	expect_client(vec("geneve_hdr_ctrl_wireguard_vni1"), ClientLooksLike::wireguard, true);
	expect_client(stun_binding_request(), ClientLooksLike::stun_binding, false);
	expect_client(vec("pkt_alloc_req_A_to_R_naked_disco"), ClientLooksLike::disco, false);
	expect_client(vec("wg_handshake_initiation_captured"), ClientLooksLike::wireguard, false);

	// A nonzero version, reserved bits or reserved byte: not Geneve to a
	// client, and the disco magic is not at byte 0, so "WireGuard".
	Bytes disco_tail(vec("pkt_looks_like_geneve_encap_disco").begin() + 8,
			 vec("pkt_looks_like_geneve_encap_disco").end());
	for (const char *name : {"geneve_hdr_nonzero_version", "geneve_hdr_nonzero_reserved_bits",
				 "geneve_hdr_nonzero_reserved_byte"}) {
		SCOPED_TRACE(name);
		expect_client(cat(vec(name), disco_tail), ClientLooksLike::wireguard, false);
	}
	// Well-formed header, unknown protocol.
	expect_client(*from_hex("0000080000000100aabb"), ClientLooksLike::wireguard, false);
}

TEST(Classify, PayloadClasses)
{
	EXPECT_EQ(classify_payload(stun_binding_request()).cls, PayloadClass::stun_binding);
	EXPECT_EQ(classify_payload(vec("pkt_bind_A_to_S")).cls, PayloadClass::geneve_disco);
	EXPECT_EQ(classify_payload(vec("pkt_relayed_ping_A_to_B")).cls, PayloadClass::geneve_disco);
	EXPECT_EQ(classify_payload(vec("pkt_looks_like_geneve_encap_disco")).cls, PayloadClass::geneve_disco);
	EXPECT_EQ(classify_payload(vec("pkt_relayed_wg_init_A_to_B")).cls, PayloadClass::geneve_wireguard);
	EXPECT_EQ(classify_payload(vec("pkt_relayed_wg_opaque_A_to_B")).cls, PayloadClass::geneve_wireguard);
	EXPECT_EQ(classify_payload(vec("pkt_alloc_req_A_to_R_naked_disco")).cls, PayloadClass::disco);
	EXPECT_EQ(classify_payload(vec("wg_handshake_initiation_captured")).cls, PayloadClass::wireguard);

	EXPECT_EQ(classify_payload(vec("pkt_looks_like_geneve_encap_too_short_disco")).cls, PayloadClass::other);
	EXPECT_EQ(classify_payload(*from_hex("0000080000000100aabb")).cls, PayloadClass::other);
	EXPECT_EQ(classify_payload(Bytes{}).cls, PayloadClass::other);
	EXPECT_EQ(classify_payload(Bytes{0x54, 0x53}).cls, PayloadClass::other);
}

// What the relay port does with a payload, beside its class: Tailscale's
// server order, STUN and naked disco first, then any 8 bytes as Geneve.
TEST(Classify, RelayViewIsTheServersLenientReading)
{
	struct Case {
		const char *name;
		Bytes payload;
		RelayView relay;
		PayloadClass cls;
	};
	Bytes magic_only(kDiscoMagic, kDiscoMagic + kDiscoMagicLen);
	const Case cases[] = {
		{"stun binding", stun_binding_request(), RelayView::stun_binding, PayloadClass::stun_binding},
		{"naked disco", vec("pkt_alloc_req_A_to_R_naked_disco"), RelayView::disco, PayloadClass::disco},
		{"disco magic alone", magic_only, RelayView::disco, PayloadClass::other},
		{"bind", vec("pkt_bind_A_to_S"), RelayView::geneve_control, PayloadClass::geneve_disco},
		{"relayed wireguard", vec("pkt_relayed_wg_init_A_to_B"), RelayView::geneve_data,
		 PayloadClass::geneve_wireguard},
		{"relayed disco ping", vec("pkt_relayed_ping_A_to_B"), RelayView::geneve_data, PayloadClass::geneve_disco},
		{"unknown protocol", *from_hex("0000080000000100aabb"), RelayView::geneve_data, PayloadClass::other},
		{"version 1, control", *from_hex("40807a11000001005453"), RelayView::geneve_control, PayloadClass::other},
		{"naked wireguard initiation", vec("wg_handshake_initiation_captured"), RelayView::geneve_data,
		 PayloadClass::wireguard},
		{"exactly 8 bytes", Bytes(8, 0), RelayView::geneve_data, PayloadClass::other},
		{"7 bytes", Bytes(7, 0), RelayView::too_short, PayloadClass::other},
		{"empty", Bytes{}, RelayView::too_short, PayloadClass::other},
	};
	for (const Case &c : cases) {
		PayloadInfo info = classify_payload(c.payload);
		EXPECT_EQ(info.relay, c.relay) << c.name << ": " << to_string(info.relay);
		EXPECT_EQ(info.cls, c.cls) << c.name << ": " << to_string(info.cls);
	}
	PayloadInfo relayed = classify_payload(vec("pkt_relayed_wg_init_A_to_B"));
	EXPECT_EQ(relayed.wireguard, WireGuardType::initiation);
	EXPECT_FALSE(relayed.geneve.control);
}

TEST(Classify, WireGuardTypesNeedTheirSizes)
{
	EXPECT_EQ(wireguard_type(wireguard(1, 148)), WireGuardType::initiation);
	EXPECT_EQ(wireguard_type(wireguard(2, 92)), WireGuardType::response);
	EXPECT_EQ(wireguard_type(wireguard(3, 64)), WireGuardType::cookie_reply);
	EXPECT_EQ(wireguard_type(wireguard(4, 32)), WireGuardType::transport);
	EXPECT_EQ(wireguard_type(wireguard(4, 1452)), WireGuardType::transport);

	EXPECT_EQ(wireguard_type(wireguard(1, 147)), WireGuardType::none);
	EXPECT_EQ(wireguard_type(wireguard(1, 149)), WireGuardType::none);
	EXPECT_EQ(wireguard_type(wireguard(2, 93)), WireGuardType::none);
	EXPECT_EQ(wireguard_type(wireguard(3, 63)), WireGuardType::none);
	EXPECT_EQ(wireguard_type(wireguard(4, 31)), WireGuardType::none);
	EXPECT_EQ(wireguard_type(wireguard(5, 64)), WireGuardType::none);
	EXPECT_EQ(wireguard_type(wireguard(0, 64)), WireGuardType::none);
	Bytes reserved = wireguard(4, 64);
	reserved[2] = 1;
	EXPECT_EQ(wireguard_type(reserved), WireGuardType::none);
	EXPECT_EQ(classify_payload(reserved).cls, PayloadClass::other);
}

TEST(Classify, Stun)
{
	Bytes b = stun_binding_request();
	EXPECT_TRUE(is_stun(b));
	EXPECT_TRUE(is_stun_binding(b));
	b[1] = 0x03;  // Allocate: STUN but not Binding
	EXPECT_TRUE(is_stun(b));
	EXPECT_FALSE(is_stun_binding(b));
	EXPECT_EQ(classify_payload(b).cls, PayloadClass::other);
	expect_client(b, ClientLooksLike::wireguard, false);

	Bytes bad_cookie = stun_binding_request();
	bad_cookie[7] ^= 1;
	EXPECT_FALSE(is_stun(bad_cookie));
	Bytes short_one = stun_binding_request();
	short_one.pop_back();
	EXPECT_FALSE(is_stun(short_one));
	Bytes high_bits = stun_binding_request();
	high_bits[0] = 0x40;
	EXPECT_FALSE(is_stun(high_bits));
}

} // namespace
} // namespace wayport
