// A competition (one lot of one tender, or a tender without lots) as the
// analytics see it, derived from a tender's state. Thread-safe; pure but for
// interning ids in the process-wide symbol table (symbol.h).
#ifndef BIDTRAIL_ANALYTICS_COMPETITION_H_
#define BIDTRAIL_ANALYTICS_COMPETITION_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/time/time.h"
#include "bidtrail/analytics/symbol.h"
#include "bidtrail/common/decimal.h"
#include "bidtrail/tender/state.h"
#include "bidtrail/v1/tender_events.pb.h"

namespace bidtrail::analytics {

// Built by CompetitionsOf and immutable after: a CompetitionSet shares it
// between threads. Aligned to a cache line, so that the fields at the front
// (below) fill whole lines.
struct alignas(64) Competition {
  enum class Status : uint8_t { kPending, kDecided, kVoid };

  // What the analytics read of a bid, packed into 32 bytes.
  struct BidFacts {
    Symbol bidder;
    Symbol currency;
    v1::BidStatus status = v1::BID_STATUS_VALID;
    bool has_amount = false;
    Decimal amount;  // parsed once; only when has_amount (absent or malformed otherwise)

    std::optional<Decimal> value() const {
      return has_amount ? std::optional<Decimal>(amount) : std::nullopt;
    }
  };

  // A pass over many competitions waits on memory more than it computes, so
  // what the passes read is packed at the front, up to and with `bid_facts`:
  // a pass reads a few whole cache lines of each competition, and nothing
  // elsewhere. Party ids, buyers, territories, categories, teams and
  // currencies are interned (symbol.h), so that passes compare integers.
  //
  // The submission deadline, else the discovery time: what periods select on.
  absl::Time date = absl::InfinitePast();
  Status status = Status::kPending;
  // We decided not to bid on the tender.
  bool no_bid = false;
  Symbol award_currency;
  Symbol buyer_id;
  Symbol territory;
  Symbol category;
  Symbol owner_team;
  v1::ProcurementMethod procurement_method = v1::PROCUREMENT_METHOD_UNSPECIFIED;
  v1::DiscoveryChannel discovery_channel = v1::DISCOVERY_CHANNEL_UNSPECIFIED;
  // Competitions of one tender have equal ids (a CompetitionSet counts
  // tenders by that).
  std::string tender_id;
  // The award in force (decided competitions): amount (parsed once) and
  // suppliers.
  std::optional<Decimal> award_value;
  absl::InlinedVector<Symbol, 4> winners;
  absl::Time discovered_at = absl::InfinitePast();
  // The first award ever announced (cycle time), cancelled or not.
  absl::Time first_award_at = absl::InfinitePast();
  absl::Time award_at = absl::InfinitePast();
  // Every bid, withdrawn ones included, in the order the bids came. Inline up
  // to the number of bids most competitions have.
  absl::InlinedVector<BidFacts, 8> bid_facts;

  // The lot's value, else the tender's estimated value.
  Symbol estimated_currency;
  std::optional<Decimal> estimated_value;  // parsed once
  std::string lot_id;
  std::string buyer_name;
  // Each bid's bidder name as written (interned: names, like ids, come from
  // a bounded vocabulary), in the order of `bid_facts`: for labels.
  absl::InlinedVector<Symbol, 8> bidder_names;
  // The submission deadline; InfinitePast() when the tender has none.
  absl::Time submission_deadline = absl::InfinitePast();
  // Bit i: bid i (of the first 64) is dated after the submission deadline.
  uint64_t late_bids = 0;

  // The index (in `bid_facts` and `bidder_names`) of the bidder's bid that is not
  // withdrawn (valid or disqualified), or -1.
  int BidIndexOf(Symbol bidder) const;
  // Decided, and `bidder` is among the suppliers of the award in force.
  bool Won(Symbol bidder) const;
};

// One Competition per lot (or one for a tender without lots); none for a
// tender that does not exist.
std::vector<Competition> CompetitionsOf(const tender::TenderState& tender);

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
  // One competition of `list` (which it keeps alive).
  void AddOne(std::shared_ptr<const std::vector<Competition>> list, const Competition* one) {
    items_.push_back(one);
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
