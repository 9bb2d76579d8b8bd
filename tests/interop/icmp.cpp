#include "tests/interop/icmp.h"

#include <cstring>

#include "dataplane/packet/checksum.h"

namespace wayport::test {

namespace {

constexpr size_t kIp4HeaderLen = 20;
constexpr size_t kIcmpHeaderLen = 8;
constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kTtl = 64;

// The sum of b's 16-bit big-endian words, an odd last byte padded with
// zero (RFC 1071); fold_sum folds it.
uint64_t raw_sum(ByteSpan b)
{
	uint64_t sum = 0;
	size_t i = 0;
	for (; i + 1 < b.size(); i += 2)
		sum += load_be16(&b[i]);
	if (i < b.size())
		sum += uint64_t{b[i]} << 8;
	return sum;
}

uint16_t checksum(ByteSpan b)
{
	return static_cast<uint16_t>(~fold_sum(raw_sum(b)));
}

bool sums_to_zero(ByteSpan b)
{
	return fold_sum(raw_sum(b)) == 0xffff;
}

// Both checksums of an IPv4 packet with header length ihl holding ICMP.
void set_checksums(Bytes &p, size_t ihl)
{
	store_be16(&p[10], 0);
	store_be16(&p[10], checksum(ByteSpan(p).first(ihl)));
	store_be16(&p[ihl + 2], 0);
	store_be16(&p[ihl + 2], checksum(ByteSpan(p).subspan(ihl)));
}

} // namespace

Bytes icmp_echo(const Ip4 &src, const Ip4 &dst, uint8_t type, uint16_t id, uint16_t seq, ByteSpan data)
{
	Bytes p(kIp4HeaderLen + kIcmpHeaderLen + data.size());
	p[0] = 0x45;  // version 4, five words of header
	store_be16(&p[2], static_cast<uint16_t>(p.size()));
	store_be16(&p[6], 0x4000);  // don't fragment
	p[8] = kTtl;
	p[9] = kProtoIcmp;
	std::memcpy(&p[12], src.data(), 4);
	std::memcpy(&p[16], dst.data(), 4);
	uint8_t *icmp = &p[kIp4HeaderLen];
	icmp[0] = type;
	store_be16(icmp + 4, id);
	store_be16(icmp + 6, seq);
	if (!data.empty())
		std::memcpy(icmp + kIcmpHeaderLen, data.data(), data.size());
	set_checksums(p, kIp4HeaderLen);
	return p;
}

std::optional<Echo> parse_echo(ByteSpan p)
{
	if (p.size() < kIp4HeaderLen || p[0] >> 4 != 4)
		return std::nullopt;
	size_t ihl = (p[0] & 0x0f) * 4u;
	// The tunnel hands over the packet exactly as long as its header says.
	if (ihl < kIp4HeaderLen || load_be16(&p[2]) != p.size() || p.size() < ihl + kIcmpHeaderLen)
		return std::nullopt;
	if (p[9] != kProtoIcmp || !sums_to_zero(p.first(ihl)) || !sums_to_zero(p.subspan(ihl)))
		return std::nullopt;
	const uint8_t *icmp = &p[ihl];
	if ((icmp[0] != kIcmpEchoRequest && icmp[0] != kIcmpEchoReply) || icmp[1] != 0)
		return std::nullopt;
	Echo e;
	std::memcpy(e.src.data(), &p[12], 4);
	std::memcpy(e.dst.data(), &p[16], 4);
	e.type = icmp[0];
	e.id = load_be16(icmp + 4);
	e.seq = load_be16(icmp + 6);
	return e;
}

std::optional<Bytes> echo_reply(ByteSpan packet)
{
	std::optional<Echo> e = parse_echo(packet);
	if (!e || e->type != kIcmpEchoRequest)
		return std::nullopt;
	Bytes p(packet.begin(), packet.end());
	size_t ihl = (p[0] & 0x0f) * 4u;
	std::memcpy(&p[12], e->dst.data(), 4);
	std::memcpy(&p[16], e->src.data(), 4);
	p[8] = kTtl;
	p[ihl] = kIcmpEchoReply;
	set_checksums(p, ihl);
	return p;
}

} // namespace wayport::test
