// The relay path to the peer, kept the way a Tailscale client keeps one
// (spec §6.2): allocate an endpoint, bind to it (Bind to every advertised
// address, Answer the first valid Challenge), confirm it with disco pings to
// the peer through the relay, keep it alive, and heal it:
//
//   allocating ──endpoint──> binding ──Challenge, Answer──> confirming ──Pong──> up
//       ^                      │  ^                              │                │
//       └──no Challenge (the ──┘  └──no Pong nor data, or our ───┴────────────────┘
//          relay forgot it)          source address changed
//
// It owns no socket of its own and does no data forwarding: the connector
// feeds it the relay socket's non-data datagrams and the clock.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "tools/wayport-connect/allocator.h"
#include "tools/wayport-connect/counters.h"
#include "tools/wayport-connect/options.h"
#include "tools/wayport-connect/udp_socket.h"

namespace wayport::connect {

using Clock = std::chrono::steady_clock;

class Path {
public:
	enum class State { allocating, binding, confirming, up };

	// Starts allocating at `now`. Throws ConfigError when a key is unusable
	// with ours.
	Path(const Options &opt, const disco::PrivateKey &self, const UdpSocket &sock, Counters &counters,
	     Clock::time_point now);

	// Runs what is due; returns when it next needs to run.
	Clock::time_point tick(Clock::time_point now);
	// A datagram from the relay socket that is not relayed WireGuard data.
	void on_control(ByteSpan b, const AddrPort &from, Clock::time_point now);
	// Relayed WireGuard data arrived: as good as a Pong for liveness.
	void on_data(Clock::time_point now) { last_heard_ = now; }

	State state() const { return state_; }
	// Where WireGuard data goes; nothing until a handshake completes.
	const std::optional<AddrPort> &relay_addr() const { return relay_addr_; }
	uint32_t vni() const { return endpoint_.vni; }
	// Relayed data is taken from the bound address only, as magicsock
	// looks endpoints up by (source, VNI).
	bool carries(const AddrPort &from, uint32_t vni) const
	{
		return relay_addr_ && from == *relay_addr_ && vni == endpoint_.vni;
	}
	// A datagram from the relay socket is WireGuard data for us: a strict
	// Geneve data header for WireGuard, then carries(from, its VNI). What
	// is not goes to on_control.
	bool carries(ByteSpan datagram, const AddrPort &from) const;

	nlohmann::json status(Clock::time_point now) const;

private:
	void start_allocating(Clock::time_point now, const std::string &why);
	void adopt(const disco::UdpRelayEndpoint &ep, Clock::time_point now);
	void start_binding(Clock::time_point now, const std::string &why);
	void send_binds();
	void send_ping(Clock::time_point now);
	void on_challenge(const disco::BindUdpRelayEndpointChallenge &c, const AddrPort &from, Clock::time_point now);
	void on_peer_message(const disco::Message &m, const AddrPort &from, Clock::time_point now);
	// Rebinds when the kernel would now send to the relay from another
	// address than the one we bound with.
	bool source_changed(Clock::time_point now);
	void send(const Bytes &b, const AddrPort &to);

	const Options &opt_;
	const disco::PrivateKey &self_;
	disco::PublicKey self_pub_;
	const UdpSocket &sock_;
	Counters &counters_;
	std::array<disco::PublicKey, 2> pair_;
	Correspondent peer_;
	std::optional<Correspondent> node_;    // UDP allocation
	std::optional<Correspondent> server_;  // the endpoint's ServerDisco

	State state_ = State::allocating;
	disco::UdpRelayEndpoint endpoint_;
	bool have_endpoint_ = false;
	uint32_t generation_ = 0;        // of the handshake or allocation in progress
	std::optional<AddrPort> relay_addr_;
	std::optional<AddrPort> bound_source_;

	Clock::time_point next_alloc_{};
	Clock::duration alloc_backoff_{};
	Clock::time_point bind_started_{}, next_bind_{};
	Clock::time_point answered_at_{}, next_ping_{}, last_heard_{};
	Clock::duration keepalive_{}, path_timeout_{};
	std::map<disco::TxId, Clock::time_point> pings_;  // in flight
	std::optional<Clock::duration> rtt_;
	std::string last_error_;
};

const char *to_string(Path::State s);

} // namespace wayport::connect
