#include "controlplane/disco/key.h"

#include <sodium.h>

#include <cstring>

#include "controlplane/disco/sodium_ready.h"

namespace wayport::disco {

static constexpr std::string_view kTextPrefix = "discokey:";

std::string PublicKey::to_text() const
{
	return std::string(kTextPrefix) + to_hex(bytes);
}

std::optional<PublicKey> PublicKey::from_text(std::string_view text)
{
	if (!text.starts_with(kTextPrefix) || text.size() != kTextPrefix.size() + 2 * kDiscoKeyLen)
		return std::nullopt;
	auto raw = wayport::from_hex(text.substr(kTextPrefix.size()));
	if (!raw || raw->size() != kDiscoKeyLen)
		return std::nullopt;
	return from_raw(raw->data());
}

PublicKey PublicKey::from_raw(const uint8_t raw[kDiscoKeyLen])
{
	PublicKey k;
	std::memcpy(k.bytes.data(), raw, kDiscoKeyLen);
	return k;
}

std::string PublicKey::short_text() const
{
	return "d:" + to_hex(ByteSpan(bytes.data(), 8));
}

PrivateKey PrivateKey::generate()
{
	sodium_ready();
	Key32 raw;
	randombytes_buf(raw.data(), raw.size());
	raw[0] &= 248;
	raw[31] = (raw[31] & 127) | 64;
	return from_raw(raw);
}

PrivateKey PrivateKey::from_raw(const Key32 &raw)
{
	PrivateKey k;
	k.raw_ = raw;
	return k;
}

std::optional<PrivateKey> PrivateKey::from_hex(std::string_view hex)
{
	auto raw = wayport::from_hex(hex);
	if (!raw || raw->size() != kDiscoKeyLen)
		return std::nullopt;
	Key32 k;
	std::memcpy(k.data(), raw->data(), k.size());
	return from_raw(k);
}

PublicKey PrivateKey::public_key() const
{
	sodium_ready();
	PublicKey pub;
	crypto_scalarmult_base(pub.bytes.data(), raw_.data());
	return pub;
}

std::optional<SharedKey> shared_key(const PrivateKey &self, const PublicKey &peer)
{
	sodium_ready();
	SharedKey shared;
	if (crypto_box_beforenm(shared.bytes.data(), peer.bytes.data(), self.raw().data()) != 0)
		return std::nullopt;
	return shared;
}

} // namespace wayport::disco
