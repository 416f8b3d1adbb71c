#include "bidtrail/readmodel/timeline.h"

#include "bidtrail/common/proto_time.h"

namespace bidtrail::readmodel {
namespace {

DeadlineOutcome OutcomeOf(DeadlineKind kind, absl::Time due, std::optional<absl::Time> done_at,
                          absl::Time as_of) {
  DeadlineOutcome outcome;
  outcome.kind = kind;
  outcome.due = due;
  outcome.done_at = done_at;
  if (done_at) {
    outcome.met = *done_at <= due;
    outcome.margin = due - *done_at;
  } else {
    outcome.open = as_of < due;
    outcome.margin = due - as_of;
  }
  return outcome;
}

}  // namespace

std::string_view PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kDiscovered:
      return "discovered";
    case Phase::kDocuments:
      return "documents";
    case Phase::kOurBid:
      return "our_bid";
    case Phase::kOpening:
      return "opening";
    case Phase::kAward:
      return "award";
  }
  return "unknown";
}

void Milestones::Observe(const v1::TenderEvent& event, absl::Time at,
                         std::string_view own_party_id) {
  if (event.has_tender_discovered() && !discovered) discovered = at;
  if (event.has_document_obtained() && !documents &&
      event.document_obtained().kind() == v1::DOCUMENT_KIND_TENDER_DOCUMENTS) {
    documents = at;
  }
  if (event.has_bid_submitted() && !our_bid &&
      event.bid_submitted().bidder().id() == own_party_id) {
    our_bid = at;
  }
  if (event.has_award_announced() && !award) award = at;
  if ((event.has_tender_cancelled() || event.has_tender_unsuccessful()) && !ended) ended = at;
  if (event.has_recorded_late()) {
    const v1::RecordedLate& late = event.recorded_late();
    if (late.deadline() == "documents_available_until" && documents_approved_late_by.empty()) {
      documents_approved_late_by = late.approver();
    }
    if (late.deadline() == "submission_deadline" && our_bid_approved_late_by.empty()) {
      our_bid_approved_late_by = late.approver();
    }
  }
}

namespace {

// Cancelled or unsuccessful, and when is known.
bool Ended(const Milestones& milestones, const tender::TenderState& state) {
  return milestones.ended.has_value() && (state.status == v1::TENDER_STATUS_CANCELLED ||
                                          state.status == v1::TENDER_STATUS_UNSUCCESSFUL);
}

}  // namespace

std::vector<PhaseSpan> PhaseSpans(const Milestones& milestones, const tender::TenderState& state) {
  std::optional<absl::Time> opening;
  if (state.details.key_dates().has_bid_opening_at()) {
    opening = FromProtoTime(state.details.key_dates().bid_opening_at());
    if (Ended(milestones, state) && *opening > *milestones.ended) opening.reset();
  }
  const std::pair<Phase, std::optional<absl::Time>> reached[] = {
      {Phase::kDiscovered, milestones.discovered},
      {Phase::kDocuments, milestones.documents},
      {Phase::kOurBid, milestones.our_bid},
      {Phase::kOpening, opening},
      {Phase::kAward, milestones.award}};
  std::vector<PhaseSpan> spans;
  const std::pair<Phase, std::optional<absl::Time>>* previous = nullptr;
  for (const auto& phase : reached) {
    if (!phase.second) continue;
    if (previous != nullptr) {
      spans.push_back({previous->first, phase.first, *phase.second - *previous->second});
    }
    previous = &phase;
  }
  return spans;
}

std::vector<DeadlineOutcome> DeadlineOutcomes(const Milestones& milestones,
                                              const tender::TenderState& state, absl::Time as_of,
                                              std::string_view own_party_id) {
  std::vector<DeadlineOutcome> outcomes;
  if (!InOurPipeline(state, own_party_id)) return outcomes;
  const v1::KeyDates& dates = state.details.key_dates();
  // Not done, and due after the tender ended: moot.
  auto moot = [&](absl::Time due, const std::optional<absl::Time>& done) {
    return !done && Ended(milestones, state) && due > *milestones.ended;
  };
  if (dates.has_documents_available_until() &&
      !moot(FromProtoTime(dates.documents_available_until()), milestones.documents)) {
    outcomes.push_back(OutcomeOf(DeadlineKind::kDocumentsAvailableUntil,
                                 FromProtoTime(dates.documents_available_until()),
                                 milestones.documents, as_of));
    outcomes.back().approved_late_by = milestones.documents_approved_late_by;
  }
  if (dates.has_submission_deadline() && !state.no_bid_decided &&
      !moot(FromProtoTime(dates.submission_deadline()), milestones.our_bid)) {
    outcomes.push_back(OutcomeOf(DeadlineKind::kSubmissionDeadline,
                                 FromProtoTime(dates.submission_deadline()), milestones.our_bid,
                                 as_of));
    outcomes.back().approved_late_by = milestones.our_bid_approved_late_by;
  }
  return outcomes;
}

}  // namespace bidtrail::readmodel
