// Every truncation and many random mutations of every vector go through
// each decoder. Each must either fail cleanly or give Tailscale's lenient
// result, and whatever parses must marshal back to the same bytes.
#include <gtest/gtest.h>

#include <random>

#include "controlplane/disco/message.h"
#include "controlplane/disco/seal.h"
#include "dataplane/wire/classify.h"
#include "dataplane/wire/geneve.h"
#include "tests/unit/vectors.h"
#include "tools/wayportctl/disco_json.h"
#include "tools/wayportctl/payload_json.h"

namespace wayport {
namespace {

constexpr int kMutationsPerVector = 3000;

// Runs b through every decoder; returns true if it parsed as disco.
bool exercise(const Bytes &b)
{
	GeneveHeader h;
	bool decoded = geneve_decode(b, h);
	EXPECT_EQ(decoded, b.size() >= kGeneveHeaderLen);
	if (decoded) {
		EXPECT_LE(h.vni, kVniMax);
	}
	(void)geneve_is_client_strict(b);
	(void)classify_payload(b);
	(void)client_classify(b);
	(void)wireguard_type(b);
	(void)ctl::describe_payload(b).dump();

	disco::Message m;
	if (disco::parse(b, m) != disco::ParseError::ok)
		return false;
	EXPECT_EQ(to_hex(disco::marshal(m)), to_hex(b)) << "marshal(parse(b)) != b";
	ctl::Json j = ctl::message_to_json(m);
	disco::Message back = ctl::message_from_json(j);
	EXPECT_EQ(to_hex(disco::marshal(back)), to_hex(b)) << j.dump();
	return true;
}

Bytes mutate(const Bytes &in, std::mt19937 &rng)
{
	Bytes b = in;
	auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n)(rng); };
	int edits = 1 + static_cast<int>(pick(3));
	for (int e = 0; e < edits; e++) {
		switch (pick(5)) {
		case 0:  // flip one bit
			if (!b.empty())
				b[pick(b.size() - 1)] ^= static_cast<uint8_t>(1u << pick(7));
			break;
		case 1:  // random byte
			if (!b.empty())
				b[pick(b.size() - 1)] = static_cast<uint8_t>(pick(255));
			break;
		case 2:  // insert bytes
			b.insert(b.begin() + static_cast<long>(pick(b.size())), pick(20), static_cast<uint8_t>(pick(255)));
			break;
		case 3:  // delete a run
			if (!b.empty()) {
				size_t at = pick(b.size() - 1);
				b.erase(b.begin() + static_cast<long>(at),
					b.begin() + static_cast<long>(std::min(b.size(), at + 1 + pick(20))));
			}
			break;
		case 4:  // the message type and version bytes of a plaintext
			if (b.size() >= 2) {
				b[0] = static_cast<uint8_t>(pick(10));
				b[1] = static_cast<uint8_t>(pick(3) == 0 ? pick(255) : 0);
			}
			break;
		default:  // the length: truncate
			b.resize(pick(b.size()));
			break;
		}
	}
	return b;
}

TEST(Robustness, EveryTruncationOfEveryVector)
{
	for (const auto &[name, bytes] : test::vectors()) {
		SCOPED_TRACE(name);
		for (size_t n = 0; n <= bytes.size(); n++)
			exercise(Bytes(bytes.begin(), bytes.begin() + static_cast<long>(n)));
	}
}

TEST(Robustness, RandomMutationsOfEveryVector)
{
	std::mt19937 rng(20261121);
	size_t parsed = 0;
	for (const auto &[name, bytes] : test::vectors()) {
		SCOPED_TRACE(name);
		for (int i = 0; i < kMutationsPerVector; i++)
			parsed += exercise(mutate(bytes, rng));
	}
	// The type/version mutation must have reached the message parsers.
	EXPECT_GT(parsed, 1000u);
}

TEST(Robustness, MutatedSealedPacketsNeverOpenAltered)
{
	std::mt19937 rng(7);
	disco::SharedKey k_as;
	std::copy_n(test::vec("key_K_AS").begin(), k_as.bytes.size(), k_as.bytes.begin());
	const Bytes &packet = test::vec("pkt_bind_A_to_S");
	const Bytes &plain = test::vec("disco_plain_bind_A");
	for (int i = 0; i < kMutationsPerVector; i++) {
		Bytes b = mutate(packet, rng);
		ByteSpan frame(b);
		if (frame.size() < kGeneveHeaderLen)
			continue;
		auto opened = disco::open(k_as, frame.subspan(kGeneveHeaderLen));
		// Only an untouched box opens, and then to the original plaintext.
		if (opened) {
			EXPECT_EQ(*opened, plain);
		}
	}
}

} // namespace
} // namespace wayport
