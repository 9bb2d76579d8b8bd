// Answers STUN binding requests on the relay port (RFC 5389), so clients
// and operators can see the address the relay observes for them.
#pragma once

#include <optional>

#include "dataplane/wire/addr.h"
#include "dataplane/wire/bytes.h"

namespace wayport {

// The binding success response for request, carrying `observed` as
// XOR-MAPPED-ADDRESS; nothing if request is not a well-formed binding
// request.
std::optional<Bytes> stun_binding_response(ByteSpan request, const AddrPort &observed);

} // namespace wayport
