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
  // client and the server); further is a typing mistake.
  absl::Duration max_clock_skew = absl::Minutes(5);
};

// Decides the command `proposed` on `state` at time `now`. On success returns
// the events to append (the proposed event, normalised: a bid naming no lot
// in a one-lot tender gets that lot; a late document gets exception=true).
absl::StatusOr<std::vector<v1::TenderEvent>> Decide(const TenderState& state,
                                                    const v1::TenderEvent& proposed,
                                                    const DomainConfig& config, absl::Time now);

// Validates the syntax of a tender id: 1 to 100 printable ASCII bytes.
absl::Status ValidateTenderId(const std::string& tender_id);

// "tender-<tender_id>".
std::string StreamIdOf(const std::string& tender_id);

}  // namespace bidtrail::tender

#endif  // BIDTRAIL_TENDER_DECIDE_H_
