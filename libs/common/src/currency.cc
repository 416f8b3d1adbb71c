#include "bidtrail/common/currency.h"

#include <algorithm>
#include <array>
#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "bidtrail/common/decimal.h"

namespace bidtrail {
namespace {

// ISO 4217 active codes, sorted (binary search).
constexpr std::array<std::string_view, 180> kCodes = {
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD",
    "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUC", "CUP",
    "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP",
    "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS",
    "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW",
    "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD",
    "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN",
    "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR",
    "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SLL",
    "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY",
    "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES",
    "VND", "VUV", "WST", "XAF", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XCD", "XCG", "XDR",
    "XOF", "XPD", "XPF", "XPT", "XSU", "XUA", "YER", "ZAR", "ZMW", "ZWG", "ZWL",
};

// Names and old codes people write for a currency.
struct Alias {
  std::string_view typed;  // lower case
  std::string_view code;
};
constexpr Alias kAliases[] = {
    {"rmb", "CNY"},   {"yuan", "CNY"},    {"renminbi", "CNY"}, {"cnh", "CNY"},  {"euro", "EUR"},
    {"euros", "EUR"}, {"dollar", "USD"},  {"us$", "USD"},      {"usd$", "USD"}, {"pound", "GBP"},
    {"yen", "JPY"},   {"hryvnia", "UAH"}, {"guarani", "PYG"},  {"peso", "MXN"}, {"ntd", "TWD"},
    {"rub", "RUB"},   {"rur", "RUB"},     {"byr", "BYN"},      {"vef", "VES"},  {"mro", "MRU"},
    {"std", "STN"},   {"hrk", "EUR"},     {"ltl", "EUR"},      {"lvl", "EUR"},
};

bool AllDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

int MinorUnits(std::string_view code) {
  // ISO 4217's exceptions to two decimal places.
  static constexpr std::string_view kNone[] = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY",
                                               "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
                                               "VND", "VUV", "XAF", "XOF", "XPF"};
  static constexpr std::string_view kThree[] = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
  static constexpr std::string_view kFour[] = {"CLF", "UYW"};
  for (std::string_view each : kNone) {
    if (code == each) return 0;
  }
  for (std::string_view each : kThree) {
    if (code == each) return 3;
  }
  for (std::string_view each : kFour) {
    if (code == each) return 4;
  }
  return 2;
}

bool IsIsoCurrency(std::string_view code) {
  return std::binary_search(kCodes.begin(), kCodes.end(), code);
}

std::optional<std::string> SuggestCurrency(std::string_view text) {
  const std::string lower = absl::AsciiStrToLower(std::string(text));
  for (const Alias& alias : kAliases) {
    if (alias.typed == lower) return std::string(alias.code);
  }
  const std::string upper = absl::AsciiStrToUpper(std::string(text));
  if (upper != text && IsIsoCurrency(upper)) return upper;
  return std::nullopt;
}

absl::StatusOr<std::string> NormalizeAmount(std::string_view text) {
  auto refuse = [&](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", std::string(text.substr(0, 40)), "\" is not an amount: ", std::string(why),
        "; write digits with an optional '.' and decimals, and ',' only between groups of "
        "three digits, such as 1250000.00 or 1,250,000.00"));
  };
  const size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (dot != std::string_view::npos && !AllDigits(fraction)) {
    return refuse(fraction.find_first_of(".,") != std::string_view::npos
                      ? "'.' is the decimal point and may appear once, after the thousands"
                      : "the decimals must be digits");
  }
  std::string digits;
  if (whole.find(',') == std::string_view::npos) {
    if (!AllDigits(whole)) return refuse("only digits before the decimal point");
    digits = std::string(whole);
  } else {
    // Thousands separators: a first group of 1 to 3 digits, then groups of
    // exactly 3. "1,2" or "12,50" (a decimal comma) is refused.
    size_t start = 0;
    bool first = true;
    while (true) {
      const size_t comma = whole.find(',', start);
      const std::string_view group = whole.substr(start, comma - start);
      if (!AllDigits(group) || (first ? group.size() > 3 : group.size() != 3)) {
        return refuse(
            "',' separates thousands, in groups of three digits (a decimal comma is not read)");
      }
      digits.append(group);
      first = false;
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
  }
  std::string normalized = digits;
  if (dot != std::string_view::npos) absl::StrAppend(&normalized, ".", std::string(fraction));
  if (!Decimal::Parse(normalized)) {
    return refuse("at most 18 digits before the decimal point and 9 after it");
  }
  return normalized;
}

}  // namespace bidtrail
