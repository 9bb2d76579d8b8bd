// wayport-connect: the client side of a Tailscale peer relay for any
// WireGuard. It gets an endpoint from a wayportd (or any relay speaking the
// same protocol) for itself and one peer, binds to it, and carries local
// WireGuard's datagrams through it, Geneve-wrapped as Tailscale's are.
#include <CLI/CLI.hpp>

#include <iostream>

#include "tools/wayport-connect/connector.h"
#include "tools/wayport-connect/key_file.h"

using namespace wayport;
using namespace wayport::connect;

int main(int argc, char **argv)
{
	CLI::App app{"wayport-connect: carry a WireGuard peer's traffic through a Tailscale-compatible peer relay"};

	struct Flag {
		const char *name;
		std::optional<std::string> RawOptions::*field;
		const char *help;
	};
	const Flag flags[] = {
		{"--key", &RawOptions::key, "file with our disco private key (mode 0600)"},
		{"--peer", &RawOptions::peer, "the peer's disco public key, discokey:<hex>"},
		{"--relay", &RawOptions::relay, "relay IP:PORT to send the allocation request to"},
		{"--relay-key", &RawOptions::relay_key, "the relay node's disco key (node_disco in wayportctl status)"},
		{"--api-socket", &RawOptions::api_socket, "allocate through wayportd's local API instead (on the relay host)"},
		{"--listen", &RawOptions::listen, "IP:PORT local WireGuard's peer endpoint points at"},
		{"--forward", &RawOptions::forward, "IP:PORT local WireGuard listens on"},
		{"--source", &RawOptions::source, "local IP:PORT of the socket toward the relay (default [::]:0)"},
		{"--status", &RawOptions::status, "file rewritten every second with the status JSON (else SIGUSR1 prints it)"},
	};
	std::string values[std::size(flags)];
	CLI::Option *options[std::size(flags)];
	for (size_t i = 0; i < std::size(flags); i++)
		options[i] = app.add_option(flags[i].name, values[i], flags[i].help);

	std::string config, generate;
	app.add_option("--config", config, "YAML file with the same settings (key, peer, relay, relay_key, "
					   "api_socket, listen, forward, source, status); flags win");
	app.add_option("--generate-key", generate, "write a new private key to this file (mode 0600), print its public key, exit");
	bool print_public = false;
	app.add_flag("--print-public-key", print_public, "print the public key of --key and exit");
	CLI11_PARSE(app, argc, argv);

	try {
		if (!generate.empty()) {
			std::cout << generate_key_file(generate).to_text() << std::endl;
			return 0;
		}
		RawOptions raw;
		for (size_t i = 0; i < std::size(flags); i++)
			if (options[i]->count())
				raw.*(flags[i].field) = values[i];
		if (!config.empty())
			merge_config_file(config, raw);
		if (print_public) {
			if (!raw.key)
				throw ConfigError("--print-public-key needs --key");
			std::cout << read_key_file(*raw.key).public_key().to_text() << std::endl;
			return 0;
		}
		Options opt = validate(raw);
		disco::PrivateKey self = read_key_file(opt.key_file);
		Connector c(opt, self);
		return c.run();
	} catch (const ConfigError &e) {
		std::cerr << "wayport-connect: " << e.what() << std::endl;
		return 2;
	} catch (const std::exception &e) {
		std::cerr << "wayport-connect: " << e.what() << std::endl;
		return 1;
	}
}
