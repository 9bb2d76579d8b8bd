// wayportctl's commands: the offline ones read their input and print JSON or
// hex; the online ones ask wayportd over its local API socket. Each prints
// on stdout and throws CommandError with a message naming the problem.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace wayport::ctl {

struct CommandError : std::runtime_error {
	using std::runtime_error::runtime_error;
};

struct SealOptions {
	std::string key_hex;
	std::string peer;
	std::optional<std::string> nonce_hex;
	std::optional<uint32_t> geneve_vni;
	bool control = false;
};

// `arg` is the input itself, or "-" for standard input.
void cmd_decode(const std::string &arg);
void cmd_disco_decode(const std::string &arg);
void cmd_disco_encode(const std::string &arg);
void cmd_disco_open(const std::string &key_hex, const std::string &arg);
void cmd_disco_seal(const SealOptions &opt, const std::string &arg);
void cmd_keygen();
// WireGuard keys, as `wg genkey` and `wg pubkey` (private key on stdin).
void cmd_wg_genkey();
void cmd_wg_pubkey();
// A WireGuard message (hex): type, length, indexes and cleartext fields.
void cmd_wg_decode(const std::string &arg);

// Keys are in wg's base64, the rest hex; an unset option is generated
// (random, or the clock's time), so fixing them all fixes the output.
// What either side of a handshake brings to it.
struct WgPartyOptions {
	std::string key;   // ours, private
	std::string peer;  // theirs, public (a responder: the initiation must come from it)
	std::optional<std::string> psk;
	std::optional<std::string> ephemeral;  // private
	std::optional<uint32_t> sender_index;
};

struct WgInitiateOptions {
	WgPartyOptions party;
	std::optional<std::string> timestamp_hex;
};

using WgRespondOptions = WgPartyOptions;

struct WgCookieOptions {
	std::string key;  // ours (the responder's, under load), private
	std::string secret_hex;
	std::string nonce_hex;
	std::string source;  // the handshake's source, addr:port
};

// Message 1 and the Noise state after it.
void cmd_wg_initiate(const WgInitiateOptions &opt);
// Checks an initiation (hex) as a responder does and answers it: message 2
// and the responder's transport keys.
void cmd_wg_respond(const WgRespondOptions &opt, const std::string &arg);
// A cookie reply (message 3) to an initiation or response (hex).
void cmd_wg_cookie(const WgCookieOptions &opt, const std::string &arg);

// Online: `socket` is the daemon's API socket (--socket). Without `json`,
// status and sessions print a short table.
void cmd_status(const std::string &socket, bool json);
void cmd_relay_sessions(const std::string &socket, bool json);
// Both keys "discokey:<hex>", checked before connecting.
void cmd_relay_allocate(const std::string &socket, const std::string &a, const std::string &b);
void cmd_metrics(const std::string &socket);
// `wg show` and `wg show dump` of wayportd's interface; --json: the API's.
void cmd_wg_show(const std::string &socket, bool dump, bool json);
// `wg set <if> peer <key> [allowed-ips a,b] [endpoint e] [persistent-keepalive n|off] [remove]`.
void cmd_wg_set_peer(const std::string &socket, const std::string &public_key, const std::vector<std::string> &words);

} // namespace wayport::ctl
