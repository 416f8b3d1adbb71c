#include "args.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bidtrail/common/currency.h"
#include "bidtrail/common/status_macros.h"
#include "output.h"

namespace bidtrail::cli {

Args::Args(std::string command, std::string usage, std::string summary, std::vector<FlagSpec> flags)
    : command_(std::move(command)),
      usage_(std::move(usage)),
      summary_(std::move(summary)),
      flags_(std::move(flags)) {}

const FlagSpec* Args::Find(const std::string& name) const {
  for (const FlagSpec& flag : flags_) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

absl::Status Args::Parse(const std::vector<std::string>& argv) {
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      help_ = true;
      continue;
    }
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const FlagSpec* spec = Find(name);
    if (spec == nullptr) {
      std::vector<std::string> names;
      for (const FlagSpec& flag : flags_) names.push_back(flag.name);
      const std::optional<std::string> near = Nearest(name, names);
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name,
                       near ? absl::StrCat("; did you mean --", *near, "?") : std::string()));
    }
    if (spec->value_name.empty()) {
      if (value) return absl::InvalidArgumentError(absl::StrCat("--", name, " takes no value"));
      values_[name].push_back("true");
      continue;
    }
    if (!value) {
      if (i + 1 >= argv.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " needs a value (", spec->value_name, ")"));
      }
      value = argv[++i];
    }
    if (!spec->repeated && values_.count(name) > 0) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, " given twice"));
    }
    values_[name].push_back(*value);
  }
  return absl::OkStatus();
}

bool Args::Has(const std::string& name) const { return values_.count(name) > 0; }

std::string Args::Get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second.back();
}

std::vector<std::string> Args::GetAll(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

absl::StatusOr<std::optional<absl::Time>> Args::Time(const std::string& name,
                                                     const NamedZone* zone) const {
  if (!Has(name)) return std::optional<absl::Time>();
  absl::StatusOr<absl::Time> time =
      ParseTime(Get(name), absl::Now(), zone != nullptr ? *zone : GetTimeDisplay().zone);
  if (!time.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, ": ", time.status().message()));
  }
  return std::optional<absl::Time>(*time);
}

absl::StatusOr<std::optional<absl::Duration>> Args::Duration(const std::string& name) const {
  if (!Has(name)) return std::optional<absl::Duration>();
  absl::StatusOr<absl::Duration> duration = ParseDuration(Get(name));
  if (!duration.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, ": ", duration.status().message()));
  }
  return std::optional<absl::Duration>(*duration);
}

absl::StatusOr<std::optional<v1::Money>> Args::Money(const std::string& name) const {
  if (!Has(name)) return std::optional<v1::Money>();
  absl::StatusOr<v1::Money> money = ParseMoney(Get(name));
  if (!money.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, ": ", money.status().message()));
  }
  return std::optional<v1::Money>(*money);
}

absl::StatusOr<std::optional<uint64_t>> Args::Number(const std::string& name) const {
  if (!Has(name)) return std::optional<uint64_t>();
  uint64_t value = 0;
  if (!absl::SimpleAtoi(Get(name), &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, ": \"", Get(name), "\" is not a whole number"));
  }
  return std::optional<uint64_t>(value);
}

std::string Args::UsageHint() const {
  return absl::StrCat("usage: ", command_, " ", usage_, "\n`", command_,
                      " --help` describes every flag\n");
}

std::string Args::PositionalProblem(size_t min, size_t max) const {
  if (positional_.size() > max) {
    const std::string& extra = positional_[max];
    return absl::StrCat(
        "unexpected argument \"", extra, "\"",
        max == 0 ? absl::StrCat("; ", command_, " takes only flags") : std::string(),
        extra.size() > 1 && extra[0] == '-' && extra[1] != '-'
            ? absl::StrCat(" (flags start with two dashes: -", extra, ")")
            : std::string(" (quote a value with spaces)"));
  }
  if (positional_.size() >= min) return "";
  // The missing ones are named by the usage's leading words: "TENDER_ID".
  std::vector<std::string> names = absl::StrSplit(usage_, ' ', absl::SkipEmpty());
  const std::string missing =
      positional_.size() < names.size() && !names[positional_.size()].empty() &&
              names[positional_.size()][0] != '[' && names[positional_.size()][0] != '-'
          ? names[positional_.size()]
          : "an argument";
  return absl::StrCat(missing, " is missing");
}

