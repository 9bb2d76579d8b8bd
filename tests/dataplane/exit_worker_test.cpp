// The exit through a whole worker: what a peer sends to the internet
// leaves the WAN port from the SNAT address (nat_out between ip_out's
// routing and its send), and the answer arriving on the WAN goes back into
// the peer's tunnel (classify -> nat_in -> wg_output), on whichever worker
// it arrives. The node is worker_fixture.h's, with the exit on "wan": its
// own address as the SNAT address, the default route via 192.0.2.254,
// peer 0 allowed and peer 1 not.
#include <rte_cycles.h>
#include <rte_ip.h>

#include "dataplane/nat/session_table.h"
#include "dataplane/stages/nat.h"
#include "tests/dataplane/worker_fixture.h"

namespace wayport {
namespace {

using namespace worker_test;
using test::inner_udp;
using test::ip4;

const AddrPort kGateway = ip4(192, 0, 2, 254);
const std::array<uint8_t, 6> kGatewayMac = {0x02, 0, 0, 0, 0, 0xfe};
const AddrPort kServer = ip4(198, 51, 100, 7, 53);
constexpr uint32_t kAllowed = 0, kRefused = 1;

// The UDP checksum over an IPv4 packet, computed afresh, equals its own.
bool udp4_checksum_ok(const Bytes &ip)
{
	Bytes copy = ip;
	copy[26] = copy[27] = 0;
	uint16_t want = rte_ipv4_udptcp_cksum(reinterpret_cast<const rte_ipv4_hdr *>(copy.data()), &copy[20]);
	return std::memcmp(&want, &ip[26], 2) == 0;
}

Bytes summed_udp(const AddrPort &src, const AddrPort &dst)
{
	Bytes p = inner_udp(src, dst, 40);
	uint16_t c = rte_ipv4_udptcp_cksum(reinterpret_cast<const rte_ipv4_hdr *>(p.data()), &p[20]);
	std::memcpy(&p[26], &c, 2);
	return p;
}

AddrPort source4(const Bytes &ip)
{
	return ip4(ip[12], ip[13], ip[14], ip[15], load_be16(&ip[20]));
}
AddrPort destination4(const Bytes &ip)
{
	return ip4(ip[16], ip[17], ip[18], ip[19], load_be16(&ip[22]));
}

class ExitWorkerTest : public WgWorkerTest {
protected:
	void before_workers() override
	{
		ports_[0].gateway4 = kGateway;
		ASSERT_EQ(fib_->build(ports_, {}), FibResult::ok);
		add_neighbour(wan_.port_id, kGateway, 15, kGatewayMac.data());

		nat_ = std::make_unique<nat::NatShared>(1024, 65535, 1000);
		nat_->reserve(nat::NatProto::udp, kListenPort);
		nat::SessionTableConfig table;
		table.capacity = 64;
		table.max_per_peer = 16;
		table.peers = kPeers;
		const uint64_t second = rte_get_tsc_hz();  // the workers' clock
		table.timeouts = {300 * second, 7440 * second, 240 * second, 6 * second, 60 * second, 120 * second};
		std::string error;
		for (unsigned w = 0; w < 2; w++) {
			table.worker = static_cast<uint8_t>(w);
			tables_[w] = nat::SessionTable::create(table, *nat_, error);
			ASSERT_NE(tables_[w], nullptr) << error;
			nat_stage_.tables.push_back(tables_[w].get());
		}
		for (uint32_t s = 0; s < kPeers; s++)
			allowed_exit_[s].store(s == kAllowed ? 1 : 0);
		nat_stage_.nat = nat_.get();
		nat_stage_.exit_port = wan_.port_id;
		nat_stage_.peers = kPeers;
		nat_stage_.has_snat4 = true;
		nat_stage_.snat4 = ip_only(kWan);
		nat_stage_.mss4 = 1380;
		nat_stage_.exit_allowed = allowed_exit_;
		ip_out_.exit_port = wan_.port_id;
		wg_.nat = &nat_stage_;
	}

	void TearDown() override
	{
		WgWorkerTest::TearDown();
		for (auto &t : tables_)
			t.reset();
	}

	// The internet answers: a frame from the gateway's MAC to the WAN's.
	void from_internet(const AddrPort &src, const AddrPort &dst)
	{
		test::Frame f;
		std::memcpy(f.dst_mac, kWanMac.data(), 6);
		std::memcpy(f.src_mac, kGatewayMac.data(), 6);
		f.src = src;
		f.dst = dst;
		f.payload = Bytes(24, 0x5a);
		wan_.inject(test::build_udp(test::test_pool(), f));
	}

	// The IP packet of the one frame the WAN sent to the gateway.
	Bytes to_internet()
	{
		std::vector<Bytes> out = sent(wan_);
		EXPECT_EQ(out.size(), 1u);
		if (out.size() != 1)
			return {};
		EXPECT_TRUE(std::equal(kGatewayMac.begin(), kGatewayMac.end(), out[0].begin())) << "to the gateway";
		EXPECT_TRUE(std::equal(kWanMac.begin(), kWanMac.end(), out[0].begin() + 6));
		return Bytes(out[0].begin() + 14, out[0].end());
	}

