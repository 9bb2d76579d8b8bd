// How wayportctl's offline commands read their argument and print: an
// argument is the input itself or "-" for standard input; results are
// indented JSON on stdout. Bad input throws CommandError naming it.
#pragma once

#include <iostream>
#include <iterator>
#include <string>

#include "dataplane/wire/bytes.h"
#include "tools/wayportctl/commands.h"
#include "tools/wayportctl/disco_json.h"

namespace wayport::ctl {

inline std::string read_input(const std::string &arg)
{
	if (arg != "-")
		return arg;
	return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

inline Bytes read_hex(const std::string &arg, const char *what)
{
	auto b = from_hex(read_input(arg));
	if (!b)
		throw CommandError(std::string(what) + " must be hex digits (an even number of them)");
	return *b;
}

inline void print(const Json &j)
{
	std::cout << j.dump(2) << '\n';
}

} // namespace wayport::ctl
