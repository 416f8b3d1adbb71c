#include "bidtrail/common/validate.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bidtrail/common/currency.h"

namespace bidtrail {

bool IsPrintableAscii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) <= 0x7e;
  });
}

absl::Status CheckPrintableAscii(std::string_view text, std::string_view field) {
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c > 0x7e) {
      return absl::InvalidArgumentError(
          absl::StrCat(std::string(field), ": byte ", i, " (0x", absl::Hex(c, absl::kZeroPad2),
                       ") is not printable ASCII; allowed are 0x20 to 0x7e"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckMaxBytes(std::string_view text, std::string_view field, size_t max) {
  if (text.size() <= max) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(field), ": ", text.size(), " bytes; at most ", max));
}

bool IsBlank(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
  });
}

absl::Status CheckNotBlank(std::string_view text, std::string_view field, size_t max) {
  if (text.empty())
    return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": required"));
  if (IsBlank(text)) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field), ": only white space; write what it is"));
  }
  return CheckMaxBytes(text, field, max);
}

absl::Status CheckName(std::string_view text, std::string_view field, size_t max) {
  if (absl::Status status = CheckNotBlank(text, field, max); !status.ok()) return status;
  if (IsBlank(text.substr(0, 1)) || IsBlank(text.substr(text.size() - 1))) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(field), ": \"", Prefix(text),
        "\" has white space at an end; names are compared exactly, so write it without"));
  }
  return absl::OkStatus();
}

absl::Status CheckOptionalName(std::string_view text, std::string_view field, size_t max) {
  if (text.empty()) return absl::OkStatus();
  return CheckName(text, field, max);
}

absl::Time EarliestPlausibleTime() {
  static const absl::Time earliest =
      absl::FromCivil(absl::CivilSecond(1900, 1, 1), absl::UTCTimeZone());
  return earliest;
}

absl::Time LatestPlausibleTime() {
  static const absl::Time latest =
      absl::FromCivil(absl::CivilSecond(2200, 1, 1), absl::UTCTimeZone());
  return latest;
}

bool IsPlausibleTime(absl::Time time) {
  return time >= EarliestPlausibleTime() && time < LatestPlausibleTime();
}

absl::Status CheckPlausibleTime(absl::Time time, std::string_view field) {
  if (IsPlausibleTime(time)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(field), ": ", FormatUtc(time),
                   " is out of range; must be from 1900-01-01 to before 2200-01-01 UTC"));
}

absl::Status CheckCurrencyCode(std::string_view code, std::string_view field) {
  if (IsIsoCurrency(code)) return absl::OkStatus();
  const std::optional<std::string> suggestion = SuggestCurrency(code);
  return absl::InvalidArgumentError(absl::StrCat(
      std::string(field), ": \"", Prefix(code, 20), "\" is not an ISO 4217 currency code",
      suggestion ? absl::StrCat("; did you mean ", *suggestion, "?")
                 : std::string(" (three capital letters, such as CNY, USD or EUR)")));
}

std::string Prefix(std::string_view text, size_t max) {
  if (text.size() <= max) return std::string(text);
  return absl::StrCat(std::string(text.substr(0, max)), "...");
}

std::string HumanDuration(absl::Duration duration) {
  const bool negative = duration < absl::ZeroDuration();
  if (negative) duration = -duration;
  const int64_t hours = absl::ToInt64Hours(duration);
  std::string text;
  if (hours >= 48) {
    text = absl::StrCat(hours / 24, "d", hours % 24 > 0 ? absl::StrCat(hours % 24, "h") : "");
  } else if (hours >= 1) {
    const int64_t minutes = absl::ToInt64Minutes(duration) % 60;
    text = absl::StrCat(hours, "h", minutes > 0 ? absl::StrCat(minutes, "m") : "");
  } else {
    text = absl::StrCat(absl::ToInt64Minutes(duration), "m");
  }
  return negative ? "-" + text : text;
}

std::string FormatUtc(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

absl::Status CheckRequestId(std::string_view request_id) {
  constexpr size_t kMaxRequestIdBytes = 128;
  if (request_id.empty() || request_id.size() > kMaxRequestIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("request_id: ", request_id.size(),
                     " bytes; must be 1 to 128 printable bytes (a UUID is a good choice)"));
  }
  return CheckPrintableAscii(request_id, "request_id");
}

}  // namespace bidtrail
