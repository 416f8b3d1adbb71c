// The read side's edge: bidtrail's internal forms (a tender's state, the
// stored read models, the read-model rules' results) turned into the public
// API's messages (bidtrail.v1). The services call these and nothing below
// them speaks the API. Pure functions; thread-safe.
#ifndef BIDTRAIL_API_VIEWS_H_
#define BIDTRAIL_API_VIEWS_H_

#include <string_view>

#include "absl/time/time.h"
#include "bidtrail/readmodel/actor_history.h"
#include "bidtrail/readmodel/board.h"
#include "bidtrail/readmodel/timeline.h"
#include "bidtrail/storage/v1/read_models.pb.h"
#include "bidtrail/tender/state.h"
#include "bidtrail/v1/queries.pb.h"
#include "bidtrail/v1/tenders.pb.h"

namespace bidtrail::api {

// The tender as the API shows it; `own_party_id` marks our bids.
v1::TenderView TenderViewOf(const storage::v1::TenderRecord& record, std::string_view own_party_id);
v1::TenderView TenderViewOf(const tender::TenderState& state, std::string_view own_party_id);

// A deadline of the board, marked as of the query's as_of.
v1::DeadlineItem DeadlineItemOf(const storage::v1::DeadlineRecord& stored,
                                const readmodel::DeadlineMark& mark);
// A stale tender, idle from its last event to `as_of`.
v1::StaleTender StaleTenderOf(const storage::v1::StaleRecord& stored, absl::Time as_of);

v1::PhaseDuration PhaseDurationOf(const readmodel::PhaseSpan& span);
v1::DeadlineOutcome DeadlineOutcomeOf(const readmodel::DeadlineOutcome& outcome);

v1::ActorRecord ActorRecordOf(const readmodel::ActorEntry& entry);

}  // namespace bidtrail::api

#endif  // BIDTRAIL_API_VIEWS_H_
