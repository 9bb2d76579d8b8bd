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
	const auto *l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, pm.l3_offset);
	if (pm.l3 == L3::ipv4) {
		k.src.set_v4(l3 + offsetof(rte_ipv4_hdr, src_addr), pm.src_port);
		k.dst.set_v4(l3 + offsetof(rte_ipv4_hdr, dst_addr), pm.dst_port);
	} else {
		k.src.set_v6(l3 + offsetof(rte_ipv6_hdr, src_addr), pm.src_port);
		k.dst.set_v6(l3 + offsetof(rte_ipv6_hdr, dst_addr), pm.dst_port);
	}
	k.proto = pm.proto;
	return k;
}

} // namespace wayport
