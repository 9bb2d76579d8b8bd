// wayportctl's `wg show` formatting: wg's duration and byte-count words,
// the peers' order and the lines wg leaves out. tests/interop/wg_show_test
// holds the whole output to the real `wg`; this covers what a fresh
// wireguard-go cannot show (handshakes, transfer, the clock going back).
#include <gtest/gtest.h>

#include "tools/wayportctl/wg_show.h"

namespace wayport::ctl {
namespace {

TEST(WgShowFormat, DurationsInWgsWords)
{
	struct {
		uint64_t seconds;
		const char *want;
	} cases[] = {
		{0, ""},
		{1, "1 second"},
		{59, "59 seconds"},
		{60, "1 minute"},
		{61, "1 minute, 1 second"},
		{3725, "1 hour, 2 minutes, 5 seconds"},
		{86400, "1 day"},
		{2 * 86400 + 3, "2 days, 3 seconds"},
		{365 * 86400, "1 year"},
		{366 * 86400 + 7200, "1 year, 1 day, 2 hours"},
		{65535, "18 hours, 12 minutes, 15 seconds"},
	};
	for (const auto &c : cases)
		EXPECT_EQ(wg_pretty_time(c.seconds), c.want) << c.seconds;
}

TEST(WgShowFormat, ByteCountsInWgsUnits)
{
	struct {
		uint64_t bytes;
		const char *want;
	} cases[] = {
		{0, "0 B"},
		{1023, "1023 B"},
		{1024, "1.00 KiB"},
		{1536, "1.50 KiB"},
		{1024 * 1024 - 1, "1024.00 KiB"},
		{1024 * 1024, "1.00 MiB"},
		{5ull << 30, "5.00 GiB"},
		{3ull << 40, "3.00 TiB"},
		{2048ull << 40, "2048.00 TiB"},
	};
	for (const auto &c : cases)
		EXPECT_EQ(wg_bytes(c.bytes), c.want) << c.bytes;
}

WgShowInterface two_peers()
{
	WgShowInterface iface;
	iface.name = "wayport";
	iface.public_key = "IFACEKEY=";
	iface.listen_port = 51820;
	WgShowPeer never;
	never.public_key = "NEVER=";
	never.allowed_ips = {"10.99.0.3/32"};
	WgShowPeer talked;
	talked.public_key = "TALKED=";
	talked.endpoint = "192.0.2.10:51820";
	talked.allowed_ips = {"10.99.0.2/32", "fd99::2/128"};
	talked.latest_handshake = 1000;
	talked.rx_bytes = 2048;
	talked.tx_bytes = 100;
	talked.persistent_keepalive = 25;
	iface.peers = {never, talked};
	return iface;
}

TEST(WgShowFormat, TextPutsTheLatestHandshakeFirstAndSaysHowLongAgo)
{
	EXPECT_EQ(wg_show_text(two_peers(), 1065),
		  "interface: wayport\n"
		  "  public key: IFACEKEY=\n"
		  "  private key: (hidden)\n"
		  "  listening port: 51820\n"
		  "\n"
		  "peer: TALKED=\n"
		  "  endpoint: 192.0.2.10:51820\n"
		  "  allowed ips: 10.99.0.2/32, fd99::2/128\n"
		  "  latest handshake: 1 minute, 5 seconds ago\n"
		  "  transfer: 2.00 KiB received, 100 B sent\n"
		  "  persistent keepalive: every 25 seconds\n"
		  "\n"
		  "peer: NEVER=\n"
		  "  allowed ips: 10.99.0.3/32\n");
}

TEST(WgShowFormat, HandshakeNowAndInTheFuture)
{
	WgShowInterface iface = two_peers();
	EXPECT_NE(wg_show_text(iface, 1000).find("  latest handshake: Now\n"), std::string::npos);
	EXPECT_NE(wg_show_text(iface, 999).find("  latest handshake: (System clock wound backward; "
						 "connection problems may ensue.)\n"),
		  std::string::npos);
}

TEST(WgShowFormat, DumpKeepsThePeersOrderAndHidesKeys)
{
	WgShowInterface iface = two_peers();
	iface.peers[0].has_preshared_key = true;
	EXPECT_EQ(wg_show_dump(iface),
		  "(hidden)\tIFACEKEY=\t51820\toff\n"
		  "NEVER=\t(hidden)\t(none)\t10.99.0.3/32\t0\t0\t0\toff\n"
		  "TALKED=\t(none)\t192.0.2.10:51820\t10.99.0.2/32,fd99::2/128\t1000\t2048\t100\t25\n");
}

} // namespace
} // namespace wayport::ctl
