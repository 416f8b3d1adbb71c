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
#include "bidtrail/common/currency.h"
#include "bidtrail/common/proto_time.h"
#include "bidtrail/common/validate.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace bidtrail::cli {
namespace {

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

// The shortest text that reads back as the same double.
std::string FullPrecision(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
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

namespace {

// "TenderStatus" -> "TENDER_STATUS_".
std::string EnumPrefix(const std::string& type_name) {
  std::string prefix;
  for (size_t i = 0; i < type_name.size(); ++i) {
    const char c = type_name[i];
    if (i > 0 && std::isupper(static_cast<unsigned char>(c))) prefix += '_';
    prefix += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return prefix + "_";
}

class MessageJsonWriter {
 public:
  explicit MessageJsonWriter(std::string tender_zone) : tender_zone_(std::move(tender_zone)) {}

  std::string Message(const google::protobuf::Message& message) {
    const google::protobuf::Descriptor* descriptor = message.GetDescriptor();
    const google::protobuf::Reflection* reflection = message.GetReflection();
    std::vector<std::string> fields;
    for (int i = 0; i < descriptor->field_count(); ++i) {
      const google::protobuf::FieldDescriptor* field = descriptor->field(i);
      const std::string name = JsonString(field->name());
      if (field->is_repeated()) {
        std::vector<std::string> values;
        const int size = reflection->FieldSize(message, field);
        for (int j = 0; j < size; ++j) values.push_back(Value(message, field, j));
        fields.push_back(absl::StrCat(name, ":[", absl::StrJoin(values, ","), "]"));
        continue;
      }
      // Messages, oneof members and optional fields only when set; plain
      // scalars always, so that every line has the same keys.
      if (field->has_presence() && !reflection->HasField(message, field)) continue;
      if (field->message_type() != nullptr &&
          field->message_type()->full_name() == "google.protobuf.Duration") {
        const auto& duration =
            static_cast<const google::protobuf::Duration&>(reflection->GetMessage(message, field));
        const absl::Duration d = FromProtoDuration(duration);
        fields.push_back(absl::StrCat(name, ":", JsonString(HumanDuration(d))));
        fields.push_back(absl::StrCat(JsonString(field->name() + "_seconds"), ":",
                                      FullPrecision(absl::ToDoubleSeconds(d))));
        continue;
      }
      fields.push_back(absl::StrCat(name, ":", Value(message, field, -1)));
    }
    return absl::StrCat("{", absl::StrJoin(fields, ","), "}");
  }

 private:
  // The value of a singular field (index -1) or of an element of a repeated
  // one.
  std::string Value(const google::protobuf::Message& message,
                    const google::protobuf::FieldDescriptor* field, int index) {
    using FD = google::protobuf::FieldDescriptor;
    const google::protobuf::Reflection* r = message.GetReflection();
    const bool one = index < 0;
    switch (field->cpp_type()) {
      case FD::CPPTYPE_INT32:
        return absl::StrCat(one ? r->GetInt32(message, field)
                                : r->GetRepeatedInt32(message, field, index));
      case FD::CPPTYPE_INT64:
        return absl::StrCat(one ? r->GetInt64(message, field)
                                : r->GetRepeatedInt64(message, field, index));
      case FD::CPPTYPE_UINT32:
        return absl::StrCat(one ? r->GetUInt32(message, field)
                                : r->GetRepeatedUInt32(message, field, index));
      case FD::CPPTYPE_UINT64:
        return absl::StrCat(one ? r->GetUInt64(message, field)
                                : r->GetRepeatedUInt64(message, field, index));
      case FD::CPPTYPE_DOUBLE:
        return FullPrecision(one ? r->GetDouble(message, field)
                                 : r->GetRepeatedDouble(message, field, index));
      case FD::CPPTYPE_FLOAT:
        return FullPrecision(one ? r->GetFloat(message, field)
                                 : r->GetRepeatedFloat(message, field, index));
      case FD::CPPTYPE_BOOL:
        return (one ? r->GetBool(message, field) : r->GetRepeatedBool(message, field, index))
                   ? "true"
                   : "false";
      case FD::CPPTYPE_STRING:
        return JsonString(one ? r->GetString(message, field)
                              : r->GetRepeatedString(message, field, index));
      case FD::CPPTYPE_ENUM: {
        // The value's word: "open" for TENDER_STATUS_OPEN.
        const google::protobuf::EnumValueDescriptor* value =
            one ? r->GetEnum(message, field) : r->GetRepeatedEnum(message, field, index);
        std::string word = value->name();
        const std::string prefix = EnumPrefix(value->type()->name());
        if (word.rfind(prefix, 0) == 0) word = word.substr(prefix.size());
        return JsonString(absl::AsciiStrToLower(word));
      }
      case FD::CPPTYPE_MESSAGE: {
        const google::protobuf::Message& inner =
            one ? r->GetMessage(message, field) : r->GetRepeatedMessage(message, field, index);
        const std::string& type = inner.GetDescriptor()->full_name();
        if (type == "google.protobuf.Timestamp") {
          const auto& stamp = static_cast<const google::protobuf::Timestamp&>(inner);
          return JsonString(FormatRfc3339(FromProtoTime(stamp), DisplayZone(tender_zone_)));
        }
        if (type == "google.protobuf.Duration") {
          return FullPrecision(absl::ToDoubleSeconds(
              FromProtoDuration(static_cast<const google::protobuf::Duration&>(inner))));
        }
        return Message(inner);
      }
    }
    return "null";
  }

  std::string tender_zone_;
};

}  // namespace

std::string MessageJson(const google::protobuf::Message& message, std::string_view tender_zone) {
  return MessageJsonWriter(std::string(tender_zone)).Message(message);
}

}  // namespace bidtrail::cli
