#include "output.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "bidtrail/api/message_json.h"
#include "bidtrail/common/currency.h"
#include "bidtrail/common/proto_time.h"
#include "bidtrail/common/validate.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace bidtrail::cli {
namespace {

using api::FullPrecision;

TimeDisplay& Display() {
  static TimeDisplay display;
  return display;
}

// Display width, counting each UTF-8 code point once (names may be Chinese;
// close enough for alignment).
size_t Width(const std::string& text) {
  size_t width = 0;
  for (unsigned char c : text) width += (c & 0xc0) != 0x80 ? 1 : 0;
  return width;
}

// The first `width` code points of `text`, the last of them "…" when cut.
std::string Cut(const std::string& text, size_t width) {
  if (Width(text) <= width || width == 0) return text;
  size_t points = 0;
  size_t at = 0;
  for (; at < text.size(); ++at) {
    if ((static_cast<unsigned char>(text[at]) & 0xc0) != 0x80) {
      if (points == width - 1) break;
      ++points;
    }
  }
  return text.substr(0, at) + "…";
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

// Columns a terminal shows: the terminal's width when stdout is one, else
// $COLUMNS when set, else no limit.
size_t TerminalWidth() {
  winsize size{};
  if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
    return size.ws_col;
  }
  size_t columns = 0;
  if (const char* env = std::getenv("COLUMNS");
      env != nullptr && absl::SimpleAtoi(env, &columns) && columns > 0) {
    return columns;
  }
  return static_cast<size_t>(-1);
}

// Text columns are not cut below this.
constexpr size_t kNarrowestColumn = 12;

}  // namespace

void SetTimeDisplay(TimeDisplay display) { Display() = std::move(display); }
const TimeDisplay& GetTimeDisplay() { return Display(); }

absl::TimeZone DisplayZone(std::string_view tender_zone) {
  if (Display().per_tender && !tender_zone.empty()) {
    if (absl::StatusOr<NamedZone> zone = ParseZone(tender_zone); zone.ok()) return zone->zone;
  }
  return Display().zone.zone;
}

std::string HumanTime(absl::Time time, std::string_view tender_zone) {
  const absl::TimeZone zone = DisplayZone(tender_zone);
  return absl::StrCat(absl::FormatTime("%Y-%m-%d %H:%M", time, zone), " ", OffsetAt(time, zone));
}

std::string GroupThousands(std::string_view number) {
  const size_t sign = !number.empty() && (number[0] == '-' || number[0] == '+') ? 1 : 0;
  const size_t point = std::min(number.find('.'), number.size());
  std::string out(number.substr(0, sign));
  for (size_t i = sign; i < point; ++i) {
    if (i > sign && (point - i) % 3 == 0) out += ',';
    out += number[i];
  }
  out += number.substr(point);
  return out;
}

std::string HumanMoney(const v1::Money& money) {
  // Padded to the currency's decimal places ("1,210,000.00 CNY", "5,000 JPY");
  // never cut: an amount stored with more places shows them all.
  std::string amount = money.amount();
  const int places = money.currency().size() == 3 ? MinorUnits(money.currency()) : 2;
  size_t point = amount.find('.');
  const size_t have = point == std::string::npos ? 0 : amount.size() - point - 1;
  if (places > 0 && have < static_cast<size_t>(places) && !amount.empty()) {
    if (point == std::string::npos) amount += '.';
    amount.append(static_cast<size_t>(places) - have, '0');
  }
  return absl::StrCat(GroupThousands(amount), " ", money.currency());
}

Cell Cell::Text(std::string text) {
  Cell cell;
  cell.json = JsonString(text);
  cell.csv = text;
  cell.text = std::move(text);
  return cell;
}

Cell Cell::Number(double value, int decimals) {
  if (!std::isfinite(value)) return Null();
  Cell cell;
  cell.csv = FullPrecision(value);
  cell.text = GroupThousands(absl::StrFormat("%.*f", decimals, value));
  cell.json = cell.csv;
  cell.numeric = true;
  return cell;
}

Cell Cell::Integer(int64_t value) {
  Cell cell;
  cell.csv = absl::StrCat(value);
  cell.text = GroupThousands(cell.csv);
  cell.json = cell.csv;
  cell.numeric = true;
  return cell;
}

Cell Cell::Position(uint64_t value) {
  Cell cell;
  cell.csv = absl::StrCat(value);
  cell.text = cell.csv;
  cell.json = cell.csv;
  cell.numeric = true;
  return cell;
}

Cell Cell::Percent(std::optional<double> ratio) {
  if (!ratio || !std::isfinite(*ratio)) return Null();
  Cell cell;
  cell.text = absl::StrFormat("%.1f%%", *ratio * 100);
  cell.json = FullPrecision(*ratio);
  cell.csv = cell.json;
  cell.numeric = true;
  return cell;
}

Cell Cell::Bool(bool value) {
  Cell cell;
  cell.text = value ? "yes" : "";
  cell.json = value ? "true" : "false";
  cell.csv = cell.json;
  return cell;
}

Cell Cell::Null() {
  Cell cell;
  cell.text = "-";
  cell.json = "null";
  return cell;
}

Cell Cell::Time(absl::Time time, std::string_view tender_zone) {
  const absl::TimeZone zone = DisplayZone(tender_zone);
  Cell cell;
  cell.text = HumanTime(time, tender_zone);
  cell.csv = FormatRfc3339(time, zone);
  cell.json = JsonString(cell.csv);
  cell.time = true;
  return cell;
}

Cell Cell::Time(std::optional<absl::Time> time, std::string_view tender_zone) {
  if (time) return Time(*time, tender_zone);
  Cell cell = Null();
  cell.time = true;
  return cell;
}

