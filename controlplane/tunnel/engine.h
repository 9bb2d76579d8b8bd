// WireGuard on the control thread (docs/ARCHITECTURE.md, "The thread
// contract WireGuard follows"): the Device in external data-path mode, its
// DataLink to the workers' tables, and the handshake pool, joined to the
// control thread's rings through TunnelIo.
//
//   handshake rings (workers)  -> HandshakePool::submit (copied; mbuf freed)
//   pool threads' Outputs      -> inbox_ (mutex) -> this thread: applied
//   Output::datagrams          -> bare IPv4/IPv6 + UDP from the listen port,
//                                 TunnelIo::route (ip_out, after the neighbour)
//   Output::to_seal            -> the peer's home worker: wg_output, aux = slot,
//                                 peer_gen = its generation (an empty mbuf,
//                                 l3 none, for a keepalive)
//   wg_staged punts            -> Device::send (staged there until a keypair),
//                                 staged_in_flight decremented
//   wg_host punts              -> an echo reply into the tunnel, to that peer
//   ttl_exceeded punts         -> ICMP Time Exceeded back the way it came:
//                                 into the tunnel when the source is a peer's,
//                                 else out of the port toward the source
//   every link_interval        -> DataLink::poll, Device::tick, reclaims
//
// Threads: everything but the sink runs on the control thread. The pool's
// threads call the Device (thread-safe, device.h) and hand their Outputs
// over under inbox_mu_; the control thread is the one that applies them
// (DataLink's contract).
//
// Peers and slots: the Device's PeerIds are never reused; the data path's
// slots are (slots_, after a grace period). At start slot i is the config's
// peer i. PeerInfo says which PeerId holds a slot, DataLink::slot_of the
// other way. A punt or a packet to seal for a peer removed since it was
// made finds another generation or no slot, and is dropped (removed_peer).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.h"
#include "controlplane/control/tunnel_io.h"
#include "controlplane/tunnel/slot_pool.h"
#include "controlplane/tunnel/tables.h"
#include "controlplane/wglink/data_link.h"
#include "controlplane/wglink/tsc_clock.h"
#include "controlplane/wireguard/device.h"
#include "controlplane/wireguard/handshake_pool.h"

namespace wayport::tunnel {

// What the engine could not pass on. Every one is counted.
enum class EngineDrop : uint8_t {
	no_mbuf,            // the pool had no mbuf for a datagram, a packet to seal or an ICMP error
	bad_punt,           // a punt naming a peer slot no peer has, or too short to be an IP packet
	handshake_queue,    // the handshake pool's queue was full (its own counter says so too)
	no_route,           // a datagram to an endpoint with no route, or a port with no address of its family
	too_big,            // a datagram or packet longer than one mbuf holds
	host_not_echo,      // an inner packet to a tunnel address that is no echo request (or not ours, malformed)
	icmp_error_refused, // a ttl_exceeded punt that gets no error (icmp_error.h's rules), or no source address
	inner_packet,       // the Device gave an inner packet: the external data path makes none
	removed_peer,       // a punt or a packet to seal for a peer removed since (its slot free or another's)
	count
};
const char *to_string(EngineDrop d);

struct EngineOptions {
	unsigned handshake_threads = 1;
	int64_t link_interval = 10'000'000;  // ns: DataLink::poll and Device::tick, 10 ms
};

class Engine final : public TunnelCore {
public:
	// psks: by peer, in the config's order (all zero: none). Null, with
	// error naming the peer, when the Device refuses one.
	static std::unique_ptr<Engine> create(const config::Wireguard &cfg, Tables &tables,
					      const wireguard::PrivateKey &key, std::vector<wireguard::Key32> psks,
					      TunnelIo &io, uint64_t tsc_hz, EngineOptions options, std::string &error);
	~Engine() override;

	void punt(rte_mbuf *m, PuntReason reason, int64_t now) override;
	size_t poll(int64_t now) override;
	std::string status_json() const override;
	std::string metrics_text() const override;
	std::pair<int, std::string> set_peer(const api::WgPeerChange &change, int64_t now) override;

