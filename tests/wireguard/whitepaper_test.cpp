// WireGuard's messages 1 and 2 recomputed here straight from the
// whitepaper's equations (§5.4.2, §5.4.3, §5.4.5) with the primitives alone,
// and compared byte for byte with what handshake.h builds on the Noise
// core: the link from the Noise vectors to WireGuard's constants, prologue
// and labels.
#include <gtest/gtest.h>

#include <array>
#include <cstring>

#include "controlplane/wireguard/handshake.h"
#include "dataplane/wire/bytes.h"

namespace wayport::wireguard {
namespace {

ByteSpan text(std::string_view s)
{
	return ByteSpan(reinterpret_cast<const uint8_t *>(s.data()), s.size());
}

Key32 kdf1(const Key32 &c, ByteSpan in)
{
	Key32 out[1];
	hkdf(c, in, out);
	return out[0];
}

Key32 fixed(uint8_t seed)
{
	Key32 k;
	for (size_t i = 0; i < k.size(); i++)
		k[i] = static_cast<uint8_t>(seed + i);
	return k;
}

TEST(WireGuardWhitepaper, MessagesMatchTheEquations)
{
	PrivateKey s_i = PrivateKey::from_raw(fixed(0x10)), s_r = PrivateKey::from_raw(fixed(0x40));
	PrivateKey e_i = PrivateKey::from_raw(fixed(0x70)), e_r = PrivateKey::from_raw(fixed(0xa0));
	PublicKey S_i = s_i.public_key(), S_r = s_r.public_key();
	PublicKey E_i = e_i.public_key(), E_r = e_r.public_key();
	Key32 q = fixed(0xd0);
	Tai64n ts = Tai64n::from({1'700'000'000, 0});

	// Initiator, §5.4.2.
	Key32 c = hash({text(kConstruction)});
	Hash h = hash({c, text(kIdentifier)});
	h = hash({h, S_r.bytes});
	c = kdf1(c, E_i.bytes);
	h = hash({h, E_i.bytes});
	Key32 ck[2];
	hkdf(c, *dh(e_i, S_r), ck);
	c = ck[0];
	uint8_t enc_static[kKeyLen + kTagLen];
	aead_seal(ck[1], 0, S_i.bytes, h, enc_static);
	h = hash({h, ByteSpan(enc_static)});
	hkdf(c, *dh(s_i, S_r), ck);
	c = ck[0];
	uint8_t enc_ts[kTai64nLen + kTagLen];
	aead_seal(ck[1], 0, ts.bytes, h, enc_ts);
	h = hash({h, ByteSpan(enc_ts)});

	std::array<uint8_t, kWireGuardInitiationLen> want1{};
	wgmsg::store_type(want1.data(), WireGuardType::initiation);
	store_le32(want1.data() + 4, 0xabcd);
	std::memcpy(want1.data() + 8, E_i.bytes.data(), kKeyLen);
	std::memcpy(want1.data() + 40, enc_static, sizeof(enc_static));
	std::memcpy(want1.data() + 88, enc_ts, sizeof(enc_ts));
	Mac m1 = mac(hash({text(kLabelMac1), S_r.bytes}), ByteSpan(want1).first(116));
	std::memcpy(want1.data() + 116, m1.data(), kMacLen);

	Identity initiator{s_i}, responder{s_r};
	InitiationParams ip;
	ip.peer = S_r;
	ip.psk = q;
	ip.sender_index = 0xabcd;
	ip.ephemeral = e_i;
	ip.timestamp = ts;
	std::array<uint8_t, kWireGuardInitiationLen> got1{};
	std::optional<PendingInitiation> pending;
	ASSERT_EQ(create_initiation(initiator, ip, got1, pending), HandshakeError::ok);
	EXPECT_EQ(to_hex(got1), to_hex(want1));

	// Responder, §5.4.3.
	c = kdf1(c, E_r.bytes);
	h = hash({h, E_r.bytes});
	c = kdf1(c, *dh(e_r, E_i));
	c = kdf1(c, *dh(e_r, S_i));
	Key32 cth[3];
	hkdf(c, q, cth);
	c = cth[0];
	h = hash({h, cth[1]});
	uint8_t enc_nothing[kTagLen];
	aead_seal(cth[2], 0, {}, h, enc_nothing);

	std::array<uint8_t, kWireGuardResponseLen> want2{};
	wgmsg::store_type(want2.data(), WireGuardType::response);
	store_le32(want2.data() + 4, 0x1234);
	store_le32(want2.data() + 8, 0xabcd);
	std::memcpy(want2.data() + 12, E_r.bytes.data(), kKeyLen);
	std::memcpy(want2.data() + 44, enc_nothing, sizeof(enc_nothing));
	Mac m2 = mac(hash({text(kLabelMac1), S_i.bytes}), ByteSpan(want2).first(60));
	std::memcpy(want2.data() + 60, m2.data(), kMacLen);

	std::optional<ReceivedInitiation> received;
	ASSERT_EQ(consume_initiation(responder, got1, received), HandshakeError::ok);
	ResponseParams rp;
	rp.psk = q;
	rp.sender_index = 0x1234;
	rp.ephemeral = e_r;
	std::array<uint8_t, kWireGuardResponseLen> got2{};
	TransportKeys responder_keys, initiator_keys;
	ASSERT_EQ(create_response(*received, rp, got2, responder_keys), HandshakeError::ok);
	EXPECT_EQ(to_hex(got2), to_hex(want2));
	ASSERT_EQ(consume_response(initiator, *pending, q, got2, initiator_keys), HandshakeError::ok);

	// Transport keys, §5.4.5: (T_send_i = T_recv_r, T_recv_i = T_send_r) = KDF2(C, ε).
	Key32 t[2];
	hkdf(c, {}, t);
	EXPECT_EQ(initiator_keys.send, t[0]);
	EXPECT_EQ(initiator_keys.receive, t[1]);
	EXPECT_EQ(responder_keys.send, t[1]);
	EXPECT_EQ(responder_keys.receive, t[0]);
}

} // namespace
} // namespace wayport::wireguard
