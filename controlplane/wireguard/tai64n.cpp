#include "controlplane/wireguard/tai64n.h"

#include <chrono>

#include "dataplane/wire/bytes.h"

namespace wayport::wireguard {

namespace {

constexpr uint64_t kTai64Offset = uint64_t{1} << 62;
constexpr uint32_t kNanosecondGranularity = uint32_t{1} << 24;

} // namespace

WallTime system_wall_time()
{
	auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
			  std::chrono::system_clock::now().time_since_epoch())
			  .count();
	return {ns / 1'000'000'000, static_cast<uint32_t>(ns % 1'000'000'000)};
}

Tai64n Tai64n::from(WallTime t)
{
	Tai64n out;
	store_be64(out.bytes.data(), kTai64Offset + static_cast<uint64_t>(t.seconds));
	store_be32(out.bytes.data() + 8, t.nanoseconds - t.nanoseconds % kNanosecondGranularity);
	return out;
}

} // namespace wayport::wireguard
