// The deadline board's rules: which deadlines of a tender the board shows,
// when one is done, at risk or overdue, and which tenders can go stale. The
// projection indexes what these functions say; the query service marks what
// it reads with them. Pure: no IO, no clock (callers pass `as_of`);
// thread-safe.
#ifndef BIDTRAIL_READMODEL_BOARD_H_
#define BIDTRAIL_READMODEL_BOARD_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "bidtrail/tender/state.h"

namespace bidtrail::readmodel {

// Which of a tender's key dates a deadline is. The numbers are stored
// (storage::v1::DeadlineKind) and never change.
enum class DeadlineKind : uint8_t {
  kDocumentsAvailableUntil = 1,
  kSubmissionDeadline = 2,
  kBidOpeningAt = 3,
};

// "documents_available_until", "submission_deadline", "bid_opening_at": the
// key date's field name, as the API and the CLI say it.
std::string_view DeadlineKindName(DeadlineKind kind);

// Whether we have something to do by it: obtain the documents, submit our
// bid. The bid opening is shown, never ours to meet.
bool Actionable(DeadlineKind kind);

struct TenderDeadline {
  DeadlineKind kind;
  absl::Time due;
  // Our part is done: documents obtained (by anyone of us), our bid in and
  // not withdrawn. Never, for the opening.
  bool done = false;

  bool operator==(const TenderDeadline& other) const {
    return kind == other.kind && due == other.due && done == other.done;
  }
};

// Whether the tender is ours to work on: entered by us (any channel but
// IMPORT), or an imported one we took up: tracked, its documents obtained,
// our bid, a no-bid decision or an activity logged. Imported tenders outside
// it are market intelligence: off the board and the stale list, and their
// deadlines are never ours to have missed.
bool InOurPipeline(const tender::TenderState& state, std::string_view own_party_id);

// The deadlines the board holds for a tender: each key date it has, in
// their order (documents, submission, opening), when the tender is open, in
// our pipeline, and we have not decided against bidding; none otherwise.
std::vector<TenderDeadline> BoardDeadlines(const tender::TenderState& state,
                                           std::string_view own_party_id);

// Actionable and not done: kept apart, so that the board's look back for
// overdue deadlines reads only these.
bool Outstanding(const TenderDeadline& deadline);

// When the tender can go stale: the business time of its last event, for an
// open tender in our pipeline we have not decided against with at least one
// competition undecided; std::nullopt for any other (it never shows as
// stale).
std::optional<absl::Time> StaleClock(const tender::TenderState& state,
                                     std::string_view own_party_id);

// How far the board looks, and when a deadline is at risk. The defaults are
// those of the API (docs/api.md).
struct BoardWindows {
  // Deadlines due up to this after as_of are shown.
  absl::Duration within = absl::Hours(24 * 7);
  // Overdue deadlines due up to this before as_of are shown.
  absl::Duration overdue_lookback = absl::Hours(24 * 7);
  // A deadline not done is at risk this long before it is due.
  absl::Duration documents_risk = absl::Hours(48);
  absl::Duration submission_risk = absl::Hours(72);
  // A tender with no event for this long is stale.
  absl::Duration stale_after = absl::Hours(24 * 14);
};

struct DeadlineMark {
  // On the board at all: a deadline already past is shown only while it is
  // overdue.
  bool shown = false;
  // Actionable, not done, past.
  bool overdue = false;
  // Actionable, not done, not past, due within its risk window.
  bool at_risk = false;
};

// How the board shows `deadline` as of `as_of`.
DeadlineMark MarkDeadline(const TenderDeadline& deadline, absl::Time as_of,
                          const BoardWindows& windows);

}  // namespace bidtrail::readmodel

#endif  // BIDTRAIL_READMODEL_BOARD_H_
