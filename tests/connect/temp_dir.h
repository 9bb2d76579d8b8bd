// A temporary directory for one test's files, removed with its contents.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace wayport::connect::test {

struct TempDir {
	std::filesystem::path path;

	TempDir()
	{
		std::string tmpl = (std::filesystem::temp_directory_path() / "wpconnect.XXXXXX").string();
		if (mkdtemp(tmpl.data()))
			path = tmpl;
	}
	~TempDir()
	{
		std::error_code ec;
		std::filesystem::remove_all(path, ec);
	}
	TempDir(const TempDir &) = delete;
	TempDir &operator=(const TempDir &) = delete;

	// Writes text to name in the directory with the given mode; returns the path.
	std::string write(const std::string &name, const std::string &text, mode_t mode = 0600) const
	{
		std::string p = (path / name).string();
		std::ofstream(p, std::ios::trunc) << text;
		chmod(p.c_str(), mode);
		return p;
	}
	std::string file(const std::string &name) const { return (path / name).string(); }
};

} // namespace wayport::connect::test
