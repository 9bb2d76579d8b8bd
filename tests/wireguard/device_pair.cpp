#include "tests/wireguard/device_pair.h"

#include <gtest/gtest.h>

namespace wayport::wireguard::test {

namespace {

const uint8_t kIpA[4] = {192, 0, 2, 1};
const uint8_t kIpB[4] = {192, 0, 2, 2};

// Each side's key, fixed per process so a failing test can be replayed.
const PrivateKey &key_a()
{
	static const PrivateKey k = PrivateKey::generate();
	return k;
}
const PrivateKey &key_b()
{
	static const PrivateKey k = PrivateKey::generate();
	return k;
}

} // namespace

size_t count_type(const std::deque<InFlight> &q, WireGuardType t, bool from_a)
{
	size_t n = 0;
	for (const auto &f : q)
		n += (wireguard_type(f.datagram.bytes) == t && f.from_a == from_a);
	return n;
}

Bytes ipv4_packet(uint8_t src, uint8_t dst, size_t len, uint8_t fill)
{
	Bytes p(len, fill);
	p[0] = 0x45;
	p[1] = 0;
	store_be16(p.data() + 2, static_cast<uint16_t>(len));
	p[8] = 64;
	p[9] = 17;
	const uint8_t s[4] = {10, 0, 0, src}, d[4] = {10, 0, 0, dst};
	std::copy(s, s + 4, p.begin() + 12);
	std::copy(d, d + 4, p.begin() + 16);
	return p;
}

DevicePair::DevicePair(std::chrono::seconds a_keepalive, std::chrono::seconds b_keepalive, PairMode mode)
	: now(Clock::time_point(std::chrono::hours(100))),
	  random32([] {
		  // Distinct indexes, zero jitter (index % 334 == 0 would give it):
		  // a counter in steps of 334 is both.
		  static uint32_t n = 0;
		  return n += 334;
	  }),
	  a(key_a(), DeviceOptions{[this] { return wall_now(); }, [this] { return random32(); }, {}, mode.a_external}),
	  b(key_b(), DeviceOptions{[this] { return wall_now(); }, [this] { return random32(); }, {}, mode.b_external}),
	  addr_a(AddrPort::v4(kIpA, 51820)), addr_b(AddrPort::v4(kIpB, 51820)), mode(mode)
{
	a_peer = *a.add_peer({key_b().public_key(), {}, addr_b, a_keepalive, mode.roaming}, now).value;
	b_peer = *b.add_peer({key_a().public_key(), {}, addr_a, b_keepalive, mode.roaming}, now).value;
}

void DevicePair::collect(bool from_a, const std::function<void(Output &)> &call)
{
	Output out;
	call(out);
	const bool external = from_a ? mode.a_external : mode.b_external;
	for (auto &d : out.datagrams) {
		device_transport += external && wireguard_type(d.bytes) == WireGuardType::transport;
		in_flight.push_back({from_a, std::move(d)});
	}
	auto &delivered = from_a ? delivered_a : delivered_b;
	for (auto &p : out.packets)
		delivered.push_back(std::move(p));
	if (!external) {
		EXPECT_TRUE(out.events.empty() && out.to_seal.empty()) << "only the external data path has these";
		return;
	}
	(from_a ? workers_a : workers_b).apply(out);
	auto &log = from_a ? to_seal_a : to_seal_b;
	for (auto &t : out.to_seal) {
		// Refused only when the Device's keypair and the workers' disagree,
		// which no test should see: a real worker would punt it back.
		EXPECT_TRUE(seal(from_a, t.inner)) << "the workers could not seal what the Device handed them";
		log.push_back(std::move(t));
	}
	if (auto_report && !out.to_seal.empty())
		report(from_a);
}

void DevicePair::send(bool from_a, ByteSpan packet)
{
	Device &d = from_a ? a : b;
	const PeerId peer = from_a ? a_peer : b_peer;
	if ((from_a ? mode.a_external : mode.b_external) && seal(from_a, packet)) {
		if (auto_report)
			report(from_a);
		return;
	}
	collect(from_a, [&](Output &o) { d.send(peer, packet, now, o); });
}

bool DevicePair::seal(bool from_a, ByteSpan inner)
{
	WorkerDouble &w = from_a ? workers_a : workers_b;
	const PeerId peer = from_a ? a_peer : b_peer;
	std::optional<Bytes> msg = w.seal(peer, inner, now);
	if (!msg)
		return false;
	in_flight.push_back({from_a, {from_a ? addr_b : addr_a, std::move(*msg)}});
	// The control thread takes a rekey request as DataLink does.
	if (std::exchange(w.wants_handshake[peer], false)) {
		Device &d = from_a ? a : b;
		collect(from_a, [&](Output &o) { d.initiate(peer, now, o); });
	}
	return true;
}

void DevicePair::report(bool from_a)
{
	Device &d = from_a ? a : b;
	const PeerId peer = from_a ? a_peer : b_peer;
	const DataActivity activity = (from_a ? workers_a : workers_b).take_activity(peer);
	collect(from_a, [&](Output &o) { d.data_path_activity(peer, activity, now, o); });
}

void DevicePair::advance(Clock::duration d)
{
	now += d;
	const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
	const int64_t total = int64_t{wall.nanoseconds} + ns;
	wall.seconds += total / 1'000'000'000;
	wall.nanoseconds = static_cast<uint32_t>(total % 1'000'000'000);
	collect(true, [&](Output &o) { a.tick(now, o); });
	collect(false, [&](Output &o) { b.tick(now, o); });
}

bool DevicePair::deliver_one()
{
	if (in_flight.empty())
		return false;
	InFlight f = std::move(in_flight.front());
	in_flight.pop_front();
	if (filter && !filter(f))
		return true;
	if (f.from_a)
		inject_to_b(f.datagram.bytes);
	else
		inject_to_a(f.datagram.bytes);
	return true;
}

void DevicePair::deliver_all()
{
	while (deliver_one()) {
	}
}

void DevicePair::inject_to_a(ByteSpan bytes)
{
	if (mode.a_external && wireguard_type(bytes) == WireGuardType::transport) {
		if (std::optional<InnerPacket> p = workers_a.open(bytes, now); p && !p->bytes.empty())
			delivered_a.push_back(std::move(*p));
		if (auto_report)
			report(true);
		return;
	}
	collect(true, [&](Output &o) { a.receive(bytes, addr_b, now, o); });
}

void DevicePair::inject_to_b(ByteSpan bytes)
{
	if (mode.b_external && wireguard_type(bytes) == WireGuardType::transport) {
		if (std::optional<InnerPacket> p = workers_b.open(bytes, now); p && !p->bytes.empty())
			delivered_b.push_back(std::move(*p));
		if (auto_report)
			report(false);
		return;
	}
	collect(false, [&](Output &o) { b.receive(bytes, addr_a, now, o, b_load); });
}

bool DevicePair::a_reaches_b()
{
	const size_t before = delivered_b.size();
	const Bytes p = ipv4_packet(1, 2, 60, static_cast<uint8_t>(before));
	send_a(p);
	deliver_all();
	return delivered_b.size() == before + 1 && delivered_b.back().bytes == p;
}

bool DevicePair::b_reaches_a()
{
	const size_t before = delivered_a.size();
	const Bytes p = ipv4_packet(2, 1, 60, static_cast<uint8_t>(before));
	send_b(p);
	deliver_all();
	return delivered_a.size() == before + 1 && delivered_a.back().bytes == p;
}

std::shared_ptr<Keypair> DevicePair::keypair(Device &d, std::optional<uint32_t> index)
{
	if (!index)
		return nullptr;
	std::optional<IndexEntry> e = d.index_table().lookup(*index);
	return e ? e->keypair : nullptr;
}

} // namespace wayport::wireguard::test