	wireguard::Device &device() { return *device_; }
	uint64_t drops(EngineDrop d) const { return drops_[static_cast<size_t>(d)]; }

private:
	Engine(const config::Wireguard &cfg, Tables &tables, TunnelIo &io, uint64_t tsc_hz);
	size_t drain_handshakes();
	// An mbuf of len bytes at data, PacketMeta cleared; null (counted
	// no_mbuf or too_big) when there is none or it cannot hold len.
	rte_mbuf *fresh(size_t len, uint8_t *&data);
	// Applies out's events, then sends and hands on what it holds.
	void deliver(wireguard::Output &out);
	void send_datagram(const wireguard::Datagram &d);
	void seal(const wireguard::ToSeal &s);
	void staged(rte_mbuf *m, int64_t now);
	void echo(rte_mbuf *m);
	void time_exceeded(rte_mbuf *m);
	// m (bare IP, PacketMeta l3 set) to the peer's home worker's wg_output.
	void to_peer(rte_mbuf *m, uint32_t slot);
	bool is_tunnel_address(const AddrPort &a) const;
	// The peer's allowed IPs become these in the table and in info_; a
	// prefix another peer had moves (wg's rule). Empty on success, else why.
	std::string set_allowed_ips(uint32_t slot, const std::vector<config::Prefix> &prefixes);
	void count(EngineDrop d) { drops_[static_cast<size_t>(d)]++; }

	// What `wg show` prints of a peer that the Device does not keep, and
	// whose slot it is.
	struct PeerInfo {
		wireguard::PeerId id = 0;
		std::vector<config::Prefix> allowed_ips;  // in the order given
		bool has_preshared_key = false;
	};

	// A live peer as status and metrics show it: the Device's view and the
	// workers' counters together.
	struct PeerView {
		const PeerInfo *info;
		wireguard::PeerStatus st;
		const wireguard::DataPeer *dp;
		// Handshake messages (the Device's) and transport data (the workers').
		uint64_t rx_bytes() const { return st.rx_bytes + dp->rx_bytes.get(); }
		uint64_t tx_bytes() const { return st.tx_bytes + dp->tx_bytes.get(); }
		int64_t latest_handshake() const { return st.last_handshake ? st.last_handshake->seconds : 0; }
	};
	std::vector<PeerView> live_peers() const;
	// A new peer at the lowest free slot, with its endpoint and allowed
	// IPs: the HTTP status and body of the refusal, or {200, ""}.
	std::pair<int, std::string> add_peer(const wireguard::PeerConfig &pc, const std::vector<config::Prefix> &allowed,
					     wireguard::Clock::time_point now);
	// The peer in slot gone from the Device, the link and the allowed IPs;
	// the slot back to slots_. When the allowed-IPs table cannot drop its
	// prefixes (no memory for the IPv6 copy), they still name the slot, so
	// it is stranded instead (its traffic dies as removed_peer: the slot's
	// generation moved on) and released by a later retry_stranded().
	void drop_peer(uint32_t slot);
	void retry_stranded();
	// The slot's peer is live and the packet was made under its generation.
	bool names_live_peer(uint32_t slot, uint16_t gen) const;

	// Immutable after create().
	const uint16_t listen_port_;
	const std::vector<config::IpPrefix> addresses_;
	Tables &tables_;
	TunnelIo &io_;
	const wireguard::TscClock clock_;

	// Control thread only.
	std::unique_ptr<wireguard::Device> device_;
	std::unique_ptr<wireguard::DataLink> link_;
	std::vector<std::optional<PeerInfo>> info_;  // by slot; empty while free
	SlotPool slots_;
	std::vector<uint32_t> stranded_;  // dropped slots whose allowed IPs are still in the table
	int64_t link_interval_ = 0;
	int64_t next_link_ = 0;
	std::vector<uint64_t> drops_ = std::vector<uint64_t>(static_cast<size_t>(EngineDrop::count));

	// inbox_mu_ protects inbox_: the pool's threads append, the control
	// thread takes the lot.
	std::mutex inbox_mu_;
	std::vector<wireguard::Output> inbox_;

	// Last: its threads stop before anything they use goes.
	std::unique_ptr<wireguard::HandshakePool> pool_;
};

} // namespace wayport::tunnel
