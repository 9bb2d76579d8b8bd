#include "controlplane/wireguard/noise.h"

#include <sodium.h>

#include <cstring>
#include <limits>

#include "controlplane/wireguard/x25519_batch.h"

namespace wayport::wireguard {

const char *to_string(NoiseError e)
{
	switch (e) {
	case NoiseError::ok:
		return "ok";
	case NoiseError::wrong_length:
		return "wrong_length";
	case NoiseError::wrong_state:
		return "wrong_state";
	case NoiseError::low_order_key:
		return "low_order_key";
	case NoiseError::decrypt_failed:
		return "decrypt_failed";
	case NoiseError::nonce_exhausted:
		return "nonce_exhausted";
	}
	return "unknown";
}

CipherState::~CipherState()
{
	sodium_memzero(k_.data(), k_.size());
}

void CipherState::initialize_key(const Key32 &k)
{
	k_ = k;
	n_ = 0;
	has_key_ = true;
}

NoiseError CipherState::encrypt_with_ad(ByteSpan ad, ByteSpan plaintext, std::span<uint8_t> out)
{
	if (out.size() != sealed_len(has_key_, plaintext.size()))
		return NoiseError::wrong_length;
	if (!has_key_) {
		if (!plaintext.empty())
			std::memmove(out.data(), plaintext.data(), plaintext.size());
		return NoiseError::ok;
	}
	// Noise §5.1 reserves the largest nonce.
	if (n_ == std::numeric_limits<uint64_t>::max())
		return NoiseError::nonce_exhausted;
	aead_seal(k_, n_, plaintext, ad, out.data());
	n_++;
	return NoiseError::ok;
}

NoiseError CipherState::decrypt_with_ad(ByteSpan ad, ByteSpan ciphertext, std::span<uint8_t> out)
{
	if (!has_key_) {
		if (out.size() != ciphertext.size())
			return NoiseError::wrong_length;
		if (!ciphertext.empty())
			std::memmove(out.data(), ciphertext.data(), ciphertext.size());
		return NoiseError::ok;
	}
	if (ciphertext.size() < kTagLen || out.size() != ciphertext.size() - kTagLen)
		return NoiseError::wrong_length;
	if (n_ == std::numeric_limits<uint64_t>::max())
		return NoiseError::nonce_exhausted;
	if (!aead_open(k_, n_, ciphertext, ad, out.data()))
		return NoiseError::decrypt_failed;
	n_++;
	return NoiseError::ok;
}

SplitKeys::~SplitKeys()
{
	sodium_memzero(initiator_to_responder.data(), kKeyLen);
	sodium_memzero(responder_to_initiator.data(), kKeyLen);
}

SymmetricState::SymmetricState(std::string_view protocol_name)
{
	// A name that fits is used as it is, zero-padded; a longer one is hashed.
	if (protocol_name.size() <= kHashLen)
		std::memcpy(h_.data(), protocol_name.data(), protocol_name.size());
	else
		h_ = hash({ByteSpan(reinterpret_cast<const uint8_t *>(protocol_name.data()),
				    protocol_name.size())});
	ck_ = h_;
}

SymmetricState::~SymmetricState()
{
	sodium_memzero(ck_.data(), ck_.size());
	sodium_memzero(h_.data(), h_.size());
}

void SymmetricState::mix_key(ByteSpan input_key_material)
{
	Key32 out[2];
	hkdf(ck_, input_key_material, out);
	ck_ = out[0];
	cipher_.initialize_key(out[1]);
	sodium_memzero(out, sizeof(out));
}

void SymmetricState::mix_hash(ByteSpan data)
{
	h_ = hash({ByteSpan(h_), data});
}

void SymmetricState::mix_key_and_hash(ByteSpan input_key_material)
{
	Key32 out[3];
	hkdf(ck_, input_key_material, out);
	ck_ = out[0];
	mix_hash(out[1]);
	cipher_.initialize_key(out[2]);
	sodium_memzero(out, sizeof(out));
}

NoiseError SymmetricState::encrypt_and_hash(ByteSpan plaintext, std::span<uint8_t> out)
{
	NoiseError e = cipher_.encrypt_with_ad(h_, plaintext, out);
	if (e == NoiseError::ok)
		mix_hash(out);
	return e;
}

NoiseError SymmetricState::decrypt_and_hash(ByteSpan ciphertext, std::span<uint8_t> out)
{
	NoiseError e = cipher_.decrypt_with_ad(h_, ciphertext, out);
	if (e == NoiseError::ok)
		mix_hash(ciphertext);
	return e;
}

SplitKeys SymmetricState::split() const
{
	Key32 out[2];
	hkdf(ck_, {}, out);
	SplitKeys keys;
	keys.initiator_to_responder = out[0];
	keys.responder_to_initiator = out[1];
	sodium_memzero(out, sizeof(out));
	return keys;
}

std::optional<PrecomputedStatic> PrecomputedStatic::compute(const PrivateKey &self, const PublicKey &peer)
{
	std::optional<Key32> shared = dh(self, peer);
	if (!shared)
		return std::nullopt;
	PrecomputedStatic ss(*shared);
	sodium_memzero(shared->data(), shared->size());
	return ss;
}

PrecomputedStatic::~PrecomputedStatic()
{
	sodium_memzero(shared_.data(), shared_.size());
}

namespace {

// Up to kX25519BatchMax DHs of one message, run together (x25519_batch.h).
// The results are as secret as the keys: zeroed when the batch goes, if
// mix_shared has not zeroed them already.
struct DhBatch {
	X25519Job jobs[kX25519BatchMax];
	Key32 out[kX25519BatchMax];
	size_t n = 0;

