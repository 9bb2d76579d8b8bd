// Disco messages as JSON, with the field names wayportctl documents.
#pragma once

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>

#include "controlplane/disco/message.h"
#include "dataplane/wire/geneve.h"

namespace wayport::ctl {

// Keys keep the order they were set in: "type" first reads better.
using Json = nlohmann::ordered_json;

// Bad JSON input; the message names the field and what was expected.
struct JsonInputError : std::runtime_error {
	using std::runtime_error::runtime_error;
};

Json message_to_json(const disco::Message &m);
// Throws JsonInputError.
disco::Message message_from_json(const Json &j);

Json geneve_to_json(const GeneveHeader &h);
std::string geneve_protocol_name(uint16_t protocol);

} // namespace wayport::ctl
