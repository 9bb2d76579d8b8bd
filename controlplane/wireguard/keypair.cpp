#include "controlplane/wireguard/keypair.h"

#include <utility>

namespace wayport::wireguard {

Keypairs::Retired Keypairs::add(std::shared_ptr<Keypair> fresh)
{
	Retired out;
	if (fresh->i_am_initiator) {
		// An unconfirmed `next` (we answered their initiation while ours
		// crossed it) is as good as confirmed now that our own handshake
		// completed: it becomes previous, so data still arriving under it
		// is accepted, and current, older still, goes.
		if (next_) {
			out[0] = std::exchange(previous_, std::move(next_));
			out[1] = std::move(current_);
		} else {
			out[0] = std::exchange(previous_, std::move(current_));
		}
		current_ = std::move(fresh);
	} else {
		// Waits for the initiator's first data packet. The old previous
		// goes: once next is confirmed, current will take its place.
		out[0] = std::exchange(next_, std::move(fresh));
		out[1] = std::move(previous_);
	}
	return out;
}

bool Keypairs::received_with(const Keypair *kp, std::shared_ptr<Keypair> &retired)
{
	if (!next_ || next_.get() != kp)
		return false;
	retired = std::exchange(previous_, std::move(current_));
	current_ = std::move(next_);
	return true;
}

Keypairs::Retired Keypairs::clear()
{
	return {std::move(previous_), std::move(current_), std::move(next_)};
}

} // namespace wayport::wireguard
