#include "config/reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

namespace wayport::config {

namespace {

int line_of(const YAML::Node &node, int fallback)
{
	const YAML::Mark mark = node.Mark();
	return mark.is_null() ? fallback : mark.line + 1;
}

std::string join(const std::string &path, std::string_view key)
{
	return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// Long or binary values are shortened and escaped: the message is for a
// terminal and a log line.
std::string quote(std::string_view s)
{
	static constexpr size_t kMaxShown = 64;
	std::string out = "\"";
	for (size_t i = 0; i < s.size() && i < kMaxShown; i++) {
		unsigned char c = static_cast<unsigned char>(s[i]);
		if (c == '"' || c == '\\') {
			out += '\\';
			out += static_cast<char>(c);
		} else if (c < 0x20 || c == 0x7f) {
			char buf[8];
			std::snprintf(buf, sizeof(buf), "\\x%02x", c);
			out += buf;
		} else {
			out += static_cast<char>(c);
		}
	}
	if (s.size() > kMaxShown)
		out += "...";
	return out + "\"";
}

std::string list_words(std::initializer_list<std::string_view> words)
{
	std::string out;
	for (auto w : words)
		out.append(out.empty() ? "" : ", ").append(w);
	return out;
}

} // namespace

void Diag::error(int line, std::string key, std::string message)
{
	errors_.push_back({file_, line, std::move(key), std::move(message)});
}

void Diag::expected(const Value &v, std::string_view what)
{
	error(v, "expected " + std::string(what) + ", got " + describe(v.node));
}

std::vector<ConfigError> Diag::take()
{
	auto by_line = [](const ConfigError &a, const ConfigError &b) { return a.line < b.line; };
	std::stable_sort(errors_.begin(), errors_.end(), by_line);
	return std::move(errors_);
}

std::string describe(const YAML::Node &node)
{
	switch (node.Type()) {
	case YAML::NodeType::Scalar:
		return quote(node.Scalar());
	case YAML::NodeType::Sequence:
		return "a list";
	case YAML::NodeType::Map:
		return "a map";
	default:
		return "nothing";
	}
}

size_t edit_distance(std::string_view a, std::string_view b)
{
	// Optimal string alignment over three rows of the usual table.
	std::vector<size_t> prev2(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
	for (size_t j = 0; j <= b.size(); j++)
		prev[j] = j;
	for (size_t i = 1; i <= a.size(); i++) {
		cur[0] = i;
		for (size_t j = 1; j <= b.size(); j++) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
				cur[j] = std::min(cur[j], prev2[j - 2] + 1);
		}
		prev2.swap(prev);
		prev.swap(cur);
	}
	return prev[b.size()];
}

MapReader::MapReader(Diag &diag, const Value &map, std::initializer_list<std::string_view> known)
	: diag_(diag), map_(map)
{
	if (map.node.IsNull()) {
		ok_ = true;
		return;
	}
	if (!map.node.IsMap()) {
		diag.expected(map, "a map with the keys " + list_words(known));
		return;
	}
	ok_ = true;
	for (auto it = map.node.begin(); it != map.node.end(); ++it) {
		int key_line = line_of(it->first, map.line);
		if (!it->first.IsScalar()) {
			diag.error(key_line, map.path, "a key must be a plain word, got " +
							       describe(it->first));
			continue;
		}
		const std::string &key = it->first.Scalar();
		std::string path = join(map.path, key);
		if (std::find(known.begin(), known.end(), key) == known.end()) {
			std::string msg = "unknown key " + path;
			std::string_view best;
			size_t best_distance = 3;
			for (auto k : known) {
				size_t d = edit_distance(key, k);
				if (d < best_distance) {
					best = k;
					best_distance = d;
				}
			}
			if (!best.empty())
				msg += " (did you mean " + join(map.path, best) + "?)";
			diag.error(key_line, map.path, msg);
			continue;
		}
		auto seen = std::find_if(found_.begin(), found_.end(),
					 [&](const auto &f) { return f.first == key; });
		if (seen != found_.end()) {
			diag.error(key_line, path, "given twice (first at line " +
							   std::to_string(seen->second.line) + ")");
			continue;
		}
		// A scalar's own mark is the most exact; a null value has none, and
		// a block map or list starts on the line after its key.
		int line = it->second.IsScalar() ? line_of(it->second, key_line) : key_line;
		found_.push_back({key, Value{it->second, path, line}});
	}
}

std::optional<Value> MapReader::get(std::string_view key) const
{
	for (const auto &[k, v] : found_)
		if (k == key)
			return v;
	return std::nullopt;
}

std::optional<Value> MapReader::require(std::string_view key, std::string_view what)
{
	auto v = get(key);
	if (!v && ok_)
		diag_.error(map_.line, join(map_.path, key),
			    "missing; expected " + std::string(what));
	return v;
}

std::optional<std::vector<Value>> list_items(Diag &diag, const Value &list, std::string_view what)
{
	std::vector<Value> items;
	if (list.node.IsNull())
		return items;
	if (!list.node.IsSequence()) {
		diag.expected(list, what);
		return std::nullopt;
	}
	for (size_t i = 0; i < list.node.size(); i++) {
		YAML::Node item = list.node[i];
		items.push_back({item, list.path + "[" + std::to_string(i) + "]",
				 line_of(item, list.line)});
	}
	return items;
}

std::optional<std::string> scalar(Diag &diag, const Value &v, std::string_view what)
{
	if (!v.node.IsScalar()) {
		diag.expected(v, what);
		return std::nullopt;
	}
	return v.node.Scalar();
}

std::optional<int64_t> integer(Diag &diag, const Value &v, int64_t min, int64_t max)
{
	std::string what = max >= std::numeric_limits<uint32_t>::max()
		? "an integer of at least " + std::to_string(min)
		: "an integer in " + std::to_string(min) + ".." + std::to_string(max);
	auto text = scalar(diag, v, what);
	if (!text)
		return std::nullopt;
	int64_t n = 0;
	const char *end = text->data() + text->size();
	auto [p, ec] = std::from_chars(text->data(), end, n);
	if (text->empty() || ec != std::errc() || p != end || n < min || n > max) {
		diag.expected(v, what);
		return std::nullopt;
	}
	return n;
}

std::optional<bool> boolean(Diag &diag, const Value &v)
{
	static constexpr std::string_view what = "true or false";
	auto text = scalar(diag, v, what);
	if (text && (*text == "true" || *text == "false"))
		return *text == "true";
	if (text)
		diag.expected(v, what);
	return std::nullopt;
}

std::optional<double> positive_number(Diag &diag, const Value &v)
{
	static constexpr std::string_view what = "a number greater than 0 such as 10 or 0.5";
	auto text = scalar(diag, v, what);
	if (!text)
		return std::nullopt;
	double n = 0;
	const char *end = text->data() + text->size();
	auto [p, ec] = std::from_chars(text->data(), end, n);
	if (text->empty() || ec != std::errc() || p != end || !std::isfinite(n) || n <= 0) {
		diag.expected(v, what);
		return std::nullopt;
	}
	return n;
}

std::optional<Duration> duration(Diag &diag, const Value &v, bool positive)
{
	static constexpr std::string_view what = "a Go duration such as 30s or 5m";
	auto text = scalar(diag, v, what);
	if (!text)
		return std::nullopt;
	Duration d = 0;
	switch (parse_go_duration(*text, d)) {
	case DurationError::ok:
		if (positive && d == 0) {
			diag.expected(v, "a duration greater than 0");
			return std::nullopt;
		}
		return d;
	case DurationError::negative:
		diag.expected(v, "a duration that is not negative");
		return std::nullopt;
	case DurationError::overflow:
		diag.expected(v, "a duration of at most 2562047h47m16.854775807s");
		return std::nullopt;
	case DurationError::syntax:
		break;
	}
	diag.expected(v, what);
	return std::nullopt;
}

} // namespace wayport::config
