#include "tests/relay/vectors.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>

namespace wayport::relay::test {

namespace {

std::map<std::string, Bytes, std::less<>> load()
{
	std::map<std::string, Bytes, std::less<>> out;
	std::ifstream in(WAYPORT_VECTORS);
	std::string line;
	while (std::getline(in, line)) {
		auto tab = line.find('\t');
		if (line.empty() || line[0] == '#' || tab == std::string::npos)
			continue;
		if (auto hex = from_hex(std::string_view(line).substr(tab + 1)))
			out.emplace(line.substr(0, tab), std::move(*hex));
	}
	return out;
}

} // namespace

Bytes vec(std::string_view name)
{
	static const auto vectors = load();
	auto it = vectors.find(name);
	if (it == vectors.end()) {
		ADD_FAILURE() << "no vector " << name << " in " << WAYPORT_VECTORS;
		return {};
	}
	return it->second;
}

} // namespace wayport::relay::test
