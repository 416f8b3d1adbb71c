// Command-line parsing for the bidtrail CLI: subcommands with their own
// flags, generated help, and the inputs people type (ISO-8601 times with
// offsets, durations like 48h and 7d, money like "1250000.00 CNY").
// Not thread-safe; one per invocation.
#ifndef BIDTRAIL_TOOLS_CLI_ARGS_H_
#define BIDTRAIL_TOOLS_CLI_ARGS_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bidtrail/common/nearest.h"
#include "bidtrail/common/time_zone.h"
#include "bidtrail/common/validate.h"
#include "bidtrail/v1/tender_events.pb.h"

namespace bidtrail::cli {

struct FlagSpec {
  std::string name;        // without the dashes
  std::string value_name;  // empty: a switch without a value
  std::string help;
  bool repeated = false;
};

// The flags and positional arguments of one subcommand. Parse errors are
// INVALID_ARGUMENT with a message for the user (the CLI prints the help and
// exits 2).
class Args {
 public:
  // `command` is how it is typed ("bidtrail bid submit"); `usage` what
  // follows it.
  Args(std::string command, std::string usage, std::string summary, std::vector<FlagSpec> flags);

  // Parses argv after the subcommand's words. --help sets help().
  absl::Status Parse(const std::vector<std::string>& argv);

  bool help() const { return help_; }
  const std::vector<std::string>& positional() const { return positional_; }
  bool Has(const std::string& name) const;
  // The last value given, or `fallback`.
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  std::vector<std::string> GetAll(const std::string& name) const;

  // Typed accessors: INVALID_ARGUMENT naming the flag when malformed.
  // A date typed alone is midnight in `zone` (default: the display zone).
  absl::StatusOr<std::optional<absl::Time>> Time(const std::string& name,
                                                 const NamedZone* zone = nullptr) const;
  absl::StatusOr<std::optional<absl::Duration>> Duration(const std::string& name) const;
  absl::StatusOr<std::optional<v1::Money>> Money(const std::string& name) const;
  absl::StatusOr<std::optional<uint64_t>> Number(const std::string& name) const;
  // The value if it is one of `choices` ("" when the flag is absent), else
  // NotOneOf.
  absl::StatusOr<std::string> Word(const std::string& name,
                                   const std::vector<std::string>& choices) const;

  // Usage line, summary and the flag table.
  std::string HelpText() const;
  // Two lines for a usage error: the usage, and where the whole help is.
  std::string UsageHint() const;
  // The positional arguments' count against the usage: "" when right, else
  // what is missing or extra.
  std::string PositionalProblem(size_t min, size_t max) const;

 private:
  const FlagSpec* Find(const std::string& name) const;

  std::string command_;
  std::string usage_;
  std::string summary_;
  std::vector<FlagSpec> flags_;
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
  bool help_ = false;
};

// "2026-03-01T12:00:00+08:00", "2026-03-01T04:00:00Z", "2026-03-01" (midnight
// in `zone`), "now" (= `now`), or a duration from now: "+3d", "-20h". A time without its offset is
// refused, with the reading in `zone` suggested.
absl::StatusOr<absl::Time> ParseTime(const std::string& text, absl::Time now,
                                     const NamedZone& zone);
// "48h", "7d", "2w", "90m", "30s", "1d12h".
absl::StatusOr<absl::Duration> ParseDuration(const std::string& text);
// "1250000.00 CNY" or "CNY 1250000.00".
absl::StatusOr<v1::Money> ParseMoney(const std::string& text);
// "id" or "id:name".
v1::Party ParseParty(const std::string& text);
// --FLAG's party: "id" or "id:name"; an id with spaces is refused as a name
// typed without its id.
absl::StatusOr<v1::Party> PartyFlag(const std::string& flag, const std::string& text);

// INVALID_ARGUMENT for a flag whose value is not one of `choices`:
// `--status: "closed" is not one of open, awarded, ...`, with the nearest
// choice suggested.
absl::Status NotOneOf(const std::string& flag, const std::string& typed,
                      const std::vector<std::string>& choices);

// Human form of durations for output (times: output.h).
using ::bidtrail::HumanDuration;

}  // namespace bidtrail::cli

#endif  // BIDTRAIL_TOOLS_CLI_ARGS_H_
