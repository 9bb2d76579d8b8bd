// wayportctl wg: WireGuard's offline tools. genkey and pubkey print byte
// for byte what `wg genkey` and `wg pubkey` do (base64, one line), so
// scripts written for wireguard-tools work with either; decode shows a
// message's cleartext fields as JSON.
#include <iostream>
#include <iterator>
#include <string>
#include <string_view>

#include "controlplane/wireguard/key.h"
#include "dataplane/wire/classify.h"
#include "tools/wayportctl/commands.h"
#include "tools/wayportctl/io.h"
#include "tools/wayportctl/payload_json.h"

namespace wayport::ctl {

namespace {

// `wg pubkey` takes the key followed by any whitespace (the newline of
// `wg genkey`'s line, of echo or of a key file).
std::string_view trim_whitespace(std::string_view s)
{
	constexpr std::string_view kSpace = " \t\r\n";
	size_t begin = s.find_first_not_of(kSpace);
	if (begin == std::string_view::npos)
		return {};
	return s.substr(begin, s.find_last_not_of(kSpace) - begin + 1);
}

} // namespace

void cmd_wg_genkey()
{
	std::cout << wireguard::PrivateKey::generate().to_base64() << '\n';
}

void cmd_wg_pubkey()
{
	std::string text(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>{});
	wireguard::Parsed<wireguard::PrivateKey> key = wireguard::PrivateKey::from_base64(trim_whitespace(text));
	// The text is a secret: the error names what is wrong, never the text.
	if (!key)
		throw CommandError("wg pubkey: standard input is not a private key: " + key.error);
	std::cout << key.value->public_key().to_base64() << '\n';
}

void cmd_wg_decode(const std::string &arg)
{
	Bytes b = read_hex(arg, "the message");
	if (wireguard_type(b) == WireGuardType::none) {
		std::string type = b.empty() ? "none" : std::to_string(b[0]);
		throw CommandError("not a WireGuard message: type " + type + ", " + std::to_string(b.size()) +
				   " bytes (initiation: type 1, 148 bytes; response: 2, 92; cookie reply: 3, 64; "
				   "transport: 4, at least 32)");
	}
	print(describe_wireguard(b));
}

} // namespace wayport::ctl
