// Reading what the command-line tools print (wg, wayportctl): the interop
// tests' two text helpers.
#pragma once

#include <cctype>
#include <sstream>
#include <string>
#include <vector>

namespace wayport::test {

// Without trailing whitespace (a tool's closing newline).
inline std::string trim(std::string s)
{
	while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
		s.pop_back();
	return s;
}

// The fields between separators; a trailing separator ends the last one.
inline std::vector<std::string> split(const std::string &s, char sep)
{
	std::vector<std::string> out;
	std::string item;
	std::istringstream in(s);
	while (std::getline(in, item, sep))
		out.push_back(item);
	return out;
}

} // namespace wayport::test
