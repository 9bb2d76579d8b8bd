#include "controlplane/disco/seal.h"

#include <sodium.h>

#include "controlplane/disco/sodium_ready.h"

namespace wayport::disco {

void seal(const SharedKey &shared, const PublicKey &sender, ByteSpan plaintext, Bytes &out,
	  const Nonce *nonce)
{
	sodium_ready();
	size_t start = out.size();
	out.resize(start + kDiscoSealOverhead + plaintext.size());
	uint8_t *p = out.data() + start;
	std::memcpy(p, kDiscoMagic, kDiscoMagicLen);
	p += kDiscoMagicLen;
	std::memcpy(p, sender.bytes.data(), kDiscoKeyLen);
	p += kDiscoKeyLen;
	if (nonce)
		std::memcpy(p, nonce->data(), kDiscoNonceLen);
	else
		randombytes_buf(p, kDiscoNonceLen);
	const uint8_t *n = p;
	p += kDiscoNonceLen;
	crypto_box_easy_afternm(p, plaintext.data(), plaintext.size(), n, shared.bytes.data());
}

std::optional<Bytes> open(const SharedKey &shared, ByteSpan frame)
{
	sodium_ready();
	if (!looks_like_disco_wrapper(frame) || frame.size() < kDiscoSealOverhead)
		return std::nullopt;
	const uint8_t *nonce = frame.data() + kDiscoHeaderLen;
	const uint8_t *box = nonce + kDiscoNonceLen;
	size_t box_len = frame.size() - kDiscoWrapperMinLen;
	Bytes plain(box_len - kDiscoTagLen);
	if (crypto_box_open_easy_afternm(plain.data(), box, box_len, nonce, shared.bytes.data()) != 0)
		return std::nullopt;
	return plain;
}

} // namespace wayport::disco
