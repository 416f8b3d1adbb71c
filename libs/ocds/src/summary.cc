// The import summary as JSON (for scripts) and as text (for people).
#include <algorithm>
#include <cstdio>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bidtrail/common/json.h"
#include "bidtrail/ocds/importer.h"

namespace bidtrail::ocds {
namespace {

using ::bidtrail::JsonString;

std::string JsonCounts(const std::map<std::string, uint64_t>& counts) {
  std::string out = "{";
  for (const auto& [key, count] : counts) {
    if (out.size() > 1) out += ",";
    absl::StrAppend(&out, JsonString(key), ":", count);
  }
  return out + "}";
}

uint64_t Total(const std::map<std::string, uint64_t>& counts) {
  uint64_t total = 0;
  for (const auto& [key, count] : counts) total += count;
  return total;
}

void AppendCounts(const std::string& title, const std::map<std::string, uint64_t>& counts,
                  std::string* out) {
  if (counts.empty()) return;
  absl::StrAppend(out, title, ":\n");
  for (const auto& [key, count] : counts) {
    absl::StrAppendFormat(out, "  %-40s %10d\n", key, count);
  }
}

}  // namespace

std::string ImportSummary::ToJson() const {
  std::string out = "{";
  auto member = [&](const std::string& key, const std::string& value) {
    if (out.size() > 1) out += ",";
    absl::StrAppend(&out, JsonString(key), ":", value);
  };
  member("files", absl::StrCat(files));
  member("files_skipped", JsonCounts(files_skipped));
  member("releases", absl::StrCat(releases));
  member("releases_mapped", absl::StrCat(releases_mapped));
  member("releases_skipped", JsonCounts(releases_skipped));
  member("records", absl::StrCat(records));
  member("linked_releases", absl::StrCat(linked_releases));
  member("compiled_releases_unused", absl::StrCat(compiled_releases_unused));
  member("processes", absl::StrCat(processes));
  member("tenders", absl::StrCat(tenders));
  member("bids", absl::StrCat(bids));
  member("awards", absl::StrCat(awards));
  member("events_mapped", absl::StrCat(events_mapped));
  member("events_appended", absl::StrCat(events_appended));
  member("events_already_recorded", absl::StrCat(events_already_recorded));
  member("events_by_type", JsonCounts(events_by_type));
  member("skipped", JsonCounts(skipped));
  member("notes", JsonCounts(notes));
  std::string problem_list = "[";
  for (const std::string& line : problems) {
    if (problem_list.size() > 1) problem_list += ",";
    problem_list += JsonString(line);
  }
  member("problems", problem_list + "]");
  member("problems_total", absl::StrCat(problems_total));
  member("elapsed_s", absl::StrFormat("%.3f", absl::ToDoubleSeconds(elapsed)));
  return out + "}";
}

uint64_t ImportSummary::FilesSkipped() const { return Total(files_skipped); }

std::string ImportSummary::ToText() const {
  std::string out;
  auto line = [&](const std::string& label, uint64_t value, const std::string& detail = "") {
    absl::StrAppendFormat(&out, "%-26s %10d%s\n", label, value,
                          detail.empty() ? "" : absl::StrCat("  ", detail));
  };
  line("files", files, files_skipped.empty() ? "" : absl::StrCat(FilesSkipped(), " skipped"));
  line("releases", releases,
       absl::StrCat(releases_mapped, " mapped, ", Total(releases_skipped), " skipped"));
  line("records", records);
  if (linked_releases > 0) line("linked releases", linked_releases, "references, no content");
  if (compiled_releases_unused > 0) {
    line("compiled releases unused", compiled_releases_unused, "their records embed releases");
  }
  line("processes", processes, "contracting processes (ocids)");
  line("tenders", tenders, "processes with a tender: one stream each");
  line("bids", bids);
  line("awards", awards);
  line("events mapped", events_mapped);
  line("events appended", events_appended);
  line("events already recorded", events_already_recorded);
  absl::StrAppendFormat(&out, "%-26s %10.3f s\n", "elapsed", absl::ToDoubleSeconds(elapsed));
  AppendCounts("files skipped", files_skipped, &out);
  AppendCounts("releases skipped", releases_skipped, &out);
  AppendCounts("events by type", events_by_type, &out);
  AppendCounts("skipped", skipped, &out);
  AppendCounts("notes", notes, &out);
  if (!problems.empty()) {
    // A few, each on one line of a terminal: the JSON summary has them all.
    constexpr size_t kShown = 5;
    constexpr size_t kWidth = 160;
    absl::StrAppend(&out, "problems (", problems_total, "):\n");
    for (size_t i = 0; i < problems.size() && i < kShown; ++i) {
      const std::string& problem = problems[i];
      absl::StrAppend(&out, "  ",
                      problem.size() <= kWidth ? problem : problem.substr(0, kWidth - 3) + "...",
                      "\n");
    }
    if (problems_total > std::min(problems.size(), kShown)) {
      absl::StrAppend(&out, "  ... and ", problems_total - std::min(problems.size(), kShown),
                      " more (--json lists them)\n");
    }
  }
  return out;
}

}  // namespace bidtrail::ocds
