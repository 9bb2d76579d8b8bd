// A peer relay client built from wayport's own wire and disco code, talking
// to wayportd through a real kernel UDP socket: what a Tailscale client
// sends, byte for byte (spec §6.2).
#pragma once

#include <optional>

#include "controlplane/disco/key.h"
#include "controlplane/disco/message.h"
#include "tests/integration/netns.h"

namespace wayport::test {

class RelayClient {
public:
	RelayClient(const Netns &ns, const AddrPort &local) : sock(ns, local) {}

	disco::PrivateKey key = disco::PrivateKey::generate();
	disco::PublicKey pub = key.public_key();
	UdpSocket sock;

	// Sends a sealed AllocateUDPRelayEndpointRequest (naked disco) to the
	// relay node and returns the opened response, if one comes.
	std::optional<disco::AllocateUdpRelayEndpointResponse> allocate(const AddrPort &relay,
									 const disco::PublicKey &node,
									 const disco::PublicKey &peer,
									 uint32_t generation = 1);

	// Bind, Challenge, Answer. True once the Answer is sent after a valid
	// Challenge.
	bool bind(const AddrPort &relay, const disco::PublicKey &server, uint32_t vni,
		  const disco::PublicKey &peer, uint32_t generation);

	// Geneve data/WireGuard header + body.
	static Bytes data_packet(uint32_t vni, const Bytes &body);
};

} // namespace wayport::test
