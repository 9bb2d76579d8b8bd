#include "controlplane/common/go_duration.h"

#include <cstdint>

namespace wayport {

namespace {

constexpr uint64_t kTwo63 = uint64_t{1} << 63;

bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

// Go's leadingInt: false on overflow past 2^63, which is the magnitude of
// the most negative Duration.
bool leading_int(std::string_view &s, uint64_t &v)
{
	size_t i = 0;
	for (; i < s.size() && is_digit(s[i]); i++) {
		if (v > kTwo63 / 10)
			return false;
		v = v * 10 + static_cast<uint64_t>(s[i] - '0');
		if (v > kTwo63)
			return false;
	}
	s.remove_prefix(i);
	return true;
}

// Go's leadingFraction: digits past what 63 bits hold are dropped, not an
// error, since they are below a nanosecond anyway.
void leading_fraction(std::string_view &s, uint64_t &f, double &scale)
{
	size_t i = 0;
	bool overflow = false;
	for (; i < s.size() && is_digit(s[i]); i++) {
		if (overflow)
			continue;
		if (f > (kTwo63 - 1) / 10) {
			overflow = true;
			continue;
		}
		uint64_t y = f * 10 + static_cast<uint64_t>(s[i] - '0');
		if (y > kTwo63) {
			overflow = true;
			continue;
		}
		f = y;
		scale *= 10;
	}
	s.remove_prefix(i);
}

uint64_t unit_ns(std::string_view u)
{
	struct Unit {
		std::string_view name;
		Duration ns;
	};
	// Go accepts both micro signs: U+00B5 and the Greek mu U+03BC.
	static constexpr Unit units[] = {
		{"ns", kNanosecond}, {"us", kMicrosecond}, {"\xc2\xb5s", kMicrosecond},
		{"\xce\xbcs", kMicrosecond}, {"ms", kMillisecond}, {"s", kSecond},
		{"m", kMinute}, {"h", kHour},
	};
	for (const auto &unit : units)
		if (unit.name == u)
			return static_cast<uint64_t>(unit.ns);
	return 0;
}

} // namespace

DurationError parse_go_duration(std::string_view s, Duration &out)
{
	bool neg = false;
	if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		s.remove_prefix(1);
	}
	// The one unitless value Go allows.
	if (s == "0") {
		out = 0;
		return DurationError::ok;
	}
	if (s.empty())
		return DurationError::syntax;

	uint64_t d = 0;
	while (!s.empty()) {
		if (s[0] != '.' && !is_digit(s[0]))
			return DurationError::syntax;
		uint64_t v = 0, f = 0;
		double scale = 1;
		size_t before = s.size();
		if (!leading_int(s, v))
			return DurationError::overflow;
		bool pre = s.size() != before;
		bool post = false;
		if (!s.empty() && s[0] == '.') {
			s.remove_prefix(1);
			before = s.size();
			leading_fraction(s, f, scale);
			post = s.size() != before;
		}
		// "." alone is not a number; "1." and ".5" are.
		if (!pre && !post)
			return DurationError::syntax;

		size_t i = 0;
		while (i < s.size() && s[i] != '.' && !is_digit(s[i]))
			i++;
		uint64_t unit = unit_ns(s.substr(0, i));
		if (unit == 0)
			return DurationError::syntax;
		s.remove_prefix(i);

		if (v > kTwo63 / unit)
			return DurationError::overflow;
		v *= unit;
		if (f > 0) {
			// As Go: float64 keeps fractions of an hour nanosecond-exact,
			// and the product is at most one unit, so it cannot overflow.
			v += static_cast<uint64_t>(static_cast<double>(f) *
						   (static_cast<double>(unit) / scale));
			if (v > kTwo63)
				return DurationError::overflow;
		}
		d += v;
		if (d > kTwo63)
			return DurationError::overflow;
	}
	if (neg && d != 0)
		return DurationError::negative;
	if (d > kTwo63 - 1)
		return DurationError::overflow;
	out = static_cast<Duration>(d);
	return DurationError::ok;
}

namespace {

// Go's fmtFrac: the fraction of v / 10^prec without trailing zeros, and
// without the point when the fraction is zero. Writes backwards from w.
int fmt_frac(char *buf, int w, uint64_t &v, int prec)
{
	bool print = false;
	for (int i = 0; i < prec; i++) {
		unsigned digit = static_cast<unsigned>(v % 10);
		print = print || digit != 0;
		if (print)
			buf[--w] = static_cast<char>('0' + digit);
		v /= 10;
	}
	if (print)
		buf[--w] = '.';
	return w;
}

int fmt_int(char *buf, int w, uint64_t v)
{
	if (v == 0) {
		buf[--w] = '0';
		return w;
	}
	for (; v > 0; v /= 10)
		buf[--w] = static_cast<char>('0' + v % 10);
	return w;
}

} // namespace

std::string go_duration_string(Duration d)
{
	char buf[32];
	int w = sizeof(buf);
	// Unsigned negation, as Go does, so the most negative value works.
	uint64_t u = static_cast<uint64_t>(d);
	bool neg = d < 0;
	if (neg)
		u = -u;

	if (u < static_cast<uint64_t>(kSecond)) {
		int prec = 0;
		buf[--w] = 's';
		if (u == 0) {
			buf[--w] = '0';
			return std::string(buf + w, sizeof(buf) - w);
		}
		if (u < static_cast<uint64_t>(kMicrosecond)) {
			buf[--w] = 'n';
		} else if (u < static_cast<uint64_t>(kMillisecond)) {
			prec = 3;
			buf[--w] = '\xb5';  // U+00B5 MICRO SIGN in UTF-8
			buf[--w] = '\xc2';
		} else {
			prec = 6;
			buf[--w] = 'm';
		}
		w = fmt_frac(buf, w, u, prec);
		w = fmt_int(buf, w, u);
	} else {
		buf[--w] = 's';
		w = fmt_frac(buf, w, u, 9);
		w = fmt_int(buf, w, u % 60);  // seconds
		u /= 60;
		if (u > 0) {
			buf[--w] = 'm';
			w = fmt_int(buf, w, u % 60);
			u /= 60;
			// Go stops at hours: days differ in length.
			if (u > 0) {
				buf[--w] = 'h';
				w = fmt_int(buf, w, u);
			}
		}
	}
	if (neg)
		buf[--w] = '-';
	return std::string(buf + w, sizeof(buf) - w);
}

} // namespace wayport
