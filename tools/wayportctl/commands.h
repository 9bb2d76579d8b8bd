// wayportctl's offline commands: each reads its input, prints JSON or hex on
// stdout, and throws CommandError with a message naming the problem.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

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

} // namespace wayport::ctl
