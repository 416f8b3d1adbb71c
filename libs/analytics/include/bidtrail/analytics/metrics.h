// The analytics of docs/analytics.md over competitions: win/loss metrics by
// any grouping and for any bidder, the customer-segment nine-grid, and
// head-to-head competitor records. Pure functions; thread-safe.
#ifndef BIDTRAIL_ANALYTICS_METRICS_H_
#define BIDTRAIL_ANALYTICS_METRICS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
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

// What one pass of WinLoss found in a block of consecutive parts of a set's
// rows (metrics.cc).
struct WinLossBlock;

// WinLoss's passes over blocks of a set's rows, kept between calls: for each
// of the last few queries (the options a pass depends on), each block of
// kBlockParts consecutive parts (CompetitionSet::Rows) with what a pass over
// it found, valid while the block holds the very same parts. Parts are
// immutable and a change repacks only the part it touches (the projection
// engine's parts hold 1,024 tenders): a call passes again over the blocks a
// change reached since, and merges the others as they are kept, so that
// over a million tenders a repeated query costs the merge, not the pass.
// Thread-safe.
class WinLossCache {
 public:
  static constexpr size_t kBlockParts = 16;

  // Keeps the blocks of the `queries` queries used last, and of fewer when
  // their samples take more than `max_bytes`.
  explicit WinLossCache(size_t queries = 8, size_t max_bytes = size_t{256} << 20);
  ~WinLossCache();
  WinLossCache(const WinLossCache&) = delete;
  WinLossCache& operator=(const WinLossCache&) = delete;

  // The block kept for `query` at `block` if it was computed over exactly
  // `parts` (in that order); null otherwise (and a block kept over other
  // parts is dropped).
  std::shared_ptr<const WinLossBlock> Find(
      std::string_view query, size_t block,
      const std::vector<std::shared_ptr<const CompetitionRows>>& parts);
  // Keeps `found` for `query` at `block` of `blocks`, computed over `parts`.
  void Keep(std::string_view query, size_t block, size_t blocks,
            const std::vector<std::shared_ptr<const CompetitionRows>>& parts,
            std::shared_ptr<const WinLossBlock> found);

  // Blocks kept now, over every query; blocks handed to Keep so far (for
  // tests and metrics).
  size_t blocks();
  uint64_t kept();

 private:
  struct Kept {
    // Not owned: the cache never keeps a part alive; a block over a part
    // that changed is dropped when a call finds it so.
    std::vector<std::weak_ptr<const CompetitionRows>> parts;
    std::shared_ptr<const WinLossBlock> found;
    size_t bytes = 0;
  };
  struct Query {
    std::vector<Kept> blocks;
    uint64_t last_used = 0;
    size_t bytes = 0;
  };
  // Drops the queries used least recently, but not `keep`, while more than
  // max_queries_ are kept or their blocks take more than max_bytes_.
  void Evict(const Query* keep) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_queries_;
  const size_t max_bytes_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Query> queries_ ABSL_GUARDED_BY(mu_);
  uint64_t uses_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t kept_ ABSL_GUARDED_BY(mu_) = 0;
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

// One group per key, most competitions first (then by key).
// `without_rate`, when given, receives the currencies met that had no rate
// (sorted). `cache`, when given, keeps what the passes found (WinLossCache)
// and gives it back to later calls: the result is the same either way.
std::vector<v1::WinLossGroup> WinLoss(const CompetitionSet& competitions,
                                      const WinLossOptions& options,
                                      std::vector<std::string>* without_rate = nullptr,
                                      WinLossCache* cache = nullptr);

v1::SegmentsResponse Segments(const CompetitionSet& competitions, const SegmentOptions& options);

std::vector<v1::CompetitorSummary> Competitors(const CompetitionSet& competitions,
                                               const std::string& bidder_id, absl::Time from,
                                               absl::Time to, Source source = Source::kAll);

// "2025-Q3" (UTC).
std::string QuarterOf(absl::Time time);

}  // namespace bidtrail::analytics

#endif  // BIDTRAIL_ANALYTICS_METRICS_H_
