// WireGuard's handshake (whitepaper §5.4.2-5.4.4): messages 1 (initiation)
// and 2 (response) built on the Noise IKpsk2 core, with mac1 and mac2, and
// the transport keys they derive. Both roles. The callers (handshake
// threads) own peer lookup, timestamp replay checks, index allocation and
// the cookie secret; these functions own only the cryptography and bytes.
// Nothing here throws: bad input returns a HandshakeError to count.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "controlplane/wireguard/key.h"
#include "controlplane/wireguard/noise.h"
#include "controlplane/wireguard/primitives.h"
#include "controlplane/wireguard/tai64n.h"
#include "dataplane/wire/bytes.h"
#include "dataplane/wire/wireguard.h"

namespace wayport::wireguard {

inline constexpr std::string_view kConstruction = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
inline constexpr std::string_view kIdentifier = "WireGuard v1 zx2c4 Jason@zx2c4.com";
inline constexpr std::string_view kLabelMac1 = "mac1----";
inline constexpr std::string_view kLabelCookie = "cookie--";

enum class HandshakeError : uint8_t {
	ok,
	wrong_size,      // not the message's exact length
	wrong_type,      // type byte or reserved bytes wrong
	bad_mac1,        // mac1 does not match our static key: not for us, or forged
	wrong_receiver,  // a response to an initiation we did not send
	low_order_key,   // a DH gave all zeros
	decrypt_failed,  // an AEAD tag failed: wrong keys or altered bytes
	bad_state,       // a call out of the handshake's order
};

const char *to_string(HandshakeError e);

// The cookie a responder under load hands out; an initiator holds one for
// at most two minutes and sends it as mac2's key.
using Cookie = Mac;

// This device's static identity and the two keys derived from its public
// key that peers use to reach it.
struct Identity {
	PrivateKey static_key;
	PublicKey static_public;
	Key32 mac1_key{};    // HASH("mac1----" || static_public)
	Key32 cookie_key{};  // HASH("cookie--" || static_public)

	explicit Identity(const PrivateKey &key);
};

// HASH("mac1----" || receiver's static public).
Key32 mac1_key(const PublicKey &receiver);
// HASH("cookie--" || static public): the key of cookie replies from that key's owner.
Key32 cookie_key(const PublicKey &sender);

// The exact size for its type, then the type byte and zero reserved bytes
// (wireguard_type): wrong_size, wrong_type or ok.
HandshakeError check_header(ByteSpan message, size_t len, WireGuardType type);

// mac1 (keyed by the receiver's mac1 key) and mac2 (keyed by the cookie,
// or zero without one) over an initiation or response, written in place.
void write_macs(std::span<uint8_t> message, const Key32 &receiver_mac1_key,
		const std::optional<Cookie> &cookie);
// mac1 of a whole initiation or response, and whether it is right.
bool mac1_valid(ByteSpan message, const Key32 &own_mac1_key);
// mac2, for a responder under load that has computed the sender's cookie.
bool mac2_valid(ByteSpan message, const Cookie &cookie);
// The mac1 field of an initiation or response: a cookie reply's AD.
Mac mac1_of(ByteSpan message);

// Transport keys after a completed handshake.
struct TransportKeys {
	Key32 send{};
	Key32 receive{};
	uint32_t local_index = 0;   // ours: the receiver index peers put in transport messages
	uint32_t remote_index = 0;  // theirs: the one we put in ours

	TransportKeys() = default;
	TransportKeys(const TransportKeys &) = default;
	TransportKeys &operator=(const TransportKeys &) = default;
	~TransportKeys();
};

// What an initiator keeps between sending message 1 and receiving message 2.
struct PendingInitiation {
	IKpsk2Handshake noise;
	uint32_t sender_index;
	Mac mac1;  // of the initiation sent: a cookie reply to it uses it as AD
};

struct InitiationParams {
	PublicKey peer;                // the responder's static public key
	Key32 psk{};                   // zero when the peer has none
	uint32_t sender_index = 0;
	PrivateKey ephemeral;          // PrivateKey::generate()
	Tai64n timestamp;              // Tai64n::from(clock())
	std::optional<Cookie> cookie;  // held from the peer's last cookie reply
	// DH(self, peer) kept with the peer (PrecomputedStatic::compute), or
	// null to compute it here: one X25519 of the initiation's three.
	const PrecomputedStatic *precomputed_ss = nullptr;
};

// Message 1. pending is set on success.
HandshakeError create_initiation(const Identity &self, const InitiationParams &params,
				 std::span<uint8_t, kWireGuardInitiationLen> out,
				 std::optional<PendingInitiation> &pending);

// What a responder learns from a valid initiation: who sent it, when, and
// the state to answer it with.
struct ReceivedInitiation {
	IKpsk2Handshake noise;
	uint32_t sender_index;     // the initiator's
	PublicKey initiator;       // its static public key: look the peer up by this
	Tai64n timestamp;          // accept only if newer than the peer's last
};

// Checks the size, the type and mac1, then decrypts. mac2 is the caller's
// to check (mac2_valid) when under load. precomputed_ss, given the
// initiator's static key, returns DH(self, initiator) kept with that peer,
// or nullptr to compute it: one X25519 of the responder's five (with
// create_response's). A wrong value fails with decrypt_failed.
HandshakeError consume_initiation(const Identity &self, ByteSpan message,
				  std::optional<ReceivedInitiation> &received,
				  const PrecomputedStaticLookup &precomputed_ss = {});

struct ResponseParams {
	Key32 psk{};
	uint32_t sender_index = 0;
	PrivateKey ephemeral;
	std::optional<Cookie> cookie;
};

// Message 2, answering received (which it completes). keys is set on success.
HandshakeError create_response(ReceivedInitiation &received, const ResponseParams &params,
			       std::span<uint8_t, kWireGuardResponseLen> out, TransportKeys &keys);

// The initiator's side of message 2: checks size, type, mac1 and the
// receiver index against pending, then completes the handshake.
HandshakeError consume_response(const Identity &self, PendingInitiation &pending,
				const Key32 &psk, ByteSpan message, TransportKeys &keys);

// A response's receiver index: which PendingInitiation it answers. The
// message must be at least 12 bytes.
inline uint32_t response_receiver_index(ByteSpan message)
{
	return load_le32(message.data() + wgmsg::Response::receiver);
}

} // namespace wayport::wireguard
