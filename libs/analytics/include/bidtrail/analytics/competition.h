// A competition (one lot of one tender, or a tender without lots) as the
// analytics see it, derived from a tender's state. Pure; thread-safe.
#ifndef BIDTRAIL_ANALYTICS_COMPETITION_H_
#define BIDTRAIL_ANALYTICS_COMPETITION_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "bidtrail/analytics/decimal.h"
#include "bidtrail/v1/tenders.pb.h"

namespace bidtrail::analytics {

struct CompetitionBid {
  std::string bidder_id;
  std::string bidder_name;
  std::string amount;  // decimal string
  std::string currency;
  v1::BidStatus status = v1::BID_STATUS_VALID;
  // `amount`, parsed once; std::nullopt when absent or malformed.
  std::optional<Decimal> value;
};

struct Competition {
  enum class Status { kPending, kDecided, kVoid };

  std::string tender_id;
  std::string lot_id;
  std::string buyer_id;
  std::string buyer_name;
  std::string territory;
  std::string category;
  std::string owner_team;
  v1::ProcurementMethod procurement_method = v1::PROCUREMENT_METHOD_UNSPECIFIED;
  v1::DiscoveryChannel discovery_channel = v1::DISCOVERY_CHANNEL_UNSPECIFIED;
  absl::Time discovered_at = absl::InfinitePast();
  // The submission deadline, else the discovery time: what periods select on.
  absl::Time date = absl::InfinitePast();
  Status status = Status::kPending;
  // The award in force (decided competitions).
  std::vector<std::string> winners;
  std::string award_amount;
  std::string award_currency;
  std::optional<Decimal> award_value;  // award_amount, parsed once
  absl::Time award_at = absl::InfinitePast();
  // The first award ever announced (cycle time), cancelled or not.
  absl::Time first_award_at = absl::InfinitePast();
  // The lot's value, else the tender's estimated value.
  std::string estimated_amount;
  std::string estimated_currency;
  std::optional<Decimal> estimated_value;  // estimated_amount, parsed once
  // We decided not to bid on the tender.
  bool no_bid = false;
  std::vector<CompetitionBid> bids;

  // The bidder's bid that is not withdrawn (valid or disqualified), or nullptr.
  const CompetitionBid* BidOf(std::string_view bidder_id) const;
  bool Won(std::string_view bidder_id) const;
};

// One Competition per lot (or one for a tender without lots).
std::vector<Competition> CompetitionsOf(const v1::TenderView& tender);

// Competitions to analyse: shared, immutable lists (one per tender), seen as
// one sequence in which the competitions of one tender are next to each other
// (the analytics count tenders by that). Copying a set copies pointers, never
// competitions. Thread-safe to read.
class CompetitionSet {
 public:
  CompetitionSet() = default;
  explicit CompetitionSet(std::vector<Competition> all) {
    Add(std::make_shared<const std::vector<Competition>>(std::move(all)));
  }
  void Add(std::shared_ptr<const std::vector<Competition>> list) {
    for (const Competition& competition : *list) items_.push_back(&competition);
    owners_.push_back(std::move(list));
  }
  std::vector<const Competition*>::const_iterator begin() const { return items_.begin(); }
  std::vector<const Competition*>::const_iterator end() const { return items_.end(); }
  size_t size() const { return items_.size(); }

 private:
  std::vector<std::shared_ptr<const std::vector<Competition>>> owners_;
  std::vector<const Competition*> items_;
};

}  // namespace bidtrail::analytics

#endif  // BIDTRAIL_ANALYTICS_COMPETITION_H_
