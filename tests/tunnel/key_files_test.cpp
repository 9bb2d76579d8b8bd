// wayportd's key files: the WireGuard private key created 0600 and atomic,
// read back the same; files in wg's own base64 accepted; files others can
// read, or that hold no key, refused with the path named.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tools/wayportd/node_keys.h"

namespace wayport {
namespace {

class KeyFiles : public testing::Test {
protected:
	void SetUp() override
	{
		dir = std::filesystem::temp_directory_path() / ("key_files_test." + std::to_string(getpid()));
		std::filesystem::create_directories(dir);
	}
	void TearDown() override { std::filesystem::remove_all(dir); }

	std::string write(const std::string &name, const std::string &text, mode_t mode)
	{
		std::string path = (dir / name).string();
		std::ofstream(path) << text;
		chmod(path.c_str(), mode);
		return path;
	}

	std::filesystem::path dir;
};

TEST_F(KeyFiles, WireguardKeyIsCreatedPrivateAndReadBack)
{
	std::string path = (dir / "wireguard.key").string();
	std::string error;
	auto made = load_or_create_wireguard_key(path, error);
	ASSERT_TRUE(made) << error;
	struct stat st;
	ASSERT_EQ(stat(path.c_str(), &st), 0);
	EXPECT_EQ(st.st_mode & 0777, 0600u);
	EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
	auto again = load_or_create_wireguard_key(path, error);
	ASSERT_TRUE(again) << error;
	EXPECT_EQ(again->raw(), made->raw()) << "the same key after a restart";
}

TEST_F(KeyFiles, WgsOwnKeyTextIsRead)
{
	// `wg genkey` output: base64 and a newline.
	std::string path = write("k", "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n", 0600);
	std::string error;
	auto key = load_or_create_wireguard_key(path, error);
	ASSERT_TRUE(key) << error;
	EXPECT_EQ(key->to_base64(), "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=");
	std::string psk = write("psk", "  FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE=  \n", 0400);
	auto p = read_preshared_key(psk, error);
	ASSERT_TRUE(p) << error;
}

TEST_F(KeyFiles, BadFilesAreRefusedNamingThePath)
{
	struct {
		std::string text;
		mode_t mode;
		const char *mentions;
	} cases[] = {
		{"yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n", 0644, "readable by others (mode 644); chmod 600 it"},
		{"yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n", 0640, "readable by others (mode 640)"},
		{"not a key\n", 0600, "not a WireGuard private key"},
		{"", 0600, "not a WireGuard private key"},
	};
	int i = 0;
	for (const auto &c : cases) {
		std::string path = write("bad" + std::to_string(i++), c.text, c.mode);
		std::string error;
		EXPECT_FALSE(load_or_create_wireguard_key(path, error)) << c.text;
		EXPECT_NE(error.find(path), std::string::npos) << error;
		EXPECT_NE(error.find(c.mentions), std::string::npos) << error;
		EXPECT_FALSE(error.find("yAnz5") != std::string::npos) << "a key is never printed: " << error;
	}
	std::string error;
	EXPECT_FALSE(read_preshared_key((dir / "absent").string(), error));
	EXPECT_NE(error.find("cannot read"), std::string::npos) << error;
	EXPECT_FALSE(read_preshared_key(write("short", "AAAA\n", 0600), error));
	EXPECT_NE(error.find("not a WireGuard preshared key"), std::string::npos) << error;
	EXPECT_FALSE(load_or_create_wireguard_key((dir / "no-such-dir" / "k").string(), error));
	EXPECT_NE(error.find("cannot write"), std::string::npos) << error;
}

} // namespace
} // namespace wayport
