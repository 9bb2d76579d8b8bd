// The nine disco message types (spec §2.3-2.5): plaintext inside the box.
//
// parse follows Tailscale's disco.Parse rule for rule, lenient where it is
// lenient. Whatever it ignores is kept in Message::trailing, so marshal
// (parse (b)) == b for every b that parses: tools can round-trip real
// captures byte for byte.
#pragma once

#include <array>
#include <cstdint>
#include <variant>
#include <vector>

#include "controlplane/disco/key.h"
#include "dataplane/wire/addr.h"
#include "dataplane/wire/bytes.h"

namespace wayport::disco {

enum class MessageType : uint8_t {
	ping = 0x01,
	pong = 0x02,
	call_me_maybe = 0x03,
	bind_udp_relay_endpoint = 0x04,
	bind_udp_relay_endpoint_challenge = 0x05,
	bind_udp_relay_endpoint_answer = 0x06,
	call_me_maybe_via = 0x07,
	allocate_udp_relay_endpoint_request = 0x08,
	allocate_udp_relay_endpoint_response = 0x09,
};

inline constexpr size_t kMessageHeaderLen = 2;  // type, version
inline constexpr size_t kTxIdLen = 12;
inline constexpr size_t kNodeKeyLen = 32;
inline constexpr size_t kChallengeLen = 32;
inline constexpr size_t kAddrPortLen = 18;      // 16-byte IP + BE16 port
inline constexpr size_t kPingLen = kTxIdLen + kNodeKeyLen;
inline constexpr size_t kPongLen = kTxIdLen + kAddrPortLen;
inline constexpr size_t kBindCommonLen = 72;
inline constexpr size_t kRelayEndpointFixedLen = 124;
inline constexpr size_t kAllocRequestLen = 68;

using TxId = std::array<uint8_t, kTxIdLen>;
using NodeKey = std::array<uint8_t, kNodeKeyLen>;  // WireGuard node public key
using Challenge = std::array<uint8_t, kChallengeLen>;

struct Ping {
	TxId tx_id{};
	NodeKey node_key{};  // all zero: absent (clients up to 1.16 omit it)
	Bytes padding;       // zero bytes for path MTU probing
	bool operator==(const Ping &) const = default;
};

struct Pong {
	TxId tx_id{};
	AddrPort src;  // the ping's source as the ponger saw it
	bool operator==(const Pong &) const = default;
};

struct CallMeMaybe {
	std::vector<AddrPort> my_number;
	bool operator==(const CallMeMaybe &) const = default;
};

// The body shared by the three bind handshake messages.
struct BindCommon {
	uint32_t vni = 0;
	uint32_t generation = 0;
	PublicKey remote_key;  // disco key of the other client of the endpoint
	Challenge challenge{};  // Bind: padding; Challenge: the MAC; Answer: echo
	bool operator==(const BindCommon &) const = default;
};

struct BindUdpRelayEndpoint : BindCommon {};
struct BindUdpRelayEndpointChallenge : BindCommon {};
struct BindUdpRelayEndpointAnswer : BindCommon {};

struct UdpRelayEndpoint {
	PublicKey server_disco;
	std::array<PublicKey, 2> client_disco;
	uint64_t lamport_id = 0;
	uint32_t vni = 0;
	int64_t bind_lifetime_ns = 0;        // Go time.Duration
	int64_t steady_state_lifetime_ns = 0;
	std::vector<AddrPort> addr_ports;    // decode requires at least one
	bool operator==(const UdpRelayEndpoint &) const = default;
};

struct CallMeMaybeVia : UdpRelayEndpoint {};

struct AllocateUdpRelayEndpointRequest {
	std::array<PublicKey, 2> client_disco;
	uint32_t generation = 0;
	bool operator==(const AllocateUdpRelayEndpointRequest &) const = default;
};

struct AllocateUdpRelayEndpointResponse {
	uint32_t generation = 0;
	UdpRelayEndpoint endpoint;
	bool operator==(const AllocateUdpRelayEndpointResponse &) const = default;
};

// Alternative index + 1 == MessageType.
using MessageBody = std::variant<Ping, Pong, CallMeMaybe, BindUdpRelayEndpoint,
				 BindUdpRelayEndpointChallenge, BindUdpRelayEndpointAnswer,
				 CallMeMaybeVia, AllocateUdpRelayEndpointRequest,
				 AllocateUdpRelayEndpointResponse>;

struct Message {
	MessageBody body;
	uint8_t version = 0;
	// True when Tailscale's parser ignores the whole body (version != 0 of
	// types 3, 7, 8 and 9; a CallMeMaybe whose length is not a multiple of
	// 18): the body's fields are then empty and trailing holds its bytes.
	bool body_ignored = false;
	// Bytes after the fixed layout that parsing ignored.
	Bytes trailing;

	MessageType type() const { return static_cast<MessageType>(body.index() + 1); }
	bool operator==(const Message &) const = default;
};

enum class ParseError : uint8_t {
	ok,
	short_header,  // fewer than 2 bytes
	unknown_type,
	short_body,    // Tailscale's errShort, including a bad AddrPorts length
};

const char *to_string(ParseError e);
const char *to_string(MessageType t);  // the snake_case names used in JSON
bool message_type_from_string(std::string_view name, MessageType &out);

// The alternative for type t with every field empty.
MessageBody empty_body(MessageType t);

ParseError parse(ByteSpan plaintext, Message &out);

void append_marshal(const Message &m, Bytes &out);
Bytes marshal(const Message &m);

} // namespace wayport::disco
