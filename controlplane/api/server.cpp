#include "controlplane/api/server.h"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "controlplane/api/http.h"
#include "controlplane/api/routes.h"

namespace wayport::api {

namespace {

// While a call is with the control thread, how often to look at its `done`
// flag. The control thread answers within one loop iteration, so this is
// what a call costs in latency; Bridge::call sleeps the same.
constexpr std::chrono::microseconds kCallPoll{200};
// After the response, how long to wait for the client to close, reading
// and discarding whatever it still sends (see write_response).
constexpr std::chrono::seconds kLinger{1};
// Connections accepted per listener per loop iteration, so a flood of
// connects cannot starve the established ones.
constexpr int kAcceptBurst = 16;
constexpr size_t kReadChunk = 16 * 1024;

} // namespace

struct ApiServer::Conn {
	enum class State : uint8_t {
		reading,   // the request, until it is complete or the deadline
		calling,   // waiting for the control thread's answer
		writing,   // the response
		draining,  // sent; waiting for the client's close
		closed,
	};

	Fd fd;
	Surface surface = Surface::control;
	State state = State::reading;
	Clock::time_point deadline;
	std::string in;
	std::shared_ptr<Call> call;
	std::string out;
	size_t sent = 0;
};

ApiServer::ApiServer(std::string socket_path, std::optional<AddrPort> metrics_listen, Bridge &bridge,
		     ServerLimits limits)
	: socket_path_(std::move(socket_path)), metrics_listen_(metrics_listen), bridge_(bridge), limits_(limits)
{
}

ApiServer::~ApiServer()
{
	stop();
}

bool ApiServer::start()
{
	if (thread_.joinable()) {
		error_ = "the API server is already running";
		return false;
	}
	error_.clear();
	unix_fd_ = listen_unix(socket_path_, socket_file_, error_);
	if (!unix_fd_)
		return false;
	if (metrics_listen_)
		tcp_fd_ = listen_tcp(*metrics_listen_, metrics_port_, error_);
	if (metrics_listen_ && !tcp_fd_)
		return abandon_start();
	wake_fd_ = Fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
	if (!wake_fd_) {
		error_ = std::string("eventfd: ") + std::strerror(errno);
		return abandon_start();
	}
	try {
		thread_ = std::thread(&ApiServer::run, this);
	} catch (const std::system_error &e) {
		error_ = std::string("cannot start the API thread: ") + e.what();
		return abandon_start();
	}
	pthread_setname_np(thread_.native_handle(), "wayport-api");
	return true;
}

// Undoes a start() that got part of the way: nothing stays open.
bool ApiServer::abandon_start()
{
	unix_fd_.reset();
	tcp_fd_.reset();
	wake_fd_.reset();
	metrics_port_ = 0;
	remove_unix(socket_path_, socket_file_);
	return false;
}

void ApiServer::stop()
{
	if (!thread_.joinable())
		return;
	// Cannot fail: the counter is far from overflowing.
	uint64_t one = 1;
	[[maybe_unused]] ssize_t n = ::write(wake_fd_.get(), &one, sizeof(one));
	thread_.join();
	conns_.clear();
	unix_fd_.reset();
	tcp_fd_.reset();
	wake_fd_.reset();
	metrics_port_ = 0;
	remove_unix(socket_path_, socket_file_);
}

void ApiServer::run()
{
	std::vector<pollfd> pfds;
	for (;;) {
		auto now = Clock::now();
		Clock::duration wait = std::chrono::seconds(1);
		pfds.clear();
		pfds.push_back({wake_fd_.get(), POLLIN, 0});
		pfds.push_back({unix_fd_.get(), POLLIN, 0});
		pfds.push_back({tcp_fd_ ? tcp_fd_.get() : -1, POLLIN, 0});
		for (const auto &c : conns_) {
			// A negative fd is skipped: a connection waiting for the
			// control thread has nothing to say to poll, not even a
			// hangup that would wake us in a loop.
			short events = c->state == Conn::State::writing ? POLLOUT : POLLIN;
			bool calling = c->state == Conn::State::calling;
			pfds.push_back({calling ? -1 : c->fd.get(), events, 0});
			wait = std::min<Clock::duration>(wait, c->deadline - now);
			if (calling)
				wait = std::min<Clock::duration>(wait, kCallPoll);
		}
		wait = std::max<Clock::duration>(wait, Clock::duration::zero());
		auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count();
		timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
		if (::ppoll(pfds.data(), pfds.size(), &ts, nullptr) < 0 && errno != EINTR)
			continue;
		if (pfds[0].revents)
			break;

		now = Clock::now();
		for (size_t i = 0; i < conns_.size(); i++)
			if (pfds[3 + i].revents)
				on_ready(*conns_[i], now);
		for (const auto &c : conns_)
			tick(*c, now);
		std::erase_if(conns_, [](const auto &c) { return c->state == Conn::State::closed; });
		if (pfds[1].revents)
			accept_all(unix_fd_.get(), false);
		if (pfds[2].revents)
			accept_all(tcp_fd_.get(), true);
	}
	conns_.clear();
}

void ApiServer::accept_all(int listen_fd, bool metrics)
{
	auto now = Clock::now();
	for (int i = 0; i < kAcceptBurst; i++) {
		Fd fd(::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
		if (!fd)
			return;  // none left, or out of descriptors: next round
		if (conns_.size() >= limits_.max_connections) {
			// Best effort: one non-blocking send, then close.
			std::string busy = http::serialize(error_response(503, "too many connections"));
			[[maybe_unused]] ssize_t n = ::send(fd.get(), busy.data(), busy.size(), MSG_NOSIGNAL);
			continue;
		}
		auto c = std::make_unique<Conn>();
		c->fd = std::move(fd);
		c->surface = metrics ? Surface::metrics_only : Surface::control;
		c->deadline = now + limits_.request_timeout;
		conns_.push_back(std::move(c));
	}
}

// Whatever poll reported (data, hangup, error), the read or write itself
// tells what happened.
void ApiServer::on_ready(Conn &c, Clock::time_point now)
{
	switch (c.state) {
	case Conn::State::reading: read_request(c, now); break;
	case Conn::State::writing: write_response(c, now); break;
	case Conn::State::draining: drain(c); break;
	case Conn::State::calling:
	case Conn::State::closed: break;
	}
}

void ApiServer::read_request(Conn &c, Clock::time_point now)
{
	char buf[kReadChunk];
	bool eof = false;
	// Never hold more than max_request bytes: the parser reports 413 as
	// soon as a request cannot fit.
	while (c.in.size() < limits_.max_request) {
		size_t room = std::min(sizeof(buf), limits_.max_request - c.in.size());
		ssize_t n = ::recv(c.fd.get(), buf, room, 0);
		if (n > 0) {
			c.in.append(buf, static_cast<size_t>(n));
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		eof = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
		break;
	}

	http::Request req;
	http::ParseResult r = http::parse_request(c.in, limits_.max_request, req);
	switch (r.state) {
	case http::Parse::complete:
		dispatch(c, req, now);
		break;
	case http::Parse::error:
		respond(c, http::serialize(error_response(r.error_status, r.error)), now);
		break;
	case http::Parse::incomplete:
		// Gone half way through its request: nobody to answer.
		if (eof)
			c.state = Conn::State::closed;
		break;
	}
}

void ApiServer::dispatch(Conn &c, const http::Request &req, Clock::time_point now)
{
	Routed r = route(req, c.surface);
	if (r.reply)
		return respond(c, http::serialize(*r.reply), now);
	if (!bridge_.submit(r.call))
		return respond(c, http::serialize(busy_response()), now);
	std::string().swap(c.in);
	c.call = std::move(r.call);
	c.state = Conn::State::calling;
	c.deadline = now + limits_.call_timeout;
}

void ApiServer::respond(Conn &c, std::string bytes, Clock::time_point now)
{
	std::string().swap(c.in);
	c.out = std::move(bytes);
	c.sent = 0;
	c.state = Conn::State::writing;
	c.deadline = now + limits_.write_timeout;
	write_response(c, now);
}

void ApiServer::write_response(Conn &c, Clock::time_point now)
{
	while (c.sent < c.out.size()) {
		ssize_t n = ::send(c.fd.get(), c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
		if (n > 0) {
			c.sent += static_cast<size_t>(n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		c.state = Conn::State::closed;
		return;
	}
	// Half-close, then read until the client closes: closing with unread
	// request bytes (an oversize body we refused) would reset the
	// connection, and a reset can destroy the response before the client
	// has read it.
	std::string().swap(c.out);
	::shutdown(c.fd.get(), SHUT_WR);
	c.state = Conn::State::draining;
	c.deadline = now + kLinger;
}

// A bounded amount per wakeup, so a client that keeps sending cannot keep
// the loop here; the linger deadline ends it.
void ApiServer::drain(Conn &c)
{
	char buf[kReadChunk];
	for (size_t total = 0; total < limits_.max_request;) {
		ssize_t n = ::recv(c.fd.get(), buf, sizeof(buf), 0);
		if (n > 0) {
			total += static_cast<size_t>(n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			c.state = Conn::State::closed;
		return;
	}
}

// Answers that arrived, and deadlines that passed.
void ApiServer::tick(Conn &c, Clock::time_point now)
{
	if (c.state == Conn::State::calling && c.call->done.load(std::memory_order_acquire)) {
		http::Response resp = call_response(*c.call);
		c.call.reset();
		return respond(c, http::serialize(resp), now);
	}
	if (now < c.deadline)
		return;
	switch (c.state) {
	case Conn::State::reading:
		respond(c, http::serialize(error_response(408, "request not complete within " +
								   std::to_string(limits_.request_timeout.count()) +
								   " ms")),
			now);
		break;
	case Conn::State::calling:
		// The queue keeps the call alive until the control thread gets
		// to it; its answer then goes nowhere.
		c.call.reset();
		respond(c, http::serialize(busy_response()), now);
		break;
	case Conn::State::writing:
	case Conn::State::draining:
	case Conn::State::closed:
		c.state = Conn::State::closed;
		break;
	}
}

} // namespace wayport::api
