// Disco keys (spec §2.2): X25519 key pairs and their NaCl box shared keys.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dataplane/wire/bytes.h"
#include "dataplane/wire/disco_frame.h"

namespace wayport::disco {

using Key32 = std::array<uint8_t, kDiscoKeyLen>;

struct PublicKey {
	Key32 bytes{};

	bool is_zero() const { return *this == PublicKey{}; }
	// "discokey:" + 64 lowercase hex digits.
	std::string to_text() const;
	// Hex digits may be either case; the "discokey:" prefix is required.
	static std::optional<PublicKey> from_text(std::string_view text);
	static PublicKey from_raw(const uint8_t raw[kDiscoKeyLen]);
	// The short form Tailscale prints in status output: "d:" + 16 hex digits.
	std::string short_text() const;

	auto operator<=>(const PublicKey &) const = default;
};

class PrivateKey {
public:
	// 32 random bytes, clamped as X25519 requires.
	static PrivateKey generate();
	// Takes raw bytes as given: X25519 clamps when it multiplies.
	static PrivateKey from_raw(const Key32 &raw);
	static std::optional<PrivateKey> from_hex(std::string_view hex);

	PublicKey public_key() const;
	const Key32 &raw() const { return raw_; }

private:
	Key32 raw_{};
};

// crypto_box_beforenm: X25519 then HSalsa20, the same both ways round.
struct SharedKey {
	Key32 bytes{};
};

// Nothing when the peer key is a low-order point (an all-zero X25519 result):
// such a key would let anyone forge messages.
std::optional<SharedKey> shared_key(const PrivateKey &self, const PublicKey &peer);

} // namespace wayport::disco
