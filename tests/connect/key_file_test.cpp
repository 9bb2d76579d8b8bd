// Disco private keys in files: made with mode 0600, read back the same,
// refused when others may read them or when they hold no key.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/types.h>

#include <fstream>
#include <sstream>

#include "tests/connect/temp_dir.h"
#include "tools/wayport-connect/key_file.h"
#include "tools/wayport-connect/options.h"

namespace wayport::connect {
namespace {

using test::TempDir;

std::string key_error(const std::string &path)
{
	try {
		read_key_file(path);
	} catch (const ConfigError &e) {
		return e.what();
	}
	ADD_FAILURE() << path << " was accepted";
	return "";
}

std::string slurp(const std::string &path)
{
	std::ifstream in(path);
	std::stringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

// umask for the scope, as a user's shell may have set it.
struct Umask {
	mode_t old;
	explicit Umask(mode_t m) : old(umask(m)) {}
	~Umask() { umask(old); }
};

const std::string kHex = "8f1e4c2a9b7d6e5f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071";

TEST(KeyFile, GeneratedKeyIsPrivateAndReadsBack)
{
	TempDir dir;
	std::string path = dir.file("disco.key");
	// Even a umask that would let everyone read keeps the key private.
	Umask um(0);
	disco::PublicKey pub = generate_key_file(path);

	struct stat st;
	ASSERT_EQ(stat(path.c_str(), &st), 0);
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(st.st_mode & 07777, 0600u);
	std::string text = slurp(path);
	ASSERT_EQ(text.size(), 65u);
	EXPECT_EQ(text.back(), '\n');
	EXPECT_EQ(text.find_first_not_of("0123456789abcdef"), 64u);

	disco::PrivateKey key = read_key_file(path);
	EXPECT_EQ(key.public_key(), pub);
	EXPECT_EQ(to_hex(key.raw()) + "\n", text);
}

TEST(KeyFile, EveryGeneratedKeyIsNew)
{
	TempDir dir;
	EXPECT_NE(generate_key_file(dir.file("a.key")), generate_key_file(dir.file("b.key")));
}

TEST(KeyFile, GenerateNeverOverwrites)
{
	TempDir dir;
	std::string path = dir.write("disco.key", kHex + "\n");
	try {
		generate_key_file(path);
		ADD_FAILURE() << "overwrote " << path;
	} catch (const ConfigError &e) {
		EXPECT_EQ(std::string(e.what()), "cannot create key file " + path + ": File exists");
	}
	EXPECT_EQ(slurp(path), kHex + "\n");
}

TEST(KeyFile, GenerateIntoAMissingDirectory)
{
	TempDir dir;
	std::string path = dir.file("no/such/dir/disco.key");
	try {
		generate_key_file(path);
		ADD_FAILURE() << "created " << path;
	} catch (const ConfigError &e) {
		EXPECT_EQ(std::string(e.what()), "cannot create key file " + path + ": No such file or directory");
	}
}

TEST(KeyFile, ReadsAHandWrittenKey)
{
	TempDir dir;
	auto expect = disco::PrivateKey::from_hex(kHex);
	ASSERT_TRUE(expect);
	// Upper case, no newline, read-only: all fine.
	std::string upper = kHex;
	for (char &c : upper)
		c = static_cast<char>(toupper(c));
	EXPECT_EQ(read_key_file(dir.write("a.key", upper, 0400)).raw(), expect->raw());
	EXPECT_EQ(read_key_file(dir.write("b.key", kHex + "\r\n", 0600)).raw(), expect->raw());
}

TEST(KeyFile, GroupOrOtherAccessIsRefused)
{
	TempDir dir;
	for (mode_t mode : {0644, 0640, 0604, 0660, 0601, 0610, 0700 | 0002}) {
		std::string path = dir.write("disco.key", kHex + "\n", mode);
		char m[8];
		std::snprintf(m, sizeof(m), "%04o", mode);
		EXPECT_EQ(key_error(path), "key file " + path + " has mode " + m +
						   ": its group or others may access it; run chmod 600 " + path);
	}
	// The same file, made private, is fine.
	std::string path = dir.write("disco.key", kHex + "\n", 0600);
	EXPECT_NO_THROW(read_key_file(path));
}

TEST(KeyFile, MissingFile)
{
	TempDir dir;
	std::string path = dir.file("absent.key");
	EXPECT_EQ(key_error(path), "cannot read key file " + path + ": No such file or directory");
}

TEST(KeyFile, NotARegularFile)
{
	TempDir dir;
	EXPECT_EQ(key_error(dir.path.string()), "key file " + dir.path.string() + ": not a regular file");
	// A FIFO is refused at once rather than waited on for a writer.
	std::string fifo = dir.file("fifo");
	ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
	EXPECT_EQ(key_error(fifo), "key file " + fifo + ": not a regular file");
}

TEST(KeyFile, ContentThatIsNoKey)
{
	TempDir dir;
	const std::string not_key = ": not a disco private key (64 hex digits)";
	for (const std::string &text : {
		     std::string(),                    // empty
		     kHex.substr(0, 62) + "\n",        // a byte short
		     kHex + "00\n",                    // a byte long
		     kHex.substr(0, 63) + "\n",        // odd digit count
		     kHex.substr(0, 63) + "g\n",       // not hex
		     "discokey:" + kHex + "\n",        // a public key's text form
		     std::string("-----BEGIN PRIVATE KEY-----\n"),  // something else
	     }) {
		std::string path = dir.write("bad.key", text);
		EXPECT_EQ(key_error(path), "key file " + path + not_key) << text;
	}
}

TEST(KeyFile, LongFileIsRefusedNotReadInPart)
{
	TempDir dir;
	// A key, blank space, then anything: not a key file, however the first
	// bytes look.
	std::string path = dir.write("long.key", kHex + "\n" + std::string(300, ' ') + "garbage\n");
	EXPECT_EQ(key_error(path), "key file " + path + ": longer than a disco private key (64 hex digits)");
}

} // namespace
} // namespace wayport::connect
