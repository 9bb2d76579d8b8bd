// Noise Protocol Framework (revision 34) state objects, enough for the
// IKpsk2 pattern over 25519, ChaChaPoly and BLAKE2s:
//
//   IKpsk2:
//     <- s
//     ...
//     -> e, es, s, ss
//     <- e, ee, se, psk
//
// Generic in the protocol name and prologue so it can be checked against
// the published Noise vectors; controlplane/wireguard/handshake.h builds
// WireGuard's messages on it. Each object owns its keys and zeroes them
// when destroyed. Nothing here throws: failures come back as NoiseError.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>

#include "controlplane/wireguard/key.h"
#include "controlplane/wireguard/primitives.h"
#include "dataplane/wire/bytes.h"

namespace wayport::wireguard {

enum class NoiseError : uint8_t {
	ok,
	wrong_length,     // message or output buffer is not the size the pattern needs
	wrong_state,      // message written or read out of the pattern's order
	low_order_key,    // a DH gave all zeros
	decrypt_failed,   // an AEAD tag did not verify
	nonce_exhausted,  // 2^64 - 1 messages: the reserved nonce
};

const char *to_string(NoiseError e);

// Noise §5.1. Without a key, encrypt and decrypt copy (and add no tag).
class CipherState {
public:
	CipherState() = default;
	explicit CipherState(const Key32 &k) { initialize_key(k); }
	CipherState(const CipherState &) = default;
	CipherState &operator=(const CipherState &) = default;
	~CipherState();

	void initialize_key(const Key32 &k);
	bool has_key() const { return has_key_; }

	// out holds plaintext.size() (+ kTagLen with a key) bytes.
	NoiseError encrypt_with_ad(ByteSpan ad, ByteSpan plaintext, std::span<uint8_t> out);
	// out holds ciphertext.size() (- kTagLen with a key) bytes. A failed
	// tag leaves the nonce where it was.
	NoiseError decrypt_with_ad(ByteSpan ad, ByteSpan ciphertext, std::span<uint8_t> out);

	static size_t sealed_len(bool keyed, size_t plaintext_len)
	{
		return plaintext_len + (keyed ? kTagLen : 0);
	}

private:
	Key32 k_{};
	uint64_t n_ = 0;
	bool has_key_ = false;
};

// The two keys Split() derives: the first for initiator-to-responder.
struct SplitKeys {
	Key32 initiator_to_responder{};
	Key32 responder_to_initiator{};

	SplitKeys() = default;
	SplitKeys(const SplitKeys &) = default;
	SplitKeys &operator=(const SplitKeys &) = default;
	~SplitKeys();
};

// Noise §5.2.
class SymmetricState {
public:
	explicit SymmetricState(std::string_view protocol_name);
	SymmetricState(const SymmetricState &) = default;
	SymmetricState &operator=(const SymmetricState &) = default;
	~SymmetricState();

	void mix_key(ByteSpan input_key_material);
	void mix_hash(ByteSpan data);
	void mix_key_and_hash(ByteSpan input_key_material);
	NoiseError encrypt_and_hash(ByteSpan plaintext, std::span<uint8_t> out);
	NoiseError decrypt_and_hash(ByteSpan ciphertext, std::span<uint8_t> out);
	SplitKeys split() const;

	const Hash &handshake_hash() const { return h_; }
	// Secret like the keys it derives: for tools and tests that show the
	// state mid-handshake (wayportctl wg initiate), never for logs.
	const Key32 &chaining_key() const { return ck_; }

private:
	Key32 ck_{};
	Hash h_{};
	CipherState cipher_;
};

enum class NoiseRole : uint8_t { initiator, responder };

// DH(s, rs), the "ss" token's value: the same in every handshake between
// two static keys, so the owner of a peer computes it once, when the peer
// is configured, and saves one of the five X25519 each handshake costs
// either side (docs/PERFORMANCE.md). As secret as the static key: zeroed
// when destroyed.
class PrecomputedStatic {
public:
	// Nothing for a low-order peer key, whose DH is all zero: no handshake
	// with it can succeed.
	static std::optional<PrecomputedStatic> compute(const PrivateKey &self, const PublicKey &peer);
	// The value as it is, for tests; a wrong one fails the handshake with
	// decrypt_failed, an all-zero one with low_order_key.
	explicit PrecomputedStatic(const Key32 &shared) : shared_(shared) {}
	PrecomputedStatic(const PrecomputedStatic &) = default;
	PrecomputedStatic &operator=(const PrecomputedStatic &) = default;
	~PrecomputedStatic();

