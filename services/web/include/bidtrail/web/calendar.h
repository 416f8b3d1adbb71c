// Deadlines as an iCalendar feed (RFC 5545) that calendar apps subscribe to:
// one VEVENT per open deadline, at the deadline, with a reminder (VALARM)
// 48 hours before a document cut-off and 72 hours before a submission
// deadline. Each event's UID is the tender and the kind of deadline, so an
// amended deadline moves the event a calendar already has, and a deadline
// done (documents obtained, our bid in) leaves the feed.
#ifndef BIDTRAIL_WEB_CALENDAR_H_
#define BIDTRAIL_WEB_CALENDAR_H_

#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bidtrail/v1/queries.pb.h"

namespace bidtrail::web {

struct CalendarOptions {
  // The calendar's name as apps show it.
  std::string name = "bidtrail deadlines";
  // A tender's URL is this followed by its id and `tender_url_suffix`;
  // empty: no URL.
  std::string tender_url_prefix;
  std::string tender_url_suffix;
  // DTSTAMP: when the feed was made.
  absl::Time now = absl::Now();
};

std::string DeadlinesCalendar(const std::vector<v1::DeadlineItem>& deadlines,
                              const CalendarOptions& options);

}  // namespace bidtrail::web

#endif  // BIDTRAIL_WEB_CALENDAR_H_
