#include "dataplane/ports/port.h"

#include <cstring>

namespace wayport {

namespace {

bool same_prefix(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;
	for (unsigned i = 0; i < full; i++)
		if (a[i] != b[i])
			return false;
	if (!rest)
		return true;
	uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

bool link_local6(const AddrPort &ip)
{
	return !ip.is_v4 && ip.ip[0] == 0xfe && (ip.ip[1] & 0xc0) == 0x80;
}

} // namespace

bool Port::is_ours(const AddrPort &ip) const
{
	const auto &mine = ip.is_v4 ? ipv4 : ipv6;
	return mine && mine->ip == ip.ip && mine->is_v4 == ip.is_v4;
}

bool Port::on_link(const AddrPort &ip) const
{
	if (ip.is_v4)
		return ipv4 && same_prefix(ipv4->ip4(), ip.ip4(), ipv4_prefix);
	return ipv6 && (link_local6(ip) || same_prefix(ipv6->ip.data(), ip.ip.data(), ipv6_prefix));
}

std::optional<AddrPort> Port::next_hop(const AddrPort &dst) const
{
	if (on_link(dst))
		return ip_only(dst);
	const auto &gw = dst.is_v4 ? gateway4 : gateway6;
	if (gw)
		return ip_only(*gw);
	return std::nullopt;
}

std::vector<EgressPort> egress_view(const std::vector<Port> &ports)
{
	std::vector<EgressPort> view;
	for (const Port &p : ports) {
		if (view.size() <= p.port_id)
			view.resize(p.port_id + 1u);
		EgressPort &e = view[p.port_id];
		std::memcpy(e.mac, p.mac.addr_bytes, 6);
		if (p.ipv4) {
			e.addrs.has_ipv4 = true;
			std::memcpy(e.addrs.ipv4, p.ipv4->ip4(), 4);
		}
		if (p.ipv6) {
			e.addrs.has_ipv6 = true;
			std::memcpy(e.addrs.ipv6, p.ipv6->ip.data(), 16);
		}
		e.offload_ipv4_cksum = p.offload_ipv4_cksum;
		e.offload_udp_cksum = p.offload_udp_cksum;
	}
	return view;
}

} // namespace wayport
