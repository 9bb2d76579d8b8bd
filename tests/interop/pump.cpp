#include "tests/interop/pump.h"

#include <cstdio>
#include <sstream>

#include "dataplane/wire/wireguard.h"

namespace wayport::test {

namespace {

using wireguard::Clock;

// Short, so that tick() runs often enough for the 5 s and 10 s timers to
// fire on time and stop() does not wait long.
constexpr int kRecvTimeoutMs = 20;
// The trace keeps the first lines: a failing handshake shows there.
constexpr size_t kMaxTraceLines = 400;

std::string ip_string(const Ip4 &ip)
{
	char b[16];
	std::snprintf(b, sizeof b, "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
	return b;
}

std::string describe_inner(ByteSpan p)
{
	if (std::optional<Echo> e = parse_echo(p))
		return std::string(e->type == kIcmpEchoRequest ? "echo request " : "echo reply ") + ip_string(e->src) +
		       " > " + ip_string(e->dst) + " id " + std::to_string(e->id) + " seq " + std::to_string(e->seq);
	if (!p.empty() && p[0] >> 4 == 6)
		return "IPv6 " + std::to_string(p.size()) + " B";
	return "other " + std::to_string(p.size()) + " B";
}

} // namespace

Pump::Pump(wireguard::Device &device, const UdpSocket &socket, const Ip4 &host, wireguard::QueueLoad load)
	: device_(device), socket_(socket), host_(host), load_(load), start_(Clock::now()),
	  thread_([this] { run(); })
{
}

Pump::~Pump()
{
	stop_ = true;
	thread_.join();
}

void Pump::send(wireguard::PeerId peer, ByteSpan packet)
{
	note("host sends " + describe_inner(packet));
	wireguard::Output out;
	device_.send(peer, packet, Clock::now(), out);
	transmit(out);
}

std::optional<Bytes> Pump::wait_for(const std::function<bool(ByteSpan)> &accept, std::chrono::milliseconds timeout)
{
	std::unique_lock lock(mu_);
	std::optional<Bytes> found;
	delivered_cv_.wait_for(lock, timeout, [&] {
		for (auto it = delivered_.begin(); it != delivered_.end(); ++it)
			if (accept(*it)) {
				found = std::move(*it);
				delivered_.erase(it);
				return true;
			}
		return false;
	});
	return found;
}

std::string Pump::trace() const
{
	std::lock_guard lock(mu_);
	std::ostringstream ss;
	for (const std::string &line : trace_)
		ss << line << "\n";
	if (trace_dropped_)
		ss << "(" << trace_dropped_ << " more lines)\n";
	return ss.str();
}

void Pump::run()
{
	Bytes datagram;
	AddrPort from;
	while (!stop_) {
		wireguard::Output out;
		if (socket_.recv(datagram, from, kRecvTimeoutMs)) {
			note("in  " + std::string(to_string(wireguard_type(datagram))) + " " +
			     std::to_string(datagram.size()) + " B from " + from.to_string());
			device_.receive(datagram, from, Clock::now(), out, load_);
			transmit(out);
		}
		out = {};
		device_.tick(Clock::now(), out);
		transmit(out);
	}
}

void Pump::transmit(wireguard::Output &out)
{
	for (const wireguard::Datagram &d : out.datagrams) {
		bool sent = socket_.send(d.bytes, d.to);
		note("out " + std::string(to_string(wireguard_type(d.bytes))) + " " + std::to_string(d.bytes.size()) +
		     " B to " + d.to.to_string() + (sent ? "" : " (send failed)"));
	}
	for (wireguard::InnerPacket &p : out.packets) {
		note("host got " + describe_inner(p.bytes));
		std::optional<Echo> e = parse_echo(p.bytes);
		if (e && e->type == kIcmpEchoRequest && e->dst == host_) {
			Bytes reply = *echo_reply(p.bytes);
			answered_++;
			send(p.peer, reply);
			continue;
		}
		std::lock_guard lock(mu_);
		delivered_.push_back(std::move(p.bytes));
		delivered_cv_.notify_all();
	}
}

void Pump::note(const std::string &line)
{
	char stamp[32];
	auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start_).count();
	std::snprintf(stamp, sizeof stamp, "%6lld.%03lld ", static_cast<long long>(ms / 1000),
		      static_cast<long long>(ms % 1000));
	std::lock_guard lock(mu_);
	if (trace_.size() < kMaxTraceLines)
		trace_.push_back(stamp + line);
	else
		trace_dropped_++;
}

} // namespace wayport::test
