#include "bidtrail/web/calendar.h"

#include "absl/strings/str_cat.h"
#include "bidtrail/common/proto_time.h"

namespace bidtrail::web {
namespace {

// TEXT values escape backslashes, semicolons, commas and newlines.
std::string Text(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == ';' || c == ',') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c != '\r') {
      out += c;
    }
  }
  return out;
}

// Lines of at most 75 octets, continued with CRLF and a space; never in
// the middle of a UTF-8 character.
void AddLine(const std::string& line, std::string* out) {
  size_t start = 0;
  size_t limit = 75;
  while (line.size() - start > limit) {
    size_t cut = start + limit;
    while (cut > start && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
    out->append(line, start, cut - start);
    out->append("\r\n ");
    start = cut;
    limit = 74;  // the leading space counts
  }
  out->append(line, start, std::string::npos);
  out->append("\r\n");
}

std::string Utc(absl::Time time) {
  return absl::FormatTime("%Y%m%dT%H%M%SZ", time, absl::UTCTimeZone());
}

struct Kind {
  const char* name;
  const char* words;
  absl::Duration reminder;  // zero: none
};

Kind KindOf(const std::string& kind) {
  if (kind == "documents_available_until") {
    return {"documents", "Document cut-off", absl::Hours(48)};
  }
  if (kind == "submission_deadline") return {"submission", "Submission deadline", absl::Hours(72)};
  if (kind == "bid_opening_at") return {"opening", "Bid opening", absl::ZeroDuration()};
  return {"deadline", "Deadline", absl::ZeroDuration()};
}

}  // namespace

std::string DeadlinesCalendar(const std::vector<v1::DeadlineItem>& deadlines,
                              const CalendarOptions& options) {
  std::string out;
  AddLine("BEGIN:VCALENDAR", &out);
  AddLine("VERSION:2.0", &out);
  AddLine("PRODID:-//bidtrail//deadlines//EN", &out);
  AddLine("CALSCALE:GREGORIAN", &out);
  AddLine("METHOD:PUBLISH", &out);
  AddLine("X-WR-CALNAME:" + Text(options.name), &out);
  // Calendar apps that honour it refresh hourly.
  AddLine("REFRESH-INTERVAL;VALUE=DURATION:PT1H", &out);
  AddLine("X-PUBLISHED-TTL:PT1H", &out);
  for (const v1::DeadlineItem& item : deadlines) {
    if (item.done()) continue;
    const Kind kind = KindOf(item.kind());
    const absl::Time due = FromProtoTime(item.due());
    AddLine("BEGIN:VEVENT", &out);
    AddLine(absl::StrCat("UID:", Text(item.tender_id()), "/", kind.name, "@bidtrail"), &out);
    AddLine("DTSTAMP:" + Utc(options.now), &out);
    AddLine("DTSTART:" + Utc(due), &out);
    std::string summary = absl::StrCat(kind.words, ": ", item.title(), " (", item.tender_id(), ")");
    if (item.overdue()) {
      summary = "OVERDUE " + summary;
    } else if (item.at_risk()) {
      summary = "AT RISK " + summary;
    }
    AddLine("SUMMARY:" + Text(summary), &out);
    std::string description = absl::StrCat("Tender ", item.tender_id(), ": ", item.title());
    if (!item.buyer().name().empty())
      absl::StrAppend(&description, "\nBuyer: ", item.buyer().name());
    if (!item.territory().empty()) absl::StrAppend(&description, "\nTerritory: ", item.territory());
    if (!item.owner_team().empty()) absl::StrAppend(&description, "\nTeam: ", item.owner_team());
    if (!item.time_zone().empty()) {
      absl::StrAppend(&description, "\nTender time zone: ", item.time_zone());
    }
    AddLine("DESCRIPTION:" + Text(description), &out);
    if (!options.tender_url_prefix.empty()) {
      AddLine(absl::StrCat("URL:", options.tender_url_prefix, item.tender_id(),
                           options.tender_url_suffix),
              &out);
    }
    AddLine("CATEGORIES:" + Text(kind.words), &out);
    AddLine("TRANSP:TRANSPARENT", &out);
    if (kind.reminder > absl::ZeroDuration()) {
      AddLine("BEGIN:VALARM", &out);
      AddLine("ACTION:DISPLAY", &out);
      AddLine("DESCRIPTION:" + Text(summary), &out);
      AddLine(absl::StrCat("TRIGGER:-PT", absl::ToInt64Hours(kind.reminder), "H"), &out);
      AddLine("END:VALARM", &out);
    }
    AddLine("END:VEVENT", &out);
  }
  AddLine("END:VCALENDAR", &out);
  return out;
}

}  // namespace bidtrail::web
