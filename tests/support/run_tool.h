// Runs one of the project's binaries as a user would, for tests that check
// what it prints and how it exits.
#pragma once

#include <string>
#include <vector>

namespace wayport::test {

struct ToolRun {
	int status;  // exit status; -1 if it did not exit normally
	std::string out, err;
};

// binary with args (each passed as one word), stdin_text on its standard
// input; waits for it to exit.
ToolRun run_tool(const std::string &binary, const std::vector<std::string> &args,
		 const std::string &stdin_text = "");

} // namespace wayport::test
