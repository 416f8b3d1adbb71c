// A competition (one lot of one tender, or a tender without lots) as the
// analytics see it, derived from a tender's state. Pure; thread-safe.
#ifndef BIDTRAIL_ANALYTICS_COMPETITION_H_
#define BIDTRAIL_ANALYTICS_COMPETITION_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "bidtrail/v1/tenders.pb.h"

namespace bidtrail::analytics {

struct CompetitionBid {
  std::string bidder_id;
  std::string bidder_name;
  std::string amount;  // decimal string
  std::string currency;
  v1::BidStatus status = v1::BID_STATUS_VALID;
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
  absl::Time award_at = absl::InfinitePast();
  // The first award ever announced (cycle time), cancelled or not.
  absl::Time first_award_at = absl::InfinitePast();
  // The lot's value, else the tender's estimated value.
  std::string estimated_amount;
  std::string estimated_currency;
  // We decided not to bid on the tender.
  bool no_bid = false;
  std::vector<CompetitionBid> bids;

  // The bidder's bid that is not withdrawn (valid or disqualified), or nullptr.
  const CompetitionBid* BidOf(const std::string& bidder_id) const;
  bool Won(const std::string& bidder_id) const;
};

// One Competition per lot (or one for a tender without lots).
std::vector<Competition> CompetitionsOf(const v1::TenderView& tender);

}  // namespace bidtrail::analytics

#endif  // BIDTRAIL_ANALYTICS_COMPETITION_H_
