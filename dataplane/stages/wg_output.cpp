#include "dataplane/stages/wg_output.h"

#include <rte_ip.h>
#include <rte_prefetch.h>
#include <rte_udp.h>

#include <algorithm>
#include <cstring>

#include "dataplane/packet/outer_udp.h"
#include "dataplane/packet/ttl.h"
#include "dataplane/wire/bytes.h"
#include "dataplane/wire/wireguard.h"
#include "dataplane/wireguard/message_limits.h"

namespace wayport {

namespace {

using wireguard::DataKeypair;
using wireguard::DataPeer;
using wireguard::EndpointCell;

// Transport data (whitepaper §5.4.6): type and reserved (4), receiver
// index (4), counter (8), then the ciphertext and its 16-byte tag.
constexpr uint32_t kMessageTransportData = 4;
constexpr uint16_t kHeaderLen = 16;
constexpr uint16_t kTagLen = 16;
constexpr uint16_t kPaddingMultiple = 16;

// The inner packet's length by its own header; classify checked that it
// fits what arrived.
uint32_t ip_length(const uint8_t *ip, L3 l3)
{
	if (l3 == L3::ipv4)
		return rte_be_to_cpu_16(reinterpret_cast<const rte_ipv4_hdr *>(ip)->total_length);
	return sizeof(rte_ipv6_hdr) + rte_be_to_cpu_16(reinterpret_cast<const rte_ipv6_hdr *>(ip)->payload_len);
}

uint32_t destination_owner(const PrefixTable &allowed, const uint8_t *ip, L3 l3)
{
	if (l3 == L3::ipv4)
		return allowed.lookup4(ip + offsetof(rte_ipv4_hdr, dst_addr));
	if (l3 == L3::ipv6)
		return allowed.lookup6(ip + offsetof(rte_ipv6_hdr, dst_addr));
	return PrefixTable::kNoMatch;
}

// The plaintext's length once padded: a multiple of 16, capped at the MTU.
uint32_t padded_length(uint32_t len, uint32_t mtu)
{
	uint32_t aligned = (len + kPaddingMultiple - 1) / kPaddingMultiple * kPaddingMultiple;
	return std::max(len, std::min(aligned, mtu));
}

// Outer IPv4 or IPv6 and UDP at l3, addressed from port to dst; the UDP
// checksum is left for pass 3 (software IPv6) or the NIC.
void write_outer(rte_mbuf *m, uint8_t *l3, const EgressPort &port, uint16_t src_port, const AddrPort &dst,
		 uint16_t udp_len)
{
	m->ol_flags &= ~(RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK);
	const uint16_t l3_len = write_ip_udp(l3, dst.is_v4 ? port.addrs.ipv4 : port.addrs.ipv6, dst, src_port, udp_len);
	if (dst.is_v4) {
		auto *ip = reinterpret_cast<rte_ipv4_hdr *>(l3);
		m->ol_flags |= RTE_MBUF_F_TX_IPV4;
		if (port.offload_ipv4_cksum)
			m->ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
		else
			ip->hdr_checksum = rte_ipv4_cksum(ip);
	} else {
		m->ol_flags |= RTE_MBUF_F_TX_IPV6;
	}
	m->l3_len = l3_len;
	if (port.offload_udp_cksum) {
		auto *udp = reinterpret_cast<rte_udp_hdr *>(l3 + l3_len);
		m->ol_flags |= RTE_MBUF_F_TX_UDP_CKSUM;
		udp->dgram_cksum = dst.is_v4 ? rte_ipv4_phdr_cksum(reinterpret_cast<rte_ipv4_hdr *>(l3), m->ol_flags)
					     : rte_ipv6_phdr_cksum(reinterpret_cast<rte_ipv6_hdr *>(l3), m->ol_flags);
	}
}

} // namespace

const char *to_string(WgOutputDrop r)
{
	switch (r) {
	case WgOutputDrop::no_peer: return "no_peer";
	case WgOutputDrop::too_big: return "too_big";
	case WgOutputDrop::staging_full: return "staging_full";
	case WgOutputDrop::no_endpoint: return "no_endpoint";
	case WgOutputDrop::endpoint_busy: return "endpoint_busy";
	case WgOutputDrop::no_endpoint_route: return "no_endpoint_route";
	case WgOutputDrop::no_room: return "no_room";
	case WgOutputDrop::encrypt_failed: return "encrypt_failed";
	case WgOutputDrop::keepalive_unkeyed: return "keepalive_unkeyed";
	case WgOutputDrop::removed_peer: return "removed_peer";
	case WgOutputDrop::count: break;
	}
	return "unknown";
}

WgOutputStage::WgOutputStage(const WgOutputShared &shared, unsigned worker, uint16_t capacity, AeadEngine engine)
	: shared_(shared), worker_(worker), aead_(std::min<uint16_t>(capacity, AeadBatch::max_capacity), engine),
	  in_(capacity), peer_of_(capacity), job_pkt_(aead_.capacity()), job_peer_(aead_.capacity()),
	  sealed_(capacity), handoff_(capacity)
{
}

void WgOutputStage::add(rte_mbuf *m, uint32_t slot)
{
	if (slot != PrefixTable::kNoMatch)
		rte_prefetch0(&(*shared_.peers)[slot]);
	peer_of_[n_in_] = slot;
	in_[n_in_++] = m;
}

uint32_t WgOutputStage::owner(const rte_mbuf *m) const
{
	const PacketMeta &pm = meta(m);
	return destination_owner(*shared_.allowed_ips, rte_pktmbuf_mtod_offset(m, const uint8_t *, pm.l3_offset), pm.l3);
}

void WgOutputStage::admit(rte_mbuf *m)
{
	add(m, owner(m));
}

bool WgOutputStage::admit_if_peer(rte_mbuf *m)
{
	uint32_t slot = owner(m);
	if (slot == PrefixTable::kNoMatch)
		return false;
	add(m, slot);
	return true;
}

void WgOutputStage::admit_for_peer(rte_mbuf *m, uint32_t slot, Output &out)
{
	if (slot >= shared_.peers->capacity()) {
		add(m, PrefixTable::kNoMatch);
		return;
	}
	// Slow-path traffic only: the cold peer line costs nothing that counts.
	if ((*shared_.peers)[slot].generation.load(std::memory_order_relaxed) != meta(m).peer_gen) {
		out.drop(m, WgOutputDrop::removed_peer);
		return;
	}
	add(m, slot);
}

void WgOutputStage::finish(uint64_t now_tsc, Output &out, WorkerCounters &c)
{
	n_sealed_ = n_handoff_ = 0;
	c.stage(CountedStage::wg_output, n_in_);
	for (uint16_t done = 0; done < n_in_;) {
		uint16_t k = std::min<uint16_t>(static_cast<uint16_t>(n_in_ - done), aead_.capacity());
		slice(in_.data() + done, k, now_tsc, out);
		done = static_cast<uint16_t>(done + k);
	}
	n_in_ = 0;
}

void WgOutputStage::slice(rte_mbuf *const *pkts, uint16_t n, uint64_t now_tsc, Output &out)
{
	const uint32_t *peer_of = peer_of_.data() + (pkts - in_.data());
	// The send keypairs (expiry, key, counter) and the peers' TX counters
	// for pass 2 and 3; the peers' first lines were fetched at admit.
	for (uint16_t i = 0; i < n; i++) {
		if (peer_of[i] == PrefixTable::kNoMatch)
			continue;
		const DataPeer &peer = (*shared_.peers)[peer_of[i]];
		rte_prefetch0(&peer.tx_packets);
		if (const DataKeypair *kp = peer.send_keypair.load(std::memory_order_acquire)) {
			rte_prefetch0(kp);
			rte_prefetch0(&kp->send_counter);
		}
	}
	// Pass 2: headers and an encryption job for every packet that can go.
	aead_.clear();
	uint16_t jobs = 0;
	for (uint16_t i = 0; i < n; i++) {
		rte_mbuf *m = pkts[i];
		meta(m).aux = peer_of[i];
		if (!seal(m, now_tsc, out))
			continue;
		job_pkt_[jobs] = m;
		job_peer_[jobs] = peer_of[i];
		jobs++;
	}
	aead_.run();

	// Pass 3: what the ciphertext was needed for.
	for (uint16_t j = 0; j < jobs; j++) {
		rte_mbuf *m = job_pkt_[j];
		if (aead_.status(j) != AeadStatus::ok) {
			out.drop(m, WgOutputDrop::encrypt_failed);
			continue;
		}
		auto *l3 = rte_pktmbuf_mtod(m, uint8_t *);
		bool v4 = (l3[0] >> 4) == 4;
		if (!v4 && !(m->ol_flags & RTE_MBUF_F_TX_UDP_CKSUM)) {
			auto *ip = reinterpret_cast<rte_ipv6_hdr *>(l3);
			auto *udp = reinterpret_cast<rte_udp_hdr *>(l3 + sizeof(rte_ipv6_hdr));
			udp->dgram_cksum = rte_ipv6_udptcp_cksum(ip, udp);
		}
		DataPeer &peer = (*shared_.peers)[job_peer_[j]];
		uint32_t message_len = rte_pktmbuf_data_len(m) - m->l3_len - sizeof(rte_udp_hdr);
		peer.tx_packets.add();
		peer.tx_bytes.add(message_len);
		peer.last_tx_tsc.set(now_tsc);
		if (message_len > kWireGuardTransportMinLen)
			peer.last_data_tx_tsc.set(now_tsc);
		sealed_[n_sealed_++] = m;
	}
}

bool WgOutputStage::seal(rte_mbuf *m, uint64_t now_tsc, Output &out)
{
	PacketMeta &pm = meta(m);
	const uint32_t slot = pm.aux;
	if (slot == PrefixTable::kNoMatch) {
		out.drop(m, WgOutputDrop::no_peer);
		return false;
	}
	DataPeer &peer = (*shared_.peers)[slot];
	uint16_t home = peer.home_worker.load(std::memory_order_relaxed);
	if (home != worker_) {
		pm.aux = home;
		handoff_[n_handoff_++] = m;
		return false;
	}

	// From here on the packet is the inner IP packet alone: anything before
	// the IP header and any Ethernet padding after it go.
	const bool keepalive = pm.l3 == L3::none;
	auto *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, pm.l3_offset);
	uint32_t inner_len = keepalive ? 0 : ip_length(ip, pm.l3);
	if (inner_len > shared_.mtu) {
		out.drop(m, WgOutputDrop::too_big);
		return false;
	}
	rte_pktmbuf_adj(m, pm.l3_offset);
	m->data_len = static_cast<uint16_t>(inner_len);
	m->pkt_len = inner_len;
	pm.l3_offset = 0;

