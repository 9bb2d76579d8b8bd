// Fib: built from ports and static routes, longest prefix first, on-link
// and gateway next hops of both families, the default route's choice,
// refusals that leave the table as it was, rebuilds that never rewrite a
// next hop a worker may hold; NeighbourIndex: add, find, remove.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <set>
#include <string>
#include <vector>

#include "dataplane/tables/fib.h"
#include "dataplane/tables/neighbour_index.h"
#include "dataplane/tables/rcu.h"

namespace wayport {
namespace {

AddrPort ip(const std::string &text)
{
	uint8_t b[16] = {};
	if (text.find(':') == std::string::npos) {
		EXPECT_EQ(inet_pton(AF_INET, text.c_str(), b), 1) << text;
		return AddrPort::v4(b, 0);
	}
	EXPECT_EQ(inet_pton(AF_INET6, text.c_str(), b), 1) << text;
	return AddrPort::v6(b, 0);
}

Prefix pfx(const std::string &text)
{
	auto slash = text.find('/');
	AddrPort a = ip(text.substr(0, slash));
	auto len = static_cast<uint8_t>(std::stoi(text.substr(slash + 1)));
	return Prefix::of(a, len);
}

FibConfig small_config(uint32_t next_hops = 64)
{
	FibConfig c;
	c.next_hops = next_hops;
	c.prefixes.max_rules4 = c.prefixes.max_rules6 = 64;
	c.prefixes.tbl8_groups4 = c.prefixes.tbl8_groups6 = 16;
	return c;
}

Port port(uint16_t id, const char *v4, uint8_t len4, const char *v6 = nullptr, uint8_t len6 = 64)
{
	Port p;
	p.port_id = id;
	if (v4) {
		p.ipv4 = ip(v4);
		p.ipv4_prefix = len4;
	}
	if (v6) {
		p.ipv6 = ip(v6);
		p.ipv6_prefix = len6;
	}
	return p;
}

FibRoute route(const char *prefix, uint16_t port, const char *via = nullptr)
{
	FibRoute r;
	r.prefix = pfx(prefix);
	r.port = port;
	if (via)
		r.via = ip(via);
	return r;
}

// What a lookup says, in a form a failure message can print.
struct Hop {
	bool found = false;
	uint16_t port = 0;
	bool via_gateway = false;
	std::string gateway;
	bool operator==(const Hop &) const = default;
};

std::ostream &operator<<(std::ostream &os, const Hop &h)
{
	if (!h.found)
		return os << "no route";
	os << "port " << h.port;
	return h.via_gateway ? os << " via " << h.gateway : os << " on-link";
}

Hop on_link(uint16_t port)
{
	return {true, port, false, ""};
}

Hop gateway(uint16_t port, const char *via)
{
	return {true, port, true, via};
}

const Hop kNoRoute{};

Hop lookup(const Fib &fib, const std::string &dst)
{
	AddrPort a = ip(dst);
	uint32_t id = a.is_v4 ? fib.lookup4(a.ip4()) : fib.lookup6(a.ip.data());
	if (id == Fib::kNoMatch)
		return kNoRoute;
	EXPECT_TRUE(fib.valid(id)) << dst;
	const NextHop &h = fib.next_hop(id);
	return {true, h.port, h.via_gateway, h.via_gateway ? h.gateway.ip_string() : ""};
}

class FibTest : public testing::Test {
protected:
	Qsbr qsbr_{1};
};

// Port 0: 10.1.0.0/16 and 2001:db8:1::/64, both gateways. Port 1:
// 192.168.5.0/24 and fd00:2::/64, a gateway4 of its own that loses to
// port 0's. Static routes over both.
std::vector<Port> two_ports()
{
	Port p0 = port(3, "10.1.2.1", 16, "2001:db8:1::1", 64);
	p0.gateway4 = ip("10.1.0.254");
	p0.gateway6 = ip("2001:db8:1::fffe");
	Port p1 = port(7, "192.168.5.1", 24, "fd00:2::1", 64);
	p1.gateway4 = ip("192.168.5.254");
	return {p0, p1};
}

const std::vector<FibRoute> kRoutes = {
	route("10.1.7.0/24", 7, "192.168.5.9"),       // inside port 0's connected /16
	route("172.16.0.0/12", 7),                     // on-link through port 1
	route("2001:db8:99::/48", 7, "fd00:2::9"),
	route("2001:db8:1:0:8000::/65", 7),            // half of port 0's /64
};

TEST_F(FibTest, LongestPrefixWinsOverConnectedAndDefault)
{
	Fib fib(qsbr_, small_config());
	ASSERT_EQ(fib.build(two_ports(), kRoutes), FibResult::ok);

	EXPECT_EQ(lookup(fib, "10.1.7.5"), gateway(7, "192.168.5.9")) << "a static /24 inside a connected /16";
	EXPECT_EQ(lookup(fib, "10.1.8.5"), on_link(3)) << "the connected /16";
	EXPECT_EQ(lookup(fib, "10.1.2.1"), on_link(3));
	EXPECT_EQ(lookup(fib, "8.8.8.8"), gateway(3, "10.1.0.254")) << "the default route";
	EXPECT_EQ(lookup(fib, "192.168.5.77"), on_link(7));
	EXPECT_EQ(lookup(fib, "172.31.255.255"), on_link(7)) << "a static on-link route";
	EXPECT_EQ(lookup(fib, "172.32.0.0"), gateway(3, "10.1.0.254"));

	EXPECT_EQ(lookup(fib, "2001:db8:1::77"), on_link(3));
	EXPECT_EQ(lookup(fib, "2001:db8:1:0:8000::1"), on_link(7)) << "a static /65 inside a connected /64";
	EXPECT_EQ(lookup(fib, "2001:db8:99:1::1"), gateway(7, "fd00:2::9"));
	EXPECT_EQ(lookup(fib, "fd00:2::5"), on_link(7));
	EXPECT_EQ(lookup(fib, "2001:4860::8888"), gateway(3, "2001:db8:1::fffe"));
}

TEST_F(FibTest, BulkLookupsAgreeWithSingleOnes)
{
	Fib fib(qsbr_, small_config());
	ASSERT_EQ(fib.build(two_ports(), kRoutes), FibResult::ok);
	const std::vector<std::string> v4 = {"10.1.7.5", "10.1.8.5", "8.8.8.8", "192.168.5.77", "172.16.0.1"};
	const std::vector<std::string> v6 = {"2001:db8:1::77", "2001:db8:99::1", "fd00:2::5", "2001:4860::1"};
	std::vector<uint32_t> hosts, out4(v4.size()), out6(v6.size());
	for (const auto &s : v4)
		hosts.push_back(ntohl(inet_addr(s.c_str())));
	std::vector<std::array<uint8_t, 16>> ips;
	for (const auto &s : v6)
		ips.push_back(ip(s).ip);
	fib.lookup4_bulk(hosts.data(), out4.data(), static_cast<unsigned>(hosts.size()));
	fib.lookup6_bulk(reinterpret_cast<const uint8_t (*)[16]>(ips.data()), out6.data(), static_cast<unsigned>(ips.size()));
	for (size_t i = 0; i < v4.size(); i++)
		EXPECT_EQ(out4[i], fib.lookup4(ip(v4[i]).ip4())) << v4[i];
	for (size_t i = 0; i < v6.size(); i++)
		EXPECT_EQ(out6[i], fib.lookup6(ips[i].data())) << v6[i];
}

TEST_F(FibTest, NoRouteWithoutADefaultOfTheFamily)
{
	Fib fib(qsbr_, small_config());
	EXPECT_EQ(lookup(fib, "10.1.2.3"), kNoRoute) << "nothing built yet";
	EXPECT_EQ(lookup(fib, "2001:db8:1::1"), kNoRoute);
	ASSERT_EQ(fib.build({port(0, "10.1.2.1", 24, "2001:db8:1::1")}, {}), FibResult::ok);
	EXPECT_EQ(lookup(fib, "10.1.2.3"), on_link(0));
	EXPECT_EQ(lookup(fib, "10.1.3.3"), kNoRoute);
	EXPECT_EQ(lookup(fib, "2001:db8:2::1"), kNoRoute);
	EXPECT_EQ(lookup(fib, "fe80::1"), kNoRoute) << "link-local is not routed";
}

// Two ports with a gateway of one family: the first in the ports' order
// gives the default route; each family on its own. A static default
// route replaces it.
TEST_F(FibTest, FirstPortWithAGatewayGivesTheDefaultRoute)
{
	Port a = port(5, "10.1.2.1", 24, "2001:db8:1::1");
	a.gateway6 = ip("2001:db8:1::fffe");
	Port b = port(2, "10.2.2.1", 24, "2001:db8:2::1");
	b.gateway4 = ip("10.2.2.254");
	b.gateway6 = ip("2001:db8:2::fffe");
	Port c = port(9, "10.3.2.1", 24);
	c.gateway4 = ip("10.3.2.254");

	Fib fib(qsbr_, small_config());
	ASSERT_EQ(fib.build({a, b, c}, {}), FibResult::ok);
	EXPECT_EQ(lookup(fib, "8.8.8.8"), gateway(2, "10.2.2.254")) << "a has no gateway4; b is before c";
	EXPECT_EQ(lookup(fib, "2001:4860::1"), gateway(5, "2001:db8:1::fffe"));

	ASSERT_EQ(fib.build({c, b, a}, {}), FibResult::ok);
	EXPECT_EQ(lookup(fib, "8.8.8.8"), gateway(9, "10.3.2.254")) << "the order of the ports decides";
	EXPECT_EQ(lookup(fib, "2001:4860::1"), gateway(2, "2001:db8:2::fffe"));

	ASSERT_EQ(fib.build({a, b, c}, std::vector<FibRoute>{route("0.0.0.0/0", 9, "10.3.2.7")}), FibResult::ok);
	EXPECT_EQ(lookup(fib, "8.8.8.8"), gateway(9, "10.3.2.7")) << "a static default route replaces the ports'";
}

TEST_F(FibTest, AStaticRouteReplacesAConnectedPrefix)
{
	Fib fib(qsbr_, small_config());
	std::vector<Port> ports = {port(0, "10.1.2.1", 24), port(1, "10.9.0.1", 24)};
	ASSERT_EQ(fib.build(ports, std::vector<FibRoute>{route("10.1.2.0/24", 1, "10.9.0.5")}), FibResult::ok);
	EXPECT_EQ(lookup(fib, "10.1.2.3"), gateway(1, "10.9.0.5"));
}

TEST_F(FibTest, EqualNextHopsShareOneId)
{
	Fib fib(qsbr_, small_config());
	std::vector<Port> ports = {port(0, "10.1.2.1", 24)};
	std::vector<FibRoute> routes = {route("10.5.0.0/16", 0, "10.1.2.9"), route("10.6.0.0/16", 0, "10.1.2.9"),
					route("10.7.0.0/16", 0)};
	ASSERT_EQ(fib.build(ports, routes), FibResult::ok);
	EXPECT_EQ(fib.lookup4(ip("10.5.0.1").ip4()), fib.lookup4(ip("10.6.0.1").ip4()));
	EXPECT_EQ(fib.lookup4(ip("10.7.0.1").ip4()), fib.lookup4(ip("10.1.2.7").ip4()));
	EXPECT_EQ(fib.free_next_hops(), 64u - 2);
}

// A rebuild takes fresh ids and leaves the old ones' next hops as they
// were until a grace period has passed: a worker that looked up before
// the rebuild still reads the next hop it found.
TEST_F(FibTest, RebuildNeverRewritesAPublishedNextHop)
{
	// The ports' 4 next hops and one route's: 5 ids a build, 6 for kRoutes.
	Fib fib(qsbr_, small_config(12));
	std::vector<Port> ports = two_ports();
	ASSERT_EQ(fib.build(ports, std::vector<FibRoute>{route("172.16.0.0/12", 7, "192.168.5.9")}), FibResult::ok);
	const uint32_t old_id = fib.lookup4(ip("172.16.0.1").ip4());
	const size_t free_after_first = fib.free_next_hops();

	ASSERT_EQ(fib.build(ports, std::vector<FibRoute>{route("172.16.0.0/12", 3, "10.1.0.9")}), FibResult::ok);
	const uint32_t new_id = fib.lookup4(ip("172.16.0.1").ip4());
	EXPECT_NE(new_id, old_id);
	EXPECT_EQ(lookup(fib, "172.16.0.1"), gateway(3, "10.1.0.9"));
	EXPECT_EQ(lookup(fib, "192.168.5.2"), on_link(7));
	EXPECT_EQ(fib.next_hop(old_id).port, 7);
	EXPECT_EQ(fib.next_hop(old_id).gateway, ip("192.168.5.9")) << "the old id's next hop is untouched";
	EXPECT_EQ(fib.free_next_hops(), free_after_first - (12 - free_after_first));

	// With no worker registered every grace period is over at once.
	fib.reclaim();
	EXPECT_EQ(fib.free_next_hops(), free_after_first) << "the first build's ids are free again";

	// Many rebuilds in a small array: ids come back after each reclaim.
	for (int i = 0; i < 20; i++) {
		ASSERT_EQ(fib.build(ports, kRoutes), FibResult::ok) << i;
		fib.reclaim();
	}
	EXPECT_EQ(lookup(fib, "10.1.7.5"), gateway(7, "192.168.5.9"));
}

TEST_F(FibTest, RefusalsLeaveTheTableAsItWas)
{
	Fib fib(qsbr_, small_config(6));
	std::vector<Port> ports = two_ports();
	ASSERT_EQ(fib.build(ports, std::vector<FibRoute>{route("172.16.0.0/12", 7)}), FibResult::ok);
	const auto before = fib.routes();
	const size_t free_before = fib.free_next_hops();

	EXPECT_EQ(fib.build(ports, std::vector<FibRoute>{route("172.16.0.0/12", 4)}), FibResult::unknown_port);
	EXPECT_EQ(fib.build(ports, std::vector<FibRoute>{route("172.16.0.0/12", 7, "fd00:2::9")}),
		  FibResult::wrong_family);
	FibRoute host_bits = route("172.16.0.0/12", 7);
	host_bits.prefix.ip[3] = 1;
	EXPECT_EQ(fib.build(ports, std::vector<FibRoute>{host_bits}), FibResult::bad_prefix);
	FibRoute too_long = route("172.16.0.0/12", 7);
	too_long.prefix.len = 33;
	EXPECT_EQ(fib.build(ports, std::vector<FibRoute>{too_long}), FibResult::bad_prefix);
	// The ports need 4 next hops (two on-link, two gateways), and the
	// current build holds 4 of the 6 ids: the 2 left cannot take another.
	EXPECT_EQ(fib.build(ports, std::vector<FibRoute>{route("172.16.0.0/12", 7, "192.168.5.9")}),
		  FibResult::next_hops_full);

	EXPECT_EQ(fib.routes(), before);
	EXPECT_EQ(fib.free_next_hops(), free_before) << "a refused build gives its ids back";
	EXPECT_EQ(lookup(fib, "172.16.0.1"), on_link(7));
}

TEST(FibResultNames, EveryResultHasAName)
{
	for (auto r : {FibResult::ok, FibResult::unknown_port, FibResult::wrong_family, FibResult::bad_prefix,
		       FibResult::next_hops_full, FibResult::table_full, FibResult::no_memory})
		EXPECT_STRNE(to_string(r), "unknown");
}

class NeighbourIndexTest : public testing::Test {
protected:
	void SetUp() override
	{
		std::string error;
		index_ = NeighbourIndex::create(qsbr_, 8, error);
		ASSERT_TRUE(index_) << error;
	}

