// Turns a received UDP frame into the reply to its sender, in place: the
// same port, back to the frame's source MAC (the sender itself or the
// router it came through), addresses and ports swapped, a new payload, all
// checksums computed in software (the control path has time to spare).
#pragma once

#include <rte_mbuf.h>

#include "dataplane/packet/udp_view.h"
#include "dataplane/wire/bytes.h"

namespace wayport {

// in describes m as relay_view read it. False when the mbuf has no room
// for the payload; m is then unchanged.
bool udp_reply(rte_mbuf *m, const ParsedUdp &in, const uint8_t our_mac[6], ByteSpan payload);

} // namespace wayport