	// This node forwards the packet: the hop is counted once, before it is
	// staged, so a staged packet handed back (injected) is not counted again.
	if (!(pm.flags & meta_flags::injected) && !keepalive) {
		uint8_t &ttl = pm.l3 == L3::ipv4 ? reinterpret_cast<rte_ipv4_hdr *>(ip)->time_to_live
						 : reinterpret_cast<rte_ipv6_hdr *>(ip)->hop_limits;
		if (ttl <= 1) {
			out.punt(m, PuntReason::ttl_exceeded);
			return false;
		}
		if (pm.l3 == L3::ipv4)
			ipv4_count_hop(*reinterpret_cast<rte_ipv4_hdr *>(ip));
		else
			ipv6_count_hop(*reinterpret_cast<rte_ipv6_hdr *>(ip));
	}

	DataKeypair *kp = peer.send_keypair.load(std::memory_order_acquire);
	if (!kp || now_tsc >= kp->reject_after_tsc || kp->send_counter >= wireguard::kRejectAfterMessages) {
		if (keepalive)
			out.drop(m, WgOutputDrop::keepalive_unkeyed);
		else
			stage(m, peer, out);
		return false;
	}

	AddrPort endpoint;
	switch (peer.endpoint.load(endpoint)) {
	case EndpointCell::Read::found:
		break;
	case EndpointCell::Read::none:
		out.drop(m, WgOutputDrop::no_endpoint);
		return false;
	case EndpointCell::Read::busy:
		out.drop(m, WgOutputDrop::endpoint_busy);
		return false;
	}
	uint32_t hop = endpoint.is_v4 ? shared_.fib->lookup4(endpoint.ip4()) : shared_.fib->lookup6(endpoint.ip.data());
	const EgressPort *port = nullptr;
	if (hop != Fib::kNoMatch) {
		uint16_t id = shared_.fib->next_hop(hop).port;
		if (id < shared_.ports->size())
			port = &(*shared_.ports)[id];
	}
	if (!port || !(endpoint.is_v4 ? port->addrs.has_ipv4 : port->addrs.has_ipv6)) {
		out.drop(m, WgOutputDrop::no_endpoint_route);
		return false;
	}

