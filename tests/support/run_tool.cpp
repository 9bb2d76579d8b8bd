#include "tests/support/run_tool.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace wayport::test {

namespace {

std::string quote(const std::string &s)
{
	std::string q = "'";
	for (char c : s)
		q += c == '\'' ? std::string("'\\''") : std::string(1, c);
	return q + "'";
}

std::string slurp(const std::filesystem::path &p)
{
	std::ifstream in(p);
	std::stringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

// Where the runs' input and output go; removed when the test exits.
struct RunDir {
	std::filesystem::path path = std::filesystem::temp_directory_path() /
				     ("wayport_run_tool." + std::to_string(getpid()));
	RunDir() { std::filesystem::create_directories(path); }
	~RunDir()
	{
		std::error_code ec;
		std::filesystem::remove_all(path, ec);
	}
};

} // namespace

ToolRun run_tool(const std::string &binary, const std::vector<std::string> &args, const std::string &stdin_text)
{
	static const RunDir dir;
	std::ofstream(dir.path / "in") << stdin_text;
	std::string cmd = quote(binary);
	for (const auto &a : args)
		cmd += " " + quote(a);
	cmd += " <" + quote(dir.path / "in") + " >" + quote(dir.path / "out") + " 2>" + quote(dir.path / "err");
	int rc = std::system(cmd.c_str());
	return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, slurp(dir.path / "out"), slurp(dir.path / "err")};
}

} // namespace wayport::test
