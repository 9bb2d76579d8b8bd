// Sealing disco messages to, and opening them from, the three parties a
// client speaks disco with: the relay node (allocation), the relay server
// (bind handshake) and the peer (pings through the relay).
#pragma once

#include <optional>

#include "controlplane/disco/key.h"
#include "controlplane/disco/message.h"
#include "dataplane/wire/geneve.h"

namespace wayport::connect {

// Their key and the box key we share with them, computed once: X25519 is
// far dearer than the box itself.
struct Correspondent {
	disco::PublicKey key;
	disco::SharedKey shared;

	// Nothing when key is a low-order point.
	static std::optional<Correspondent> make(const disco::PrivateKey &self, const disco::PublicKey &key);
};

// Geneve header (if any), then magic || our key || nonce || box.
Bytes seal_to(const Correspondent &to, const disco::PublicKey &self, const disco::Message &m,
	      std::optional<GeneveHeader> geneve = std::nullopt);

// A disco frame (no Geneve header) from exactly `from`, opened and parsed.
std::optional<disco::Message> open_from(const Correspondent &from, ByteSpan frame);

} // namespace wayport::connect
