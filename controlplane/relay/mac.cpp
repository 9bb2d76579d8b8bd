#include "controlplane/relay/mac.h"

#include <blake2.h>

#include <cstring>

namespace wayport::relay {

disco::Challenge bind_mac(const MacSecret &secret, const AddrPort &src,
			  const disco::BindCommon &common)
{
	// 4 + 4 + 32 + at most 16 + 2.
	uint8_t in[4 + 4 + kDiscoKeyLen + 16 + 2];
	size_t n = 0;
	store_be32(in + n, common.vni);
	n += 4;
	store_be32(in + n, common.generation);
	n += 4;
	std::memcpy(in + n, common.remote_key.bytes.data(), kDiscoKeyLen);
	n += kDiscoKeyLen;
	if (src.is_v4) {
		std::memcpy(in + n, src.ip4(), 4);
		n += 4;
	} else {
		std::memcpy(in + n, src.ip.data(), 16);
		n += 16;
	}
	in[n++] = static_cast<uint8_t>(src.port);
	in[n++] = static_cast<uint8_t>(src.port >> 8);

	disco::Challenge mac;
	blake2s(mac.data(), in, secret.data(), mac.size(), n, secret.size());
	return mac;
}

void MacSecrets::maybe_rotate(Time now, RandomSource &random)
{
	if (count_ > 0 && now - rotated_at_ < interval_)
		return;
	secrets_[1] = secrets_[0];
	random.fill(secrets_[0]);
	if (count_ < 2)
		count_++;
	rotated_at_ = now;
}

} // namespace wayport::relay
