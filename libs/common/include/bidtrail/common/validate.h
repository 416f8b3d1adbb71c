// Checks of client input shared by every layer: printable text, plausible
// business times, currency codes, length limits. Each Check* returns OK or
// INVALID_ARGUMENT naming `field` and the valid range, quoting at most a
// short prefix of the value. Pure; thread-safe.
#ifndef BIDTRAIL_COMMON_VALIDATE_H_
#define BIDTRAIL_COMMON_VALIDATE_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace bidtrail {

// Printable ASCII: bytes 0x20 to 0x7e.
bool IsPrintableAscii(std::string_view text);
// "<field>: byte 3 (0x09) is not printable ASCII; allowed are 0x20 to 0x7e".
absl::Status CheckPrintableAscii(std::string_view text, std::string_view field);

// "<field>: 300 bytes; at most 200".
absl::Status CheckMaxBytes(std::string_view text, std::string_view field, size_t max);

// Empty, or nothing but spaces, tabs and line breaks.
bool IsBlank(std::string_view text);
// Text that says something: "<field>: required" when empty, "<field>: only
// white space; write ..." when blank, and at most `max` bytes.
absl::Status CheckNotBlank(std::string_view text, std::string_view field, size_t max);
// A name that is compared exactly (an id, a territory, a team, a person): not
// blank, no white space at either end ("north " is not "north"), at most
// `max` bytes. Optional names use CheckOptionalName: empty is fine.
absl::Status CheckName(std::string_view text, std::string_view field, size_t max);
absl::Status CheckOptionalName(std::string_view text, std::string_view field, size_t max);

// A command's request id (client-chosen, for safe retries): 1 to 128
// printable ASCII bytes.
absl::Status CheckRequestId(std::string_view request_id);

// Business times outside [1900-01-01, 2200-01-01) UTC are almost certainly
// unit mistakes (seconds read as milliseconds, an unset field read as zero).
absl::Time EarliestPlausibleTime();
absl::Time LatestPlausibleTime();
bool IsPlausibleTime(absl::Time time);
// "<field>: 2500-01-01T00:00:00Z is out of range; must be from 1900-01-01 to
// before 2200-01-01 UTC".
absl::Status CheckPlausibleTime(absl::Time time, std::string_view field);

// An active ISO 4217 code (bidtrail/common/currency.h), or
// "<field>: "RMB" is not an ISO 4217 currency code; did you mean CNY?".
absl::Status CheckCurrencyCode(std::string_view code, std::string_view field);

// At most the first `max` bytes of `text`, with "..." when cut: for quoting
// client input in an error message.
std::string Prefix(std::string_view text, size_t max = 40);

// RFC 3339 in UTC with seconds: "2026-12-10T01:30:00Z".
std::string FormatUtc(absl::Time time);

// A length of time as people say it, to the minute: "87d", "2d3h", "5h20m",
// "15m"; negative ones with a '-'.
std::string HumanDuration(absl::Duration duration);

}  // namespace bidtrail

#endif  // BIDTRAIL_COMMON_VALIDATE_H_
