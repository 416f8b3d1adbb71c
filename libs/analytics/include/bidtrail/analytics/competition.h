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

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
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

  // A bid's status in one byte: a v1::BidStatus this build knows, or
  // kUnknown for any other (neither valid, withdrawn nor disqualified).
  class PackedStatus {
   public:
    static constexpr uint8_t kUnknown = 0xff;
    PackedStatus(v1::BidStatus status = v1::BID_STATUS_VALID)  // NOLINT: implicit by design
        : value_(v1::BidStatus_IsValid(status) ? static_cast<uint8_t>(status) : kUnknown) {}
    operator v1::BidStatus() const { return static_cast<v1::BidStatus>(value_); }  // NOLINT
    uint8_t value() const { return value_; }

   private:
    uint8_t value_;
  };

  // What the analytics read of a bid, packed into 32 bytes.
  struct BidFacts {
    Symbol bidder;
    Symbol currency;
    // The bidder's name as written (interned: names, like ids, come from a
    // bounded vocabulary): for labels.
    Symbol name;
    PackedStatus status;
    bool has_amount = false;
    Decimal amount;  // parsed once; only when has_amount (absent or malformed otherwise)

    std::optional<Decimal> value() const {
      return has_amount ? std::optional<Decimal>(amount) : std::nullopt;
    }
  };

  // A pass over many competitions waits on memory more than it computes, so
  // what the passes read is packed at the front, up to and with `bid_facts`
  // (whose bids are one more read, on the heap): a pass reads four whole
  // cache lines of each competition and its bids. (The passes over every
  // competition read CompetitionRows instead, below.) Party ids, buyers,
  // territories, categories, teams and
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
  // Every bid, withdrawn ones included, in the order the bids came. On the
  // heap, sized to the bids (CompetitionsOf): a million tenders hold one
  // and a half million competitions, and bids kept inline for the most a
  // competition has cost more than half of each.
  std::vector<BidFacts> bid_facts;

  // The lot's value, else the tender's estimated value.
  Symbol estimated_currency;
  std::optional<Decimal> estimated_value;  // parsed once
  std::string lot_id;
  // Interned, as bidders' names are.
  Symbol buyer_name;
  // The submission deadline; InfinitePast() when the tender has none.
  absl::Time submission_deadline = absl::InfinitePast();
  // Bit i: bid i (of the first 64) is dated after the submission deadline.
  uint64_t late_bids = 0;

  // The index (in `bid_facts`) of the bidder's bid that is not
  // withdrawn (valid or disqualified), or -1.
  int BidIndexOf(Symbol bidder) const;
  // Decided, and `bidder` is among the suppliers of the award in force.
  bool Won(Symbol bidder) const;
};

// One Competition per lot (or one for a tender without lots); none for a
// tender that does not exist.
std::vector<Competition> CompetitionsOf(const tender::TenderState& tender);

class CompetitionRows;

// Competitions to analyse: shared, immutable lists (one per tender), seen as
// one sequence in which the competitions of one tender are next to each other
// (the analytics count tenders by that). Copying a set copies pointers, never
// competitions. Thread-safe to read; Add and AddOne only before the set is
// shared.
class CompetitionSet {
 public:
  CompetitionSet() = default;
  explicit CompetitionSet(std::vector<Competition> all) {
    Add(std::make_shared<const std::vector<Competition>>(std::move(all)));
  }
  void Add(std::shared_ptr<const std::vector<Competition>> list) {
    if (of_rows_) LeaveRows();
    for (const Competition& competition : *list) items_.push_back(&competition);
    owners_.push_back(std::move(list));
    rows_ = NewRows();
  }
  // Many lists at once (null ones are empty).
  void Add(const std::vector<std::shared_ptr<const std::vector<Competition>>>& lists) {
    if (of_rows_) LeaveRows();
    for (const auto& list : lists) {
      if (list == nullptr) continue;
      for (const Competition& competition : *list) items_.push_back(&competition);
      owners_.push_back(list);
    }
    rows_ = NewRows();
  }
  // One competition of `list` (which it keeps alive).
  void AddOne(std::shared_ptr<const std::vector<Competition>> list, const Competition* one) {
    if (of_rows_) LeaveRows();
    items_.push_back(one);
    owners_.push_back(std::move(list));
    rows_ = NewRows();
  }
  // A set of exactly the competitions of `parts`, which keep them alive
  // (CompetitionRows' owner), in the parts' order: made in the time it takes
  // to copy the parts' pointers, where Add copies one per competition (a
  // million tenders' set, taken again after every change, took a tenth of a
  // second). The competitions' own list is made on first use (begin, end).
  // An Add to it makes it a set like any other, its rows' competitions
  // listed first.
  static CompetitionSet OfRows(std::vector<std::shared_ptr<const CompetitionRows>> parts);

