// What the control thread's host stack needs from its owner: mbufs, a way
// to send, and a place for held packets once their next hop is known.
#pragma once

#include <rte_mbuf.h>

#include "dataplane/ports/port.h"

namespace wayport {

class HostIo {
public:
	virtual ~HostIo() = default;
	// nullptr when the pool is empty.
	virtual rte_mbuf *alloc() = 0;
	// Takes ownership of m.
	virtual void send(const Port &port, rte_mbuf *m) = 0;
	// A packet held for resolution whose next hop now has a MAC; takes
	// ownership.
	virtual void resolved(rte_mbuf *m) = 0;
};

} // namespace wayport
