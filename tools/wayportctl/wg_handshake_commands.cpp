// wayportctl wg initiate, respond and cookie: WireGuard's handshake
// messages built and checked offline with the library the handshake
// threads run, so anyone can compare the bytes with another
// implementation. Every input can be fixed on the command line, and then
// the output is too; what is left out is drawn at random or from the clock
// as a real peer would.
#include <algorithm>
#include <array>
#include <initializer_list>
#include <optional>
#include <string>

#include "controlplane/wireguard/cookie.h"
#include "controlplane/wireguard/cookie_checker.h"
#include "controlplane/wireguard/handshake.h"
#include "controlplane/wireguard/key.h"
#include "controlplane/wireguard/primitives.h"
#include "controlplane/wireguard/tai64n.h"
#include "dataplane/wire/addr.h"
#include "dataplane/wire/wireguard.h"
#include "tools/wayportctl/commands.h"
#include "tools/wayportctl/io.h"

namespace wayport::ctl {

namespace {

using wireguard::HandshakeError;
using wireguard::Identity;
using wireguard::Key32;
using wireguard::PrivateKey;
using wireguard::PublicKey;

PrivateKey read_private_key(const char *flag, const std::string &text)
{
	wireguard::Parsed<PrivateKey> k = PrivateKey::from_base64(text);
	// A secret: the error names what is wrong, never the text.
	if (!k)
		throw CommandError(std::string(flag) + " must be a private key in wg's base64: " + k.error);
	return *k.value;
}

PublicKey read_public_key(const char *flag, const std::string &text)
{
	wireguard::Parsed<PublicKey> k = PublicKey::from_base64(text);
	if (!k)
		throw CommandError(std::string(flag) + " must be a public key in wg's base64: " + k.error);
	return *k.value;
}

PrivateKey read_ephemeral(const std::optional<std::string> &text)
{
	return text ? read_private_key("--ephemeral", *text) : PrivateKey::generate();
}

// 32 bytes in base64, as `wg genpsk` prints. Read as a PublicKey because
// that parse takes any 32 bytes (a private key's would clamp them). No psk
// is the zero key, as in WireGuard.
Key32 read_psk(const std::optional<std::string> &text)
{
	if (!text)
		return {};
	wireguard::Parsed<PublicKey> k = PublicKey::from_base64(*text);
	if (!k)
		throw CommandError("--psk must be a preshared key in wg's base64 (as wg genpsk prints): " + k.error);
	return k.value->bytes;
}

template <size_t N>
std::array<uint8_t, N> read_fixed_hex(const char *flag, const std::string &text)
{
	std::string want = std::string(flag) + " must be " + std::to_string(N) + " bytes (" +
			   std::to_string(2 * N) + " hex digits)";
	std::optional<Bytes> b = from_hex(text);
	if (!b)
		throw CommandError(want + "; it is not hex digits (an even number of them)");
	if (b->size() != N)
		throw CommandError(want + ", not " + std::to_string(b->size()));
	std::array<uint8_t, N> out;
	std::copy(b->begin(), b->end(), out.begin());
	return out;
}

wireguard::Tai64n read_timestamp(const std::optional<std::string> &hex)
{
	if (!hex)
		return wireguard::Tai64n::from(wireguard::system_wall_time());
	return {read_fixed_hex<wireguard::kTai64nLen>("--timestamp", *hex)};
}

uint32_t sender_index_or_random(const std::optional<uint32_t> &index)
{
	return index ? *index : wireguard::random_u32();
}

// For an error: "a response (type 2, 92 bytes)".
std::string what_it_is(ByteSpan b)
{
	std::string shape = "type " + (b.empty() ? std::string("none") : std::to_string(b[0])) + ", " +
			    std::to_string(b.size()) + " bytes";
	WireGuardType t = wireguard_type(b);
	if (t == WireGuardType::none)
		return "not a WireGuard message (" + shape + ")";
	return std::string(t == WireGuardType::initiation ? "an " : "a ") + to_string(t) + " (" + shape + ")";
}

// The message argument, refused unless it is of a type wanted: someone who
// pastes a response where an initiation belongs is told that, rather than
// that the size is wrong.
Bytes read_message(const std::string &arg, std::initializer_list<WireGuardType> wanted,
		   const std::string &command_wants)
{
	Bytes b = read_hex(arg, "the message");
	if (std::find(wanted.begin(), wanted.end(), wireguard_type(b)) == wanted.end())
		throw CommandError(command_wants + "; the message is " + what_it_is(b));
	return b;
}

constexpr const char *kBadMac1 = "bad mac1: the message is not for --key's public key, or it was altered";

// Why a received message failed; the header checks have passed by then.
std::string received_problem(HandshakeError e)
{
	switch (e) {
	case HandshakeError::bad_mac1:
		return kBadMac1;
	case HandshakeError::decrypt_failed:
		// mac1 is keyed by a public key, so anyone can make it anew: only
		// the AEAD proves the sender knew a key.
		return "decrypt failed: its encrypted fields do not open under --key (altered, with mac1 made anew)";
	case HandshakeError::low_order_key:
		return "it carries a low-order key: a DH gave all zeros";
	default:
		return wireguard::to_string(e);
	}
}

} // namespace

void cmd_wg_initiate(const WgInitiateOptions &opt)
{
	const WgPartyOptions &party = opt.party;
	Identity self(read_private_key("--key", party.key));
	wireguard::InitiationParams params{
		.peer = read_public_key("--peer", party.peer),
		.psk = read_psk(party.psk),
		.sender_index = sender_index_or_random(party.sender_index),
		.ephemeral = read_ephemeral(party.ephemeral),
		.timestamp = read_timestamp(opt.timestamp_hex),
		.cookie = std::nullopt,
	};

	std::array<uint8_t, kWireGuardInitiationLen> out;
	std::optional<wireguard::PendingInitiation> pending;
	HandshakeError err = wireguard::create_initiation(self, params, out, pending);
	if (err == HandshakeError::low_order_key)
		throw CommandError("--peer is a low-order point: no shared key");
	if (err != HandshakeError::ok)
		throw CommandError(std::string("initiation failed: ") + wireguard::to_string(err));
	print({{"initiation", to_hex(out)},
	       {"sender_index", pending->sender_index},
	       {"chaining_key", to_hex(pending->noise.chaining_key())},
	       {"hash", to_hex(pending->noise.handshake_hash())}});
}

void cmd_wg_respond(const WgRespondOptions &opt, const std::string &arg)
{
	Identity self(read_private_key("--key", opt.key));
	PublicKey peer = read_public_key("--peer", opt.peer);
	wireguard::ResponseParams params{
		.psk = read_psk(opt.psk),
		.sender_index = sender_index_or_random(opt.sender_index),
		.ephemeral = read_ephemeral(opt.ephemeral),
		.cookie = std::nullopt,
	};
	Bytes message = read_message(arg, {WireGuardType::initiation},
				     "wg respond answers an initiation (type 1, 148 bytes)");

	std::optional<wireguard::ReceivedInitiation> received;
	HandshakeError err = wireguard::consume_initiation(self, message, received);
	if (err != HandshakeError::ok)
		throw CommandError("the initiation: " + received_problem(err));
	// A responder looks the peer up by this key; offline, --peer is the
	// one peer it knows.
	if (received->initiator != peer)
		throw CommandError("wrong peer: the initiation is from " + received->initiator.to_base64() +
				   ", not --peer " + peer.to_base64());

	std::array<uint8_t, kWireGuardResponseLen> out;
	wireguard::TransportKeys keys;
	err = wireguard::create_response(*received, params, out, keys);
	if (err != HandshakeError::ok)
		throw CommandError("answering the initiation: " + received_problem(err));
	print({{"initiator", received->initiator.to_base64()},
	       {"timestamp", to_hex(received->timestamp.bytes)},
	       {"receiver_index", keys.remote_index},
	       {"sender_index", keys.local_index},
	       {"response", to_hex(out)},
	       {"send_key", to_hex(keys.send)},
	       {"receive_key", to_hex(keys.receive)}});
}

void cmd_wg_cookie(const WgCookieOptions &opt, const std::string &arg)
{
	Identity self(read_private_key("--key", opt.key));
	Key32 secret = read_fixed_hex<wireguard::kKeyLen>("--secret", opt.secret_hex);
	wireguard::XNonce nonce = read_fixed_hex<wireguard::kXNonceLen>("--nonce", opt.nonce_hex);
	std::optional<AddrPort> source = AddrPort::parse(opt.source);
	if (!source)
		throw CommandError("--source must be addr:port, as 192.0.2.1:51820 or [2001:db8::1]:51820");
	Bytes message = read_message(arg, {WireGuardType::initiation, WireGuardType::response},
				     "wg cookie answers an initiation (type 1, 148 bytes) or a response (type 2, 92 bytes)");
	// As a responder under load does: a message without our mac1 gets no answer.
	if (!wireguard::mac1_valid(message, self.mac1_key))
		throw CommandError(std::string("the message: ") + kBadMac1);

	// Both messages carry their sender index at the same offset.
	static_assert(wgmsg::Initiation::sender == wgmsg::Response::sender);
	wireguard::CookieReplyParams params{
		.receiver_index = load_le32(message.data() + wgmsg::Initiation::sender),
		.answered_mac1 = wireguard::mac1_of(message),
		// CookieChecker's encoding of the source (the kernel's), so this is
		// the cookie wayport's own mac2 check would expect.
		.cookie = wireguard::source_cookie(secret, *source),
		.nonce = nonce,
	};
	std::array<uint8_t, kWireGuardCookieReplyLen> out;
	wireguard::create_cookie_reply(self.cookie_key, params, out);
	print({{"cookie_reply", to_hex(out)}, {"cookie", to_hex(params.cookie)}});
}

} // namespace wayport::ctl
