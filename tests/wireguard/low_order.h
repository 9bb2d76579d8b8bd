// The u-coordinates of every point of order 1, 2, 4 or 8 on Curve25519 and
// its twist, canonical and not (p - 1, p, p + 1): each forces an all-zero
// X25519 result, which WireGuard must refuse. Hex, little-endian.
#pragma once

namespace wayport::wireguard::test {

inline constexpr const char *kLowOrder[] = {
	"0000000000000000000000000000000000000000000000000000000000000000",
	"0100000000000000000000000000000000000000000000000000000000000000",
	"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
	"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
};

} // namespace wayport::wireguard::test
