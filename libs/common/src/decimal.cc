#include "bidtrail/common/decimal.h"

#include <algorithm>

namespace bidtrail {
namespace {

bool AllDigits(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::optional<Decimal> Decimal::Parse(std::string_view text) {
  const bool negative = !text.empty() && text[0] == '-';
  if (negative) text.remove_prefix(1);
  const size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (whole.empty() || whole.size() > 18 || fraction.size() > 9 || !AllDigits(whole) ||
      !AllDigits(fraction) || (dot != std::string_view::npos && fraction.empty())) {
    return std::nullopt;
  }
  __int128 value = 0;
  for (char c : whole) value = value * 10 + (c - '0');
  for (size_t i = 0; i < 9; ++i) value = value * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  return Decimal(negative ? -value : value);
}

std::string Decimal::ToString() const {
  __int128 value = nanos_ < 0 ? -nanos_ : nanos_;
  std::string fraction;
  for (int i = 0; i < 9; ++i) {
    fraction.insert(fraction.begin(), static_cast<char>('0' + static_cast<int>(value % 10)));
    value /= 10;
  }
  std::string whole;
  do {
    whole.insert(whole.begin(), static_cast<char>('0' + static_cast<int>(value % 10)));
    value /= 10;
  } while (value > 0);
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  std::string text = nanos_ < 0 ? "-" + whole : whole;
  if (!fraction.empty()) text += "." + fraction;
  return text;
}

std::string Decimal::ToFixed(int digits) const {
  digits = digits < 0 ? 0 : digits > 9 ? 9 : digits;
  __int128 unit = 1;
  for (int i = digits; i < 9; ++i) unit *= 10;
  const __int128 magnitude = nanos_ < 0 ? -nanos_ : nanos_;
  const __int128 rounded = (magnitude + unit / 2) / unit * unit;
  std::string text = Decimal(nanos_ < 0 ? -rounded : rounded).ToString();
  if (digits == 0) return text;
  size_t point = text.find('.');
  if (point == std::string::npos) {
    point = text.size();
    text += '.';
  }
  text.append(static_cast<size_t>(digits) - (text.size() - point - 1), '0');
  return text;
}

std::optional<Decimal> Decimal::Times(const Decimal& other) const {
  __int128 product;
  if (__builtin_mul_overflow(nanos_, other.nanos_, &product)) return std::nullopt;
  const __int128 half = product >= 0 ? 500000000 : -500000000;
  __int128 rounded;
  if (__builtin_add_overflow(product, half, &rounded)) return std::nullopt;
  return Decimal(rounded / 1000000000);
}

std::optional<Decimal> Decimal::DividedBy(const Decimal& other) const {
  if (other.nanos_ == 0) return std::nullopt;
  __int128 scaled;
  if (__builtin_mul_overflow(nanos_, static_cast<__int128>(1000000000), &scaled)) {
    return std::nullopt;
  }
  __int128 quotient = scaled / other.nanos_;
  const __int128 remainder = scaled % other.nanos_;
  // Half away from zero: |2 * remainder| >= |divisor|.
  const __int128 twice = remainder < 0 ? -2 * remainder : 2 * remainder;
  const __int128 divisor = other.nanos_ < 0 ? -other.nanos_ : other.nanos_;
  if (twice >= divisor) quotient += (scaled < 0) != (other.nanos_ < 0) ? -1 : 1;
  return Decimal(quotient);
}

}  // namespace bidtrail
