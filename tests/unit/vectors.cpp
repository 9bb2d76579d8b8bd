#include "tests/unit/vectors.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iostream>

namespace wayport::test {

const std::map<std::string, Bytes> &vectors()
{
	static const std::map<std::string, Bytes> all = [] {
		std::map<std::string, Bytes> m;
		std::ifstream in(WAYPORT_VECTORS);
		if (!in) {
			std::cerr << "cannot read " << WAYPORT_VECTORS << '\n';
			std::abort();
		}
		std::string line;
		while (std::getline(in, line)) {
			if (line.empty() || line[0] == '#')
				continue;
			size_t tab = line.find('\t');
			auto bytes = tab == std::string::npos ? std::nullopt : from_hex(line.substr(tab + 1));
			if (!bytes) {
				std::cerr << "bad vector line: " << line << '\n';
				std::abort();
			}
			m[line.substr(0, tab)] = *bytes;
		}
		return m;
	}();
	return all;
}

const Bytes &vec(const std::string &name)
{
	static const Bytes empty;
	auto it = vectors().find(name);
	if (it == vectors().end()) {
		ADD_FAILURE() << "no vector named " << name;
		return empty;
	}
	return it->second;
}

} // namespace wayport::test
