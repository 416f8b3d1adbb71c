// Currencies and amounts as people type them. ISO 4217's active codes (the
// list below, as published in 2025, without XTS "testing" and XXX "no
// currency"), and the one unambiguous way to write an amount. Pure;
// thread-safe.
#ifndef BIDTRAIL_COMMON_CURRENCY_H_
#define BIDTRAIL_COMMON_CURRENCY_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace bidtrail {

// An active ISO 4217 code ("CNY", "EUR"); exact, upper case.
bool IsIsoCurrency(std::string_view code);

// The number of decimal places of the currency's minor unit (ISO 4217): 2
// for most, 0 for JPY, KRW, PYG and others, 3 for BHD, KWD and others, 4
// for CLF and UYW.
int MinorUnits(std::string_view code);

// What someone who typed `text` probably meant: "CNY" for "RMB", "yuan" or
// "cny"; std::nullopt when nothing close is known.
std::optional<std::string> SuggestCurrency(std::string_view text);

// The amount as bidtrail stores it (digits, an optional '.' and 1 to 9
// fraction digits: "1250000.00") from what a person typed: digits, with
// thousands separators allowed only as ',' between correct groups of three
// ("1,250,000.00"), and '.' only as the decimal point. Anything else is
// refused naming what was typed ("1,2", "2.500.000,00", "1 250 000",
// "1e6", "-5"), rather than read as something else.
absl::StatusOr<std::string> NormalizeAmount(std::string_view text);

}  // namespace bidtrail

#endif  // BIDTRAIL_COMMON_CURRENCY_H_
