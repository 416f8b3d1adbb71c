// The state of one tender, folded from its events. Pure: no IO, no clock.
// Not thread-safe for writing; a const TenderState may be read concurrently.
//
// Fold is total: it never fails and never crashes on any sequence of events,
// including sequences that break the rules Decide enforces (imported public
// data does), so it can replay anything the log holds.
#ifndef BIDTRAIL_TENDER_STATE_H_
#define BIDTRAIL_TENDER_STATE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "bidtrail/v1/tender_events.pb.h"

namespace bidtrail::tender {

struct BidRecord {
  v1::BidSubmitted bid;
  v1::BidStatus status = v1::BID_STATUS_VALID;
};

struct AwardRecord {
  v1::AwardAnnounced award;
  bool cancelled = false;
  std::string cancel_reason;
};

// One competition: a lot, or the whole tender when it has no lots (id "").
struct LotState {
  std::string id;
  std::string title;
  v1::Money value;
  v1::LotStatus status = v1::LOT_STATUS_OPEN;
  std::vector<BidRecord> bids;
  std::vector<AwardRecord> awards;

  // The award announced and not cancelled, or nullptr.
  const AwardRecord* AwardInForce() const;
  // The bidder's bid that is still in the competition, or nullptr.
  const BidRecord* ValidBid(const std::string& bidder_id) const;
  BidRecord* MutableValidBid(const std::string& bidder_id);
  bool Void() const {
    return status == v1::LOT_STATUS_CANCELLED || status == v1::LOT_STATUS_UNSUCCESSFUL;
  }
};

struct TenderState {
  bool exists = false;
  // As discovered, with every amendment applied (key dates, value, lots).
  v1::TenderDiscovered details;
  v1::TenderStatus status = v1::TENDER_STATUS_UNSPECIFIED;
  bool documents_obtained = false;
  // When we first obtained the tender documents (business time);
  // absl::InfinitePast() before.
  absl::Time documents_obtained_at = absl::InfinitePast();
  bool documents_exception = false;
  bool no_bid_decided = false;
  // The declared lots, or one lot with id "" when the tender has none.
  std::vector<LotState> lots;
  // We took it up (TenderTracked): see readmodel::InOurPipeline.
  bool tracked = false;
  uint32_t amendment_count = 0;
  uint32_t activity_count = 0;
  absl::Time last_event_at = absl::InfinitePast();

  bool HasDeclaredLots() const { return details.lots_size() > 0; }
  const LotState* FindLot(const std::string& lot_id) const;
  LotState* MutableLot(const std::string& lot_id);
  // The lot holding the award, or nullptr.
  const LotState* LotOfAward(const std::string& award_id) const;
};

// Applies one event. Events of another tender are applied all the same:
// callers fold one stream.
void Apply(const v1::TenderEvent& event, TenderState* state);
// The same, moving what the state keeps out of `event` instead of copying it.
void Apply(v1::TenderEvent&& event, TenderState* state);
// Folds one stream from its revision 0, every event present, leaving out
// those an EntryVoided voids: FoldStream with revisions 0, 1, 2, ...
TenderState Fold(const std::vector<v1::TenderEvent>& events);
// Folds one stream whose events are `events`, `revisions[i]` being the stream
// revision of `events[i]` (increasing; events of unknown types may be
// missing), leaving out the events an EntryVoided voids and the RecordedLate
// that explains each of them.
TenderState FoldStream(const std::vector<v1::TenderEvent>& events,
                       const std::vector<uint64_t>& revisions);
// Which of a stream's events are voided, as FoldStream leaves them out;
// nullptr stands for an event of an unknown type.
std::vector<bool> VoidedOf(const std::vector<const v1::TenderEvent*>& events,
                           const std::vector<uint64_t>& revisions);

// Every date `change` sets replaces the one in `dates`; the others stay. The
// one merge of key dates, for folding amendments and for deciding on them;
// field by field by reflection, so that a date added to KeyDates is merged
// without a change here (protobuf's MergeFrom would merge a Timestamp's
// seconds and nanos separately).
void MergeKeyDates(const v1::KeyDates& change, v1::KeyDates* dates);

}  // namespace bidtrail::tender

#endif  // BIDTRAIL_TENDER_STATE_H_
