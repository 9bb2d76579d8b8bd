#include "controlplane/control/stun.h"

#include <cstring>

#include "dataplane/wire/classify.h"

namespace wayport {

namespace {

constexpr uint16_t kBindingRequest = 0x0001;
constexpr uint16_t kBindingSuccess = 0x0101;
constexpr uint16_t kXorMappedAddress = 0x0020;
constexpr size_t kTransactionIdLen = 12;

} // namespace

std::optional<Bytes> stun_binding_response(ByteSpan req, const AddrPort &observed)
{
	if (!is_stun(req) || load_be16(&req[0]) != kBindingRequest)
		return std::nullopt;
	// The length counts attributes after the header, in whole 4-byte words.
	uint16_t len = load_be16(&req[2]);
	if (len % 4 != 0 || kStunHeaderLen + len != req.size())
		return std::nullopt;

	size_t addr_len = observed.is_v4 ? 4 : 16;
	uint16_t attr_len = static_cast<uint16_t>(4 + addr_len);
	Bytes resp(kStunHeaderLen + 4 + attr_len);
	store_be16(&resp[0], kBindingSuccess);
	store_be16(&resp[2], static_cast<uint16_t>(4 + attr_len));
	std::memcpy(&resp[4], kStunMagicCookie, sizeof(kStunMagicCookie));
	std::memcpy(&resp[8], &req[8], kTransactionIdLen);

	uint8_t *attr = &resp[kStunHeaderLen];
	store_be16(attr, kXorMappedAddress);
	store_be16(attr + 2, attr_len);
	attr[4] = 0;
	attr[5] = observed.is_v4 ? 0x01 : 0x02;
	store_be16(attr + 6, static_cast<uint16_t>(observed.port ^ (load_be32(kStunMagicCookie) >> 16)));
	// The address is XORed with the cookie, then (IPv6) the transaction ID.
	const uint8_t *ip = observed.is_v4 ? observed.ip4() : observed.ip.data();
	for (size_t i = 0; i < addr_len; i++)
		attr[8 + i] = ip[i] ^ resp[4 + i];
	return resp;
}

} // namespace wayport
