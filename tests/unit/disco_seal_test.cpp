#include <gtest/gtest.h>

#include "controlplane/disco/seal.h"
#include "dataplane/wire/geneve.h"
#include "tests/unit/vectors.h"

namespace wayport::disco {
namespace {

using test::vec;

Nonce nonce(const char *name)
{
	Nonce n{};
	const Bytes &b = vec(name);
	EXPECT_EQ(b.size(), n.size());
	std::copy_n(b.begin(), std::min(b.size(), n.size()), n.begin());
	return n;
}

SharedKey shared(const char *name)
{
	SharedKey k;
	std::copy_n(vec(name).begin(), k.bytes.size(), k.bytes.begin());
	return k;
}

struct SealCase {
	const char *packet;      // the whole UDP payload
	const char *header;      // Geneve header vector, or nullptr for naked disco
	const char *shared;
	const char *sender_pub;
	const char *nonce;
	const char *plaintext;
};

const SealCase kCases[] = {
	{"pkt_bind_A_to_S", "geneve_hdr_ctrl_disco_vni1", "key_K_AS", "key_A_pub", "nonce_1", "disco_plain_bind_A"},
	{"pkt_challenge_S_to_A", "geneve_hdr_ctrl_disco_vni1", "key_K_AS", "key_S_pub", "nonce_2", "disco_plain_challenge_S"},
	{"pkt_answer_A_to_S", "geneve_hdr_ctrl_disco_vni1", "key_K_AS", "key_A_pub", "nonce_3", "disco_plain_answer_A"},
	{"pkt_relayed_ping_A_to_B", "geneve_hdr_data_disco_vni1", "key_K_AB", "key_A_pub", "nonce_4", "disco_plain_ping_A"},
	{"pkt_alloc_req_A_to_R_naked_disco", nullptr, "key_K_AR", "key_A_pub", "nonce_5", "disco_plain_alloc_req_A"},
	{"pkt_alloc_resp_R_to_A_naked_disco", nullptr, "key_K_AR", "key_R_pub", "nonce_6", "disco_plain_alloc_resp_R"},
};

TEST(DiscoSeal, SealedVectorsByteExact)
{
	for (const auto &c : kCases) {
		SCOPED_TRACE(c.packet);
		Bytes out;
		if (c.header)
			out = vec(c.header);
		Nonce n = nonce(c.nonce);
		seal(shared(c.shared), PublicKey::from_raw(vec(c.sender_pub).data()), vec(c.plaintext), out, &n);
		EXPECT_EQ(to_hex(out), to_hex(vec(c.packet)));
	}
}

TEST(DiscoSeal, OpenVectors)
{
	for (const auto &c : kCases) {
		SCOPED_TRACE(c.packet);
		ByteSpan frame(vec(c.packet));
		if (c.header)
			frame = frame.subspan(kGeneveHeaderLen);
		ASSERT_TRUE(looks_like_disco_wrapper(frame));
		EXPECT_EQ(PublicKey::from_raw(disco_sender(frame)), PublicKey::from_raw(vec(c.sender_pub).data()));
		auto plain = open(shared(c.shared), frame);
		ASSERT_TRUE(plain.has_value());
		EXPECT_EQ(*plain, vec(c.plaintext));
	}
}

TEST(DiscoSeal, OpenRejectsWrongKeyAndEveryFlippedBit)
{
	ByteSpan frame = ByteSpan(vec("pkt_bind_A_to_S")).subspan(kGeneveHeaderLen);
	EXPECT_FALSE(open(shared("key_K_AB"), frame));
	// Flipping any bit of the nonce, tag or ciphertext must fail the box.
	for (size_t i = kDiscoHeaderLen; i < frame.size(); i++) {
		Bytes bad(frame.begin(), frame.end());
		bad[i] ^= 0x01;
		EXPECT_FALSE(open(shared("key_K_AS"), bad)) << "byte " << i;
	}
}

TEST(DiscoSeal, OpenRejectsShortFrames)
{
	ByteSpan frame = ByteSpan(vec("pkt_bind_A_to_S")).subspan(kGeneveHeaderLen);
	for (size_t n = 0; n < kDiscoSealOverhead; n++)
		EXPECT_FALSE(open(shared("key_K_AS"), frame.first(n))) << n;
}

TEST(DiscoSeal, RandomNoncesDifferAndOpen)
{
	PublicKey a = PublicKey::from_raw(vec("key_A_pub").data());
	Bytes one, two;
	seal(shared("key_K_AS"), a, vec("disco_plain_bind_A"), one);
	seal(shared("key_K_AS"), a, vec("disco_plain_bind_A"), two);
	EXPECT_NE(one, two);
	EXPECT_EQ(one.size(), kDiscoSealOverhead + vec("disco_plain_bind_A").size());
	EXPECT_EQ(open(shared("key_K_AS"), one), vec("disco_plain_bind_A"));
	EXPECT_EQ(open(shared("key_K_AS"), two), vec("disco_plain_bind_A"));
}

TEST(DiscoSeal, EmptyPlaintextRoundTrips)
{
	PublicKey a = PublicKey::from_raw(vec("key_A_pub").data());
	Bytes out;
	seal(shared("key_K_AS"), a, ByteSpan{}, out);
	EXPECT_EQ(out.size(), kDiscoSealOverhead);
	auto plain = open(shared("key_K_AS"), out);
	ASSERT_TRUE(plain.has_value());
	EXPECT_TRUE(plain->empty());
}

} // namespace
} // namespace wayport::disco
