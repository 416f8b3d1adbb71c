// The rules of a tender's timeline: the milestones its events reach, the
// time between them, and whether we met each deadline. Pure: no IO, no clock
// (callers pass `as_of`); thread-safe for distinct arguments.
#ifndef BIDTRAIL_READMODEL_TIMELINE_H_
#define BIDTRAIL_READMODEL_TIMELINE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "bidtrail/readmodel/board.h"
#include "bidtrail/tender/state.h"
#include "bidtrail/v1/tender_events.pb.h"

namespace bidtrail::readmodel {

// The phases of a tender, in the order they follow each other.
enum class Phase : uint8_t { kDiscovered, kDocuments, kOurBid, kOpening, kAward };

// "discovered", "documents", "our_bid", "opening", "award".
std::string_view PhaseName(Phase phase);

// When each milestone was first reached (business time), as the tender's
// events are observed in stream order.
struct Milestones {
  std::optional<absl::Time> discovered;
  // The tender documents obtained (other documents do not count).
  std::optional<absl::Time> documents;
  // Our first bid.
  std::optional<absl::Time> our_bid;
  // The first award announced (cancelled later or not).
  std::optional<absl::Time> award;
  // When the tender was cancelled, or declared unsuccessful.
  std::optional<absl::Time> ended;
  // The managers who approved recording our documents, or our bid, after the
  // deadline they claim to have met ("" when it was recorded in time).
  std::string documents_approved_late_by;
  std::string our_bid_approved_late_by;

  // Notes `event`, which occurred at `at`, when it reaches a milestone for
  // the first time.
  void Observe(const v1::TenderEvent& event, absl::Time at, std::string_view own_party_id);
};

struct PhaseSpan {
  Phase from;
  Phase to;
  absl::Duration duration;  // negative when the later phase came first
};

// The time from each phase reached to the next one reached, in phase order;
// the opening is the tender's key date (scheduled, not an event), unless the
// tender ended (cancelled, unsuccessful) before it came.
std::vector<PhaseSpan> PhaseSpans(const Milestones& milestones, const tender::TenderState& state);

struct DeadlineOutcome {
  DeadlineKind kind;
  absl::Time due;
  // When we did our part; std::nullopt when not done.
  std::optional<absl::Time> done_at;
  // Done by the deadline.
  bool met = false;
  // Not done and not yet due.
  bool open = false;
  // due - done_at when done (negative: late); due - as_of otherwise.
  absl::Duration margin;
  // The manager who approved recording it after the deadline had passed.
  std::string approved_late_by;
};

// Whether we met the tender's actionable deadlines: the documents cut-off
// when it has one, and the submission deadline when it has one and we did
// not decide against bidding; none for a tender outside our pipeline
// (InOurPipeline: imported, never taken up), whose deadlines were never ours.
// A deadline not done that falls after the tender ended (cancelled,
// unsuccessful) has no outcome: there was nothing left to meet.
std::vector<DeadlineOutcome> DeadlineOutcomes(const Milestones& milestones,
                                              const tender::TenderState& state, absl::Time as_of,
                                              std::string_view own_party_id);

}  // namespace bidtrail::readmodel

#endif  // BIDTRAIL_READMODEL_TIMELINE_H_