	Qsbr qsbr_{1};
	std::unique_ptr<NeighbourIndex> index_;
};

TEST_F(NeighbourIndexTest, FindsBothFamiliesPerPort)
{
	ASSERT_EQ(index_->add(0, ip("10.1.2.3"), 11), NeighbourIndexResult::ok);
	ASSERT_EQ(index_->add(1, ip("10.1.2.3"), 12), NeighbourIndexResult::ok);
	ASSERT_EQ(index_->add(0, ip("2001:db8::3"), 13), NeighbourIndexResult::ok);
	ASSERT_EQ(index_->add(0, ip("::ffff:10.1.2.4"), 14), NeighbourIndexResult::ok);
	EXPECT_EQ(index_->size(), 4u);

	EXPECT_EQ(index_->find(0, ip("10.1.2.3")), 11u);
	EXPECT_EQ(index_->find(1, ip("10.1.2.3")), 12u) << "another port, another neighbour";
	EXPECT_EQ(index_->find(0, ip("2001:db8::3")), 13u);
	EXPECT_EQ(index_->find(0, ip("::ffff:10.1.2.4")), 14u);
	EXPECT_EQ(index_->find(0, ip("10.1.2.4")), NeighbourIndex::kNone) << "a v4-mapped IPv6 address is not IPv4";
	EXPECT_EQ(index_->find(2, ip("10.1.2.3")), NeighbourIndex::kNone);
	EXPECT_EQ(index_->find(1, ip("2001:db8::3")), NeighbourIndex::kNone);

	// The worker's keys, from header bytes.
	const uint8_t v4[4] = {10, 1, 2, 3};
	EXPECT_EQ(index_->find(NeighbourKey::v4(1, v4)), 12u);
	EXPECT_EQ(index_->find(NeighbourKey::v6(0, ip("2001:db8::3").ip.data())), 13u);
}

TEST_F(NeighbourIndexTest, AddRemoveAndTheirRefusals)
{
	ASSERT_EQ(index_->add(0, ip("10.1.2.3"), 0), NeighbourIndexResult::ok);
	EXPECT_EQ(index_->find(0, ip("10.1.2.3")), 0u) << "slot 0 is a slot";
	EXPECT_EQ(index_->add(0, ip("10.1.2.3"), 5), NeighbourIndexResult::duplicate);
	EXPECT_EQ(index_->find(0, ip("10.1.2.3")), 0u) << "a duplicate add changes nothing";
	EXPECT_EQ(index_->remove(0, ip("10.1.2.3")), NeighbourIndexResult::ok);
	EXPECT_EQ(index_->find(0, ip("10.1.2.3")), NeighbourIndex::kNone);
	EXPECT_EQ(index_->remove(0, ip("10.1.2.3")), NeighbourIndexResult::not_found);
	EXPECT_EQ(index_->add(0, ip("10.1.2.3"), 5), NeighbourIndexResult::ok) << "added again, another slot";
	EXPECT_EQ(index_->find(0, ip("10.1.2.3")), 5u);
}

TEST_F(NeighbourIndexTest, RemovedEntriesCountUntilReclaimed)
{
	std::vector<AddrPort> ips;
	for (int i = 0; i < 8; i++)
		ips.push_back(ip("10.0.0." + std::to_string(i + 1)));
	for (uint32_t i = 0; i < 8; i++)
		ASSERT_EQ(index_->add(0, ips[i], i), NeighbourIndexResult::ok);
	EXPECT_EQ(index_->add(0, ip("10.0.0.99"), 99), NeighbourIndexResult::full);
	ASSERT_EQ(index_->remove(0, ips[0]), NeighbourIndexResult::ok);
	EXPECT_EQ(index_->add(0, ip("10.0.0.99"), 99), NeighbourIndexResult::full) << "not reclaimed yet";
	EXPECT_EQ(index_->reclaim(), 1u);
	EXPECT_EQ(index_->add(0, ip("10.0.0.99"), 99), NeighbourIndexResult::ok);
	for (uint32_t i = 1; i < 8; i++)
		EXPECT_EQ(index_->find(0, ips[i]), i);
}

} // namespace
} // namespace wayport
