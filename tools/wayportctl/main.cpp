// wayportctl: decode, encode, seal and open the wire formats wayport speaks.
#include <CLI/CLI.hpp>

#include <iostream>

#include "tools/wayportctl/commands.h"

using namespace wayport::ctl;

int main(int argc, char **argv)
{
	CLI::App app{"wayportctl: inspect and build Tailscale peer relay wire formats"};

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
	} catch (const CommandError &e) {
		std::cerr << "wayportctl: " << e.what() << '\n';
		return 1;
	}
	return 0;
}
