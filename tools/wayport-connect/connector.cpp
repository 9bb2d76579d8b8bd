#include "tools/wayport-connect/connector.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>

namespace wayport::connect {

namespace {

using namespace std::chrono_literals;

// The status file is rewritten this often, so a reader always finds it
// fresh without signalling us.
constexpr auto kStatusPeriod = 1s;

api::Fd open_signals()
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, nullptr) != 0)
		throw std::runtime_error(std::string("cannot block signals: ") + std::strerror(errno));
	api::Fd fd(signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
	if (!fd)
		throw std::runtime_error(std::string("cannot open a signalfd: ") + std::strerror(errno));
	return fd;
}

// Write and rename, so a reader never sees half a file.
void write_file(const std::string &path, const std::string &text)
{
	std::string tmp = path + ".tmp";
	{
		std::ofstream out(tmp, std::ios::trunc);
		out << text << '\n';
		if (!out)
			return;
	}
	std::rename(tmp.c_str(), path.c_str());
}

} // namespace

Connector::Connector(const Options &opt, const disco::PrivateKey &self)
	: opt_(opt), relay_(opt.source), local_(opt.listen), path_(opt, self, relay_, counters_, Clock::now()),
	  signals_(open_signals())
{
}

void Connector::from_wireguard()
{
	size_t n = local_.receive(batch_, counters_.dropped_truncated);
	const auto &to = path_.relay_addr();
	size_t out = 0;
	for (size_t i = 0; i < n; i++) {
		Batch::Datagram d = batch_[i];
		if (d.peer != opt_.forward) {
			counters_.dropped_unexpected++;
			continue;
		}
		if (!to) {
			counters_.dropped_no_path++;
			continue;
		}
		// The batch left room for the header in front of every datagram.
		d.data -= kGeneveHeaderLen;
		d.len += kGeneveHeaderLen;
		geneve_encode({0, false, kGeneveProtocolWireGuard, path_.vni()}, {d.data, kGeneveHeaderLen});
		d.peer = *to;
		batch_[out++] = d;
	}
	size_t sent = relay_.send_many(&batch_[0], out);
	for (size_t i = 0; i < sent; i++)
		counters_.to_relay_bytes += batch_[i].len - kGeneveHeaderLen;
	counters_.to_relay_packets += sent;
	counters_.dropped_send += out - sent;
}

void Connector::from_relay(Clock::time_point now)
{
	size_t n = relay_.receive(batch_, counters_.dropped_truncated);
	size_t out = 0;
	for (size_t i = 0; i < n; i++) {
		Batch::Datagram d = batch_[i];
		ByteSpan b(d.data, d.len);
		if (path_.carries(b, d.peer)) {
			d.data += kGeneveHeaderLen;
			d.len -= kGeneveHeaderLen;
			d.peer = opt_.forward;
			batch_[out++] = d;
			continue;
		}
		// Handshakes and pings may change the path; data already
		// collected above still goes to WireGuard, which is what the
		// relay meant it for.
		path_.on_control(b, d.peer, now);
	}
	if (out)
		path_.on_data(now);
	size_t sent = local_.send_many(&batch_[0], out);
	for (size_t i = 0; i < sent; i++)
		counters_.from_relay_bytes += batch_[i].len;
	counters_.from_relay_packets += sent;
	counters_.dropped_send += out - sent;
}

void Connector::report(Clock::time_point now, bool to_stderr)
{
	nlohmann::json j = path_.status(now);
	j["counters"] = to_json(counters_);
	if (to_stderr || opt_.status_file.empty())
		std::cerr << j.dump() << std::endl;
	else
		write_file(opt_.status_file, j.dump(2));
}

int Connector::run()
{
	std::cerr << "wayport-connect: relaying WireGuard at " << opt_.forward.to_string() << " (peer endpoint "
		  << local_.local().to_string() << ") from " << relay_.local().to_string() << std::endl;
	Clock::time_point next_status = Clock::now();
	for (;;) {
		Clock::time_point now = Clock::now();
		Clock::time_point wake = path_.tick(now);
		if (!opt_.status_file.empty()) {
			if (now >= next_status) {
				report(now, false);
				next_status = now + kStatusPeriod;
			}
			wake = std::min(wake, next_status);
		}
		auto wait = std::chrono::ceil<std::chrono::milliseconds>(wake - now).count();
		pollfd fds[3] = {{relay_.fd(), POLLIN, 0}, {local_.fd(), POLLIN, 0}, {signals_.get(), POLLIN, 0}};
		int r = poll(fds, 3, static_cast<int>(std::max<decltype(wait)>(wait, 0)));
		if (r < 0 && errno != EINTR)
			throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
		now = Clock::now();
		if (fds[0].revents & POLLIN)
			from_relay(now);
		if (fds[1].revents & POLLIN)
			from_wireguard();
		if (fds[2].revents & POLLIN) {
			signalfd_siginfo si;
			while (read(signals_.get(), &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGUSR1) {
					report(now, opt_.status_file.empty());
					continue;
				}
				report(now, true);
				std::cerr << "wayport-connect: stopping on signal " << si.ssi_signo << std::endl;
				return 0;
			}
		}
	}
}

} // namespace wayport::connect
