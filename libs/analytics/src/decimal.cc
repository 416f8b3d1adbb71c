#include "bidtrail/analytics/decimal.h"

#include <algorithm>

namespace bidtrail::analytics {

std::optional<Decimal> Decimal::Parse(const std::string& text) {
  size_t at = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (negative) at = 1;
  const size_t dot = text.find('.', at);
  const std::string whole =
      text.substr(at, dot == std::string::npos ? std::string::npos : dot - at);
  const std::string fraction = dot == std::string::npos ? "" : text.substr(dot + 1);
  auto digits = [](const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (whole.empty() || whole.size() > 18 || fraction.size() > 9 || !digits(whole) ||
      !digits(fraction) || (dot != std::string::npos && fraction.empty())) {
    return std::nullopt;
  }
  __int128 value = 0;
  for (char c : whole) value = value * 10 + (c - '0');
  for (int i = 0; i < 9; ++i) {
    value = value * 10 + (i < static_cast<int>(fraction.size()) ? fraction[i] - '0' : 0);
  }
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

Decimal Decimal::Times(const Decimal& other) const {
  const __int128 product = nanos_ * other.nanos_;
  const __int128 half = product >= 0 ? 500000000 : -500000000;
  return Decimal((product + half) / 1000000000);
}

}  // namespace bidtrail::analytics
