#include "dataplane/nat/tcp_state.h"

namespace wayport::nat {

// conntrack -L's names for the nearest of its states.
const char *to_string(TcpState s)
{
	switch (s) {
	case TcpState::closed: return "CLOSED";
	case TcpState::in_syn: return "SYN_SENT";
	case TcpState::out_syn: return "SYN_RECV";
	case TcpState::established: return "ESTABLISHED";
	case TcpState::in_fin: return "FIN_WAIT";
	case TcpState::out_fin: return "CLOSE_WAIT";
	case TcpState::both_fin: return "TIME_WAIT";
	case TcpState::trans: return "CLOSE";
	case TcpState::count: break;
	}
	return "?";
}

TcpStep tcp_step(TcpState s, Side from, uint8_t flags)
{
	const bool syn = flags & tcp_flags::syn;
	const bool fin = flags & tcp_flags::fin;
	const bool rst = flags & tcp_flags::rst;
	const bool in = from == Side::in;
	switch (s) {
	case TcpState::closed:
		if (syn && !rst)
			return in ? TcpStep{TcpState::in_syn, TcpLifetime::transitory}
				  : TcpStep{TcpState::out_syn, TcpLifetime::incoming_syn};
		if (in && !rst)
			return {TcpState::established, TcpLifetime::established};
		return {TcpState::closed, TcpLifetime::unchanged};
	case TcpState::in_syn:
		if (syn && !in)
			return {TcpState::established, TcpLifetime::established};
		if (syn)
			return {TcpState::in_syn, TcpLifetime::transitory};
		return {TcpState::in_syn, TcpLifetime::unchanged};
	case TcpState::out_syn:
		if (syn && in)
			return {TcpState::established, TcpLifetime::established};
		return {TcpState::out_syn, TcpLifetime::unchanged};
	case TcpState::established:
		if (rst)
			return {TcpState::trans, TcpLifetime::transitory};
		if (fin)
			return {in ? TcpState::in_fin : TcpState::out_fin, TcpLifetime::established};
		return {TcpState::established, TcpLifetime::established};
	case TcpState::in_fin:
	case TcpState::out_fin:
		if (rst)
			return {TcpState::trans, TcpLifetime::transitory};
		if (fin && in == (s == TcpState::out_fin))
			return {TcpState::both_fin, TcpLifetime::transitory};
		return {s, TcpLifetime::established};
	case TcpState::both_fin:
		return {TcpState::both_fin, TcpLifetime::unchanged};
	case TcpState::trans:
		if (rst)
			return {TcpState::trans, TcpLifetime::unchanged};
		return {TcpState::established, TcpLifetime::established};
	case TcpState::count:
		break;
	}
	return {s, TcpLifetime::unchanged};
}

} // namespace wayport::nat
