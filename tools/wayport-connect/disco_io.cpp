#include "tools/wayport-connect/disco_io.h"

#include "controlplane/disco/seal.h"
#include "dataplane/wire/disco_frame.h"

namespace wayport::connect {

std::optional<Correspondent> Correspondent::make(const disco::PrivateKey &self, const disco::PublicKey &key)
{
	auto shared = disco::shared_key(self, key);
	if (!shared)
		return std::nullopt;
	return Correspondent{key, *shared};
}

Bytes seal_to(const Correspondent &to, const disco::PublicKey &self, const disco::Message &m,
	      std::optional<GeneveHeader> geneve)
{
	Bytes out;
	if (geneve) {
		out.resize(kGeneveHeaderLen);
		geneve_encode(*geneve, out);
	}
	disco::seal(to.shared, self, disco::marshal(m), out);
	return out;
}

std::optional<disco::Message> open_from(const Correspondent &from, ByteSpan frame)
{
	if (!looks_like_disco_wrapper(frame) || disco::PublicKey::from_raw(disco_sender(frame)) != from.key)
		return std::nullopt;
	auto plain = disco::open(from.shared, frame);
	disco::Message m;
	if (!plain || disco::parse(*plain, m) != disco::ParseError::ok)
		return std::nullopt;
	return m;
}

} // namespace wayport::connect
