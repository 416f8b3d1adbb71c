// The rules of the tender domain: given a tender's state and a command (the
// event the client proposes), decide which events to record, or refuse.
// Pure: no IO, no clock of its own (the caller passes `now`). Thread-safe.
//
// The rules and their status codes are listed in docs/domain.md. In short:
// INVALID_ARGUMENT for malformed input (naming the field and the valid form),
// NOT_FOUND for a command on an unknown tender, ALREADY_EXISTS for
// discovering a tender twice, FAILED_PRECONDITION for a command the tender's
// state forbids (naming the rule).
#ifndef BIDTRAIL_TENDER_DECIDE_H_
#define BIDTRAIL_TENDER_DECIDE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bidtrail/tender/state.h"
#include "bidtrail/v1/tender_events.pb.h"

namespace bidtrail::tender {

struct DomainConfig {
  // Bids whose bidder has this party id are ours.
  std::string own_party_id = "us";
  // Business times may run this far ahead of `now` (clock skew between the
  // client and the server); further is a typing mistake. The same grace
  // applies to recording a fact just after a deadline it met.
  absl::Duration max_clock_skew = absl::Minutes(5);
  // Our own facts recorded more than this after their business time need a
  // reason (LateRecording).
  absl::Duration late_window = absl::Hours(24);
};

// Why a fact is recorded well after it happened, and the manager who approved
// it when it claims a deadline that had passed (v1::LateRecording).
struct LateRecording {
  std::string reason;
  std::string approver;
};

// Decides the command `proposed` on `state` at time `now` (when it is
// recorded). On success returns the events to append: the proposed event,
// normalised (a bid naming no lot in a one-lot tender gets that lot; a late
// document gets exception=true), then, for one of our facts recorded late,
// a RecordedLate with `late`'s reason and approver. Our facts are documents
// obtained, our bid or its withdrawal, and no-bid decisions: one recorded
// more than config.late_window after it happened needs late.reason; one that
// claims a deadline (documents cut-off, submission deadline) that had passed
// when it is recorded (after the clock-skew grace) needs late.reason and
// late.approver. Facts about others (their bids, awards, the buyer's
// changes) are learned late by nature and need neither.
absl::StatusOr<std::vector<v1::TenderEvent>> Decide(const TenderState& state,
                                                    const v1::TenderEvent& proposed,
                                                    const DomainConfig& config, absl::Time now,
                                                    const LateRecording& late = {});

// One event of a stream, as the command service reads it: `event` is
// nullptr for a type this build does not know.
struct StreamEntry {
  uint64_t position = 0;
  uint64_t revision = 0;
  std::string type;
  const v1::TenderEvent* event = nullptr;
};

// Looks up the event an EntryVoided names by its position in the tender's
// stream and fills in its revision and voided_type. NOT_FOUND when the
// stream has no event at that position; FAILED_PRECONDITION for the
// discovery (amend or cancel instead), a voiding, a late recording's
// explanation (void its fact), an unknown type, or an event already voided.
// Decide then checks the voiding's reason; a voiding is accepted whatever
// the tender's status.
absl::Status PrepareVoid(const std::vector<StreamEntry>& stream, v1::EntryVoided* voiding);

// Validates the syntax of a tender id: 1 to 100 printable ASCII bytes.
absl::Status ValidateTenderId(const std::string& tender_id);

// "tender-<tender_id>".
std::string StreamIdOf(const std::string& tender_id);

// The stream of the quotas (QuotaSet events, type "bidtrail.v1.QuotaSet").
inline constexpr char kQuotaStream[] = "quotas";
// A quota: one of team and representative (a name), a quarter "2026-Q4",
// an amount of zero or more. INVALID_ARGUMENT naming the field otherwise.
absl::Status ValidateQuota(const v1::QuotaSet& quota);

}  // namespace bidtrail::tender

#endif  // BIDTRAIL_TENDER_DECIDE_H_
