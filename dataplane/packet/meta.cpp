#include "dataplane/packet/meta.h"

#include <rte_ip.h>
#include <rte_mbuf_dyn.h>

#include <cstddef>

namespace wayport {

const char *to_string(Stage s)
{
	switch (s) {
	case Stage::relay: return "relay";
	case Stage::control: return "control";
	case Stage::tx: return "tx";
	case Stage::drop: return "drop";
	case Stage::wg_input: return "wg_input";
	case Stage::wg_handshake: return "wg_handshake";
	case Stage::wg_output: return "wg_output";
	case Stage::ip_out: return "ip_out";
	case Stage::nat_in: return "nat_in";
	case Stage::count: break;
	}
	return "unknown";
}

bool register_packet_meta()
{
	// DPDK returns the existing offset for the same name, size and
	// alignment, so every caller (the daemon, each test binary) can call this.
	static const rte_mbuf_dynfield field = {
		.name = "wayport_packet_meta",
		.size = sizeof(PacketMeta),
		.align = alignof(PacketMeta),
		.flags = 0,
	};
	int offset = rte_mbuf_dynfield_register(&field);
	if (offset < 0)
		return false;
	g_packet_meta_offset = offset;
	return true;
}

FlowKey flow_key(const rte_mbuf *m, const PacketMeta &pm)
{
	FlowKey k;
	read_addrs(m, pm, k.src, k.dst);
	k.proto = pm.proto;
	return k;
}

} // namespace wayport
