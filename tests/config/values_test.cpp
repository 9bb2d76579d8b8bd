// The text parsers under the schema: addresses, names, lcore lists and the
// typo distance.
#include <gtest/gtest.h>

#include "config/names.h"
#include "config/net.h"
#include "config/reader.h"

namespace wayport::config {
namespace {

TEST(IpPrefix, ParsesBothFamilies)
{
	auto p4 = IpPrefix::parse("192.0.2.1/24", true);
	ASSERT_TRUE(p4);
	EXPECT_TRUE(p4->addr.is_v4);
	EXPECT_EQ(p4->addr.ip4()[3], 1);
	EXPECT_EQ(p4->len, 24u);
	EXPECT_EQ(p4->to_string(), "192.0.2.1/24");

	auto p6 = IpPrefix::parse("2001:DB8::1/64", false);
	ASSERT_TRUE(p6);
	EXPECT_FALSE(p6->addr.is_v4);
	EXPECT_EQ(p6->to_string(), "2001:db8::1/64");
	EXPECT_TRUE(IpPrefix::parse("10.0.0.1/32", true));
	EXPECT_TRUE(IpPrefix::parse("10.0.0.1/1", true));
	EXPECT_TRUE(IpPrefix::parse("::1/128", false));
}

TEST(IpPrefix, RefusesBadText)
{
	for (const char *t : {"", "/", "192.0.2.1", "192.0.2.1/", "192.0.2.1/0", "192.0.2.1/33",
			      "192.0.2.1/-1", "192.0.2.1/+8", "192.0.2.1/24/", "192.0.2.1/2x",
			      "192.0.2/24", "300.0.0.1/8", "::1/64", " 192.0.2.1/24"}) {
		SCOPED_TRACE(t);
		EXPECT_FALSE(IpPrefix::parse(t, true));
	}
	for (const char *t : {"2001:db8::1", "2001:db8::1/0", "2001:db8::1/129", "192.0.2.1/24",
			      "2001:db8:::1/64", "[2001:db8::1]/64"}) {
		SCOPED_TRACE(t);
		EXPECT_FALSE(IpPrefix::parse(t, false));
	}
}

TEST(IpPrefix, ContainsComparesTheFirstBits)
{
	auto p = *IpPrefix::parse("192.0.2.1/23", true);
	EXPECT_TRUE(p.contains(*parse_ip("192.0.3.254", true)));
	EXPECT_TRUE(p.contains(*parse_ip("192.0.2.0", true)));
	EXPECT_FALSE(p.contains(*parse_ip("192.0.4.1", true)));
	EXPECT_FALSE(p.contains(*parse_ip("::ffff:192.0.2.2", false)));  // other family

	auto p6 = *IpPrefix::parse("2001:db8::1/127", false);
	EXPECT_TRUE(p6.contains(*parse_ip("2001:db8::", false)));
	EXPECT_FALSE(p6.contains(*parse_ip("2001:db8::2", false)));
	auto all = *IpPrefix::parse("2001:db8::1/128", false);
	EXPECT_TRUE(all.contains(*parse_ip("2001:db8::1", false)));
	EXPECT_FALSE(all.contains(*parse_ip("2001:db8::3", false)));
}

TEST(Ip, LinkLocalIsFe80Slash10)
{
	EXPECT_TRUE(is_ipv6_link_local(*parse_ip("fe80::1", false)));
	EXPECT_TRUE(is_ipv6_link_local(*parse_ip("febf::1", false)));
	EXPECT_FALSE(is_ipv6_link_local(*parse_ip("fec0::1", false)));
	EXPECT_FALSE(is_ipv6_link_local(*parse_ip("2001:db8::1", false)));
	EXPECT_EQ(ip_to_string(*parse_ip("fe80::1", false)), "fe80::1");
	EXPECT_EQ(ip_to_string(*parse_ip("192.0.2.9", true)), "192.0.2.9");
	EXPECT_FALSE(parse_ip(std::string_view("1.2.3.4\0x", 9), true));
}

TEST(Mac, UnicastOnly)
{
	auto mac = parse_unicast_mac("02:00:5E:00:00:0a");
	ASSERT_TRUE(mac);
	EXPECT_EQ(mac_to_string(*mac), "02:00:5e:00:00:0a");
	for (const char *t : {"", "02:00:00:00:00", "02:00:00:00:00:01:02", "02-00-00-00-00-01",
			      "0200.0000.0001", "02:00:00:00:00:0g", "2:00:00:00:00:01",
			      "01:00:5e:00:00:01", "ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00"}) {
		SCOPED_TRACE(t);
		EXPECT_FALSE(parse_unicast_mac(t));
	}
}

TEST(Names, PortNames)
{
	for (const char *t : {"wan", "a", "lan-2", "uplink_0", "abcdefghijklmno"})
		EXPECT_TRUE(is_port_name(t)) << t;
	for (const char *t : {"", "WAN", "abcdefghijklmnop", "wan 0", "wan.0", "wän"})
		EXPECT_FALSE(is_port_name(t)) << t;
}

TEST(Names, Devices)
{
	for (const char *t : {"net_af_packet0", "net_ring0", "net_tap0", "net_pcap1"})
		EXPECT_TRUE(is_vdev_name(t)) << t;
	for (const char *t : {"", "net_", "eth0", "net_Tap0", "net_tap0,iface=x", "net-tap0",
			      "0000:01:00.0"})
		EXPECT_FALSE(is_vdev_name(t)) << t;
	EXPECT_FALSE(is_vdev_name("net_" + std::string(60, 'a')));

	EXPECT_EQ(normalize_pci_address("0000:01:00.0"), "0000:01:00.0");
	EXPECT_EQ(normalize_pci_address("01:00.0"), "0000:01:00.0");
	EXPECT_EQ(normalize_pci_address("ABCD:EF:1F.7"), "abcd:ef:1f.7");
	for (const char *t : {"", "0000:01:00", "0000:01:00.8", "0000:01:20.0", "000:01:00.0",
			      "0000-01:00.0", "0000:01:00:0", "1:00.0", "0000:01:00.0 ", "0x00:01:00.0",
			      "net_tap0"}) {
		SCOPED_TRACE(t);
		EXPECT_FALSE(normalize_pci_address(t));
	}
}

TEST(Names, LcoreLists)
{
	using V = std::vector<unsigned>;
	EXPECT_EQ(parse_lcore_list("1-3"), V({1, 2, 3}));
	EXPECT_EQ(parse_lcore_list("5"), V({5}));
	EXPECT_EQ(parse_lcore_list("1,3,5-7"), V({1, 3, 5, 6, 7}));
	EXPECT_EQ(parse_lcore_list("2-2"), V({2}));
	EXPECT_EQ(parse_lcore_list("0-127")->size(), 128u);
	for (const char *t : {"", "-", "1-", "-3", "3-1", "1,", ",1", "1,,2", "1 - 3", "a", "1-3-5",
			      "128", "1-128", "+1", "0x1"}) {
		SCOPED_TRACE(t);
		EXPECT_FALSE(parse_lcore_list(t));
	}
}

TEST(Suggest, EditDistanceCountsSwapsAsOne)
{
	EXPECT_EQ(edit_distance("port", "port"), 0u);
	EXPECT_EQ(edit_distance("prot", "port"), 1u);
	EXPECT_EQ(edit_distance("por", "port"), 1u);
	EXPECT_EQ(edit_distance("ports", "port"), 1u);
	EXPECT_EQ(edit_distance("bind_lifetim", "bind_lifetime"), 1u);
	EXPECT_EQ(edit_distance("", "api"), 3u);
	EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
	EXPECT_EQ(edit_distance("ca", "abc"), 3u);  // OSA, not full Damerau
}

} // namespace
} // namespace wayport::config
