// Disco framing (spec §2.1-2.2): magic || sender key || nonce || NaCl box.
#pragma once

#include <array>
#include <optional>

#include "controlplane/disco/key.h"
#include "dataplane/wire/bytes.h"

namespace wayport::disco {

using Nonce = std::array<uint8_t, kDiscoNonceLen>;

// Appends the sealed frame to out. The nonce is random unless given (tests
// and reproducible tooling).
void seal(const SharedKey &shared, const PublicKey &sender, ByteSpan plaintext, Bytes &out,
	  const Nonce *nonce = nullptr);

// Opens a frame that passes looks_like_disco_wrapper; the caller chose the
// shared key from disco_sender(frame). Nothing if the box does not verify.
std::optional<Bytes> open(const SharedKey &shared, ByteSpan frame);

} // namespace wayport::disco