	// The inner packet of the one frame the WAN sent to peer slot.
	Bytes into_tunnel(uint32_t slot)
	{
		std::vector<Bytes> out = sent(wan_);
		EXPECT_EQ(out.size(), 1u);
		if (out.size() != 1)
			return {};
		auto t = opened_by(slot, out[0]);
		EXPECT_TRUE(t);
		if (!t)
			return {};
		Bytes p = t->plain;
		p.resize(load_be16(&p[2]));
		return p;
	}

	uint64_t nat_drops(NatStageDrop r) const { return counters(0).dropped(r) + counters(1).dropped(r); }

	std::unique_ptr<nat::NatShared> nat_;
	std::unique_ptr<nat::SessionTable> tables_[2];
	std::atomic<uint8_t> allowed_exit_[kPeers];
	NatStageShared nat_stage_;
};

TEST_F(ExitWorkerTest, APeersUdpLeavesFromTheSnatAddressAndItsAnswerComesBackSealed)
{
	from_peer(kAllowed, summed_udp(tunnel_of(kAllowed), kServer));
	workers_[0]->poll();
	Bytes out = to_internet();
	ASSERT_FALSE(out.empty());
	EXPECT_EQ(source4(out), AddrPort::v4(kWan.ip4(), 4000)) << "the SNAT address, the port preserved";
	EXPECT_EQ(destination4(out), kServer);
	EXPECT_EQ(out[8], 63) << "one hop, counted once";
	EXPECT_TRUE(udp4_checksum_ok(out));
	EXPECT_EQ(counters(0).stage_packets[size_t(CountedStage::nat)].get(), 1u);

	from_internet(kServer, AddrPort::v4(kWan.ip4(), 4000));
	workers_[0]->poll();
	Bytes in = into_tunnel(kAllowed);
	ASSERT_FALSE(in.empty());
	EXPECT_EQ(source4(in), kServer);
	EXPECT_EQ(destination4(in), tunnel_of(kAllowed)) << "back to the inside endpoint";
	EXPECT_TRUE(udp4_checksum_ok(in));
	EXPECT_EQ(peers_[kAllowed].tx_packets.get(), 1u);
	EXPECT_EQ(tables_[0]->sessions(), 1u);
	expect_nothing_leaked();
}

TEST_F(ExitWorkerTest, APeerTheExitDoesNotAllowIsDroppedAndCounted)
{
	from_peer(kRefused, summed_udp(tunnel_of(kRefused), kServer));
	workers_[0]->poll();
	EXPECT_TRUE(sent(wan_).empty());
	EXPECT_EQ(nat_drops(NatStageDrop::not_exit_peer), 1u);
	expect_nothing_leaked();
}

TEST_F(ExitWorkerTest, TrafficToTheLanIsRoutedUntranslated)
{
	Bytes inner = summed_udp(tunnel_of(kRefused), kLanHost);
	from_peer(kRefused, inner);
	workers_[0]->poll();
	std::vector<Bytes> out = sent(lan_);
	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(to_lan_host(out[0]), test::hop(inner));
	EXPECT_EQ(counters(0).stage_packets[size_t(CountedStage::nat)].get(), 0u);
	expect_nothing_leaked();
}

TEST_F(ExitWorkerTest, AnAnswerArrivingOnAnotherWorkerIsHandedToTheSessionsWorker)
{
	from_peer(kAllowed, summed_udp(tunnel_of(kAllowed), kServer));
	workers_[0]->poll();
	ASSERT_FALSE(to_internet().empty());

	from_internet(kServer, AddrPort::v4(kWan.ip4(), 4000));
	workers_[1]->poll();
	EXPECT_TRUE(sent(wan_).empty()) << "worker 1 holds no session";
	EXPECT_EQ(counters(1).handed_off.get(), 1u);
	workers_[0]->poll();
	Bytes in = into_tunnel(kAllowed);
	ASSERT_FALSE(in.empty());
	EXPECT_EQ(destination4(in), tunnel_of(kAllowed));
	expect_nothing_leaked();
}

TEST_F(ExitWorkerTest, UnsolicitedInboundIsDroppedByReasonNotPunted)
{
	from_internet(kServer, AddrPort::v4(kWan.ip4(), 4000));
	workers_[0]->poll();
	EXPECT_TRUE(sent(wan_).empty());
	EXPECT_TRUE(drain(punt_[0]).empty());
	EXPECT_EQ(nat_drops(NatStageDrop::no_mapping), 1u);
	expect_nothing_leaked();
}

// WireGuard listens on the SNAT address: a client whose source port is the
// listen port is mapped to another, and its answers still reach it.
TEST_F(ExitWorkerTest, AClientOnTheListenPortIsMappedElsewhere)
{
	from_peer(kAllowed, summed_udp(tunnel_of(kAllowed, kListenPort), kServer));
	workers_[0]->poll();
	Bytes out = to_internet();
	ASSERT_FALSE(out.empty());
	const uint16_t external = source4(out).port;
	EXPECT_NE(external, kListenPort);

	from_internet(kServer, AddrPort::v4(kWan.ip4(), external));
	workers_[0]->poll();
	Bytes in = into_tunnel(kAllowed);
	ASSERT_FALSE(in.empty());
	EXPECT_EQ(destination4(in), tunnel_of(kAllowed, kListenPort));
	expect_nothing_leaked();
}

} // namespace
} // namespace wayport
