#include "bidtrail/tenders/client.h"

namespace bidtrail::tenders {

grpc::Status SendCommand(v1::TendersService::StubInterface* stub, grpc::ClientContext* context,
                         const std::string& request_id, const v1::TenderEvent& event,
                         v1::CommandResult* result) {
  switch (event.event_case()) {
#define BIDTRAIL_SEND(Case, Rpc, field, getter)                   \
  case v1::TenderEvent::Case: {                                   \
    v1::Rpc##Request request;                                     \
    request.set_request_id(request_id);                           \
    *request.mutable_##field() = event.getter();                  \
    v1::Rpc##Response response;                                   \
    grpc::Status status = stub->Rpc(context, request, &response); \
    *result = response.result();                                  \
    return status;                                                \
  }
    BIDTRAIL_SEND(kTenderDiscovered, DiscoverTender, tender, tender_discovered)
    BIDTRAIL_SEND(kTenderAmended, AmendTender, amendment, tender_amended)
    BIDTRAIL_SEND(kDocumentObtained, RecordDocumentObtained, document, document_obtained)
    BIDTRAIL_SEND(kNoBidDecided, DecideNoBid, decision, no_bid_decided)
    BIDTRAIL_SEND(kBidSubmitted, SubmitBid, bid, bid_submitted)
    BIDTRAIL_SEND(kBidWithdrawn, WithdrawBid, withdrawal, bid_withdrawn)
    BIDTRAIL_SEND(kBidDisqualified, DisqualifyBid, disqualification, bid_disqualified)
    BIDTRAIL_SEND(kAwardAnnounced, AnnounceAward, award, award_announced)
    BIDTRAIL_SEND(kAwardCancelled, CancelAward, cancellation, award_cancelled)
    BIDTRAIL_SEND(kTenderCancelled, CancelTender, cancellation, tender_cancelled)
    BIDTRAIL_SEND(kTenderUnsuccessful, DeclareTenderUnsuccessful, outcome, tender_unsuccessful)
    BIDTRAIL_SEND(kActivityLogged, LogActivity, activity, activity_logged)
#undef BIDTRAIL_SEND
    case v1::TenderEvent::EVENT_NOT_SET:
      break;
  }
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no command");
}

}  // namespace bidtrail::tenders