  std::vector<const Competition*>::const_iterator begin() const { return Items().begin(); }
  std::vector<const Competition*>::const_iterator end() const { return Items().end(); }
  size_t size() const { return of_rows_ ? of_rows_size_ : items_.size(); }

  // The set's competitions packed for passes over all of them (below), in
  // one or more parts: those given with SetRows, else one in the set's
  // order, built on first use and kept with the set (and its copies).
  const std::vector<std::shared_ptr<const CompetitionRows>>& Rows() const;
  // Rows the caller packed (and may share between sets): together exactly
  // the set's competitions, those of a tender next to each other, tenders
  // in any order. After the last Add.
  void SetRows(std::vector<std::shared_ptr<const CompetitionRows>> parts);

 private:
  struct LazyRows;
  static std::shared_ptr<LazyRows> NewRows();
  struct LazyItems;
  const std::vector<const Competition*>& Items() const { return of_rows_ ? ItemsOfRows() : items_; }
  const std::vector<const Competition*>& ItemsOfRows() const;
  // Before an Add to a set made OfRows: its competitions listed in items_,
  // its rows kept as the owners of those competitions.
  void LeaveRows();

  std::vector<std::shared_ptr<const std::vector<Competition>>> owners_;
  // Rows that own some of items_ (a set made OfRows, then added to).
  std::vector<std::shared_ptr<const CompetitionRows>> owner_rows_;
  std::vector<const Competition*> items_;
  std::shared_ptr<LazyRows> rows_ = NewRows();
  // Made with OfRows: the competitions are the rows', listed on first use.
  bool of_rows_ = false;
  size_t of_rows_size_ = 0;
  std::shared_ptr<LazyItems> items_of_rows_;
};

// What a pass over every competition of a set reads (WinLoss), packed into
// contiguous arrays in the set's order: a row of one cache line per
// competition with what every pass reads, its details (what only some
// groupings and filters read) in an array of their own, and its bids next to
// those of the competition before. A pass over the competitions themselves,
// scattered over the heap one list per tender, waits on memory for most of
// its time; over rows it streams, and reads no line it does not need.
// Everything else of a competition is one pointer away. A set's rows may
// come in parts (so that a change repacks only the part it touches); the
// competitions of one tender are in one part. Immutable; thread-safe.
class CompetitionRows {
 public:
  // A bid as a pass reads it, in 12 bytes; its amount is amount(index), when
  // it has one.
  struct Bid {
    Symbol bidder;
    Symbol currency;
    // As a competition's bid keeps it: a status this build does not know as
    // kUnknownStatus.
    static constexpr uint8_t kUnknownStatus = Competition::PackedStatus::kUnknown;
    Competition::PackedStatus packed_status;
    bool has_amount = false;

