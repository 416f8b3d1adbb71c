// Fuzz target: what people type into the CLI's flags. The first byte picks
// the parser (times, durations, money, parties), the rest is the text. Each
// is parsed or refused with a status, never a crash, and what is accepted is
// in range and reads back the same:
// - a duration is finite, not negative, at most 10,000 years;
// - a time lies in the years 0001 to 9999 (what the server takes) and its
//   RFC 3339 form parses back to the same time;
// - money has a currency of three capital letters and an amount whose own
//   text parses back to the same amount.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "args.h"
#include "bidtrail/common/time_zone.h"

namespace {

using bidtrail::NamedZone;

const absl::Time kNow = absl::FromUnixSeconds(1796083200);  // 2026-12-01T00:00:00Z
const absl::Time kFirst = absl::FromCivil(absl::CivilSecond(1, 1, 1, 0, 0, 0), absl::UTCTimeZone());
const absl::Time kLast =
    absl::FromCivil(absl::CivilSecond(9999, 12, 31, 23, 59, 59), absl::UTCTimeZone()) +
    absl::Seconds(1);

void CheckDuration(const std::string& text) {
  absl::StatusOr<absl::Duration> duration = bidtrail::cli::ParseDuration(text);
  if (!duration.ok()) return;
  if (*duration < absl::ZeroDuration() || *duration > absl::Hours(24 * 366) * 10000) std::abort();
  (void)bidtrail::cli::HumanDuration(*duration);
}

void CheckTime(const std::string& text, const NamedZone& zone) {
  absl::StatusOr<absl::Time> time = bidtrail::cli::ParseTime(text, kNow, zone);
  if (!time.ok()) return;
  if (*time < kFirst || *time >= kLast) std::abort();
  const std::string written = bidtrail::FormatRfc3339(*time, zone.zone);
  absl::StatusOr<absl::Time> again = bidtrail::cli::ParseTime(written, kNow, zone);
  if (!again.ok() || *again != *time) std::abort();
}

void CheckMoney(const std::string& text) {
  absl::StatusOr<bidtrail::v1::Money> money = bidtrail::cli::ParseMoney(text);
  if (!money.ok()) return;
  const std::string& currency = money->currency();
  if (currency.size() != 3) std::abort();
  for (char c : currency) {
    if (c < 'A' || c > 'Z') std::abort();
  }
  absl::StatusOr<bidtrail::v1::Money> again =
      bidtrail::cli::ParseMoney(absl::StrCat(money->amount(), " ", currency));
  if (!again.ok() || again->amount() != money->amount() || again->currency() != currency) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  static const NamedZone kUtc{absl::UTCTimeZone(), "UTC"};
  static const NamedZone kPlus8{absl::FixedTimeZone(8 * 3600), "+08:00"};
  switch (data[0] % 5) {
    case 0:
      CheckDuration(text);
      break;
    case 1:
      CheckTime(text, kUtc);
      break;
    case 2:
      CheckTime(text, kPlus8);
      break;
    case 3:
      CheckMoney(text);
      break;
    default:
      (void)bidtrail::cli::PartyFlag("--buyer", text);
      break;
  }
  return 0;
}
