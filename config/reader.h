// Walking the YAML document with errors that say where: every value carries
// its key path and line, and every check reports into one Diag so a file
// with several mistakes shows them all at once. Nothing here knows the
// config's keys; config.cpp does.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "controlplane/common/go_duration.h"

namespace wayport::config {

struct Value {
	YAML::Node node;
	std::string path;  // "ports[1].ipv4"; empty for the document
	int line = 0;      // 1-based; 0 when unknown
};

class Diag {
public:
	explicit Diag(std::string file) : file_(std::move(file)) {}

	void error(int line, std::string key, std::string message);
	void error(const Value &v, std::string message)
	{
		error(v.line, v.path, std::move(message));
	}
	// "expected <what>, got <the value>"
	void expected(const Value &v, std::string_view what);
	bool failed() const { return !errors_.empty(); }
	// Ordered by line; errors on one line keep the order they were found.
	std::vector<ConfigError> take();

private:
	std::string file_;
	std::vector<ConfigError> errors_;
};

// The value as an error shows it: a quoted scalar, "a list", "a map" or
// "nothing".
std::string describe(const YAML::Node &node);

// Zero or a small number when a and b differ by a typo; counts a swap of
// two neighbours as one edit.
size_t edit_distance(std::string_view a, std::string_view b);

// A map with a fixed set of keys. Unknown keys (with the closest known key
// when one is a likely typo), repeated keys and non-scalar keys are
// reported on construction. A null value (a section whose keys are all
// commented out) is an empty map.
class MapReader {
public:
	MapReader(Diag &diag, const Value &map, std::initializer_list<std::string_view> known);

	// False when the value was not a map; get() then finds nothing.
	bool ok() const { return ok_; }
	std::optional<Value> get(std::string_view key) const;
	// As get(), and reports a missing key at the map's line.
	std::optional<Value> require(std::string_view key, std::string_view what);

private:
	Diag &diag_;
	Value map_;
	bool ok_ = false;
	std::vector<std::pair<std::string, Value>> found_;
};

// The items of a list, paths "key[i]". A null value is an empty list.
std::optional<std::vector<Value>> list_items(Diag &diag, const Value &list, std::string_view what);

// A scalar's text; reports "expected <what>" for lists, maps and nulls.
std::optional<std::string> scalar(Diag &diag, const Value &v, std::string_view what);
// A decimal integer in [min, max].
std::optional<int64_t> integer(Diag &diag, const Value &v, int64_t min, int64_t max);
// true or false, and nothing else: yes, on and 1 are YAML 1.1's booleans
// and easy to misread.
std::optional<bool> boolean(Diag &diag, const Value &v);
// A finite decimal number greater than zero.
std::optional<double> positive_number(Diag &diag, const Value &v);
// A Go duration; with positive set, zero is refused too.
std::optional<Duration> duration(Diag &diag, const Value &v, bool positive);

// A scalar turned into a T by parse (std::string_view -> std::optional<T>),
// reporting "expected <what>" when it is not a scalar or parse refuses it.
template <class Parse>
auto parse_scalar(Diag &diag, const Value &v, std::string_view what, Parse parse)
	-> decltype(parse(std::string_view{}))
{
	auto text = scalar(diag, v, what);
	if (!text)
		return std::nullopt;
	auto parsed = parse(std::string_view(*text));
	if (!parsed)
		diag.expected(v, what);
	return parsed;
}

} // namespace wayport::config
