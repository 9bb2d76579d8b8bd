// WireGuard keys: 32-byte X25519 private and public keys and their base64
// text (the form `wg genkey` and `wg pubkey` print: 44 characters ending in
// '='). A PrivateKey owns its secret and zeroes it when destroyed.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wayport::wireguard {

inline constexpr size_t kKeyLen = 32;
inline constexpr size_t kKeyBase64Len = 44;

using Key32 = std::array<uint8_t, kKeyLen>;

// A parsed value, or a message naming what was wrong with the text.
template <typename T>
struct Parsed {
	std::optional<T> value;
	std::string error;

	explicit operator bool() const { return value.has_value(); }
};

struct PublicKey {
	Key32 bytes{};

	bool is_zero() const { return *this == PublicKey{}; }
	std::string to_base64() const;
	static Parsed<PublicKey> from_base64(std::string_view text);

	auto operator<=>(const PublicKey &) const = default;
};

class PrivateKey {
public:
	PrivateKey() = default;
	PrivateKey(const PrivateKey &other) : raw_(other.raw_) {}
	PrivateKey &operator=(const PrivateKey &other);
	~PrivateKey();

	// 32 random bytes, clamped.
	static PrivateKey generate();
	// Clamps (RFC 7748 §5), as the kernel does when a key is set, so that
	// to_base64 prints what X25519 really uses.
	static PrivateKey from_raw(const Key32 &raw);
	static Parsed<PrivateKey> from_base64(std::string_view text);

	// X25519 of the base point: `wg pubkey`.
	PublicKey public_key() const;
	std::string to_base64() const;
	const Key32 &raw() const { return raw_; }

private:
	Key32 raw_{};
};

} // namespace wayport::wireguard
