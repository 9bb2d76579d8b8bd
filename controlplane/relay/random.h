// Where the relay core gets its randomness (MAC secrets, box nonces). An
// interface so tests can play back the vectors' secret and nonces.
#pragma once

#include <cstdint>
#include <span>

namespace wayport::relay {

class RandomSource {
public:
	virtual ~RandomSource() = default;
	virtual void fill(std::span<uint8_t> out) = 0;
};

// libsodium's randombytes_buf.
class SystemRandom final : public RandomSource {
public:
	void fill(std::span<uint8_t> out) override;
};

} // namespace wayport::relay
