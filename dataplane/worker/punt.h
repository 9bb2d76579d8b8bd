// The reason a worker punted a packet travels with the mbuf to the control
// thread, in the user tag of its hash field (RSS hash is no longer needed).
#pragma once

#include <rte_mbuf.h>

#include "dataplane/worker/counters.h"

namespace wayport {

inline void set_punt_reason(rte_mbuf *m, PuntReason r)
{
	m->hash.usr = static_cast<uint32_t>(r);
}

inline PuntReason punt_reason(const rte_mbuf *m)
{
	return static_cast<PuntReason>(m->hash.usr);
}

} // namespace wayport
