// Output of the bidtrail CLI: aligned tables for people, one JSON object per
// line (--json) for programs, CSV (--csv) for spreadsheets. Not thread-safe.
//
// One Cell holds a value in each form: the table's text (thousands
// separators, times in the display zone with their offset, durations like
// 2d3h), the JSON value (numbers at full precision, times in RFC 3339 with
// their offset) and the CSV field (plain numbers, RFC 3339 times). A
// duration column also gets a `<name>_seconds` column in JSON and CSV.
#ifndef BIDTRAIL_TOOLS_CLI_OUTPUT_H_
#define BIDTRAIL_TOOLS_CLI_OUTPUT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "bidtrail/common/json.h"
#include "bidtrail/common/time_zone.h"
#include "bidtrail/v1/tender_events.pb.h"
#include "google/protobuf/message.h"

namespace bidtrail::cli {

enum class Format { kTable, kJson, kCsv };

// How times are shown: in one zone (--tz, $BIDTRAIL_TZ or the system's), or
// each tender's times in the tender's own zone (--tz tender), falling back to
// `zone` for tenders without one.
struct TimeDisplay {
  NamedZone zone{absl::UTCTimeZone(), "UTC"};
  bool per_tender = false;
};
void SetTimeDisplay(TimeDisplay display);
const TimeDisplay& GetTimeDisplay();

// The zone a time is shown in: the tender's (with --tz tender, when it has a
// valid one) or the display zone.
absl::TimeZone DisplayZone(std::string_view tender_zone = "");

// One value: its text for tables, its JSON form and its CSV field.
struct Cell {
  static Cell Text(std::string text);
  static Cell Number(double value, int decimals = 0);
  static Cell Integer(int64_t value);
  // A number people type back (a log position, a revision): no separators.
  static Cell Position(uint64_t value);
  static Cell Percent(std::optional<double> ratio);  // table "42.9%", JSON/CSV the ratio, or null
  static Cell Bool(bool value);
  static Cell Null();
  // A time in the display zone (or the tender's, see DisplayZone).
  static Cell Time(absl::Time time, std::string_view tender_zone = "");
  // Unset times print "-" and null.
  static Cell Time(std::optional<absl::Time> time, std::string_view tender_zone = "");
  // A length of time: "2d3h" (or `text` when given, such as "in 2d3h"), and
  // in JSON and CSV also its seconds in a `<column>_seconds` column.
  static Cell Duration(absl::Duration duration, std::string text = "");
  // "1,210,000.00 CNY"; JSON {"amount": "1210000.00", "currency": "CNY"}
  // (the amount exact, as a string); CSV the amount as a plain number
  // (1210000.00) and its currency in a `<column>_currency` column beside it,
  // so that a spreadsheet reads the amounts as numbers.
  static Cell Money(const v1::Money& money);
  // An unset amount in a money column: "-", null, and two empty CSV fields.
  static Cell NoMoney();

  std::string text;
  std::string json;
  std::string csv;
  bool numeric = false;  // right-aligned in tables
  bool time = false;     // its column header names the zone
  std::optional<int64_t> seconds;
  std::optional<std::string> currency;  // a money cell's (CSV column)
};

// "2026-03-01 12:00 +08:00": a time for people, in the zone, with its offset.
std::string HumanTime(absl::Time time, std::string_view tender_zone = "");

class Table {
 public:
  // Column names are snake_case: they are the JSON keys and the CSV header.
  // A name may end in ":duration" or ":money" to declare what the column
  // holds, so that its `_seconds` or `_currency` column is in the CSV header
  // even when no row has a value.
  explicit Table(std::vector<std::string> columns);
  void Add(std::vector<Cell> row);
  size_t rows() const { return rows_.size(); }
  // The table is about one tender in `zone` (its time zone, "" when it has
  // none): with --tz tender, the header names that zone.
  void ForTender(std::string zone) {
    tender_zone_ = std::move(zone);
    one_tender_ = true;
  }
  // Prints to stdout in the format; a table prints `empty` when it has no row.
  // At most `limit` rows. A table wider than the terminal has its widest text
  // columns cut short with "…".
  void Print(Format format, const std::string& empty = "(none)",
             size_t limit = static_cast<size_t>(-1)) const;

 private:
  std::vector<std::string> columns_;
  std::string tender_zone_;
  bool one_tender_ = false;
  std::vector<bool> declared_durations_;
  std::vector<bool> declared_money_;
  std::vector<std::vector<Cell>> rows_;
};

// "1,234,567" and "1,234,567.50": thousands separators for people.
std::string GroupThousands(std::string_view number);
// "1,210,000.00 CNY".
std::string HumanMoney(const v1::Money& money);

using ::bidtrail::JsonString;
// The message as one line of JSON, with the tables' conventions: proto
// field names; every number a JSON number (64-bit ones too: positions,
// revisions); times RFC 3339 in the display zone (or `tender_zone` with
// --tz tender); a duration field as its human form plus `<name>_seconds`;
// enums as their words ("open" for TENDER_STATUS_OPEN); money as
// {"amount": "1210000.00", "currency": "CNY"}; scalars always present,
// messages and optional fields only when set.
std::string MessageJson(const google::protobuf::Message& message,
                        std::string_view tender_zone = "");

}  // namespace bidtrail::cli

#endif  // BIDTRAIL_TOOLS_CLI_OUTPUT_H_