std::string Args::HelpText() const {
  std::string text = absl::StrCat("usage: ", command_, " ", usage_, "\n\n", summary_, "\n");
  if (flags_.empty()) return text;
  text += "\nflags:\n";
  size_t width = 0;
  std::vector<std::string> heads;
  for (const FlagSpec& flag : flags_) {
    std::string head = absl::StrCat("  --", flag.name);
    if (!flag.value_name.empty()) absl::StrAppend(&head, " ", flag.value_name);
    width = std::max(width, head.size());
    heads.push_back(std::move(head));
  }
  for (size_t i = 0; i < flags_.size(); ++i) {
    absl::StrAppend(&text, heads[i], std::string(width - heads[i].size() + 2, ' '), flags_[i].help,
                    flags_[i].repeated ? " (repeatable)" : "", "\n");
  }
  return text;
}

namespace {

// The times the server takes: 0001-01-01 to 9999-12-31 UTC (rpc::CheckRequest).
absl::StatusOr<absl::Time> InRange(const std::string& text, absl::Time time) {
  static const absl::Time first =
      absl::FromCivil(absl::CivilSecond(1, 1, 1, 0, 0, 0), absl::UTCTimeZone());
  static const absl::Time end =
      absl::FromCivil(absl::CivilSecond(10000, 1, 1, 0, 0, 0), absl::UTCTimeZone());
  if (time < first || time >= end) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", text, "\" is out of range; a time must lie between 0001-01-01 and 9999-12-31 UTC"));
  }
  return time;
}

absl::StatusOr<absl::Time> ParseAnyTime(const std::string& text, absl::Time now,
                                        const NamedZone& zone);

}  // namespace

absl::StatusOr<absl::Time> ParseTime(const std::string& text, absl::Time now,
                                     const NamedZone& zone) {
  ASSIGN_OR_RETURN(const absl::Time time, ParseAnyTime(text, now, zone));
  return InRange(text, time);
}

namespace {

absl::StatusOr<absl::Time> ParseAnyTime(const std::string& text, absl::Time now,
                                        const NamedZone& zone) {
  // "now" and times relative to it to the second: what a person means, and
  // what the tables show.
  now = absl::FromUnixSeconds(absl::ToUnixSeconds(now));
  if (text == "now") return now;
  // "+3d", "-20h": relative to now.
  if (text.size() > 1 && (text[0] == '+' || text[0] == '-')) {
    absl::StatusOr<absl::Duration> offset = ParseDuration(text.substr(1));
    if (offset.ok()) return text[0] == '+' ? now + *offset : now - *offset;
  }
  absl::Time time;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, text, &time, &error)) return time;
  if (absl::ParseTime("%Y-%m-%dT%H:%M%Ez", text, &time, &error)) return time;
  if (absl::ParseTime("%Y-%m-%d", text, zone.zone, &time, &error)) return time;
  std::string hint;
  if (absl::ParseTime("%Y-%m-%dT%H:%M:%S", text, zone.zone, &time, &error) ||
      absl::ParseTime("%Y-%m-%d %H:%M", text, zone.zone, &time, &error) ||
      absl::ParseTime("%Y-%m-%dT%H:%M", text, zone.zone, &time, &error)) {
    hint = absl::StrCat(" (it has no UTC offset: if you meant ", zone.name, ", write ",
                        FormatRfc3339(time, zone.zone), ")");
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "\"", text, "\" is not a time", hint,
      "; write 2026-03-01T12:00:00+08:00 (with its UTC offset), 2026-03-01 (midnight, ", zone.name,
      "), now, or +3d / -20h from now"));
}

}  // namespace

