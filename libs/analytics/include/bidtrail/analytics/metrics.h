// The analytics of docs/analytics.md over competitions: win/loss metrics by
// any grouping and for any bidder, the customer-segment nine-grid, and
// head-to-head competitor records. Pure functions; thread-safe.
#ifndef BIDTRAIL_ANALYTICS_METRICS_H_
#define BIDTRAIL_ANALYTICS_METRICS_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bidtrail/analytics/competition.h"
#include "bidtrail/common/decimal.h"
#include "bidtrail/v1/queries.pb.h"

namespace bidtrail::analytics {

// The currency values are reported in, and the rates into it.
struct ReportingCurrency {
  std::string currency = "USD";
  // Value of one unit of another currency in `currency`.
  std::map<std::string, Decimal> rates;
};

// Exchange rates a server holds (bidtraild --rates FILE): the value of one
// unit of each currency in one base currency.
struct RateTable {
  std::string base;
  std::map<std::string, Decimal> in_base;  // the base itself included, at 1
  bool empty() const { return in_base.empty(); }
};

// The rate file: a line `base CUR`, then a line `CUR VALUE` for each other
// currency (the value of one CUR in the base currency); blank lines and
// lines starting with # are ignored. INVALID_ARGUMENT naming the line.
absl::StatusOr<RateTable> ParseRateTable(std::string_view text);

// `reporting` with a rate for every currency of the table it has none for
// (cross rates through the table's base; the request's own rates win). The
// table must hold the reporting currency to help.
ReportingCurrency WithTable(ReportingCurrency reporting, const RateTable& table);

// The same rates seen from `target`: the rates into `target` (thresholds
// are banded in their own currency). std::nullopt when `target` is not the
// reporting currency and has no rate into it.
std::optional<ReportingCurrency> Rebased(const ReportingCurrency& reporting,
                                         const std::string& target);

// Which tenders' competitions count: all, ours (entered by us) or public
// data (DiscoveryChannel IMPORT).
enum class Source { kAll, kOwn, kImport };
// "" (all), "own" or "import"; nullopt for any other word.
std::optional<Source> SourceOf(std::string_view word);
bool SourceSelects(Source source, v1::DiscoveryChannel channel);

// How amounts in several currencies meet thresholds.
struct SegmentOptions {
  absl::Time as_of;
  absl::Duration window = absl::Hours(24 * 365);
  std::string bidder_id;
  ReportingCurrency reporting;
  Decimal medium_potential_from = *Decimal::Parse("500000");
  Decimal large_potential_from = *Decimal::Parse("5000000");
  double development_share_from = 0.10;
  double consolidation_share_from = 0.30;
  // The potential thresholds' currency: buyers' totals are converted into it
  // to be banded.
  std::string potential_currency = "USD";
  // The server's rates, for currencies `reporting` has no rate for.
  RateTable rate_table;
  Source source = Source::kAll;
};

struct WinLossOptions {
  std::string bidder_id;
  // Our own party: bid rate and no-bid counts are ours only.
  std::string own_party_id;
  v1::WinLossGroupBy group_by = v1::WIN_LOSS_GROUP_BY_UNSPECIFIED;
  absl::Time from = absl::InfinitePast();
  absl::Time to = absl::InfiniteFuture();
  std::string territory;
  std::string owner_team;
  std::string buyer_id;
  std::string category;
  Source source = Source::kAll;
  ReportingCurrency reporting;
  // Deal-size thresholds, in `deal_size_currency`: amounts are converted
  // into it to be banded.
  Decimal medium_deal_from = *Decimal::Parse("50000");
  Decimal large_deal_from = *Decimal::Parse("500000");
  std::string deal_size_currency = "USD";
  // The server's rates, for currencies `reporting` has no rate for.
  RateTable rate_table;
  // For grouping by customer segment: the grid as of `to` (or now).
  SegmentOptions segments;
};

// One group per key, most competitions first (then by key).
// `without_rate`, when given, receives the currencies met that had no rate
// (sorted).
std::vector<v1::WinLossGroup> WinLoss(const CompetitionSet& competitions,
                                      const WinLossOptions& options,
                                      std::vector<std::string>* without_rate = nullptr);

v1::SegmentsResponse Segments(const CompetitionSet& competitions, const SegmentOptions& options);

std::vector<v1::CompetitorSummary> Competitors(const CompetitionSet& competitions,
                                               const std::string& bidder_id, absl::Time from,
                                               absl::Time to, Source source = Source::kAll);

// "2025-Q3" (UTC).
std::string QuarterOf(absl::Time time);

}  // namespace bidtrail::analytics

#endif  // BIDTRAIL_ANALYTICS_METRICS_H_
