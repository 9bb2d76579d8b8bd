#include "controlplane/wireguard/handshake.h"

#include <sodium.h>

#include <cstring>

namespace wayport::wireguard {

namespace {

using wgmsg::Initiation;
using wgmsg::Response;

ByteSpan as_bytes(std::string_view s)
{
	return ByteSpan(reinterpret_cast<const uint8_t *>(s.data()), s.size());
}

Key32 label_key(std::string_view label, const PublicKey &pub)
{
	return hash({as_bytes(label), pub.bytes});
}

IKpsk2Config config(const Identity &self, NoiseRole role, const PublicKey &remote = {})
{
	return {kConstruction, as_bytes(kIdentifier), role, self.static_key, self.static_public, remote};
}

HandshakeError from_noise(NoiseError e)
{
	switch (e) {
	case NoiseError::ok:
		return HandshakeError::ok;
	case NoiseError::low_order_key:
		return HandshakeError::low_order_key;
	case NoiseError::decrypt_failed:
		return HandshakeError::decrypt_failed;
	case NoiseError::wrong_length:
		return HandshakeError::wrong_size;
	case NoiseError::wrong_state:
	case NoiseError::nonce_exhausted:
		return HandshakeError::bad_state;
	}
	return HandshakeError::bad_state;
}

// Size, type and reserved bytes, then mac1: the checks that cost no DH.
HandshakeError check_envelope(ByteSpan message, size_t len, WireGuardType type,
			      const Key32 &own_mac1_key)
{
	HandshakeError err = check_header(message, len, type);
	if (err != HandshakeError::ok)
		return err;
	if (!mac1_valid(message, own_mac1_key))
		return HandshakeError::bad_mac1;
	return HandshakeError::ok;
}

// Where mac1 sits: the last 32 bytes of both message types hold mac1, mac2.
size_t mac1_offset(size_t message_len)
{
	return message_len - 2 * kMacLen;
}

} // namespace

static_assert(Initiation::mac1 == kWireGuardInitiationLen - 2 * kMacLen);
static_assert(Response::mac1 == kWireGuardResponseLen - 2 * kMacLen);

const char *to_string(HandshakeError e)
{
	switch (e) {
	case HandshakeError::ok:
		return "ok";
	case HandshakeError::wrong_size:
		return "wrong_size";
	case HandshakeError::wrong_type:
		return "wrong_type";
	case HandshakeError::bad_mac1:
		return "bad_mac1";
	case HandshakeError::wrong_receiver:
		return "wrong_receiver";
	case HandshakeError::low_order_key:
		return "low_order_key";
	case HandshakeError::decrypt_failed:
		return "decrypt_failed";
	case HandshakeError::bad_state:
		return "bad_state";
	}
	return "unknown";
}

HandshakeError check_header(ByteSpan message, size_t len, WireGuardType type)
{
	if (message.size() != len)
		return HandshakeError::wrong_size;
	if (wireguard_type(message) != type)
		return HandshakeError::wrong_type;
	return HandshakeError::ok;
}

Identity::Identity(const PrivateKey &key)
	: static_key(key), static_public(key.public_key()), mac1_key(wireguard::mac1_key(static_public)),
	  cookie_key(wireguard::cookie_key(static_public))
{
}

Key32 mac1_key(const PublicKey &receiver)
{
	return label_key(kLabelMac1, receiver);
}

Key32 cookie_key(const PublicKey &sender)
{
	return label_key(kLabelCookie, sender);
}

void write_macs(std::span<uint8_t> message, const Key32 &receiver_mac1_key,
		const std::optional<Cookie> &cookie)
{
	size_t at = mac1_offset(message.size());
	Mac m1 = mac(receiver_mac1_key, ByteSpan(message.data(), at));
	std::memcpy(message.data() + at, m1.data(), kMacLen);
	Mac m2{};
	if (cookie)
		m2 = mac(*cookie, ByteSpan(message.data(), at + kMacLen));
	std::memcpy(message.data() + at + kMacLen, m2.data(), kMacLen);
}

bool mac1_valid(ByteSpan message, const Key32 &own_mac1_key)
{
	size_t at = mac1_offset(message.size());
	Mac want = mac(own_mac1_key, message.first(at));
	return sodium_memcmp(want.data(), message.data() + at, kMacLen) == 0;
}

bool mac2_valid(ByteSpan message, const Cookie &cookie)
{
	size_t at = mac1_offset(message.size()) + kMacLen;
	Mac want = mac(cookie, message.first(at));
	return sodium_memcmp(want.data(), message.data() + at, kMacLen) == 0;
}

Mac mac1_of(ByteSpan message)
{
	Mac m;
	std::memcpy(m.data(), message.data() + mac1_offset(message.size()), kMacLen);
	return m;
}

TransportKeys::~TransportKeys()
{
	sodium_memzero(send.data(), send.size());
	sodium_memzero(receive.data(), receive.size());
}

HandshakeError create_initiation(const Identity &self, const InitiationParams &params,
				 std::span<uint8_t, kWireGuardInitiationLen> out,
				 std::optional<PendingInitiation> &pending)
{
	pending.reset();
	IKpsk2Handshake noise(config(self, NoiseRole::initiator, params.peer));
	wgmsg::store_type(out.data(), WireGuardType::initiation);
	store_le32(out.data() + Initiation::sender, params.sender_index);
	// The Noise message is ephemeral, encrypted static, encrypted timestamp.
	NoiseError e = noise.write_message1(params.ephemeral, params.timestamp.bytes,
					    out.subspan(Initiation::ephemeral, Initiation::mac1 - Initiation::ephemeral),
					    params.precomputed_ss);
	if (e != NoiseError::ok)
		return from_noise(e);
	write_macs(out, mac1_key(params.peer), params.cookie);
	pending.emplace(PendingInitiation{noise, params.sender_index, mac1_of(out)});
	return HandshakeError::ok;
}

HandshakeError consume_initiation(const Identity &self, ByteSpan message,
				  std::optional<ReceivedInitiation> &received,
				  const PrecomputedStaticLookup &precomputed_ss)
{
	received.reset();
	HandshakeError err = check_envelope(message, kWireGuardInitiationLen, WireGuardType::initiation,
					    self.mac1_key);
	if (err != HandshakeError::ok)
		return err;
	IKpsk2Handshake noise(config(self, NoiseRole::responder));
	Tai64n timestamp;
	NoiseError e = noise.read_message1(
		message.subspan(Initiation::ephemeral, Initiation::mac1 - Initiation::ephemeral),
		timestamp.bytes, precomputed_ss);
	if (e != NoiseError::ok)
		return from_noise(e);
	received.emplace(ReceivedInitiation{noise, load_le32(message.data() + Initiation::sender),
					    noise.remote_static(), timestamp});
	return HandshakeError::ok;
}

HandshakeError create_response(ReceivedInitiation &received, const ResponseParams &params,
			       std::span<uint8_t, kWireGuardResponseLen> out, TransportKeys &keys)
{
	wgmsg::store_type(out.data(), WireGuardType::response);
	store_le32(out.data() + Response::sender, params.sender_index);
	store_le32(out.data() + Response::receiver, received.sender_index);
	// The Noise message is the ephemeral and an empty payload's tag.
	NoiseError e = received.noise.write_message2(
		params.ephemeral, params.psk, {},
		out.subspan(Response::ephemeral, Response::mac1 - Response::ephemeral));
	if (e != NoiseError::ok)
		return from_noise(e);
	write_macs(out, mac1_key(received.initiator), params.cookie);
	SplitKeys split = received.noise.split();
	keys.send = split.responder_to_initiator;
	keys.receive = split.initiator_to_responder;
	keys.local_index = params.sender_index;
	keys.remote_index = received.sender_index;
	return HandshakeError::ok;
}

HandshakeError consume_response(const Identity &self, PendingInitiation &pending,
				const Key32 &psk, ByteSpan message, TransportKeys &keys)
{
	HandshakeError err = check_envelope(message, kWireGuardResponseLen, WireGuardType::response,
					    self.mac1_key);
	if (err != HandshakeError::ok)
		return err;
	if (response_receiver_index(message) != pending.sender_index)
		return HandshakeError::wrong_receiver;
	// On a copy: anyone who knows our public key can make a valid mac1, and
	// a forged response must not spoil the handshake the real one completes.
	IKpsk2Handshake noise = pending.noise;
	NoiseError e = noise.read_message2(
		psk, message.subspan(Response::ephemeral, Response::mac1 - Response::ephemeral), {});
	if (e != NoiseError::ok)
		return from_noise(e);
	pending.noise = noise;
	SplitKeys split = noise.split();
	keys.send = split.initiator_to_responder;
	keys.receive = split.responder_to_initiator;
	keys.local_index = pending.sender_index;
	keys.remote_index = load_le32(message.data() + Response::sender);
	return HandshakeError::ok;
}

} // namespace wayport::wireguard
