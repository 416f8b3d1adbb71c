// Output of the bidtrail CLI: aligned tables for people, one JSON object per
// line (--json) for programs, CSV (--csv) for spreadsheets. Not thread-safe.
#ifndef BIDTRAIL_TOOLS_CLI_OUTPUT_H_
#define BIDTRAIL_TOOLS_CLI_OUTPUT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bidtrail/common/json.h"
#include "google/protobuf/message.h"

namespace bidtrail::cli {

enum class Format { kTable, kJson, kCsv };

// One value: its text for tables and CSV, and its JSON form.
struct Cell {
  static Cell Text(std::string text);
  static Cell Number(double value, int decimals = 0);
  static Cell Integer(int64_t value);
  static Cell Percent(std::optional<double> ratio);  // table "42.9%", JSON 0.4286 or null
  static Cell Bool(bool value);
  static Cell Null();

  std::string text;
  std::string json;
};

class Table {
 public:
  // Column names are snake_case: they are the JSON keys and the CSV header.
  explicit Table(std::vector<std::string> columns);
  void Add(std::vector<Cell> row);
  size_t rows() const { return rows_.size(); }
  // Prints to stdout in the format; a table prints `empty` when it has no row.
  // At most `limit` rows.
  void Print(Format format, const std::string& empty = "(none)",
             size_t limit = static_cast<size_t>(-1)) const;

 private:
  std::vector<std::string> columns_;
  std::vector<std::vector<Cell>> rows_;
};

using ::bidtrail::JsonString;
// The message as one line of JSON with proto field names.
std::string MessageJson(const google::protobuf::Message& message);

}  // namespace bidtrail::cli

#endif  // BIDTRAIL_TOOLS_CLI_OUTPUT_H_
