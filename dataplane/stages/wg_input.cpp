#include "dataplane/stages/wg_input.h"

#include <rte_ip.h>
#include <rte_prefetch.h>

#include <algorithm>

#include "dataplane/stages/classify.h"
#include "dataplane/wire/bytes.h"
#include "dataplane/wire/wireguard.h"

namespace wayport {

namespace {

using wireguard::DataKeypair;
using wireguard::DataPeer;
using wireguard::EndpointCell;
using wireguard::ReplayWindow;

// Transport data (whitepaper §5.4.6): type and reserved (4), receiver
// index (4), counter (8), then the ciphertext and its 16-byte tag.
constexpr uint32_t kReceiverOffset = 4;
constexpr uint32_t kCounterOffset = 8;
constexpr uint32_t kHeaderLen = 16;
constexpr uint32_t kTagLen = 16;

const uint8_t *payload_of(const rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, const uint8_t *, meta(m).payload_offset);
}

// The inner packet's length by its own header; classify_inner has checked
// that it fits the plaintext.
uint32_t inner_length(const uint8_t *ip, L3 l3)
{
	if (l3 == L3::ipv4)
		return rte_be_to_cpu_16(reinterpret_cast<const rte_ipv4_hdr *>(ip)->total_length);
	return sizeof(rte_ipv6_hdr) + rte_be_to_cpu_16(reinterpret_cast<const rte_ipv6_hdr *>(ip)->payload_len);
}

// Which peer the inner source belongs to, by the allowed-IPs table.
uint32_t source_owner(const PrefixTable &allowed, const uint8_t *ip, L3 l3)
{
	if (l3 == L3::ipv4)
		return allowed.lookup4(ip + offsetof(rte_ipv4_hdr, src_addr));
	return allowed.lookup6(ip + offsetof(rte_ipv6_hdr, src_addr));
}

} // namespace

const char *to_string(WgInputDrop r)
{
	switch (r) {
	case WgInputDrop::unknown_index: return "unknown_index";
	case WgInputDrop::keypair_expired: return "keypair_expired";
	case WgInputDrop::decrypt_failed: return "decrypt_failed";
	case WgInputDrop::replayed: return "replayed";
	case WgInputDrop::bad_inner_packet: return "bad_inner_packet";
	case WgInputDrop::not_allowed_ip: return "not_allowed_ip";
	case WgInputDrop::count: break;
	}
	return "unknown";
}

WgInputStage::WgInputStage(const WgInputShared &shared, unsigned worker, uint16_t capacity, AeadEngine engine)
	: shared_(shared), worker_(worker), aead_(std::min<uint16_t>(capacity, AeadBatch::max_capacity), engine),
	  in_(capacity), index_(aead_.capacity()), keypair_(aead_.capacity()), job_pkt_(aead_.capacity()),
	  job_keypair_(aead_.capacity()), job_counter_(aead_.capacity()), forwarded_(capacity), to_host_(capacity),
	  handoff_(capacity)
{
}

void WgInputStage::finish(uint64_t now_tsc, Output &out, WorkerCounters &c)
{
	n_forwarded_ = n_to_host_ = n_handoff_ = 0;
	c.stage(CountedStage::wg_input, n_in_);
	for (uint16_t done = 0; done < n_in_;) {
		uint16_t k = std::min<uint16_t>(static_cast<uint16_t>(n_in_ - done), aead_.capacity());
		slice(in_.data() + done, k, now_tsc, out);
		done = static_cast<uint16_t>(done + k);
	}
	n_in_ = 0;
}

