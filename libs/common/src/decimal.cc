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

std::optional<Decimal> Decimal::Times(const Decimal& other) const {
  __int128 product;
  if (__builtin_mul_overflow(nanos_, other.nanos_, &product)) return std::nullopt;
  const __int128 half = product >= 0 ? 500000000 : -500000000;
  __int128 rounded;
  if (__builtin_add_overflow(product, half, &rounded)) return std::nullopt;
  return Decimal(rounded / 1000000000);
}

}  // namespace bidtrail
