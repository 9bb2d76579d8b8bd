#include "controlplane/wireguard/key.h"

#include <sodium.h>

#include "controlplane/disco/sodium_ready.h"

namespace wayport::wireguard {

namespace {

std::string encode(const Key32 &k)
{
	char out[kKeyBase64Len + 1];
	sodium_bin2base64(out, sizeof(out), k.data(), k.size(), sodium_base64_VARIANT_ORIGINAL);
	return std::string(out, kKeyBase64Len);
}

// Strict: exactly 44 characters of standard base64 with its one '=', and
// (libsodium checks this) no stray bits in the last digit, so every key has
// one text form.
Parsed<Key32> decode(std::string_view text)
{
	if (text.size() != kKeyBase64Len)
		return {std::nullopt, "key is " + std::to_string(text.size()) + " characters, want " +
					      std::to_string(kKeyBase64Len)};
	Key32 k;
	size_t n = 0;
	const char *end = nullptr;
	disco::sodium_ready();
	if (sodium_base642bin(k.data(), k.size(), text.data(), text.size(), nullptr, &n, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != text.data() + text.size())
		return {std::nullopt, "key is not valid base64"};
	if (n != kKeyLen)
		return {std::nullopt, "key decodes to " + std::to_string(n) + " bytes, want 32"};
	return {k, {}};
}

void clamp(Key32 &k)
{
	k[0] &= 248;
	k[31] &= 127;
	k[31] |= 64;
}

} // namespace

std::string PublicKey::to_base64() const
{
	return encode(bytes);
}

Parsed<PublicKey> PublicKey::from_base64(std::string_view text)
{
	Parsed<Key32> k = decode(text);
	if (!k)
		return {std::nullopt, std::move(k.error)};
	return {PublicKey{*k.value}, {}};
}

PrivateKey &PrivateKey::operator=(const PrivateKey &other)
{
	raw_ = other.raw_;
	return *this;
}

PrivateKey::~PrivateKey()
{
	sodium_memzero(raw_.data(), raw_.size());
}

PrivateKey PrivateKey::generate()
{
	disco::sodium_ready();
	Key32 raw;
	randombytes_buf(raw.data(), raw.size());
	PrivateKey k = from_raw(raw);
	sodium_memzero(raw.data(), raw.size());
	return k;
}

PrivateKey PrivateKey::from_raw(const Key32 &raw)
{
	PrivateKey k;
	k.raw_ = raw;
	clamp(k.raw_);
	return k;
}

Parsed<PrivateKey> PrivateKey::from_base64(std::string_view text)
{
	Parsed<Key32> k = decode(text);
	if (!k)
		return {std::nullopt, std::move(k.error)};
	Parsed<PrivateKey> out{from_raw(*k.value), {}};
	sodium_memzero(k.value->data(), kKeyLen);
	return out;
}

PublicKey PrivateKey::public_key() const
{
	disco::sodium_ready();
	PublicKey pub;
	crypto_scalarmult_base(pub.bytes.data(), raw_.data());
	return pub;
}

std::string PrivateKey::to_base64() const
{
	return encode(raw_);
}

} // namespace wayport::wireguard
