#include "tests/config/helpers.h"

#include <yaml-cpp/yaml.h>

#include <vector>

namespace wayport::config::test {

const char *const kMinimal = R"(ports:
  - name: wan
    device: net_af_packet0
    ipv4: 192.0.2.1/24
lcores:
  control: 0
  workers: [1]
node:
  state_dir: /var/lib/wayport
relay:
  port: 7777
api:
  socket: /run/wayport/api.sock
)";

namespace {

// "ports[0].ipv4" -> "ports", 0, "ipv4"
std::vector<std::string> split_path(const std::string &path)
{
	std::vector<std::string> parts;
	std::string cur;
	for (char c : path) {
		if (c == '.' || c == '[' || c == ']') {
			if (!cur.empty())
				parts.push_back(cur);
			cur.clear();
		} else {
			cur += c;
		}
	}
	if (!cur.empty())
		parts.push_back(cur);
	return parts;
}

bool is_index(const std::string &s)
{
	return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

} // namespace

std::string edited(const std::string &path, const std::string &value, bool remove)
{
	YAML::Node root = YAML::Load(kMinimal);
	auto parts = split_path(path);
	// Node's operator= writes through to the node it refers to; reset()
	// moves the handle instead.
	YAML::Node cur;
	cur.reset(root);
	for (size_t i = 0; i + 1 < parts.size(); i++) {
		// A missing map is made on the way, as for dataplane.
		cur.reset(is_index(parts[i]) ? cur[std::stoul(parts[i])] : cur[parts[i]]);
	}
	const std::string &last = parts.back();
	if (remove)
		cur.remove(last);
	else if (is_index(last))
		cur[std::stoul(last)] = YAML::Load(value);
	else
		cur[last] = YAML::Load(value);
	return YAML::Dump(root) + "\n";
}

} // namespace wayport::config::test
