#include "tools/wayportctl/api_client.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "controlplane/api/fd.h"
#include "tools/wayportctl/commands.h"

namespace wayport::ctl {

namespace {

// Longer than the daemon's own limits (5 s for the request, 2 s for the
// control thread), so its 408 or 503 arrives before we give up.
constexpr int kTimeoutSeconds = 10;
// A response larger than any the daemon sends is not one of its responses.
constexpr size_t kMaxResponse = 64 * 1024 * 1024;

api::Fd connect_unix(const std::string &path)
{
	auto unreachable = [&](const std::string &why) {
		return CommandError("cannot reach wayportd at " + path + ": " + why);
	};
	sockaddr_un sa{};
	sa.sun_family = AF_UNIX;
	if (path.empty() || path.size() >= sizeof(sa.sun_path))
		throw unreachable("socket path too long");
	std::memcpy(sa.sun_path, path.data(), path.size());
	api::Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	if (!fd)
		throw unreachable(std::strerror(errno));
	timeval tv{kTimeoutSeconds, 0};
	if (::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
	    ::connect(fd.get(), reinterpret_cast<const sockaddr *>(&sa), sizeof(sa)) != 0)
		throw unreachable(std::strerror(errno));
	return fd;
}

CommandError io_error(const std::string &path, const char *doing)
{
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return CommandError("wayportd at " + path + " did not answer within " +
				    std::to_string(kTimeoutSeconds) + " s");
	return CommandError(std::string(doing) + " wayportd at " + path + ": " + std::strerror(errno));
}

void send_all(int fd, std::string_view data, const std::string &path)
{
	while (!data.empty()) {
		ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			throw io_error(path, "cannot write to");
		data.remove_prefix(static_cast<size_t>(n));
	}
}

// Until the whole response (by its Content-Length) is in, or the daemon
// closes. A reset after the response is harmless: the bytes are ours.
std::string receive(int fd, const std::string &path)
{
	std::string in;
	char buf[16 * 1024];
	for (;;) {
		size_t want = api::http::response_length(in);
		if (want != 0 && in.size() >= want)
			return in;
		ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
		if (n > 0) {
			in.append(buf, static_cast<size_t>(n));
			if (in.size() > kMaxResponse)
				throw CommandError("wayportd at " + path + " sent an oversized response");
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (errno == ECONNRESET && !in.empty()))
			return in;
		throw io_error(path, "cannot read from");
	}
}

} // namespace

api::http::Response api_request(const std::string &socket_path, std::string_view method, std::string_view path,
				std::string_view json_body)
{
	api::Fd fd = connect_unix(socket_path);
	std::string req = std::string(method) + " " + std::string(path) + " HTTP/1.1\r\n" +
			  "Host: wayportd\r\nUser-Agent: wayportctl\r\nConnection: close\r\n";
	if (!json_body.empty())
		req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(json_body.size()) +
		       "\r\n";
	req += "\r\n";
	req += json_body;
	send_all(fd.get(), req, socket_path);

	api::http::Response resp;
	if (!api::http::parse_response(receive(fd.get(), socket_path), resp))
		throw CommandError("wayportd at " + socket_path + " sent a malformed HTTP response");
	return resp;
}

std::string api_fetch(const std::string &socket_path, std::string_view method, std::string_view path,
		      std::string_view json_body)
{
	api::http::Response r = api_request(socket_path, method, path, json_body);
	if (r.status >= 200 && r.status < 300)
		return r.body;
	auto j = nlohmann::ordered_json::parse(r.body, nullptr, false);
	if (j.is_object() && j.contains("error") && j["error"].is_string())
		throw CommandError(j["error"].get<std::string>());
	throw CommandError("wayportd answered " + std::to_string(r.status) + " " +
			   std::string(api::http::reason_phrase(r.status)));
}

nlohmann::ordered_json api_fetch_json(const std::string &socket_path, std::string_view method, std::string_view path,
				      std::string_view json_body)
{
	auto j = nlohmann::ordered_json::parse(api_fetch(socket_path, method, path, json_body), nullptr, false);
	if (j.is_discarded())
		throw CommandError("wayportd sent invalid JSON for " + std::string(path));
	return j;
}

} // namespace wayport::ctl
