// Getting a relay endpoint for our pair (spec §3.2-3.3). Tailscale clients
// ask over DERP; wayportd also takes the same sealed request as a naked
// disco datagram on its relay port, and its local API allocates too.
// Either way the relay returns the existing endpoint for a pair, so both
// peers asking independently meet on one VNI.
#pragma once

#include <array>
#include <optional>
#include <string>

#include "controlplane/disco/message.h"
#include "tools/wayport-connect/disco_io.h"

namespace wayport::connect {

// The pair as magicsock sends it: sorted, the smaller key first.
std::array<disco::PublicKey, 2> sorted_pair(const disco::PublicKey &a, const disco::PublicKey &b);

// A naked disco AllocateUDPRelayEndpointRequest sealed to the relay node.
Bytes allocation_request(const Correspondent &node, const disco::PublicKey &self,
			 const std::array<disco::PublicKey, 2> &pair, uint32_t generation);

// The endpoint, if b is the node's response to that request: sealed by the
// node, for this generation and pair, with at least one address.
std::optional<disco::UdpRelayEndpoint> allocation_response(ByteSpan b, const Correspondent &node,
							    const std::array<disco::PublicKey, 2> &pair,
							    uint32_t generation);

// POST /relay/allocate on wayportd's local API socket. It blocks for up to
// the API client's timeout, which is fine: it runs only while there is no
// path to carry data on. Throws std::runtime_error saying why.
disco::UdpRelayEndpoint allocate_via_api(const std::string &socket, const std::array<disco::PublicKey, 2> &pair);

} // namespace wayport::connect