Cell Cell::Duration(absl::Duration duration, std::string text) {
  Cell cell = Text(text.empty() ? HumanDuration(duration) : std::move(text));
  cell.seconds = absl::ToInt64Seconds(duration);
  return cell;
}

Cell Cell::Money(const v1::Money& money) {
  Cell cell;
  cell.text = HumanMoney(money);
  cell.csv = money.amount();
  cell.currency = money.currency();
  cell.json = absl::StrCat("{\"amount\":", JsonString(money.amount()),
                           ",\"currency\":", JsonString(money.currency()), "}");
  cell.numeric = true;
  return cell;
}

Cell Cell::NoMoney() {
  Cell cell = Null();
  cell.currency = "";
  cell.numeric = true;
  return cell;
}

Table::Table(std::vector<std::string> columns) : columns_(std::move(columns)) {
  for (std::string& column : columns_) {
    const size_t colon = column.find(':');
    const std::string kind = colon == std::string::npos ? "" : column.substr(colon + 1);
    declared_durations_.push_back(kind == "duration");
    declared_money_.push_back(kind == "money");
    if (colon != std::string::npos) column.resize(colon);
  }
}

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
    Table head = *this;
    head.rows_.resize(limit);
    head.Print(format, empty);
    return;
  }
  // Which columns hold durations (a _seconds column beside them in JSON and
  // CSV), times (the zone in the table header) and numbers (right-aligned).
  std::vector<bool> durations = declared_durations_;
  std::vector<bool> times(columns_.size(), false);
  std::vector<bool> numeric(columns_.size(), false);
  std::vector<bool> money = declared_money_;
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) {
      durations[i] = durations[i] || row[i].seconds.has_value();
      money[i] = money[i] || row[i].currency.has_value();
      times[i] = times[i] || row[i].time;
      numeric[i] = numeric[i] || row[i].numeric;
    }
  }
  switch (format) {
    case Format::kJson:
      for (const auto& row : rows_) {
        std::vector<std::string> fields;
        for (size_t i = 0; i < columns_.size(); ++i) {
          fields.push_back(absl::StrCat(JsonString(columns_[i]), ":", row[i].json));
          if (durations[i]) {
            fields.push_back(
                absl::StrCat(JsonString(columns_[i] + "_seconds"), ":",
                             row[i].seconds ? absl::StrCat(*row[i].seconds) : std::string("null")));
          }
        }
        std::printf("{%s}\n", absl::StrJoin(fields, ",").c_str());
      }
      return;
    case Format::kCsv: {
      std::vector<std::string> header;
      for (size_t i = 0; i < columns_.size(); ++i) {
        header.push_back(columns_[i]);
        if (durations[i]) header.push_back(columns_[i] + "_seconds");
        if (money[i]) header.push_back(columns_[i] + "_currency");
      }
      std::printf("%s\n", absl::StrJoin(header, ",").c_str());
      for (const auto& row : rows_) {
        std::vector<std::string> fields;
        for (size_t i = 0; i < row.size(); ++i) {
          fields.push_back(CsvField(row[i].csv));
          if (durations[i]) fields.push_back(row[i].seconds ? absl::StrCat(*row[i].seconds) : "");
          if (money[i]) fields.push_back(CsvField(row[i].currency.value_or("")));
        }
        std::printf("%s\n", absl::StrJoin(fields, ",").c_str());
      }
      return;
    }
    case Format::kTable: {
      if (rows_.empty()) {
        std::printf("%s\n", empty.c_str());
        return;
      }
      std::vector<std::string> header;
      const TimeDisplay& display = GetTimeDisplay();
      for (size_t i = 0; i < columns_.size(); ++i) {
        std::string title = columns_[i];
        std::replace(title.begin(), title.end(), '_', ' ');
        if (times[i]) {
          const std::string zone = !display.per_tender ? display.zone.name
                                   : one_tender_
                                       ? (tender_zone_.empty() ? display.zone.name : tender_zone_)
                                       : std::string("tender's zone");
          absl::StrAppend(&title, " (", zone, ")");
        }
        header.push_back(std::move(title));
      }
      std::vector<size_t> widths;
      for (const std::string& title : header) widths.push_back(Width(title));
      for (const auto& row : rows_) {
        for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], Width(row[i].text));
      }
      // Too wide for the terminal: narrow the widest text columns.
      const size_t limit_width = TerminalWidth();
      size_t total = 2 * (widths.size() - 1);
      for (size_t width : widths) total += width;
      while (total > limit_width) {
        size_t widest = widths.size();
        for (size_t i = 0; i < widths.size(); ++i) {
          if (numeric[i] || times[i] || widths[i] <= kNarrowestColumn) continue;
          if (widest == widths.size() || widths[i] > widths[widest]) widest = i;
        }
        if (widest == widths.size()) break;
        const size_t cut = std::min(total - limit_width, widths[widest] - kNarrowestColumn);
        widths[widest] -= cut;
        total -= cut;
      }
      auto line = [&](const std::vector<std::string>& cells) {
        std::string out;
        for (size_t i = 0; i < cells.size(); ++i) {
          const std::string cell = Cut(cells[i], widths[i]);
          const std::string pad(widths[i] - std::min(widths[i], Width(cell)), ' ');
          out += numeric[i] ? pad + cell : cell + (i + 1 < cells.size() ? pad : "");
          if (i + 1 < cells.size()) out += "  ";
        }
        while (!out.empty() && out.back() == ' ') out.pop_back();
        std::printf("%s\n", out.c_str());
      };
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

std::string MessageJson(const google::protobuf::Message& message, std::string_view tender_zone) {
  return api::MessageJson(message, DisplayZone(tender_zone));
}

}  // namespace bidtrail::cli
