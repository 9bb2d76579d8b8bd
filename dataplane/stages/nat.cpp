#include "dataplane/stages/nat.h"

namespace wayport {

namespace {

// The session table's reasons are the stage's first ones.
static_assert(static_cast<size_t>(nat::NatDrop::count) == 6);
static_assert(static_cast<uint8_t>(NatStageDrop::session_limit) == static_cast<uint8_t>(nat::NatDrop::session_limit));
static_assert(static_cast<uint8_t>(NatStageDrop::peer_session_limit) ==
	      static_cast<uint8_t>(nat::NatDrop::peer_session_limit));
static_assert(static_cast<uint8_t>(NatStageDrop::ports_exhausted) == static_cast<uint8_t>(nat::NatDrop::ports_exhausted));
static_assert(static_cast<uint8_t>(NatStageDrop::no_session) == static_cast<uint8_t>(nat::NatDrop::no_session));
static_assert(static_cast<uint8_t>(NatStageDrop::no_mapping) == static_cast<uint8_t>(nat::NatDrop::no_mapping));
static_assert(static_cast<uint8_t>(NatStageDrop::filtered) == static_cast<uint8_t>(nat::NatDrop::filtered));

NatStageDrop stage_drop(nat::NatDrop d)
{
	return static_cast<NatStageDrop>(d);
}

// The flow as the inside sees it, from a packet the inside sent.
nat::Flow flow_out(const nat::NatPacket &p)
{
	return {p.proto, p.src, p.dst};
}

} // namespace

const char *to_string(NatStageDrop r)
{
	switch (r) {
	case NatStageDrop::session_limit: return "session_limit";
	case NatStageDrop::peer_session_limit: return "peer_session_limit";
	case NatStageDrop::ports_exhausted: return "ports_exhausted";
	case NatStageDrop::no_session: return "no_session";
	case NatStageDrop::no_mapping: return "no_mapping";
	case NatStageDrop::filtered: return "filtered";
	case NatStageDrop::not_exit_peer: return "not_exit_peer";
	case NatStageDrop::no_snat_address: return "no_snat_address";
	case NatStageDrop::untranslatable: return "untranslatable";
	case NatStageDrop::bad_icmp_checksum: return "bad_icmp_checksum";
	case NatStageDrop::unknown_flow: return "unknown_flow";
	case NatStageDrop::count: break;
	}
	return "unknown";
}

NatStage::NatStage(const NatStageShared &shared, unsigned worker, uint16_t capacity)
	: shared_(shared), worker_(worker), table_(shared.tables.at(worker)), out_in_(capacity), in_in_(capacity),
	  out_(capacity), in_(capacity), handoff_(capacity)
{
}

void NatStage::emit_out(rte_mbuf *m)
{
	meta(m).flags |= meta_flags::translated;
	out_[n_out_++] = m;
}

const AddrPort *NatStage::snat(bool v4) const
{
	if (v4)
		return shared_.has_snat4 ? &shared_.snat4 : nullptr;
	return shared_.has_snat6 ? &shared_.snat6 : nullptr;
}

bool NatStage::parse_packet(rte_mbuf *m, nat::NatPacket &p, Output &out)
{
	nat::ParseDrop why;
	if (nat::parse(rte_pktmbuf_mtod(m, uint8_t *), static_cast<uint16_t>(rte_pktmbuf_data_len(m)), p, why))
		return true;
	parse_drops_[static_cast<size_t>(why)]++;
	out.drop(m, NatStageDrop::untranslatable);
	return false;
}

void NatStage::finish(uint64_t now, Output &out, WorkerCounters &c)
{
	n_out_ = n_in_ = n_handoff_ = 0;
	c.stage(CountedStage::nat, n_out_in_ + n_in_in_);
	for (uint16_t i = 0; i < n_out_in_; i++)
		translate_out(out_in_[i], now, out);
	for (uint16_t i = 0; i < n_in_in_; i++)
		translate_in(in_in_[i], now, out);
	n_out_in_ = n_in_in_ = 0;
}

void NatStage::translate_out(rte_mbuf *m, uint64_t now, Output &out)
{
	const PacketMeta &pm = meta(m);
	const uint32_t peer = pm.aux;
	if (peer >= shared_.peers || !shared_.exit_allowed[peer].load(std::memory_order_relaxed)) {
		out.drop(m, NatStageDrop::not_exit_peer);
		return;
	}
	nat::NatPacket p;
	if (!parse_packet(m, p, out))
		return;
	const AddrPort *from = snat(p.v4);
	if (!from) {
		out.drop(m, NatStageDrop::no_snat_address);
		return;
	}
	if (p.icmp == nat::IcmpKind::error) {
		// The inside reports on what it received: a quote from remote to
		// the inside endpoint, to become one to the external endpoint.
		nat::Quoted q;
		nat::ParseDrop why;
		if (!nat::parse_quoted(p, q, why)) {
			parse_drops_[static_cast<size_t>(why)]++;
			out.drop(m, NatStageDrop::untranslatable);
			return;
		}
		if (!nat::icmp_checksum_ok(p) || !nat::quoted_header_ok(q)) {
			out.drop(m, NatStageDrop::bad_icmp_checksum);
			return;
		}
		const nat::OutVerdict v = table_->quoted_out({q.proto, q.dst, q.src}, now);
		if (!v.ok) {
			out.drop(m, NatStageDrop::unknown_flow);
			return;
		}
		AddrPort external = *from;
		external.port = v.external_port;
		nat::rewrite_quoted(p, q, false, external);
		nat::rewrite_source(p, *from);
		emit_out(m);
		return;
	}
	if (p.icmp == nat::IcmpKind::echo_reply) {
		out.drop(m, NatStageDrop::no_session);
		return;
	}
	const nat::OutVerdict v = table_->out(flow_out(p), peer, p.tcp_flags, now);
	if (!v.ok) {
		out.drop(m, stage_drop(v.drop));
		return;
	}
	AddrPort external = *from;
	external.port = v.external_port;
	nat::rewrite_source(p, external);
	if (p.proto == nat::NatProto::tcp)
		nat::clamp_mss(p, p.v4 ? shared_.mss4 : shared_.mss6);
	emit_out(m);
}

void NatStage::translate_in(rte_mbuf *m, uint64_t now, Output &out)
{
	PacketMeta &pm = meta(m);
	rte_pktmbuf_adj(m, pm.l3_offset);
	pm.l3_offset = 0;
	nat::NatPacket p;
	if (!parse_packet(m, p, out))
		return;
	nat::Quoted q;
	const bool error = p.icmp == nat::IcmpKind::error;
	if (error) {
		nat::ParseDrop why;
		if (!nat::parse_quoted(p, q, why)) {
			parse_drops_[static_cast<size_t>(why)]++;
			out.drop(m, NatStageDrop::untranslatable);
			return;
		}
	}
	// The external port: what the NAT sent from (an error quotes it).
	const uint16_t port = error ? q.src.port : p.dst.port;
	const nat::NatProto proto = error ? q.proto : p.proto;
	const uint8_t owner = shared_.nat->pool(p.v4, proto).owner(port);
	if (owner != nat::PortPool::kNoOwner && owner != worker_) {
		pm.aux = owner;
		handoff_[n_handoff_++] = m;
		return;
	}
	if (error) {
		if (!nat::icmp_checksum_ok(p) || !nat::quoted_header_ok(q)) {
			out.drop(m, NatStageDrop::bad_icmp_checksum);
			return;
		}
		const nat::InVerdict v = table_->quoted_in(proto, p.v4, port, q.dst, now);
		if (!v.ok) {
			out.drop(m, NatStageDrop::unknown_flow);
			return;
		}
		nat::rewrite_quoted(p, q, true, v.inside);
		nat::rewrite_destination(p, v.inside);
		in_[n_in_++] = m;
		return;
	}
	const nat::InVerdict v = table_->in(p.proto, p.v4, port, p.src, p.tcp_flags, now);
	if (!v.ok) {
		out.drop(m, stage_drop(v.drop));
		return;
	}
	nat::rewrite_destination(p, v.inside);
	if (p.proto == nat::NatProto::tcp)
		nat::clamp_mss(p, p.v4 ? shared_.mss4 : shared_.mss6);
	in_[n_in_++] = m;
}

} // namespace wayport
