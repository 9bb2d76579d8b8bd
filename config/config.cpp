#include "config/config.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "config/reader.h"
#include "config/schema.h"

namespace wayport::config {

namespace {

// Far more than any real config; a bigger file is the wrong file.
constexpr size_t kMaxFileSize = 1 << 20;

// The reason when the file cannot be read, as strerror says it.
std::optional<std::string> read_file(const std::string &path, std::string &text)
{
	std::unique_ptr<std::FILE, int (*)(std::FILE *)> f(std::fopen(path.c_str(), "rb"),
							    std::fclose);
	if (!f)
		return std::strerror(errno);
	char buf[4096];
	size_t n;
	while ((n = std::fread(buf, 1, sizeof(buf), f.get())) > 0) {
		text.append(buf, n);
		if (text.size() > kMaxFileSize)
			return "larger than " + std::to_string(kMaxFileSize >> 20) + " MiB";
	}
	// A directory opens but fails here, with EISDIR.
	if (std::ferror(f.get()))
		return std::strerror(errno);
	return std::nullopt;
}

void read_document(Diag &d, std::string_view text, Config &c)
{
	std::vector<YAML::Node> docs = YAML::LoadAll(std::string(text));
	if (docs.empty()) {
		d.error(0, "", "the file is empty; expected a map with the keys ports, lcores, "
			       "node, relay or wireguard (or both), api, and optionally routes "
			       "and dataplane");
		return;
	}
	// A second document would be silently ignored by the daemon otherwise.
	if (docs.size() > 1) {
		const YAML::Mark mark = docs[1].Mark();
		d.error(mark.is_null() ? 0 : mark.line + 1, "",
			"expected one YAML document, found " + std::to_string(docs.size()));
		return;
	}
	const YAML::Mark mark = docs[0].Mark();
	read_config(d, Value{docs[0], "", mark.is_null() ? 1 : mark.line + 1}, c);
}

} // namespace

std::string ConfigError::to_string() const
{
	std::string out = file;
	if (line > 0)
		out += ":" + std::to_string(line);
	out += ": ";
	if (!key.empty())
		out += key + ": ";
	return out + message;
}

std::string LoadResult::error_text() const
{
	std::string out;
	for (const auto &e : errors)
		out += e.to_string() + "\n";
	return out;
}

LoadResult parse_config(std::string_view text, const std::string &name)
{
	Diag d(name);
	Config c;
	try {
		read_document(d, text, c);
	} catch (const YAML::Exception &e) {
		// ParserException, and DeepRecursion for absurd nesting.
		std::string msg = "YAML syntax error";
		if (!e.mark.is_null())
			msg += " at column " + std::to_string(e.mark.column + 1);
		d.error(e.mark.is_null() ? 0 : e.mark.line + 1, "", msg + ": " + e.msg);
	}
	LoadResult r;
	r.errors = d.take();
	if (r.errors.empty())
		r.config = std::move(c);
	return r;
}

LoadResult load_config(const std::string &path)
{
	std::string text;
	if (auto why = read_file(path, text)) {
		LoadResult r;
		r.errors.push_back({path, 0, "", "cannot read the file: " + *why});
		return r;
	}
	return parse_config(text, path);
}

} // namespace wayport::config
