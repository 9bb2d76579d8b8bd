#include "controlplane/relay/metrics.h"

#include <string_view>

namespace wayport::relay {

namespace {

constexpr const char *kDropNames[] = {
	"too_short", "stun", "unknown_vni", "control_protocol", "control_not_disco",
	"control_unknown_sender", "control_open_failed", "control_parse_error",
	"control_unexpected_type", "handshake_bad_vni", "handshake_bad_remote_key",
	"bind_zero_generation", "answer_no_handshake", "answer_generation_mismatch",
	"answer_bad_mac", "reply_no_room", "data",
};
static_assert(std::size(kDropNames) == static_cast<size_t>(DropReason::count));

constexpr const char *kRefusalNames[] = {
	"not_disco", "no_node_key", "not_allowed", "bad_sender_key", "open_failed",
	"parse_error", "not_request", "version", "sender_not_client", "rate_limited",
	"per_key_cap", "server_key", "bad_client_key", "not_ready", "pool_exhausted", "no_room",
};
static_assert(std::size(kRefusalNames) == static_cast<size_t>(AllocRefusal::count));

constexpr const char *kHandshakeNames[] = {"challenge_sent", "bound", "rebound", "refreshed"};
static_assert(std::size(kHandshakeNames) == static_cast<size_t>(HandshakeOutcome::count));

constexpr const char *kAllocNames[] = {"allocated", "existing"};
static_assert(std::size(kAllocNames) == static_cast<size_t>(AllocOutcome::count));

constexpr const char *kFamilyNames[] = {"udp4", "udp6"};

constexpr std::string_view kPrefix = "wayport_peer_relay_";

void header(std::string &out, std::string_view name, std::string_view type, std::string_view help)
{
	out.append("# HELP ").append(kPrefix).append(name).append(" ").append(help).append("\n");
	out.append("# TYPE ").append(kPrefix).append(name).append(" ").append(type).append("\n");
}

void sample(std::string &out, std::string_view name, std::string_view labels, uint64_t v)
{
	out.append(kPrefix).append(name).append("{").append(labels).append("} ");
	out.append(std::to_string(v)).append("\n");
}

template <size_t N>
void per_label(std::string &out, std::string_view name, std::string_view label,
	       const char *const (&names)[N], const std::array<uint64_t, N> &values)
{
	for (size_t i = 0; i < N; i++) {
		std::string labels = std::string(label) + "=\"" + names[i] + "\"";
		sample(out, name, labels, values[i]);
	}
}

void per_transport(std::string &out, std::string_view name, const uint64_t (&v)[2][2])
{
	for (int in = 0; in < 2; in++)
		for (int o = 0; o < 2; o++) {
			std::string labels = std::string("transport_in=\"") + kFamilyNames[in] +
					     "\",transport_out=\"" + kFamilyNames[o] + "\"";
			sample(out, name, labels, v[in][o]);
		}
}

} // namespace

const char *to_string(DropReason r) { return kDropNames[static_cast<size_t>(r)]; }
const char *to_string(AllocRefusal r) { return kRefusalNames[static_cast<size_t>(r)]; }
const char *to_string(HandshakeOutcome o) { return kHandshakeNames[static_cast<size_t>(o)]; }
const char *to_string(AllocOutcome o) { return kAllocNames[static_cast<size_t>(o)]; }

std::string render_prometheus(const Metrics &m)
{
	std::string out;
	header(out, "forwarded_packets_total", "counter",
	       "Data packets relayed between the two clients of an endpoint.");
	per_transport(out, "forwarded_packets_total", m.forwarded_packets);
	header(out, "forwarded_bytes_total", "counter",
	       "Bytes of relayed data packets, Geneve header included.");
	per_transport(out, "forwarded_bytes_total", m.forwarded_bytes);

	header(out, "endpoints", "gauge", "Allocated endpoints by state.");
	sample(out, "endpoints", "state=\"connecting\"", m.endpoints_connecting);
	sample(out, "endpoints", "state=\"open\"", m.endpoints_open);

	header(out, "endpoints_expired_total", "counter", "Endpoints removed by the garbage collector.");
	out.append(kPrefix).append("endpoints_expired_total ");
	out.append(std::to_string(m.endpoints_expired)).append("\n");

	header(out, "dropped_packets_total", "counter", "Packets dropped at the relay port, by reason.");
	per_label(out, "dropped_packets_total", "reason", kDropNames, m.drops);
	header(out, "handshakes_total", "counter", "Bind handshake steps that succeeded, by outcome.");
	per_label(out, "handshakes_total", "outcome", kHandshakeNames, m.handshakes);
	header(out, "allocations_total", "counter", "Allocation requests answered, by outcome.");
	per_label(out, "allocations_total", "outcome", kAllocNames, m.allocations);
	header(out, "allocation_refusals_total", "counter",
	       "Allocation requests refused without a response, by reason.");
	per_label(out, "allocation_refusals_total", "reason", kRefusalNames, m.alloc_refusals);
	return out;
}

} // namespace wayport::relay
