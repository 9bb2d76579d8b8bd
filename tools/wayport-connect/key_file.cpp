#include "tools/wayport-connect/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "controlplane/api/fd.h"
#include "tools/wayport-connect/options.h"

namespace wayport::connect {

namespace {

// A key file is 65 bytes; room for CRLF and stray blanks, no more, so a
// file that is something else is not half read as a key.
constexpr size_t kMaxKeyFile = 256;

ConfigError os_error(const std::string &what, const std::string &path)
{
	return ConfigError(what + " " + path + ": " + std::strerror(errno));
}

} // namespace

disco::PrivateKey read_key_file(const std::string &path)
{
	// O_NONBLOCK: a FIFO given by mistake is refused below, not waited on.
	api::Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
	struct stat st;
	if (!fd || fstat(fd.get(), &st) != 0)
		throw os_error("cannot read key file", path);
	if (!S_ISREG(st.st_mode))
		throw ConfigError("key file " + path + ": not a regular file");
	if (st.st_mode & 077) {
		char mode[8];
		std::snprintf(mode, sizeof(mode), "%04o", st.st_mode & 07777);
		throw ConfigError("key file " + path + " has mode " + mode +
				  ": its group or others may access it; run chmod 600 " + path);
	}
	std::string text(kMaxKeyFile + 1, '\0');
	size_t len = 0;
	while (len < text.size()) {
		ssize_t n = read(fd.get(), text.data() + len, text.size() - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			throw os_error("cannot read key file", path);
		if (n == 0)
			break;
		len += static_cast<size_t>(n);
	}
	if (len > kMaxKeyFile)
		throw ConfigError("key file " + path + ": longer than a disco private key (64 hex digits)");
	text.resize(len);
	auto key = disco::PrivateKey::from_hex(text);
	if (!key)
		throw ConfigError("key file " + path + ": not a disco private key (64 hex digits)");
	return *key;
}

disco::PublicKey generate_key_file(const std::string &path)
{
	disco::PrivateKey key = disco::PrivateKey::generate();
	std::string text = to_hex(key.raw()) + "\n";
	// O_EXCL: never overwrite a key someone may still use.
	api::Fd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
	if (!fd)
		throw os_error("cannot create key file", path);
	bool ok = write(fd.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size()) && fsync(fd.get()) == 0;
	int saved = errno;
	fd.reset();
	if (!ok) {
		unlink(path.c_str());
		errno = saved;
		throw os_error("cannot write key file", path);
	}
	return key.public_key();
}

} // namespace wayport::connect