absl::StatusOr<absl::Duration> ParseDuration(const std::string& text) {
  absl::Duration total = absl::ZeroDuration();
  size_t at = 0;
  bool any = false;
  while (at < text.size()) {
    size_t digits = at;
    while (digits < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[digits])) || text[digits] == '.')) {
      ++digits;
    }
    double value = 0;
    if (digits == at || digits >= text.size() ||
        !absl::SimpleAtod(text.substr(at, digits - at), &value)) {
      any = false;
      break;
    }
    const char unit = text[digits];
    const absl::Duration one = unit == 'w'   ? absl::Hours(24 * 7)
                               : unit == 'd' ? absl::Hours(24)
                               : unit == 'h' ? absl::Hours(1)
                               : unit == 'm' ? absl::Minutes(1)
                               : unit == 's' ? absl::Seconds(1)
                                             : absl::ZeroDuration();
    if (one == absl::ZeroDuration()) {
      any = false;
      break;
    }
    total += one * value;
    any = true;
    at = digits + 1;
  }
  if (!any) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", text, "\" is not a duration; write a number and a unit: 48h, 7d, 2w, 90m, 1d12h"));
  }
  // What the server takes (google.protobuf.Duration's range, rpc::CheckRequest).
  if (total > absl::Hours(24 * 365) * 10000) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is longer than 10,000 years; write at most 3650000d"));
  }
  return total;
}

absl::StatusOr<v1::Money> ParseMoney(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, ' ', absl::SkipWhitespace());
  // "CNY 1,250,000.00" reads as "1,250,000.00 CNY".
  if (parts.size() == 2 && !parts[0].empty() &&
      std::isalpha(static_cast<unsigned char>(parts[0][0]))) {
    std::swap(parts[0], parts[1]);
  }
  if (parts.size() != 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", text, "\" is not money; write an amount and a currency: \"1250000.00 CNY\""));
  }
  // "$1,000": a symbol is not a currency.
  for (const char* symbol : {"$", "\u20ac", "\u00a3", "\u00a5", "\uffe5"}) {
    if (absl::StartsWith(parts[0], symbol)) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", text, "\": write the currency as its code after the amount, not as ",
                       symbol, " (\"1,000.00 USD\")"));
    }
  }
  ASSIGN_OR_RETURN(std::string amount, NormalizeAmount(parts[0]));
  // Upper case is the only reading of "cny"; anything else that is not a
  // code (RMB, yuan, XYZ) is refused with what was probably meant.
  std::string currency = absl::AsciiStrToUpper(parts[1]);
  if (!IsIsoCurrency(currency)) {
    const std::optional<std::string> suggestion = SuggestCurrency(parts[1]);
    return absl::InvalidArgumentError(
        absl::StrCat("\"", parts[1], "\" is not an ISO 4217 currency code",
                     suggestion ? absl::StrCat("; did you mean ", *suggestion, "?")
                                : std::string(" (three letters, such as CNY, USD or EUR)")));
  }
  // More decimal places than the currency has is a typo or a misreading.
  const size_t point = amount.find('.');
  const int places = MinorUnits(currency);
  if (point != std::string::npos && amount.size() - point - 1 > static_cast<size_t>(places)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", text, "\": ", currency, " has ",
        places == 0 ? std::string("no decimal places") : absl::StrCat(places, " decimal places")));
  }
  v1::Money money;
  money.set_amount(std::move(amount));
  money.set_currency(std::move(currency));
  return money;
}

absl::Status NotOneOf(const std::string& flag, const std::string& typed,
                      const std::vector<std::string>& choices) {
  std::string message =
      absl::StrCat("--", flag, ": \"", typed, "\" is not one of ", absl::StrJoin(choices, ", "));
  if (const std::optional<std::string> near = Nearest(typed, choices)) {
    absl::StrAppend(&message, "; did you mean ", *near, "?");
  }
  return absl::InvalidArgumentError(message);
}

absl::StatusOr<std::string> Args::Word(const std::string& name,
                                       const std::vector<std::string>& choices) const {
  const std::string word = Get(name);
  if (word.empty() || std::find(choices.begin(), choices.end(), word) != choices.end()) {
    return word;
  }
  return NotOneOf(name, word, choices);
}

absl::StatusOr<v1::Party> PartyFlag(const std::string& flag, const std::string& text) {
  v1::Party party = ParseParty(text);
  if (party.id().find_first_of(" \t") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", flag, ": \"", party.id(),
        "\" is not a party id (ids have no spaces); write ID:NAME, e.g. \"B-7:", party.id(), "\""));
  }
  return party;
}

v1::Party ParseParty(const std::string& text) {
  v1::Party party;
  const size_t colon = text.find(':');
  party.set_id(text.substr(0, colon));
  if (colon != std::string::npos) party.set_name(text.substr(colon + 1));
  return party;
}

}  // namespace bidtrail::cli