	const Key32 &shared() const { return shared_; }

private:
	Key32 shared_{};
};

// A responder's ss cache: the PrecomputedStatic for the initiator that
// message 1 names (its decrypted static key), or nullptr to compute it.
// Called at most once, during read_message1.
using PrecomputedStaticLookup = std::function<const PrecomputedStatic *(const PublicKey &remote_static)>;

// Everything a party knows before the handshake. The ephemeral key and the
// psk are given to the calls that use them: tests inject the published
// vectors' ephemerals, and a responder learns which psk applies only when
// message 1 has named the initiator.
struct IKpsk2Config {
	std::string_view protocol_name;
	ByteSpan prologue;
	NoiseRole role = NoiseRole::initiator;
	PrivateKey static_key;
	// static_key's public key. Given, not derived: deriving it is an X25519
	// multiplication, which every handshake would repeat (the responder in
	// its pre-message, the initiator in message 1) for a value its Identity
	// already holds.
	PublicKey static_public;
	PublicKey remote_static;  // the responder's: required of the initiator, learnt by the responder
};

// Noise §5.3 for IKpsk2 only: two handshake messages, then split(). Any
// error leaves the handshake failed: later calls return wrong_state.
class IKpsk2Handshake {
public:
	explicit IKpsk2Handshake(const IKpsk2Config &config);

	// Sizes of the two messages for a payload of n bytes.
	static constexpr size_t message1_len(size_t n) { return kKeyLen + kKeyLen + kTagLen + n + kTagLen; }
	static constexpr size_t message2_len(size_t n) { return kKeyLen + n + kTagLen; }

	// Initiator: -> e, es, s, ss. out is exactly message1_len(payload.size()).
	// With ss (DH(s, rs), precomputed), the ss token costs no X25519.
	NoiseError write_message1(const PrivateKey &ephemeral, ByteSpan payload, std::span<uint8_t> out,
				  const PrecomputedStatic *ss = nullptr);
	// Responder. payload_out is exactly message.size() - message1_len(0).
	// ss, if given, is asked for DH(s, rs) once rs is decrypted.
	NoiseError read_message1(ByteSpan message, std::span<uint8_t> payload_out,
				 const PrecomputedStaticLookup &ss = {});
	// Responder: <- e, ee, se, psk.
	NoiseError write_message2(const PrivateKey &ephemeral, const Key32 &psk, ByteSpan payload,
				  std::span<uint8_t> out);
	// Initiator. payload_out is exactly message.size() - message2_len(0).
	NoiseError read_message2(const Key32 &psk, ByteSpan message, std::span<uint8_t> payload_out);

	bool complete() const { return step_ == 2; }
	// Valid once complete(); the transport keys.
	SplitKeys split() const { return symmetric_.split(); }
	const Hash &handshake_hash() const { return symmetric_.handshake_hash(); }
	const Key32 &chaining_key() const { return symmetric_.chaining_key(); }
	const PublicKey &remote_static() const { return rs_; }

private:
	// MixKey(DH(a, b)); low_order_key if the result is all zero.
	NoiseError mix_dh(const PrivateKey &a, const PublicKey &b);
	// MixKey of a DH computed in a batch, by the same rule; zeroes it.
	NoiseError mix_shared(Key32 &shared);
	// The ss token: MixKey(ss) when precomputed, else MixKey(DH(s, rs)).
	NoiseError mix_ss(const PrecomputedStatic *ss);
	// The "e" token: this side's ephemeral public key written to out, or
	// the peer's read.
	void write_e(const PublicKey &ephemeral_public, std::span<uint8_t> out);
	void read_e(ByteSpan message);

	SymmetricState symmetric_;
	NoiseRole role_;
	PrivateKey s_;
	PublicKey s_pub_;
	PrivateKey e_;  // set by the write of this side's message
	PublicKey e_pub_;
	PublicKey rs_;
	PublicKey re_;
	int step_ = 0; // handshake messages processed; -1 after an error
};

} // namespace wayport::wireguard
