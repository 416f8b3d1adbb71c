#include "index.h"

#include <optional>
#include <vector>

#include "bidtrail/common/proto_time.h"
#include "bidtrail/readmodel/board.h"
#include "bidtrail/readmodel/tender_list.h"
#include "bidtrail/storage/v1/read_models.pb.h"
#include "keys.h"

namespace bidtrail::projection {

IndexEntries IndexEntriesOf(const tender::TenderState& state, std::string_view own_party_id) {
  IndexEntries entries;
  const v1::TenderDiscovered& details = state.details;
  const std::vector<readmodel::TenderDeadline> deadlines =
      readmodel::BoardDeadlines(state, own_party_id);
  if (!deadlines.empty()) {
    // What every deadline of the tender shows, filled once.
    storage::v1::DeadlineRecord record;
    record.set_tender_id(details.tender_id());
    record.set_title(details.title());
    *record.mutable_buyer() = details.buyer();
    record.set_territory(details.territory());
    record.set_owner_team(details.owner_team());
    record.set_time_zone(details.time_zone());
    record.set_imported(readmodel::SourceWord(state) == "import");
    for (const readmodel::TenderDeadline& deadline : deadlines) {
      record.set_kind(static_cast<storage::v1::DeadlineKind>(deadline.kind));
      ToProtoTime(deadline.due, record.mutable_due());
      record.set_done(deadline.done);
      std::string value = record.SerializeAsString();
      if (readmodel::Outstanding(deadline)) {
        entries[keys::DeadlineKey(true, deadline.due, details.tender_id(), deadline.kind)] = value;
      }
      entries[keys::DeadlineKey(false, deadline.due, details.tender_id(), deadline.kind)] =
          std::move(value);
    }
  }
  if (const std::optional<absl::Time> clock = readmodel::StaleClock(state, own_party_id)) {
    storage::v1::StaleRecord stale;
    stale.set_tender_id(details.tender_id());
    stale.set_title(details.title());
    stale.set_territory(details.territory());
    stale.set_owner_team(details.owner_team());
    *stale.mutable_buyer() = details.buyer();
    stale.set_time_zone(details.time_zone());
    stale.set_imported(readmodel::SourceWord(state) == "import");
    ToProtoTime(*clock, stale.mutable_last_event_at());
    entries[keys::StaleKey(*clock, details.tender_id())] = stale.SerializeAsString();
  }
  return entries;
}

// The stored kinds are readmodel::DeadlineKind's numbers.
static_assert(static_cast<int>(storage::v1::DEADLINE_KIND_DOCUMENTS_AVAILABLE_UNTIL) ==
              static_cast<int>(readmodel::DeadlineKind::kDocumentsAvailableUntil));
static_assert(static_cast<int>(storage::v1::DEADLINE_KIND_SUBMISSION_DEADLINE) ==
              static_cast<int>(readmodel::DeadlineKind::kSubmissionDeadline));
static_assert(static_cast<int>(storage::v1::DEADLINE_KIND_BID_OPENING_AT) ==
              static_cast<int>(readmodel::DeadlineKind::kBidOpeningAt));

}  // namespace bidtrail::projection
