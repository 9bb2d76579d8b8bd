#include "tools/wayportd/node_keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "dataplane/wire/bytes.h"

namespace wayport {

namespace {

std::string why(const std::string &what, const std::string &path)
{
	return what + " " + path + ": " + std::strerror(errno);
}

bool make_state_dir(const std::string &dir, std::string &error)
{
	if (mkdir(dir.c_str(), 0700) == 0)
		return true;
	struct stat st;
	if (errno != EEXIST || stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
		error = why("cannot create state directory", dir);
		return false;
	}
	return true;
}

// Write to a temporary file, flush it to disk, then rename over the target:
// a crash leaves either the old key or the new one, never half of one.
bool write_atomically(const std::string &path, const std::string &text, std::string &error)
{
	std::string tmp = path + ".tmp";
	int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		error = why("cannot write", tmp);
		return false;
	}
	bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && fsync(fd) == 0;
	close(fd);
	if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
		error = why("cannot write", path);
		unlink(tmp.c_str());
		return false;
	}
	return true;
}

// A key file's text, whitespace around it dropped. Nothing, with error
// set, when it cannot be read; absent (errno ENOENT) when it does not exist.
std::optional<std::string> read_text(const std::string &path, std::string &error)
{
	std::ifstream in(path);
	if (!in) {
		if (errno != ENOENT)
			error = why("cannot read", path);
		return std::nullopt;
	}
	std::stringstream text;
	text << in.rdbuf();
	std::string s = text.str();
	size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
	return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// Secrets are the owner's alone, as `wg` warns: a file others can read is
// refused rather than used.
bool private_to_owner(const std::string &path, std::string &error)
{
	struct stat st;
	if (stat(path.c_str(), &st) != 0) {
		error = why("cannot stat", path);
		return false;
	}
	if (st.st_mode & 077) {
		error = path + ": readable by others (mode " + std::to_string((st.st_mode >> 6) & 7) +
			std::to_string((st.st_mode >> 3) & 7) + std::to_string(st.st_mode & 7) +
			"); chmod 600 it";
		return false;
	}
	return true;
}

} // namespace

std::optional<wireguard::PrivateKey> load_or_create_wireguard_key(const std::string &path, std::string &error)
{
	error.clear();
	if (auto text = read_text(path, error)) {
		if (!private_to_owner(path, error))
			return std::nullopt;
		auto key = wireguard::PrivateKey::from_base64(*text);
		if (!key) {
			error = path + ": not a WireGuard private key (" + key.error + "); `wg genkey` makes one";
			return std::nullopt;
		}
		return key.value;
	}
	if (!error.empty())
		return std::nullopt;
	wireguard::PrivateKey key = wireguard::PrivateKey::generate();
	if (!write_atomically(path, key.to_base64() + "\n", error))
		return std::nullopt;
	return key;
}

std::optional<wireguard::Key32> read_preshared_key(const std::string &path, std::string &error)
{
	error.clear();
	auto text = read_text(path, error);
	if (!text) {
		if (error.empty())
			error = why("cannot read", path);
		return std::nullopt;
	}
	if (!private_to_owner(path, error))
		return std::nullopt;
	// A preshared key is 32 bytes in base64, like a key (`wg genpsk`).
	auto key = wireguard::PublicKey::from_base64(*text);
	if (!key) {
		error = path + ": not a WireGuard preshared key (" + key.error + "); `wg genpsk` makes one";
		return std::nullopt;
	}
	return key.value->bytes;
}

std::optional<disco::PrivateKey> load_or_create_node_key(const std::string &state_dir, std::string &error)
{
	if (!make_state_dir(state_dir, error))
		return std::nullopt;
	std::string path = state_dir + "/node_disco.key";
	std::ifstream in(path);
	if (in) {
		std::stringstream text;
		text << in.rdbuf();
		auto key = disco::PrivateKey::from_hex(text.str());
		if (!key) {
			error = path + ": not a disco private key (64 hex digits); move it away to make a new one";
			return std::nullopt;
		}
		return key;
	}
	if (errno != ENOENT) {
		error = why("cannot read", path);
		return std::nullopt;
	}
	disco::PrivateKey key = disco::PrivateKey::generate();
	if (!write_atomically(path, to_hex(key.raw()) + "\n", error))
		return std::nullopt;
	return key;
}

} // namespace wayport