	size_t add(const PrivateKey &scalar, const Key32 &point)
	{
		jobs[n] = {&scalar.raw(), &point, &out[n]};
		return n++;
	}
	void run() { x25519_batch(std::span<const X25519Job>(jobs, n)); }

	DhBatch() = default;
	DhBatch(const DhBatch &) = delete;
	DhBatch &operator=(const DhBatch &) = delete;
	~DhBatch() { sodium_memzero(out, sizeof(out)); }
};

} // namespace

IKpsk2Handshake::IKpsk2Handshake(const IKpsk2Config &config)
	: symmetric_(config.protocol_name), role_(config.role), s_(config.static_key), s_pub_(config.static_public)
{
	symmetric_.mix_hash(config.prologue);
	// The pre-message "<- s": both sides hash the responder's static key.
	if (role_ == NoiseRole::initiator) {
		rs_ = config.remote_static;
		symmetric_.mix_hash(rs_.bytes);
	} else {
		symmetric_.mix_hash(s_pub_.bytes);
	}
}

// With a psk in the pattern, "e" is mixed into the key as well as the hash
// (Noise §9.2): the fresh ephemeral then randomises every key the psk touches.
void IKpsk2Handshake::write_e(const PublicKey &ephemeral_public, std::span<uint8_t> out)
{
	e_pub_ = ephemeral_public;
	std::memcpy(out.data(), e_pub_.bytes.data(), kKeyLen);
	symmetric_.mix_hash(e_pub_.bytes);
	symmetric_.mix_key(e_pub_.bytes);
}

void IKpsk2Handshake::read_e(ByteSpan message)
{
	std::memcpy(re_.bytes.data(), message.data(), kKeyLen);
	symmetric_.mix_hash(re_.bytes);
	symmetric_.mix_key(re_.bytes);
}

NoiseError IKpsk2Handshake::mix_dh(const PrivateKey &a, const PublicKey &b)
{
	std::optional<Key32> shared = dh(a, b);
	if (!shared)
		return NoiseError::low_order_key;
	symmetric_.mix_key(*shared);
	sodium_memzero(shared->data(), shared->size());
	return NoiseError::ok;
}

NoiseError IKpsk2Handshake::mix_shared(Key32 &shared)
{
	// The rule dh() applies, for a value from the batch.
	if (sodium_is_zero(shared.data(), shared.size()))
		return NoiseError::low_order_key;
	symmetric_.mix_key(shared);
	sodium_memzero(shared.data(), shared.size());
	return NoiseError::ok;
}

NoiseError IKpsk2Handshake::mix_ss(const PrecomputedStatic *ss)
{
	if (!ss)
		return mix_dh(s_, rs_);
	// The rule dh() applies, for a value that did not come from it.
	if (sodium_is_zero(ss->shared().data(), kKeyLen))
		return NoiseError::low_order_key;
	symmetric_.mix_key(ss->shared());
	return NoiseError::ok;
}

// Each step below either succeeds or ends the handshake.
#define NOISE_TRY(expr)                        \
	do {                                   \
		NoiseError noise_try_ = (expr); \
		if (noise_try_ != NoiseError::ok) { \
			step_ = -1;            \
			return noise_try_;     \
		}                              \
	} while (0)

NoiseError IKpsk2Handshake::write_message1(const PrivateKey &ephemeral, ByteSpan payload,
					   std::span<uint8_t> out, const PrecomputedStatic *ss)
{
	if (role_ != NoiseRole::initiator || step_ != 0)
		return NoiseError::wrong_state;
	if (out.size() != message1_len(payload.size()))
		return NoiseError::wrong_length;
	// e's public key, es and (without a precomputed one) ss need nothing
	// from one another: one batch.
	e_ = ephemeral;
	DhBatch batch;
	const size_t e_pub = batch.add(e_, x25519_base_point());
	const size_t es = batch.add(e_, rs_.bytes);
	const size_t ss_job = ss ? 0 : batch.add(s_, rs_.bytes);
	batch.run();
	write_e(PublicKey{batch.out[e_pub]}, out);
	NOISE_TRY(mix_shared(batch.out[es]));
	NOISE_TRY(symmetric_.encrypt_and_hash(s_pub_.bytes, out.subspan(kKeyLen, kKeyLen + kTagLen)));
	NOISE_TRY(ss ? mix_ss(ss) : mix_shared(batch.out[ss_job]));
	NOISE_TRY(symmetric_.encrypt_and_hash(payload, out.subspan(message1_len(0) - kTagLen)));
	step_ = 1;
	return NoiseError::ok;
}

NoiseError IKpsk2Handshake::read_message1(ByteSpan message, std::span<uint8_t> payload_out,
					  const PrecomputedStaticLookup &ss)
{
	if (role_ != NoiseRole::responder || step_ != 0)
		return NoiseError::wrong_state;
	if (message.size() < message1_len(0) || payload_out.size() != message.size() - message1_len(0))
		return NoiseError::wrong_length;
	read_e(message);
	NOISE_TRY(mix_dh(s_, re_)); // es
	NOISE_TRY(symmetric_.decrypt_and_hash(message.subspan(kKeyLen, kKeyLen + kTagLen), rs_.bytes));
	NOISE_TRY(mix_ss(ss ? ss(rs_) : nullptr)); // ss
	NOISE_TRY(symmetric_.decrypt_and_hash(message.subspan(message1_len(0) - kTagLen), payload_out));
	step_ = 1;
	return NoiseError::ok;
}

NoiseError IKpsk2Handshake::write_message2(const PrivateKey &ephemeral, const Key32 &psk,
					   ByteSpan payload, std::span<uint8_t> out)
{
	if (role_ != NoiseRole::responder || step_ != 1)
		return NoiseError::wrong_state;
	if (out.size() != message2_len(payload.size()))
		return NoiseError::wrong_length;
	// e's public key, ee and se: one batch.
	e_ = ephemeral;
	DhBatch batch;
	const size_t e_pub = batch.add(e_, x25519_base_point());
	const size_t ee = batch.add(e_, re_.bytes);
	const size_t se = batch.add(e_, rs_.bytes);
	batch.run();
	write_e(PublicKey{batch.out[e_pub]}, out);
	NOISE_TRY(mix_shared(batch.out[ee]));
	NOISE_TRY(mix_shared(batch.out[se]));
	symmetric_.mix_key_and_hash(psk);
	NOISE_TRY(symmetric_.encrypt_and_hash(payload, out.subspan(kKeyLen)));
	step_ = 2;
	return NoiseError::ok;
}

NoiseError IKpsk2Handshake::read_message2(const Key32 &psk, ByteSpan message,
					  std::span<uint8_t> payload_out)
{
	if (role_ != NoiseRole::initiator || step_ != 1)
		return NoiseError::wrong_state;
	if (message.size() < message2_len(0) || payload_out.size() != message.size() - message2_len(0))
		return NoiseError::wrong_length;
	read_e(message);
	DhBatch batch;
	const size_t ee = batch.add(e_, re_.bytes);
	const size_t se = batch.add(s_, re_.bytes);
	batch.run();
	NOISE_TRY(mix_shared(batch.out[ee]));
	NOISE_TRY(mix_shared(batch.out[se]));
	symmetric_.mix_key_and_hash(psk);
	NOISE_TRY(symmetric_.decrypt_and_hash(message.subspan(kKeyLen), payload_out));
	step_ = 2;
	return NoiseError::ok;
}

#undef NOISE_TRY

} // namespace wayport::wireguard
