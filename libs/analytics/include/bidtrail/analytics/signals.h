// Procurement red flags over competitions (docs/analytics.md, "Signals"):
// is this tender wired for someone? The indicators public procurement
// monitors compute from OCDS data (single bid, short submission period,
// incumbent concentration, a runner-up's price close to the winning bid,
// identical prices, a late bid that won, disqualifications that leave one
// bidder, a supplier that wins with one buyer only), computed the same way
// over imported history and the team's own records. Pure; thread-safe.
#ifndef BIDTRAIL_ANALYTICS_SIGNALS_H_
#define BIDTRAIL_ANALYTICS_SIGNALS_H_

#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "bidtrail/analytics/competition.h"
#include "bidtrail/analytics/metrics.h"
#include "bidtrail/v1/queries.pb.h"

namespace bidtrail::analytics {

// The buyer's last awards looked at for its incumbent.
inline constexpr int kIncumbentAwards = 10;
// An incumbent won at least this many of them, and at least half.
inline constexpr int kIncumbentMinWins = 3;
// A supplier whose awards all come from one buyer is flagged from this many.
inline constexpr int kSupplierMinAwards = 3;
// Gaps needed before the price-close rule draws quartiles.
inline constexpr int kMinPriceGaps = 4;

struct SignalOptions {
  // Bidding is over once the submission deadline is before this.
  absl::Time now = absl::InfinitePast();
  // Competitions dated (Competition::date) in [from, to).
  absl::Time from = absl::InfinitePast();
  absl::Time to = absl::InfiniteFuture();
  absl::Duration short_period = absl::Hours(24 * 15);
  Source source = Source::kAll;
  // Our party: the incumbent line says "we" for it.
  std::string own_party_id;
};

struct SignalReport {
  // Every flag of every competition in the window, newest first.
  std::vector<v1::CompetitionSignal> signals;
  // Every buyer with a competition in the window: most flagged
  // competitions first, then the highest single-bid rate, then by id.
  std::vector<v1::BuyerSignals> buyers;
  // Suppliers with kSupplierMinAwards awards or more, all from one buyer;
  // most awards first.
  std::vector<v1::SupplierSignal> suppliers;
  std::optional<double> price_gap_threshold;
  uint32_t price_gaps = 0;
};

SignalReport Signals(const CompetitionSet& competitions, const SignalOptions& options);

// The incumbent of each buyer (of `only`, when given) over every competition
// of `source`: the supplier that won the most of the buyer's last
// kIncumbentAwards awards in force (ties: the latest win), when it won at
// least kIncumbentMinWins and half of them. Buyers without one are absent.
absl::flat_hash_map<Symbol, v1::IncumbentRecord> Incumbents(
    const CompetitionSet& competitions, Source source,
    const absl::flat_hash_set<Symbol>* only = nullptr, std::string_view own_party_id = "");

// Quartiles by linear interpolation between the closest ranks (as
// numpy.percentile's default); `values` sorted, not empty.
double Quantile(const std::vector<double>& sorted, double q);

}  // namespace bidtrail::analytics

#endif  // BIDTRAIL_ANALYTICS_SIGNALS_H_