void WgInputStage::slice(rte_mbuf *const *pkts, uint16_t n, uint64_t now_tsc, Output &out)
{
	// Pass 1: the receiver indexes, looked up in bulk.
	for (uint16_t i = 0; i < n; i++)
		index_[i] = load_le32(payload_of(pkts[i]) + kReceiverOffset);
	for (uint16_t i = 0; i < n; i += wireguard::KeypairTable::kBulkMax) {
		unsigned k = std::min<unsigned>(n - i, wireguard::KeypairTable::kBulkMax);
		shared_.keypairs->find_bulk(&index_[i], k, &keypair_[i]);
	}
	// The keypairs' first two lines (home worker, expiry, receive key) for
	// pass 2: with thousands of peers they are rarely cached.
	for (uint16_t i = 0; i < n; i++)
		if (const DataKeypair *kp = keypair_[i]) {
			rte_prefetch0(kp);
			rte_prefetch0(kp->receive_key);
		}

	// Pass 2: a decryption job for every packet this worker may take.
	aead_.clear();
	uint16_t jobs = 0;
	for (uint16_t i = 0; i < n; i++) {
		rte_mbuf *m = pkts[i];
		DataKeypair *kp = keypair_[i];
		if (!kp) {
			out.drop(m, WgInputDrop::unknown_index);
			continue;
		}
		if (kp->home_worker != worker_) {
			meta(m).aux = kp->home_worker;
			handoff_[n_handoff_++] = m;
			continue;
		}
		if (now_tsc >= kp->reject_after_tsc) {
			out.drop(m, WgInputDrop::keypair_expired);
			continue;
		}
		auto *payload = rte_pktmbuf_mtod_offset(m, uint8_t *, meta(m).payload_offset);
		uint64_t counter = load_le64(payload + kCounterOffset);
		// The window would refuse it after decryption too; this saves the
		// decryption (the kernel checks the same before decrypting).
		if (counter >= ReplayWindow::kRejectAfterMessages) {
			out.drop(m, WgInputDrop::replayed);
			continue;
		}
		uint32_t len = meta(m).payload_len - kHeaderLen - kTagLen;
		aead_.add_decrypt(kp->receive_key, counter, payload + kHeaderLen, len, payload + kHeaderLen + len);
		// What pass 3 touches, fetched while the batch runs.
		rte_prefetch0(&kp->window);
		const DataPeer &peer = (*shared_.peers)[kp->peer];
		rte_prefetch0(&peer);
		rte_prefetch0(&peer.rx_packets);
		job_pkt_[jobs] = m;
		job_keypair_[jobs] = kp;
		job_counter_[jobs] = counter;
		jobs++;
	}
	aead_.run();

	// Pass 3: what authenticated is delivered.
	for (uint16_t j = 0; j < jobs; j++) {
		rte_mbuf *m = job_pkt_[j];
		DataKeypair &kp = *job_keypair_[j];
		if (aead_.status(j) != AeadStatus::ok) {
			out.drop(m, WgInputDrop::decrypt_failed);
			continue;
		}
		if (!kp.window.validate(job_counter_[j])) {
			out.drop(m, WgInputDrop::replayed);
			continue;
		}
		deliver(m, kp, now_tsc, out);
	}
}

void WgInputStage::deliver(rte_mbuf *m, DataKeypair &kp, uint64_t now_tsc, Output &out)
{
	DataPeer &peer = (*shared_.peers)[kp.peer];
	PacketMeta &pm = meta(m);
	kp.rx_packets.add();
	peer.rx_packets.add();
	peer.rx_bytes.add(pm.payload_len);
	peer.last_rx_tsc.set(now_tsc);
	if (peer.roaming.load(std::memory_order_relaxed))
		roam(m, peer);

	uint32_t plain_len = pm.payload_len - kHeaderLen - kTagLen;
	if (plain_len == 0) {
		peer.keepalives_received.add();
		out.release(m);
		return;
	}
	peer.last_data_rx_tsc.set(now_tsc);

	const uint32_t outer_len = pm.payload_offset + kHeaderLen;
	const uint8_t *inner = rte_pktmbuf_mtod_offset(m, const uint8_t *, outer_len);
	const uint16_t ingress = pm.ingress_port;
	pm = PacketMeta{};
	pm.ingress_port = ingress;
	Stage s = classify_inner(inner, plain_len, shared_.tunnel, pm);
	bool parsed = s == Stage::control || pm.reason == static_cast<uint8_t>(ClassifyDrop::not_for_us) ||
		      pm.reason == static_cast<uint8_t>(ClassifyDrop::fragment);
	if (!parsed) {
		out.drop(m, WgInputDrop::bad_inner_packet);
		return;
	}
	if (source_owner(*shared_.allowed_ips, inner, pm.l3) != kp.peer) {
		out.drop(m, WgInputDrop::not_allowed_ip);
		return;
	}
	uint32_t inner_len = inner_length(inner, pm.l3);
	rte_pktmbuf_adj(m, static_cast<uint16_t>(outer_len));
	rte_pktmbuf_trim(m, static_cast<uint16_t>(rte_pktmbuf_data_len(m) - inner_len));
	pm.aux = kp.peer;
	pm.peer_gen = kp.peer_gen;
	pm.reason = 0;
	if (s == Stage::control || (pm.flags & meta_flags::to_node))
		to_host_[n_to_host_++] = m;
	else
		forwarded_[n_forwarded_++] = m;
}

// The peer's endpoint follows the source of its latest authenticated
// packet. A store the control thread is in the middle of wins; the next
// packet tries again.
void WgInputStage::roam(rte_mbuf *m, DataPeer &peer)
{
	AddrPort src, dst;
	read_addrs(m, meta(m), src, dst);
	AddrPort now;
	if (peer.endpoint.load(now) == EndpointCell::Read::found && now == src)
		return;
	if (peer.endpoint.try_store(src))
		peer.roamed.add();
}

} // namespace wayport
