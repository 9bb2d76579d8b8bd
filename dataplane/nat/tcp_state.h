// The TCP session state machine of a NAT: RFC 6146 §3.5.2 (Figure 1), as
// RFC 7857 §2.1 asks of every NAT, with the timeouts of RFC 5382 REQ-5 and
// the RST rule of RFC 7857 §2.3.
//
// "in" is the tunnel side (the peer's host), "out" the internet. Every
// packet of the session steps the machine once; the result says the new
// state and which lifetime its expiry now counts from:
//
//   state          packet                 -> state          lifetime
//   closed         SYN from in            -> in_syn         transitory
//   closed         SYN from out           -> out_syn        incoming_syn  (6 s: RFC 5382 REQ-4)
//   closed         other, not RST, from in-> established    established   (mid-stream: Linux's tcp_loose)
//   closed         anything else          -> closed         unchanged     (no session made)
//   in_syn         SYN from out           -> established    established
//   in_syn         SYN from in            -> in_syn         transitory    (a retransmission)
//   out_syn        SYN from in            -> established    established   (simultaneous open)
//   established    FIN from in            -> in_fin         established
//   established    FIN from out           -> out_fin        established
//   established    RST either way         -> trans          transitory
//   in_fin         FIN from out           -> both_fin       transitory
//   out_fin        FIN from in            -> both_fin       transitory
//   in_fin/out_fin RST either way         -> trans          transitory
//   both_fin       anything               -> both_fin       unchanged     (it runs out)
//   trans          RST                    -> trans          unchanged     (RFC 7857 §2.3: 4 min after a RST)
//   trans          anything else          -> established    established
//   anything else                         -> same state     refreshed (established states), else unchanged
//
// RFC 6146 leaves the lifetime of a packet that does not move in_syn or
// out_syn unchanged; so do we (a stray ACK does not keep a half-open
// session alive). Two departures, both on the side of keeping traffic:
// a RST in a FIN state goes to trans (RFC 7857 §2.3 asks for 4 minutes
// after any RST; RFC 6146 only refreshes), and a mid-stream segment from
// the tunnel with no session makes an established one, as Linux does by
// default (nf_conntrack_tcp_loose), so connections survive a restart of
// the node when their port is preserved. Pure functions: no state of their
// own, fast-path safe.
#pragma once

#include <cstdint>

namespace wayport::nat {

enum class TcpState : uint8_t {
	closed,
	in_syn,      // SYN seen from the tunnel side only (RFC 6146: V6 INIT)
	out_syn,     // SYN seen from the internet only (V4 INIT)
	established,
	in_fin,      // FIN from the tunnel side (V6 FIN RCV)
	out_fin,     // FIN from the internet (V4 FIN RCV)
	both_fin,    // FIN both ways (V4 FIN + V6 FIN RCV)
	trans,       // after a RST (RFC 6146: TRANS)
	count
};
// conntrack -L's name for it: SYN_SENT, ESTABLISHED, TIME_WAIT…
const char *to_string(TcpState s);

// Which of the configured lifetimes the expiry counts from.
enum class TcpLifetime : uint8_t {
	unchanged,     // the expiry stays where it is
	established,   // exit.tcp_established_timeout (default 2 h 4 min)
	transitory,    // exit.tcp_transitory_timeout (default 4 min)
	incoming_syn,  // 6 s, RFC 5382 REQ-4: an unsolicited SYN's grace
};

enum class Side : uint8_t { in, out };

// TCP header flag bits, as on the wire.
namespace tcp_flags {
inline constexpr uint8_t fin = 0x01;
inline constexpr uint8_t syn = 0x02;
inline constexpr uint8_t rst = 0x04;
inline constexpr uint8_t ack = 0x10;
} // namespace tcp_flags

struct TcpStep {
	TcpState state;
	TcpLifetime lifetime;
	bool operator==(const TcpStep &) const = default;
};

// One packet with these flags, from side, in state s.
TcpStep tcp_step(TcpState s, Side from, uint8_t flags);

// Whether a session in this state counts as open (for `exit sessions` and
// the per-state gauges): established, in_fin, out_fin.
inline bool tcp_open(TcpState s)
{
	return s == TcpState::established || s == TcpState::in_fin || s == TcpState::out_fin;
}

} // namespace wayport::nat
