// The batched ipsec-mb AEAD against RFC 8439 and against libsodium's
// single-packet path, on every engine AeadBatch can run.
#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "dataplane/crypto/aead.h"
#include "dataplane/crypto/aead_batch.h"

#define NO_COMPAT_IMB_API_053
#include <intel-ipsec-mb.h>

namespace wayport {

// Job i of a batch handed back by ipsec-mb with the given status, as
// AeadBatch::run's submit and flush loops hand it to finish().
struct AeadBatchTestPeer {
	static void return_job(AeadBatch &batch, uint16_t i, IMB_STATUS status)
	{
		IMB_JOB job{};
		job.status = status;
		job.user_data = &batch.jobs_[i];
		AeadBatch::finish(&job);
	}
};

namespace {

using Bytes = std::vector<uint8_t>;

Bytes hex(const std::string &s)
{
	Bytes out;
	for (size_t i = 0; i + 1 < s.size();) {
		if (s[i] == ' ' || s[i] == '\n') {
			i++;
			continue;
		}
		out.push_back(static_cast<uint8_t>(std::stoul(s.substr(i, 2), nullptr, 16)));
		i += 2;
	}
	return out;
}

// RFC 8439 §2.8.2.
struct Rfc8439 {
	Bytes key = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
	AeadNonce nonce{0x07, 0x00, 0x00, 0x00, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47};
	Bytes ad = hex("50515253c0c1c2c3c4c5c6c7");
	std::string text = "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for "
	                   "the future, sunscreen would be it.";
	Bytes plain = Bytes(text.begin(), text.end());
	Bytes cipher = hex("d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
	                   "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
	                   "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
	                   "3ff4def08e4b7a9de576d26586cec64b6116");
	Bytes tag = hex("1ae10b594f09e26a7e902ecbd0600691");
};

struct Packet {
	Bytes key;
	uint64_t counter;
	Bytes data;
	uint8_t tag[aead_tag_len];
};

Packet random_packet(std::mt19937_64 &rng, size_t len, uint64_t counter)
{
	Packet p{Bytes(aead_key_len), counter, Bytes(len), {}};
	for (auto &b : p.key)
		b = static_cast<uint8_t>(rng());
	for (auto &b : p.data)
		b = static_cast<uint8_t>(rng());
	return p;
}

class AeadBatchTest : public testing::TestWithParam<AeadEngine> {
protected:
	AeadBatch batch{AeadBatch::max_capacity, GetParam()};
};

std::string engine_label(const testing::TestParamInfo<AeadEngine> &info)
{
	switch (info.param) {
	case AeadEngine::automatic:
		return "automatic";
	case AeadEngine::avx512:
		return "avx512";
	case AeadEngine::sse:
		return "sse";
	case AeadEngine::sodium:
		return "sodium";
	}
	return "unknown";
}

INSTANTIATE_TEST_SUITE_P(Engines, AeadBatchTest,
                         testing::Values(AeadEngine::automatic, AeadEngine::avx512, AeadEngine::sse,
                                         AeadEngine::sodium),
                         engine_label);

TEST_P(AeadBatchTest, RunsTheEngineAsked)
{
	if (GetParam() == AeadEngine::automatic) {
		EXPECT_NE(batch.engine(), AeadEngine::automatic);
		return;
	}
	// This machine has AVX-512; elsewhere a fallback is allowed, and said.
	if (batch.engine() != GetParam())
		GTEST_SKIP() << "running " << aead_engine_name(batch.engine()) << " instead";
	EXPECT_EQ(batch.engine(), GetParam());
}

TEST(SodiumAead, Rfc8439Vector)
{
	Rfc8439 v;
	ASSERT_GE(sodium_init(), 0);
	Bytes data = v.plain;
	uint8_t tag[aead_tag_len];
	ASSERT_EQ(sodium_encrypt(v.key.data(), v.nonce, v.ad.data(), v.ad.size(), data.data(), data.size(), tag),
	          AeadStatus::ok);
	EXPECT_EQ(data, v.cipher);
	EXPECT_EQ(Bytes(tag, tag + aead_tag_len), v.tag);
	ASSERT_EQ(sodium_decrypt(v.key.data(), v.nonce, v.ad.data(), v.ad.size(), data.data(), data.size(), tag),
	          AeadStatus::ok);
	EXPECT_EQ(data, v.plain);
}

TEST(SodiumAead, FailedDecryptionLeavesZeros)
{
	Rfc8439 v;
	ASSERT_GE(sodium_init(), 0);
	Bytes data = v.cipher;
	Bytes tag = v.tag;
	tag[0] ^= 1;
	EXPECT_EQ(sodium_decrypt(v.key.data(), v.nonce, v.ad.data(), v.ad.size(), data.data(), data.size(),
	                         tag.data()),
	          AeadStatus::auth_failed);
	EXPECT_EQ(data, Bytes(v.cipher.size(), 0));
}

TEST(WgNonce, FourZeroBytesThenCounterLittleEndian)
{
	AeadNonce n = wg_nonce(0x0102030405060708ULL);
	EXPECT_EQ(n, (AeadNonce{0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1}));
	EXPECT_EQ(wg_padded_len(0), 0u);
	EXPECT_EQ(wg_padded_len(1), 16u);
	EXPECT_EQ(wg_padded_len(16), 16u);
	EXPECT_EQ(wg_padded_len(1401), 1408u);
}

TEST_P(AeadBatchTest, Rfc8439VectorWithItsNonceAndAd)
{
	Rfc8439 v;
	Bytes data = v.plain;
	uint8_t tag[aead_tag_len];
	ASSERT_TRUE(batch.add_encrypt(v.key.data(), v.nonce, v.ad.data(), v.ad.size(), data.data(), data.size(), tag));
	batch.run();
	ASSERT_EQ(batch.status(0), AeadStatus::ok);
	EXPECT_EQ(data, v.cipher);
	EXPECT_EQ(Bytes(tag, tag + aead_tag_len), v.tag);

	batch.clear();
	ASSERT_TRUE(batch.add_decrypt(v.key.data(), v.nonce, v.ad.data(), v.ad.size(), data.data(), data.size(), tag));
	batch.run();
	ASSERT_EQ(batch.status(0), AeadStatus::ok);
	EXPECT_EQ(data, v.plain);

	// The AD is authenticated: the same ciphertext under another AD fails.
	Bytes ct = v.cipher;
	Bytes other_ad = v.ad;
	other_ad[3] ^= 0x80;
	batch.clear();
	ASSERT_TRUE(batch.add_decrypt(v.key.data(), v.nonce, other_ad.data(), other_ad.size(), ct.data(), ct.size(),
	                              v.tag.data()));
	batch.run();
	EXPECT_EQ(batch.status(0), AeadStatus::auth_failed);
	EXPECT_EQ(ct, Bytes(ct.size(), 0));
}

// Ciphertext and tag identical to libsodium's over random lengths 0..1500
// and counters, full batches, including the first and last counters
// WireGuard sends (2^64-1 is never used: REJECT_AFTER_MESSAGES).
TEST_P(AeadBatchTest, MatchesSodiumOverRandomLengthsAndCounters)
{
	std::mt19937_64 rng(11);
	for (int round = 0; round < 8; round++) {
		std::vector<Packet> pkts;
		std::vector<Packet> ref;
		for (uint16_t i = 0; i < batch.capacity(); i++) {
			uint64_t counter = i == 0 ? 0 : i == 1 ? UINT64_MAX - 1 : rng();
			pkts.push_back(random_packet(rng, rng() % 1501, counter));
		}
		pkts[2].data.clear();  // a keepalive: no payload at all
		ref = pkts;
		batch.clear();
		for (auto &p : pkts)
			ASSERT_TRUE(batch.add_encrypt(p.key.data(), p.counter, p.data.data(), p.data.size(), p.tag));
		EXPECT_FALSE(batch.add_encrypt(pkts[0].key.data(), 0, pkts[0].data.data(), 0, pkts[0].tag));
		batch.run();
		for (size_t i = 0; i < pkts.size(); i++) {
			Packet &r = ref[i];
			ASSERT_EQ(sodium_wg_encrypt(r.key.data(), r.counter, r.data.data(), r.data.size(), r.tag),
			          AeadStatus::ok);
			ASSERT_EQ(batch.status(static_cast<uint16_t>(i)), AeadStatus::ok) << "job " << i;
			ASSERT_EQ(pkts[i].data, r.data) << "job " << i << " len " << r.data.size();
			ASSERT_EQ(0, std::memcmp(pkts[i].tag, r.tag, aead_tag_len)) << "job " << i << " len " << r.data.size();
		}
	}
}

// Short, long and odd lengths mixed in one run (every length 0..300, the
// block edges, jumbo and the maximum); then decrypted in place back to the
// plaintext.
TEST_P(AeadBatchTest, MixedSizesInOneRunRoundTripInPlace)
{
	std::mt19937_64 rng(12);
	std::vector<size_t> lens = {1420, 64, 0, 1, 15, 16, 17, 63, 65, 127, 128, 129, 255, 256, 257, 511, 512, 513,
	                            1023, 1024, 1280, 1419, 1421, 1500, 9000, 65535};
	for (size_t len = 300; len < 300 + 200; len++)
		lens.push_back(len % 301);
	lens.resize(batch.capacity());
	std::vector<Packet> pkts;
	for (size_t len : lens)
		pkts.push_back(random_packet(rng, len, rng()));
	std::vector<Packet> orig = pkts;

	for (auto &p : pkts)
		ASSERT_TRUE(batch.add_encrypt(p.key.data(), p.counter, p.data.data(), p.data.size(), p.tag));
	batch.run();
	for (size_t i = 0; i < pkts.size(); i++) {
		Packet r = orig[i];
		ASSERT_EQ(sodium_wg_encrypt(r.key.data(), r.counter, r.data.data(), r.data.size(), r.tag), AeadStatus::ok);
		ASSERT_EQ(batch.status(static_cast<uint16_t>(i)), AeadStatus::ok);
		ASSERT_EQ(pkts[i].data, r.data) << "len " << r.data.size();
		ASSERT_EQ(0, std::memcmp(pkts[i].tag, r.tag, aead_tag_len)) << "len " << r.data.size();
	}

	batch.clear();
	for (auto &p : pkts)
		ASSERT_TRUE(batch.add_decrypt(p.key.data(), p.counter, p.data.data(), p.data.size(), p.tag));
	batch.run();
	for (size_t i = 0; i < pkts.size(); i++) {
		ASSERT_EQ(batch.status(static_cast<uint16_t>(i)), AeadStatus::ok);
		ASSERT_EQ(pkts[i].data, orig[i].data) << "len " << orig[i].data.size();
	}
}

// A flipped ciphertext byte, a flipped tag byte, a wrong counter and a
// wrong key each fail their own job only, leaving zeros; the neighbours
// decrypt.
TEST_P(AeadBatchTest, TamperingFailsThatJobOnly)
{
	std::mt19937_64 rng(13);
	std::vector<Packet> pkts;
	for (int i = 0; i < 32; i++)
		pkts.push_back(random_packet(rng, i % 2 ? 64 : 1420, 1000 + i));
	std::vector<Packet> orig = pkts;
	for (auto &p : pkts)
		ASSERT_TRUE(batch.add_encrypt(p.key.data(), p.counter, p.data.data(), p.data.size(), p.tag));
	batch.run();

	pkts[3].data[17] ^= 0x01;
	pkts[4].tag[15] ^= 0x80;
	pkts[9].tag[0] ^= 0x01;   // a short one
	pkts[20].data[0] ^= 0x40;
	pkts[21].data[63] ^= 0x02;  // the short one's last byte
	uint64_t counters[32];
	for (size_t i = 0; i < pkts.size(); i++)
		counters[i] = pkts[i].counter;
	counters[11] += 1;
	pkts[12].key[31] ^= 1;

	batch.clear();
	for (size_t i = 0; i < pkts.size(); i++)
		ASSERT_TRUE(batch.add_decrypt(pkts[i].key.data(), counters[i], pkts[i].data.data(), pkts[i].data.size(),
		                              pkts[i].tag));
	batch.run();
	const std::vector<size_t> bad = {3, 4, 9, 11, 12, 20, 21};
	for (size_t i = 0; i < pkts.size(); i++) {
		bool tampered = std::find(bad.begin(), bad.end(), i) != bad.end();
		EXPECT_EQ(batch.status(static_cast<uint16_t>(i)), tampered ? AeadStatus::auth_failed : AeadStatus::ok)
			<< "job " << i;
		EXPECT_EQ(pkts[i].data, tampered ? Bytes(orig[i].data.size(), 0) : orig[i].data) << "job " << i;
	}
}

TEST_P(AeadBatchTest, TooLongIsBadLengthAndUntouched)
{
	std::mt19937_64 rng(14);
	Packet ok = random_packet(rng, 100, 5);
	Packet ref = ok;
	uint8_t canary[32] = {};
	uint8_t tag[aead_tag_len] = {};
	ASSERT_TRUE(batch.add_encrypt(ok.key.data(), 1, canary, aead_max_len + 1, tag));
	ASSERT_TRUE(batch.add_encrypt(ok.key.data(), ok.counter, ok.data.data(), ok.data.size(), ok.tag));
	ASSERT_TRUE(batch.add_decrypt(ok.key.data(), 1, canary, size_t{1} << 40, tag));
	batch.run();
	EXPECT_EQ(batch.status(0), AeadStatus::bad_length);
	EXPECT_EQ(batch.status(1), AeadStatus::ok);
	EXPECT_EQ(batch.status(2), AeadStatus::bad_length);
	for (uint8_t b : canary)
		EXPECT_EQ(b, 0);
	for (uint8_t b : tag)
		EXPECT_EQ(b, 0);
	ASSERT_EQ(sodium_wg_encrypt(ref.key.data(), ref.counter, ref.data.data(), ref.data.size(), ref.tag),
	          AeadStatus::ok);
	EXPECT_EQ(ok.data, ref.data);
}

TEST(AeadBatchFallback, JobsIpsecMbFailsRunOnLibsodium)
{
	// Every status but COMPLETED: the job's bytes must come out as
	// libsodium makes them, for each direction and a tag that fails.
	const IMB_STATUS failures[] = {IMB_STATUS_BEING_PROCESSED, IMB_STATUS_COMPLETED_CIPHER,
	                               IMB_STATUS_COMPLETED_AUTH, IMB_STATUS_INVALID_ARGS,
	                               IMB_STATUS_INTERNAL_ERROR, IMB_STATUS_ERROR};
	std::mt19937_64 rng(15);
	for (IMB_STATUS status : failures) {
		SCOPED_TRACE(static_cast<int>(status));
		AeadBatch batch(4, AeadEngine::automatic);
		Packet enc = random_packet(rng, 1420, 7);
		Packet want = enc;
		ASSERT_EQ(sodium_wg_encrypt(want.key.data(), want.counter, want.data.data(), want.data.size(),
		                            want.tag),
		          AeadStatus::ok);
		Packet good = want, bad = want;
		bad.tag[5] ^= 0x10;

		ASSERT_TRUE(batch.add_encrypt(enc.key.data(), enc.counter, enc.data.data(), enc.data.size(), enc.tag));
		ASSERT_TRUE(batch.add_decrypt(good.key.data(), good.counter, good.data.data(), good.data.size(),
		                              good.tag));
		ASSERT_TRUE(batch.add_decrypt(bad.key.data(), bad.counter, bad.data.data(), bad.data.size(), bad.tag));
		for (uint16_t i = 0; i < 3; i++)
			AeadBatchTestPeer::return_job(batch, i, status);

		EXPECT_EQ(batch.status(0), AeadStatus::ok);
		EXPECT_EQ(enc.data, want.data);
		EXPECT_EQ(Bytes(enc.tag, enc.tag + aead_tag_len), Bytes(want.tag, want.tag + aead_tag_len));
		Packet plain = want;
		ASSERT_EQ(sodium_wg_decrypt(plain.key.data(), plain.counter, plain.data.data(), plain.data.size(),
		                            plain.tag),
		          AeadStatus::ok);
		EXPECT_EQ(batch.status(1), AeadStatus::ok);
		EXPECT_EQ(good.data, plain.data);
		EXPECT_EQ(batch.status(2), AeadStatus::auth_failed);
		EXPECT_EQ(bad.data, Bytes(bad.data.size(), 0));
	}
}

TEST(AeadBatchCapacity, ClampedAndReusable)
{
	AeadBatch small(2);
	EXPECT_EQ(small.capacity(), 2);
	EXPECT_EQ(AeadBatch(0).capacity(), 1);
	EXPECT_EQ(AeadBatch(1000).capacity(), AeadBatch::max_capacity);
	uint8_t key[aead_key_len] = {1};
	uint8_t data[16] = {};
	uint8_t tag[aead_tag_len];
	EXPECT_TRUE(small.add_encrypt(key, 0, data, sizeof data, tag));
	EXPECT_TRUE(small.add_encrypt(key, 1, data, 0, tag));
	EXPECT_TRUE(small.full());
	EXPECT_FALSE(small.add_encrypt(key, 2, data, sizeof data, tag));
	small.run();
	small.clear();
	EXPECT_EQ(small.size(), 0);
	EXPECT_TRUE(small.add_encrypt(key, 2, data, sizeof data, tag));
}

}  // namespace
}  // namespace wayport
