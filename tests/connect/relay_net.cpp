#include "tests/connect/relay_net.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sched.h>

#include <cstdlib>

#include "controlplane/disco/seal.h"
#include "controlplane/relay/status.h"
#include "dataplane/wire/classify.h"
#include "dataplane/wire/disco_frame.h"

namespace wayport::connect::test {

namespace {

// The relay core's clock reading at kT0.
constexpr relay::Time kRelayT0 = 1000 * kSecond;

// How long nothing must arrive before the network counts as settled.
// Loopback delivers within the sending call; this is slack for a busy host.
constexpr int kQuietMs = 20;

std::optional<disco::Message> open_as(const disco::PrivateKey &self, ByteSpan frame)
{
	if (!looks_like_disco_wrapper(frame))
		return std::nullopt;
	auto shared = disco::shared_key(self, disco::PublicKey::from_raw(disco_sender(frame)));
	auto plain = shared ? disco::open(*shared, frame) : std::nullopt;
	disco::Message m;
	if (!plain || disco::parse(*plain, m) != disco::ParseError::ok)
		return std::nullopt;
	return m;
}

AddrPort addr(const std::string &text)
{
	auto a = AddrPort::parse(text);
	EXPECT_TRUE(a) << text;
	return a.value_or(AddrPort{});
}

} // namespace

relay::Config short_lifetimes()
{
	relay::Config c;
	c.bind_lifetime = 10 * kSecond;
	c.steady_state_lifetime = 4 * kSecond;
	c.alloc.allow_any = true;
	return c;
}

Relay::Relay(relay::Config config, const std::vector<std::string> &ips)
	: config_(std::move(config)), api_now_(kRelayT0)
{
	for (const auto &ip : ips) {
		bool v6 = ip.find(':') != std::string::npos;
		sockets_.push_back(std::make_unique<UdpSocket>(addr(v6 ? "[" + ip + "]:0" : ip + ":0")));
		addresses_.push_back(sockets_.back()->local());
	}
	restart();
}

void Relay::restart()
{
	std::lock_guard lock(mu_);
	server_priv_ = disco::PrivateKey::generate();
	server_pub_ = server_priv_.public_key();
	server_keys_.push_back(server_priv_);
	workers_.reset();
	core_ = std::make_unique<relay::Server>(server_priv_, node_priv_, config_, random_);
	core_->set_addr_ports(addresses_);
	workers_ = std::make_unique<relay::test::RelayMirror>(*core_);
	legs_.clear();
}

relay::Time Relay::time(Clock::time_point t) const
{
	return kRelayT0 + std::chrono::duration_cast<std::chrono::nanoseconds>(t - kT0).count();
}

std::vector<int> Relay::fds() const
{
	std::vector<int> fds;
	for (const auto &s : sockets_)
		fds.push_back(s->fd());
	return fds;
}

std::vector<Arrival> Relay::of(Kind k) const
{
	std::vector<Arrival> out;
	for (const auto &a : arrivals)
		if (a.kind == k)
			out.push_back(a);
	return out;
}

void Relay::record(ByteSpan b, size_t socket, const AddrPort &from, Clock::time_point now)
{
	Arrival a{Kind::other, socket, from, now};
	GeneveHeader gh;
	if (has_disco_magic(b)) {
		auto m = open_as(node_priv_, b);
		if (auto *r = m ? std::get_if<disco::AllocateUdpRelayEndpointRequest>(&m->body) : nullptr) {
			a.kind = Kind::alloc_request;
			a.generation = r->generation;
		}
	} else if (geneve_decode(b, gh)) {
		a.vni = gh.vni;
		if (gh.control && gh.protocol == kGeneveProtocolDisco) {
			std::optional<disco::Message> m;
			for (const auto &k : server_keys_)
				if (!m)
					m = open_as(k, b.subspan(kGeneveHeaderLen));
			if (auto *bind = m ? std::get_if<disco::BindUdpRelayEndpoint>(&m->body) : nullptr) {
				a.kind = Kind::bind;
				a.generation = bind->generation;
			} else if (auto *ans = m ? std::get_if<disco::BindUdpRelayEndpointAnswer>(&m->body) : nullptr) {
				a.kind = Kind::answer;
				a.generation = ans->generation;
			}
		} else if (!gh.control && gh.protocol == kGeneveProtocolDisco) {
			a.kind = Kind::peer_disco;
		} else if (!gh.control && gh.protocol == kGeneveProtocolWireGuard) {
			a.kind = Kind::wireguard;
		}
	}
	arrivals.push_back(a);
}

size_t Relay::leg_socket(const AddrPort &client) const
{
	for (const auto &[a, s] : legs_)
		if (a == client)
			return s;
	return 0;
}

size_t Relay::serve(Clock::time_point now, std::optional<size_t> only)
{
	std::lock_guard lock(mu_);
	api_now_ = time(now);
	core_->gc_all(time(now));
	size_t total = 0;
	uint64_t truncated = 0;
	for (size_t s = 0; s < sockets_.size(); s++) {
		if (only && s != *only)
			continue;
		size_t n = sockets_[s]->receive(batch_, truncated);
		total += n;
		for (size_t i = 0; i < n; i++) {
			ByteSpan b(batch_[i].data, batch_[i].len);
			const AddrPort from = batch_[i].peer;
			record(b, s, from, now);
			if (silent || (drop && drop(arrivals.back())))
				continue;
			// Data goes where the workers would send it; the rest to the
			// core, as the control thread hands it punts.
			PayloadInfo info = classify_payload(b);
			if (info.relay == RelayView::geneve_data) {
				auto d = workers_->relay(info.geneve.vni, from, b.size(), time(now));
				if (d.to)
					sockets_[leg_socket(*d.to)]->send_to(b, *d.to);
				continue;
			}
			std::array<uint8_t, relay::kReplyBufferLen> reply;
			relay::PacketResult r = core_->handle_packet(b, from, time(now), reply);
			switch (r.verdict) {
			case relay::Verdict::reply:
				sockets_[s]->send_to(ByteSpan(reply.data(), r.reply_len), from);
				break;
			case relay::Verdict::consumed:
				std::erase_if(legs_, [&](const auto &l) { return l.first == from; });
				legs_.emplace_back(from, s);
				break;
			case relay::Verdict::drop:
			case relay::Verdict::refused:
				break;
			}
		}
	}
	EXPECT_EQ(truncated, 0u);
	return total;
}

void Relay::send_from(size_t socket, ByteSpan b, const AddrPort &to)
{
	EXPECT_TRUE(sockets_.at(socket)->send_to(b, to));
}

Bytes Relay::challenge(const disco::PublicKey &client, const disco::BindCommon &c, uint32_t vni) const
{
	Bytes out(kGeneveHeaderLen);
	geneve_encode({0, true, kGeneveProtocolDisco, vni}, out);
	disco::Message m;
	m.body = disco::BindUdpRelayEndpointChallenge{c};
	disco::seal(*disco::shared_key(server_priv_, client), server_pub_, disco::marshal(m), out);
	return out;
}

ApiStub::ApiStub(const std::string &socket_path, std::function<void(api::Call &)> handler)
	: server_(socket_path, std::nullopt, bridge_)
{
	started_ = server_.start();
	control_ = std::thread([this, handler = std::move(handler)] {
		while (!stop_) {
			bridge_.serve(handler, 8);
			std::this_thread::sleep_for(50us);
		}
	});
}

ApiStub::~ApiStub()
{
	server_.stop();
	stop_ = true;
	control_.join();
}

void Relay::start_api(const std::string &socket_path)
{
	api_ = std::make_unique<ApiStub>(socket_path, [this](api::Call &call) {
		std::lock_guard lock(mu_);
		if (call.kind != api::CallKind::allocate) {
			call.http_status = 404;
			call.body = R"({"error":"not here"})";
			return;
		}
		relay::ServerEndpoint ep;
		relay::AllocError err = core_->allocate(call.a, call.b, api_now_, ep);
		if (err != relay::AllocError::ok) {
			call.http_status = err == relay::AllocError::not_ready ? 503 : 400;
			call.body = nlohmann::json{{"error", relay::to_string(err)}}.dump();
			return;
		}
		call.http_status = 200;
		call.body = relay::server_endpoint_json(ep);
	});
	ASSERT_TRUE(api_->started()) << api_->error();
}

Client::Client(const Relay &relay, const disco::PrivateKey &k, const disco::PublicKey &peer,
	       const std::string &source)
	: key(k), sock(addr(source))
{
	opt.key_file = "/unused";
	opt.peer = peer;
	opt.relay = relay.addresses().at(0);
	opt.relay_key = relay.node_key();
	opt.listen = addr("127.0.0.1:51900");
	opt.forward = addr("127.0.0.1:51820");
	opt.source = addr(source);
}

size_t Client::receive(Clock::time_point now)
{
	if (!path)
		return 0;
	size_t n = sock.receive(batch, counters.dropped_truncated);
	bool data = false;
	for (size_t i = 0; i < n; i++) {
		ByteSpan b(batch[i].data, batch[i].len);
		if (path->carries(b, batch[i].peer)) {
			to_wireguard.emplace_back(b.begin() + kGeneveHeaderLen, b.end());
			data = true;
			continue;
		}
		path->on_control(b, batch[i].peer, now);
	}
	if (data)
		path->on_data(now);
	return n;
}

bool Client::send_data(const std::string &payload)
{
	const auto &to = path->relay_addr();
	if (!to)
		return false;
	Bytes pkt(kGeneveHeaderLen);
	geneve_encode({0, false, kGeneveProtocolWireGuard, path->vni()}, pkt);
	pkt.insert(pkt.end(), payload.begin(), payload.end());
	return sock.send_to(pkt, *to);
}

size_t Net::deliver(Clock::time_point now)
{
	size_t n = relay.serve(now);
	for (Client *c : clients)
		n += c->receive(now);
	return n;
}

namespace {

// Waits up to ms for something to arrive on any of the sockets.
bool wait_readable(const Net &net, int ms)
{
	std::vector<pollfd> fds;
	for (int fd : net.relay.fds())
		fds.push_back({fd, POLLIN, 0});
	for (Client *c : net.clients)
		fds.push_back({c->sock.fd(), POLLIN, 0});
	return poll(fds.data(), fds.size(), ms) > 0;
}

} // namespace

size_t Net::settle(Clock::time_point now)
{
	size_t total = 0;
	for (;;) {
		if (size_t n = deliver(now)) {
			total += n;
			continue;
		}
		if (!wait_readable(*this, kQuietMs))
			return total;
	}
}

bool Net::settle_until(Clock::time_point now, const std::function<bool()> &done)
{
	auto deadline = std::chrono::steady_clock::now() + 5s;
	while (!done()) {
		if (deliver(now) > 0)
			continue;
		if (std::chrono::steady_clock::now() > deadline)
			return false;
		wait_readable(*this, 100);
	}
	settle(now);
	return true;
}

Clock::time_point Net::step(Clock::time_point now)
{
	for (;;) {
		Clock::time_point wake = Clock::time_point::max();
		for (Client *c : clients)
			if (c->path)
				wake = std::min(wake, c->tick(now));
		if (settle(now) == 0 && wake > now)
			return wake;
	}
}

Clock::time_point Net::run(Clock::time_point now, Clock::time_point until, const std::function<bool()> &stop)
{
	while (!stop() && now < until) {
		Clock::time_point wake = step(now);
		if (stop())
			break;
		now = std::min(std::max(wake, now), until);
	}
	return now;
}

bool in_new_netns(const std::function<void()> &body)
{
	bool ok = false;
	std::thread t([&] {
		if (unshare(CLONE_NEWNET) != 0 || std::system("ip link set lo up") != 0)
			return;
		ok = true;
		body();
	});
	t.join();
	return ok;
}

} // namespace wayport::connect::test
