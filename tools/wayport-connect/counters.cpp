#include "tools/wayport-connect/counters.h"

namespace wayport::connect {

nlohmann::json to_json(const Counters &c)
{
	return {
		{"to_relay_packets", c.to_relay_packets},
		{"to_relay_bytes", c.to_relay_bytes},
		{"from_relay_packets", c.from_relay_packets},
		{"from_relay_bytes", c.from_relay_bytes},
		{"dropped_no_path", c.dropped_no_path},
		{"dropped_send", c.dropped_send},
		{"dropped_truncated", c.dropped_truncated},
		{"dropped_unexpected", c.dropped_unexpected},
		{"allocations", c.allocations},
		{"reallocations", c.reallocations},
		{"handshakes", c.handshakes},
		{"rebinds", c.rebinds},
		{"pings_sent", c.pings_sent},
		{"pongs_received", c.pongs_received},
		{"pings_received", c.pings_received},
	};
}

} // namespace wayport::connect
