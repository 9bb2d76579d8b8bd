// The config's text values that are neither addresses nor durations: port
// names, DPDK device names and EAL lcore lists.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wayport::config {

// Lcore ids stop below RTE_MAX_LCORE (128 in Debian's DPDK build); EAL
// refuses anything larger.
inline constexpr unsigned kMaxLcore = 127;

// [a-z0-9_-]{1,15}: short enough for a Linux interface name, which is how
// the port shows up in logs and metrics labels.
bool is_port_name(std::string_view name);

// A DPDK vdev name: a net_ driver name and an instance suffix
// ("net_af_packet0", "net_ring0", "net_tap0"), [a-z0-9_], below
// RTE_DEV_NAME_MAX_LEN.
bool is_vdev_name(std::string_view name);

// A PCI address "0000:01:00.0" or without its domain "01:00.0", either
// case; returned in EAL's full lowercase form, so one device written two
// ways is still one device.
std::optional<std::string> normalize_pci_address(std::string_view text);

// An EAL-style lcore list: "1-3", "1,3,5-7". Ids come back in the order
// written; nothing comes back on bad syntax, a descending range or an id
// above kMaxLcore. Duplicates are the caller's to judge.
std::optional<std::vector<unsigned>> parse_lcore_list(std::string_view text);

} // namespace wayport::config
