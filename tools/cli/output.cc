#include "output.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"

namespace bidtrail::cli {
namespace {

// Display width, counting each UTF-8 code point once (names may be Chinese;
// close enough for alignment).
size_t Width(const std::string& text) {
  size_t width = 0;
  for (unsigned char c : text) width += (c & 0xc0) != 0x80 ? 1 : 0;
  return width;
}

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

}  // namespace

Cell Cell::Text(std::string text) {
  Cell cell;
  cell.json = JsonString(text);
  cell.text = std::move(text);
  return cell;
}

Cell Cell::Number(double value, int decimals) {
  Cell cell;
  cell.text = absl::StrFormat("%.*f", decimals, value);
  cell.json = std::isfinite(value) ? absl::StrFormat("%.6g", value) : "null";
  return cell;
}

Cell Cell::Integer(int64_t value) {
  Cell cell;
  cell.text = absl::StrCat(value);
  cell.json = cell.text;
  return cell;
}

Cell Cell::Percent(std::optional<double> ratio) {
  if (!ratio) return Null();
  Cell cell;
  cell.text = absl::StrFormat("%.1f%%", *ratio * 100);
  cell.json = absl::StrFormat("%.4f", *ratio);
  return cell;
}

Cell Cell::Bool(bool value) {
  Cell cell;
  cell.text = value ? "yes" : "";
  cell.json = value ? "true" : "false";
  return cell;
}

Cell Cell::Null() {
  Cell cell;
  cell.text = "-";
  cell.json = "null";
  return cell;
}

Table::Table(std::vector<std::string> columns) : columns_(std::move(columns)) {}

void Table::Add(std::vector<Cell> row) {
  if (row.size() != columns_.size()) {
    // A row that does not match its columns would print values under the
    // wrong names: a bug, not an input error.
    std::fprintf(stderr, "bidtrail: internal error: a row of %zu values for %zu columns\n",
                 row.size(), columns_.size());
    std::abort();
  }
  rows_.push_back(std::move(row));
}

void Table::Print(Format format, const std::string& empty, size_t limit) const {
  if (limit < rows_.size()) {
    Table head(columns_);
    head.rows_.assign(rows_.begin(), rows_.begin() + static_cast<std::ptrdiff_t>(limit));
    head.Print(format, empty);
    return;
  }
  switch (format) {
    case Format::kJson:
      for (const auto& row : rows_) {
        std::vector<std::string> fields;
        for (size_t i = 0; i < columns_.size(); ++i) {
          fields.push_back(absl::StrCat(JsonString(columns_[i]), ":", row[i].json));
        }
        std::printf("{%s}\n", absl::StrJoin(fields, ",").c_str());
      }
      return;
    case Format::kCsv: {
      std::printf("%s\n", absl::StrJoin(columns_, ",").c_str());
      for (const auto& row : rows_) {
        std::vector<std::string> fields;
        for (const Cell& cell : row) fields.push_back(CsvField(cell.text == "-" ? "" : cell.text));
        std::printf("%s\n", absl::StrJoin(fields, ",").c_str());
      }
      return;
    }
    case Format::kTable: {
      if (rows_.empty()) {
        std::printf("%s\n", empty.c_str());
        return;
      }
      std::vector<size_t> widths;
      for (const std::string& column : columns_) widths.push_back(Width(column));
      for (const auto& row : rows_) {
        for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], Width(row[i].text));
      }
      auto line = [&](const std::vector<std::string>& cells) {
        std::string out;
        for (size_t i = 0; i < cells.size(); ++i) {
          out += cells[i];
          if (i + 1 < cells.size()) out += std::string(widths[i] - Width(cells[i]) + 2, ' ');
        }
        while (!out.empty() && out.back() == ' ') out.pop_back();
        std::printf("%s\n", out.c_str());
      };
      std::vector<std::string> header;
      for (const std::string& column : columns_) {
        std::string title = column;
        std::replace(title.begin(), title.end(), '_', ' ');
        header.push_back(title);
      }
      line(header);
      for (const auto& row : rows_) {
        std::vector<std::string> cells;
        for (const Cell& cell : row) cells.push_back(cell.text);
        line(cells);
      }
      return;
    }
  }
}

std::string MessageJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  // Ignored on purpose: printing a valid message cannot fail.
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

}  // namespace bidtrail::cli
