#include "dataplane/wire/geneve.h"

namespace wayport {

const char *to_string(GeneveError e)
{
	switch (e) {
	case GeneveError::ok: return "ok";
	case GeneveError::short_buffer: return "buffer shorter than 8 bytes";
	case GeneveError::version_too_large: return "version must be <= 3";
	case GeneveError::vni_too_large: return "VNI must be <= 16777215";
	}
	return "unknown Geneve error";
}

GeneveError geneve_encode(const GeneveHeader &h, std::span<uint8_t> out)
{
	if (out.size() < kGeneveHeaderLen)
		return GeneveError::short_buffer;
	if (h.version > 3)
		return GeneveError::version_too_large;
	if (h.vni > kVniMax)
		return GeneveError::vni_too_large;
	out[0] = static_cast<uint8_t>(h.version << 6);
	out[1] = h.control ? 0x80 : 0;
	store_be16(&out[2], h.protocol);
	store_be32(&out[4], h.vni << 8);
	return GeneveError::ok;
}

} // namespace wayport
