// The workers of one Device in external data-path mode, as the device tests
// need them: keypairs taken from the Device's events, transport data sealed
// and opened one packet at a time with the reference AEAD, and what was
// done reported back as the control thread's DataLink would (the rules of
// data_path_events.h, without DPDK). Single-threaded: the test is the
// worker and the control thread at once.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "controlplane/wireguard/device.h"
#include "dataplane/wireguard/replay_window.h"

namespace wayport::wireguard::test {

class WorkerDouble {
public:
	struct Held {
		PeerId peer = 0;
		std::shared_ptr<const Keypair> keypair;
		uint64_t send_counter = 0;
		ReplayWindow window;
		uint64_t rx_packets = 0;
	};

	// Applies out.events in order (each peer's seq checked consecutive) and
	// keeps a copy of every one in `events`.
	void apply(const Output &out);

	// The peer's send keypair can seal at now (the worker's test before it
	// seals or punts for staging).
	bool can_seal(PeerId peer, Clock::time_point now) const;
	// A transport message for the peer; nullopt when it has no usable send
	// keypair. Sets `wants_handshake` when the keypair is due for a rekey.
	std::optional<Bytes> seal(PeerId peer, ByteSpan inner, Clock::time_point now);
	// A transport message opened: the inner packet (empty: a keepalive),
	// or nullopt (unknown index, expired, bad tag, replayed).
	std::optional<InnerPacket> open(ByteSpan message, Clock::time_point now);
	// What was done for peer since the last call.
	DataActivity take_activity(PeerId peer);

	std::map<uint32_t, Held> keypairs;       // published, by local index
	std::map<PeerId, uint32_t> send_index;   // DataPeer::send_keypair
	std::map<PeerId, uint32_t> next_index;   // a responder's keypair awaiting confirmation
	std::map<PeerId, AddrPort> endpoint;     // DataPeer::endpoint, as the Device told it
	std::map<PeerId, bool> wants_handshake;
	std::vector<PeerEvent> events;
	size_t sealed = 0, opened = 0, refused = 0;

private:
	std::map<PeerId, uint64_t> seq_;
	std::map<PeerId, DataActivity> activity_;
};

} // namespace wayport::wireguard::test
