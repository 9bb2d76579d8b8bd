// The configuration wayportd runs with when given no --config: one TAP
// port, so the relay is reachable from the same host with no NIC and no
// namespaces (scripts/run sets up the host side of the TAP).
#pragma once

namespace wayport {

inline constexpr const char *kDefaultConfigName = "<embedded default>";

inline constexpr const char *kDefaultConfig = R"(ports:
  - name: tap
    device: net_tap0
    vdev_args: iface=wayport0
    ipv4: 10.77.0.2/24
    ipv6: fd77::2/64
lcores:
  control: 0
  workers: [1]
node:
  state_dir: /var/lib/wayport
relay:
  port: 7777
api:
  socket: /run/wayport/api.sock
dataplane:
  mbufs: 4095
)";

} // namespace wayport
