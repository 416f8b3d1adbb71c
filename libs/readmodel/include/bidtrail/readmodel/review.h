// The weekly pipeline review (docs/analytics.md, "Pipeline review"): each
// representative's and team's week as the log knew it at the end of that
// week: what moved, what went stale, what is due next week, the pipeline by
// stage weighted by the historical win rate at that stage, won value
// against quota, and the forecast to the quarter's end. Pure; thread-safe.
#ifndef BIDTRAIL_READMODEL_REVIEW_H_
#define BIDTRAIL_READMODEL_REVIEW_H_

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bidtrail/common/decimal.h"
#include "bidtrail/v1/queries.pb.h"
#include "bidtrail/v1/tender_events.pb.h"

namespace bidtrail::readmodel {

// One event of a tender's stream, as the review reads it.
struct HistoryEvent {
  v1::TenderEvent event;
  uint64_t revision = 0;
  uint64_t position = 0;
  absl::Time occurred_at;
  absl::Time recorded_at;
  std::string actor;
};

// A tender's stream, in order.
struct TenderHistory {
  std::vector<HistoryEvent> events;
};

// A QuotaSet as recorded.
struct Quota {
  v1::QuotaSet quota;
  absl::Time recorded_at;
};

struct ReviewOptions {
  std::string week;  // "2026-W49"
  absl::Time week_start;
  absl::Time week_end;
  // What the log held: recorded before this (the week's end, or now).
  absl::Time as_of;
  // Instead: what had happened before as_of (business time), whenever
  // recorded; quotas then count whenever recorded.
  bool happened = false;
  absl::TimeZone zone = absl::UTCTimeZone();
  std::string own_party_id;
  std::string owner_team;      // only this team's tenders ("": all)
  std::string representative;  // only this representative's ("": all)
  absl::Duration stale_after = absl::Hours(24 * 14);
  // Values are reported in `currency` ("": the quota's, else the most
  // common); `rates_into(currency)` gives one unit of each other currency
  // in it (none when unset).
  std::string currency;
  std::function<std::map<std::string, Decimal>(const std::string& currency)> rates_into;
};

// Fewer closed tenders than this at a stage: the rate is the team's (or
// everyone's) instead of the representative's.
inline constexpr int kMinStageHistory = 5;

v1::PipelineReviewResponse Review(const std::vector<TenderHistory>& tenders,
                                  const std::vector<Quota>& quotas, const ReviewOptions& options);

// The ISO week "2026-W49" in `zone`: [Monday 00:00, next Monday 00:00).
// INVALID_ARGUMENT naming `field` for anything else.
absl::StatusOr<std::pair<absl::Time, absl::Time>> IsoWeek(std::string_view week,
                                                          absl::TimeZone zone,
                                                          std::string_view field = "week");
// The ISO week `time` falls in, in `zone`.
std::string IsoWeekOf(absl::Time time, absl::TimeZone zone);
// "2026-Q4" of `time` in `zone`, and its [start, end).
std::string QuarterIn(absl::Time time, absl::TimeZone zone);
std::pair<absl::Time, absl::Time> QuarterBounds(absl::Time time, absl::TimeZone zone);

}  // namespace bidtrail::readmodel

#endif  // BIDTRAIL_READMODEL_REVIEW_H_