	const uint32_t padded = padded_length(inner_len, shared_.mtu);
	const uint16_t tail = static_cast<uint16_t>(padded - inner_len + kTagLen);
	const uint16_t l3_len = endpoint.is_v4 ? sizeof(rte_ipv4_hdr) : sizeof(rte_ipv6_hdr);
	const uint16_t head = static_cast<uint16_t>(l3_len + sizeof(rte_udp_hdr) + kHeaderLen);
	if (rte_pktmbuf_tailroom(m) < tail || rte_pktmbuf_headroom(m) < head) {
		out.drop(m, WgOutputDrop::no_room);
		return false;
	}
	auto *plain = rte_pktmbuf_mtod(m, uint8_t *);
	std::memset(plain + inner_len, 0, padded - inner_len);
	rte_pktmbuf_append(m, tail);
	auto *l3 = reinterpret_cast<uint8_t *>(rte_pktmbuf_prepend(m, head));

	const uint64_t counter = kp->send_counter++;
	uint8_t *message = l3 + l3_len + sizeof(rte_udp_hdr);
	store_le32(message, kMessageTransportData);
	store_le32(message + 4, kp->remote_index);
	store_le64(message + 8, counter);
	write_outer(m, l3, *port, shared_.listen_port, endpoint,
		    static_cast<uint16_t>(sizeof(rte_udp_hdr) + kHeaderLen + padded + kTagLen));
	aead_.add_encrypt(kp->send_key, counter, plain, padded, plain + padded);

	if (kp->send_counter >= wireguard::kRekeyAfterMessages || now_tsc >= kp->rekey_after_tsc)
		peer.wants_handshake.store(true, std::memory_order_relaxed);
	pm.aux = hop;
	return true;
}

// No usable keypair: the packet waits on the control thread while a
// handshake is asked for, kMaxStaged at most on their way.
void WgOutputStage::stage(rte_mbuf *m, DataPeer &peer, Output &out)
{
	peer.wants_handshake.store(true, std::memory_order_relaxed);
	if (peer.staged_in_flight.load(std::memory_order_relaxed) >= wireguard::kMaxStaged) {
		out.drop(m, WgOutputDrop::staging_full);
		return;
	}
	peer.staged_in_flight.fetch_add(1, std::memory_order_relaxed);
	meta(m).peer_gen = peer.generation.load(std::memory_order_relaxed);
	out.punt(m, PuntReason::wg_staged);
}

} // namespace wayport
