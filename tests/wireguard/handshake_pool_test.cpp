// The handshake thread pool: many peers' handshakes through several
// threads complete, each exactly once; a full queue refuses without
// blocking; a queue 1/8 full puts the device under load.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "controlplane/wireguard/handshake_pool.h"

namespace wayport::wireguard {
namespace {

using namespace std::chrono_literals;

// Sink output, collected from the pool's threads.
struct Collected {
	std::mutex mu;
	std::condition_variable cv;
	std::vector<Datagram> datagrams;

	void add(Output &out)
	{
		std::lock_guard lock(mu);
		for (auto &d : out.datagrams)
			datagrams.push_back(std::move(d));
		cv.notify_all();
	}
	bool wait_for(size_t n)
	{
		std::unique_lock lock(mu);
		return cv.wait_for(lock, 20s, [&] { return datagrams.size() >= n; });
	}
};

AddrPort addr(uint8_t i)
{
	const uint8_t ip[4] = {10, 1, 0, i};
	return AddrPort::v4(ip, 51820);
}

TEST(HandshakePool, ManyPeersOverThreeThreadsAllComplete)
{
	constexpr size_t kPeers = 40;
	const Clock::time_point t0 = Clock::now();
	Device server(PrivateKey::generate());
	std::vector<std::unique_ptr<Device>> clients;
	std::vector<PeerId> to_server;
	for (size_t i = 0; i < kPeers; ++i) {
		clients.push_back(std::make_unique<Device>(PrivateKey::generate()));
		to_server.push_back(*clients[i]->add_peer({server.identity().static_public, {}, addr(0), {}}, t0).value);
		ASSERT_TRUE(server.add_peer({clients[i]->identity().static_public, {}, {}, {}}, t0));
	}

	Collected responses;
	{
		// 40 of 4096 is below 1/8: no cookies.
		HandshakePool pool(server, {3, 4096}, [&](Output &o) { responses.add(o); });
		for (size_t i = 0; i < kPeers; ++i) {
			Output out;
			clients[i]->initiate(to_server[i], t0, out);
			ASSERT_EQ(out.datagrams.size(), 1u);
			while (!pool.submit(out.datagrams[0].bytes, addr(static_cast<uint8_t>(i + 1))))
				std::this_thread::sleep_for(1ms);  // the test is a patient producer
		}
		ASSERT_TRUE(responses.wait_for(kPeers));
		EXPECT_EQ(pool.processed(), kPeers);
	}
	EXPECT_EQ(server.events(WgEvent::initiation_received), kPeers);
	ASSERT_EQ(responses.datagrams.size(), kPeers);

	// Every response reaches the client its address names and completes
	// that client's handshake.
	for (const Datagram &d : responses.datagrams) {
		const size_t i = d.to.ip[15] - 1;
		Output out;
		clients[i]->receive(d.bytes, addr(0), t0, out);
		EXPECT_EQ(clients[i]->events(WgEvent::response_received), 1u) << i;
	}
	EXPECT_EQ(server.index_table().size(), kPeers);
}

TEST(HandshakePool, FullQueueRefusesAtOnceAndLoadMeansCookies)
{
	const Clock::time_point t0 = Clock::now();
	Device server(PrivateKey::generate());
	Device client(PrivateKey::generate());
	const PeerId to_server = *client.add_peer({server.identity().static_public, {}, addr(0), {}}, t0).value;
	server.add_peer({client.identity().static_public, {}, {}, {}}, t0);

	// The one thread stalls in the sink on its first message until told.
	std::mutex mu;
	std::condition_variable cv;
	bool release = false;
	Collected replies;
	HandshakePool pool(server, {1, 16}, [&](Output &o) {
		std::unique_lock lock(mu);
		cv.wait(lock, [&] { return release; });
		replies.add(o);
	});

	Output first;
	client.initiate(to_server, t0, first);
	const Bytes init = first.datagrams.at(0).bytes;
	ASSERT_TRUE(pool.submit(init, addr(1)));
	// Wait for the thread to take it: it answers and blocks in the sink.
	while (pool.queued() != 0)
		std::this_thread::sleep_for(1ms);

	for (int i = 0; i < 16; ++i)
		EXPECT_TRUE(pool.submit(init, addr(1))) << i;
	EXPECT_FALSE(pool.submit(init, addr(1)));
	EXPECT_EQ(pool.queue_full(), 1u);
	const uint8_t junk[] = {4, 0, 0, 0};
	EXPECT_FALSE(pool.submit(junk, addr(1)));
	EXPECT_EQ(pool.not_handshake(), 1u);

	{
		std::lock_guard lock(mu);
		release = true;
	}
	cv.notify_all();
	// The first was answered; the 16 behind it met a queue at least 1/8
	// full: cookie replies (valid mac1, no mac2), not responses.
	ASSERT_TRUE(replies.wait_for(17));
	EXPECT_EQ(server.events(WgEvent::initiation_received), 1u);
	EXPECT_EQ(server.events(WgEvent::cookie_sent), 16u);
}

} // namespace
} // namespace wayport::wireguard
