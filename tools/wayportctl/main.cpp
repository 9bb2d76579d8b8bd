// wayportctl: decode, encode, seal and open the wire formats wayport speaks,
// and ask a running wayportd over its local API socket.
#include <CLI/CLI.hpp>

#include <iostream>

#include "tools/wayportctl/commands.h"

using namespace wayport::ctl;

int main(int argc, char **argv)
{
	CLI::App app{"wayportctl: inspect and build Tailscale peer relay wire formats, and query wayportd"};
	// Accepted before or after the command: `wayportctl status --socket X`.
	app.fallthrough();

	std::string socket = "/run/wayport/api.sock";
	app.add_option("--socket", socket, "wayportd's local API socket")->capture_default_str();

	std::string input;
	auto *decode = app.add_subcommand("decode", "classify a UDP payload (hex) and show its headers");
	decode->add_option("payload", input, "hex, or - for standard input")->required();

	auto *disco = app.add_subcommand("disco", "disco messages");
	disco->require_subcommand(1);
	auto *ddecode = disco->add_subcommand("decode", "a plaintext disco message (hex) as JSON");
	ddecode->add_option("message", input, "hex, or - for standard input")->required();
	auto *dencode = disco->add_subcommand("encode", "a disco message (JSON) as hex");
	dencode->add_option("json", input, "JSON, or - for standard input")->required();

	std::string key;
	auto *dopen = disco->add_subcommand("open", "open a sealed disco packet, with or without Geneve header");
	dopen->add_option("--key", key, "our disco private key, 64 hex digits")->required();
	dopen->add_option("packet", input, "hex, or - for standard input")->required();

	SealOptions seal;
	auto *dseal = disco->add_subcommand("seal", "seal a disco message (JSON) to a peer");
	dseal->add_option("--key", seal.key_hex, "our disco private key, 64 hex digits")->required();
	dseal->add_option("--peer", seal.peer, "the peer's discokey:<hex>")->required();
	dseal->add_option("--nonce", seal.nonce_hex, "24-byte nonce in hex (default: random)");
	auto *vni = dseal->add_option("--geneve-vni", seal.geneve_vni, "prepend a Geneve header with this VNI");
	dseal->add_flag("--control", seal.control, "set the Geneve control bit (handshake messages)")->needs(vni);
	dseal->add_option("json", input, "JSON, or - for standard input")->required();

	auto *keygen = app.add_subcommand("keygen", "a new disco private key and its public key");

	auto *wg = app.add_subcommand("wg", "WireGuard: wayportd's interface (show, set) and keys, as wireguard-tools' wg; handshake messages");
	wg->require_subcommand(1);
	auto *wg_genkey = wg->add_subcommand("genkey", "a new private key, base64 (as wg genkey)");
	auto *wg_pubkey = wg->add_subcommand("pubkey", "the public key of the private key on standard input (as wg pubkey)");
	auto *wg_decode = wg->add_subcommand("decode", "a WireGuard message (hex) as JSON: type, indexes, cleartext fields");
	wg_decode->add_option("message", input, "hex, or - for standard input")->required();

	// The options initiate and respond share.
	auto add_party = [](CLI::App *cmd, WgPartyOptions &o, const char *peer_help) {
		cmd->add_option("--key", o.key, "our private key, base64")->required();
		cmd->add_option("--peer", o.peer, peer_help)->required();
		cmd->add_option("--psk", o.psk, "preshared key, base64 (default: none)");
		cmd->add_option("--ephemeral", o.ephemeral, "ephemeral private key, base64 (default: random)");
		cmd->add_option("--sender-index", o.sender_index, "our sender index (default: random)");
	};
	WgInitiateOptions init;
	auto *wg_initiate = wg->add_subcommand("initiate", "a handshake initiation (message 1) and the Noise state after it");
	add_party(wg_initiate, init.party, "the responder's public key, base64");
	wg_initiate->add_option("--timestamp", init.timestamp_hex, "TAI64N timestamp, 24 hex digits (default: now)");

	WgRespondOptions resp;
	auto *wg_respond = wg->add_subcommand("respond", "check an initiation (hex) and answer it (message 2)");
	add_party(wg_respond, resp, "the initiator's public key, base64");
	wg_respond->add_option("initiation", input, "hex, or - for standard input")->required();

	WgCookieOptions cookie;
	auto *wg_cookie = wg->add_subcommand("cookie", "a cookie reply (message 3) to an initiation or response (hex)");
	wg_cookie->add_option("--key", cookie.key, "our private key, base64: the message's mac1 is checked against it")
		->required();
	wg_cookie->add_option("--secret", cookie.secret_hex, "cookie secret, 64 hex digits")->required();
	wg_cookie->add_option("--nonce", cookie.nonce_hex, "XChaCha20 nonce, 48 hex digits")->required();
	wg_cookie->add_option("--source", cookie.source, "the message's source, 1.2.3.4:5 or [2001:db8::1]:5")
		->required();
	wg_cookie->add_option("handshake", input, "hex, or - for standard input")->required();

	bool wg_json = false;
	std::string wg_show_what;
	auto *wg_show = wg->add_subcommand("show", "wayportd's WireGuard interface, as wg show; dump: as wg show dump");
	wg_show->add_option("what", wg_show_what, "dump: wg's tab-separated lines for scripts")
		->check(CLI::IsMember({"dump"}));
	wg_show->add_flag("--json", wg_json, "the daemon's JSON as it is");
	std::string set_peer_word, set_peer_key;
	std::vector<std::string> set_peer_words;
	auto *wg_set = wg->add_subcommand("set", "change wayportd's peers, as wg set <interface> peer ...");
	wg_set->add_option("peer", set_peer_word, "the word peer")->required()->check(CLI::IsMember({"peer"}));
	wg_set->add_option("public-key", set_peer_key, "the peer's public key, base64")->required();
	wg_set->add_option("changes", set_peer_words,
			   "allowed-ips <a,b,...> | endpoint <addr:port> | persistent-keepalive <s|off> | remove");

	bool json = false;
	auto *status = app.add_subcommand("status", "wayportd's identity, relay port and counters");
	status->add_flag("--json", json, "the daemon's JSON as it is");

	auto *relay = app.add_subcommand("relay", "the peer relay server");
	relay->require_subcommand(1);
	auto *sessions = relay->add_subcommand("sessions", "relay sessions, as tailscale debug peer-relay-sessions");
	sessions->add_flag("--json", json, "the daemon's JSON as it is");
	std::string key_a, key_b;
	auto *allocate = relay->add_subcommand("allocate", "allocate an endpoint for two clients (ServerEndpoint JSON)");
	allocate->add_option("a", key_a, "the first client's discokey:<hex>")->required();
	allocate->add_option("b", key_b, "the second client's discokey:<hex>")->required();

	auto *metrics = app.add_subcommand("metrics", "wayportd's Prometheus metrics");

	try {
		app.parse(argc, argv);
	} catch (const CLI::ParseError &e) {
		return app.exit(e) == 0 ? 0 : 2;
	}

	if (app.get_subcommands().empty()) {
		std::cerr << "wayportctl: a command is required\n" << app.help();
		return 2;
	}
	try {
		if (*decode)
			cmd_decode(input);
		else if (*ddecode)
			cmd_disco_decode(input);
		else if (*dencode)
			cmd_disco_encode(input);
		else if (*dopen)
			cmd_disco_open(key, input);
		else if (*dseal)
			cmd_disco_seal(seal, input);
		else if (*keygen)
			cmd_keygen();
		else if (*wg_genkey)
			cmd_wg_genkey();
		else if (*wg_pubkey)
			cmd_wg_pubkey();
		else if (*wg_decode)
			cmd_wg_decode(input);
		else if (*wg_initiate)
			cmd_wg_initiate(init);
		else if (*wg_respond)
			cmd_wg_respond(resp, input);
		else if (*wg_cookie)
			cmd_wg_cookie(cookie, input);
		else if (*status)
			cmd_status(socket, json);
		else if (*sessions)
			cmd_relay_sessions(socket, json);
		else if (*allocate)
			cmd_relay_allocate(socket, key_a, key_b);
		else if (*metrics)
			cmd_metrics(socket);
		else if (*wg_show)
			cmd_wg_show(socket, wg_show_what == "dump", wg_json);
		else if (*wg_set)
			cmd_wg_set_peer(socket, set_peer_key, set_peer_words);
	} catch (const CommandError &e) {
		std::cerr << "wayportctl: " << e.what() << '\n';
		return 1;
	}
	return 0;
}
