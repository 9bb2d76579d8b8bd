#include <gtest/gtest.h>

#include "dataplane/wire/geneve.h"
#include "tests/unit/vectors.h"

namespace wayport {
namespace {

using test::vec;

Bytes encode(const GeneveHeader &h)
{
	Bytes out(kGeneveHeaderLen);
	EXPECT_EQ(geneve_encode(h, out), GeneveError::ok);
	return out;
}

GeneveHeader decode(const Bytes &b)
{
	GeneveHeader h;
	EXPECT_TRUE(geneve_decode(b, h));
	return h;
}

TEST(Geneve, VectorsEncodeAndDecode)
{
	struct Case {
		const char *name;
		GeneveHeader h;
	} cases[] = {
		{"geneve_hdr_testcase_roundtrip", {3, true, kGeneveProtocolDisco, 0xFFFFFF}},
		{"geneve_hdr_ctrl_disco_vni1", {0, true, kGeneveProtocolDisco, 1}},
		{"geneve_hdr_data_disco_vni1", {0, false, kGeneveProtocolDisco, 1}},
		{"geneve_hdr_data_wireguard_vni1", {0, false, kGeneveProtocolWireGuard, 1}},
		{"geneve_hdr_ctrl_wireguard_vni1", {0, true, kGeneveProtocolWireGuard, 1}},
		{"geneve_hdr_data_wireguard_vnimax", {0, false, kGeneveProtocolWireGuard, kVniMax}},
		{"geneve_hdr_nonzero_version", {1, true, kGeneveProtocolDisco, 1}},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(c.name);
		EXPECT_EQ(encode(c.h), vec(c.name));
		EXPECT_EQ(decode(vec(c.name)), c.h);
	}
}

TEST(Geneve, LenientDecodeIgnoresReservedBitsAndByte)
{
	// The server's decode reads these as plain control/disco/VNI 1.
	GeneveHeader want{0, true, kGeneveProtocolDisco, 1};
	EXPECT_EQ(decode(vec("geneve_hdr_nonzero_reserved_bits")), want);
	EXPECT_EQ(decode(vec("geneve_hdr_nonzero_reserved_byte")), want);
	// Option length and the C bit are ignored too; payload is always at 8.
	EXPECT_EQ(decode(*from_hex("3fc07a1100000100")), (GeneveHeader{0, true, kGeneveProtocolDisco, 1}));
}

TEST(Geneve, ClientStrictRejectsNonzeroReservedFields)
{
	EXPECT_TRUE(geneve_is_client_strict(vec("geneve_hdr_ctrl_disco_vni1")));
	EXPECT_TRUE(geneve_is_client_strict(vec("geneve_hdr_data_wireguard_vnimax")));
	EXPECT_FALSE(geneve_is_client_strict(vec("geneve_hdr_nonzero_version")));
	EXPECT_FALSE(geneve_is_client_strict(vec("geneve_hdr_nonzero_reserved_bits")));
	EXPECT_FALSE(geneve_is_client_strict(vec("geneve_hdr_nonzero_reserved_byte")));
	// Option length and O/C bits are not examined by the client.
	EXPECT_TRUE(geneve_is_client_strict(*from_hex("3fc07a1100000100")));
}

TEST(Geneve, ShortBuffers)
{
	Bytes seven(7);
	GeneveHeader h;
	EXPECT_FALSE(geneve_decode(seven, h));
	EXPECT_FALSE(geneve_is_client_strict(seven));
	EXPECT_EQ(geneve_encode(GeneveHeader{}, seven), GeneveError::short_buffer);
	EXPECT_FALSE(geneve_decode(ByteSpan{}, h));
}

TEST(Geneve, EncodeRejectsOutOfRangeFields)
{
	Bytes out(kGeneveHeaderLen);
	EXPECT_EQ(geneve_encode({4, false, 0, 1}, out), GeneveError::version_too_large);
	EXPECT_EQ(geneve_encode({0, false, 0, kVniMax + 1}, out), GeneveError::vni_too_large);
	EXPECT_STRNE(to_string(GeneveError::vni_too_large), "");
}

TEST(Geneve, VniZeroDecodesAsZero)
{
	// Tailscale's Decode marks even VNI 0 as set; the relay treats it as
	// an unknown VNI because none is ever allocated.
	EXPECT_EQ(decode(*from_hex("00007a1200000000")).vni, 0u);
}

} // namespace
} // namespace wayport
