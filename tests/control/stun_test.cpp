#include <gtest/gtest.h>

#include "controlplane/control/stun.h"

namespace wayport {
namespace {

const Bytes kRequest = *from_hex("00010000" "2112a442" "b7e7a701bc34d686fa87dfae");

TEST(Stun, RespondsWithXorMappedAddressV4)
{
	// RFC 5769 §2.2 uses 192.0.2.1:32853; its XOR-MAPPED-ADDRESS value is
	// 0001 a147 e112a643.
	auto resp = stun_binding_response(kRequest, *AddrPort::parse("192.0.2.1:32853"));
	ASSERT_TRUE(resp);
	EXPECT_EQ(to_hex(*resp), "0101000c" "2112a442" "b7e7a701bc34d686fa87dfae"
				 "00200008" "0001a147e112a643");
}

TEST(Stun, RespondsWithXorMappedAddressV6)
{
	// RFC 5769 §2.3: 2001:db8:1234:5678:11:2233:4455:6677 port 32853.
	auto resp = stun_binding_response(kRequest, *AddrPort::parse("[2001:db8:1234:5678:11:2233:4455:6677]:32853"));
	ASSERT_TRUE(resp);
	EXPECT_EQ(to_hex(*resp), "01010018" "2112a442" "b7e7a701bc34d686fa87dfae"
				 "00200014" "0002a147" "0113a9faa5d3f179bc25f4b5bed2b9d9");
}

TEST(Stun, RefusesWhatIsNotAWellFormedBindingRequest)
{
	AddrPort a = *AddrPort::parse("192.0.2.1:1");
	Bytes b = kRequest;
	b[1] = 0x03;  // Allocate
	EXPECT_FALSE(stun_binding_response(b, a));
	b = kRequest;
	b[0] = 0x01;  // a success response, not a request
	b[1] = 0x01;
	EXPECT_FALSE(stun_binding_response(b, a));
	b = kRequest;
	b[3] = 4;  // claims an attribute that is not there
	EXPECT_FALSE(stun_binding_response(b, a));
	b = kRequest;
	b.push_back(0);  // length field disagrees
	EXPECT_FALSE(stun_binding_response(b, a));
	b = kRequest;
	b[5] ^= 1;  // bad cookie
	EXPECT_FALSE(stun_binding_response(b, a));
	EXPECT_FALSE(stun_binding_response(ByteSpan(kRequest).first(19), a));
	// Attributes (SOFTWARE, FINGERPRINT, ...) are allowed and ignored.
	b = kRequest;
	b[3] = 8;
	Bytes attr = *from_hex("80220004" "74657374");
	b.insert(b.end(), attr.begin(), attr.end());
	EXPECT_TRUE(stun_binding_response(b, a));
}

} // namespace
} // namespace wayport
