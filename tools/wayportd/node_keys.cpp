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

} // namespace

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