    v1::BidStatus status() const { return packed_status; }
    bool withdrawn() const { return status() == v1::BID_STATUS_WITHDRAWN; }
  };
  // Where a decided competition's cycle time is.
  enum class Cycle : uint8_t {
    kNone,   // not decided
    kNanos,  // in cycle_nanos
    kWide,   // beyond int64 nanoseconds (years apart): only in the competition
  };
  struct alignas(64) Row {
    absl::Time date = absl::InfinitePast();  // Competition::date
    Decimal award_value;                     // when has_award_value
    // Decided: first award less discovery, in nanoseconds (negative for an
    // award dated before the tender), when `cycle` is kNanos.
    int64_t cycle_nanos = 0;
    // Counts the part's tenders from 1: equal for the competitions of one
    // tender, one more for each next tender (a competition whose tender id
    // differs from that of the competition before it starts the next).
    uint32_t tender = 0;
    // Where the row's bids (bid(), amount()) and winners start in the
    // rows' arrays of them; they end where the next row's start.
    uint32_t first_bid = 0;
    uint32_t first_winner = 0;
    // Its bids that are not withdrawn.
    uint32_t bidders = 0;
    Symbol award_currency;
    Competition::Status status = Competition::Status::kPending;
    bool no_bid = false;
    bool has_award_value = false;
    Cycle cycle = Cycle::kNone;
  };
  // What only some groupings and filters read of a competition.
  struct Detail {
    Symbol buyer_id;
    Symbol territory;
    Symbol category;
    Symbol owner_team;
    v1::ProcurementMethod procurement_method = v1::PROCUREMENT_METHOD_UNSPECIFIED;
    v1::DiscoveryChannel discovery_channel = v1::DISCOVERY_CHANNEL_UNSPECIFIED;
    // The competition itself, for what rows do not hold (names, estimates).
    const Competition* competition = nullptr;
  };

  // The competitions, in their order; `owner`, when given, holds them and
  // is kept as long as the rows (CompetitionSet::OfRows).
  explicit CompetitionRows(const std::vector<const Competition*>& competitions,
                           std::shared_ptr<const void> owner = nullptr);

  size_t size() const { return rows_.size() - 1; }
  // How many tenders the rows hold (the last row's `tender`).
  uint32_t tenders() const { return tenders_; }
  const Row& operator[](size_t i) const { return rows_[i]; }
  const Detail& detail(size_t i) const { return details_[i]; }
  // Row i's cycle time (when its `cycle` is not kNone).
  absl::Duration cycle(size_t i) const;
  // Row i's bids: indices [begin, end) into bid() and amount().
  size_t bids_begin(size_t i) const { return rows_[i].first_bid; }
  size_t bids_end(size_t i) const { return rows_[i + 1].first_bid; }
  const Bid& bid(size_t index) const { return bids_[index]; }
  // Only when the bid has_amount (zero otherwise).
  const Decimal& amount(size_t index) const { return amounts_[index]; }
  const Symbol* winners_begin(size_t i) const { return winners_.data() + rows_[i].first_winner; }
  const Symbol* winners_end(size_t i) const { return winners_.data() + rows_[i + 1].first_winner; }

  // Row i's bid (an index into bid()) of `bidder` that is not withdrawn, as
  // Competition::BidIndexOf chooses it; -1 without one.
  int64_t BidIndexOf(size_t i, Symbol bidder) const;
  // A row in which a bidder has a bid that is not withdrawn, and that bid
  // (BidIndexOf).
  struct Posting {
    uint32_t row = 0;
    uint32_t bid = 0;
  };
  // The rows in which `bidder` has a bid that is not withdrawn, in row
  // order: a pass over one bidder's competitions reads only those.
  absl::Span<const Posting> PostingsOf(Symbol bidder) const;
  // As Competition::Won.
  bool Won(size_t i, Symbol bidder) const;

 private:
  // One more row than competitions: its first_bid and first_winner end the
  // last competition's.
  std::vector<Row> rows_;
  std::vector<Detail> details_;  // one per competition
  std::vector<Bid> bids_;
  std::vector<Decimal> amounts_;  // one per bid
  std::vector<Symbol> winners_;
  // Every bidder's postings, one bidder's after another's; where each
  // bidder's begin and end.
  std::vector<Posting> postings_;
  absl::flat_hash_map<Symbol, std::pair<uint32_t, uint32_t>> postings_of_;
  uint32_t tenders_ = 0;
  std::shared_ptr<const void> owner_;
};

}  // namespace bidtrail::analytics

#endif  // BIDTRAIL_ANALYTICS_COMPETITION_H_
