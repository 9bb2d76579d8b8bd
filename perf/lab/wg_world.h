// The WireGuard lab's world (wayport-perf --mode wg): who is where, and the
// keys, so that the generator, the worker's tables and the reference agree
// without sharing state.
//
//   port 0 "wan" 192.0.2.1/24, gateway 192.0.2.254: every peer's endpoint
//     is off-link behind it (198.18.0.0/15: peer p at 198.18.0.0 + p, UDP
//     51820), so sealed packets all leave toward one neighbour, as they do
//     from an exit node.
//   port 1 "lan" 10.0.0.1/24 with kLanHosts hosts on-link (10.0.0.16 + h),
//     each a resolved neighbour.
//   tunnel 100.64.0.0/10: the node is 100.64.0.1, peer p 100.64.0.2 + p/32.
//
// Peer p's keypair: our receiver index kIndexBase + p, theirs kRemoteBase
// + p, keys derived from p (receive_key is what the peer seals with).
// Documentation prefixes and locally administered MACs only.
#pragma once

#include <array>
#include <cstdint>

namespace wayport::perf::wg {

inline constexpr unsigned kWan = 0;
inline constexpr unsigned kLan = 1;
inline constexpr uint16_t kListenPort = 51820;
inline constexpr uint16_t kMtu = 1420;
inline constexpr uint32_t kLanHosts = 16;
inline constexpr uint32_t kIndexBase = 0x10000000;
inline constexpr uint32_t kRemoteBase = 0x20000000;
// Room for the peers an endpoint range and the tunnel's /10 can number.
inline constexpr uint32_t kMaxPeers = 100000;

inline constexpr uint8_t kPortMac[2][6] = {{0x02, 0x77, 0, 0, 0, 0x10}, {0x02, 0x77, 0, 0, 0, 0x11}};
inline constexpr uint8_t kGatewayMac[6] = {0x02, 0x0a, 0, 0, 0, 0xfe};
inline constexpr uint8_t kPortIp[2][4] = {{192, 0, 2, 1}, {10, 0, 0, 1}};
inline constexpr uint8_t kGatewayIp[4] = {192, 0, 2, 254};
inline constexpr uint8_t kNodeTunnelIp[4] = {100, 64, 0, 1};

// Host byte order.
inline uint32_t endpoint_ip(uint32_t peer)
{
	return 0xc6120000u + peer;  // 198.18.0.0/15
}
inline uint32_t tunnel_ip(uint32_t peer)
{
	return 0x64400002u + peer;  // 100.64.0.2 and up
}
inline uint32_t lan_host_ip(uint32_t host)
{
	return 0x0a000010u + host;  // 10.0.0.16 and up
}
inline std::array<uint8_t, 6> lan_host_mac(uint32_t host)
{
	return {0x02, 0x0b, 0, 0, 0, static_cast<uint8_t>(host)};
}

inline std::array<uint8_t, 32> key_of(uint32_t peer, uint8_t which)
{
	std::array<uint8_t, 32> k;
	for (size_t i = 0; i < k.size(); i++)
		k[i] = static_cast<uint8_t>(peer * 131 + (peer >> 8) * 7 + which * 101 + i);
	return k;
}
// What the node decrypts the peer's packets with (and the peer seals with).
inline std::array<uint8_t, 32> receive_key(uint32_t peer)
{
	return key_of(peer, 1);
}
// What the node seals packets to the peer with.
inline std::array<uint8_t, 32> send_key(uint32_t peer)
{
	return key_of(peer, 2);
}

// The plaintext length a sender seals for an inner packet of len bytes:
// padded to 16, never past the MTU (what wg_output does, and wireguard-go).
inline uint16_t sealed_len(uint16_t len)
{
	uint16_t padded = static_cast<uint16_t>((len + 15) & ~15);
	return padded > kMtu ? (len > kMtu ? len : kMtu) : padded;
}

} // namespace wayport::perf::wg
