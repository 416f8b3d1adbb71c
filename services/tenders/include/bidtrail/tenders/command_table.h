// The one list of tender commands: each TendersService RPC that records an
// event, the field of its request that carries the event, and that event's
// case and field in v1::TenderEvent. The service's handlers, the client's
// dispatch and the test that every event has its RPC are all generated from
// this list:
//
//   X(Rpc, request_field, EventCase, event_field)
#ifndef BIDTRAIL_TENDERS_COMMAND_TABLE_H_
#define BIDTRAIL_TENDERS_COMMAND_TABLE_H_

#define BIDTRAIL_TENDER_COMMANDS(X)                                               \
  X(DiscoverTender, tender, kTenderDiscovered, tender_discovered)                 \
  X(AmendTender, amendment, kTenderAmended, tender_amended)                       \
  X(RecordDocumentObtained, document, kDocumentObtained, document_obtained)       \
  X(DecideNoBid, decision, kNoBidDecided, no_bid_decided)                         \
  X(SubmitBid, bid, kBidSubmitted, bid_submitted)                                 \
  X(WithdrawBid, withdrawal, kBidWithdrawn, bid_withdrawn)                        \
  X(DisqualifyBid, disqualification, kBidDisqualified, bid_disqualified)          \
  X(AnnounceAward, award, kAwardAnnounced, award_announced)                       \
  X(CancelAward, cancellation, kAwardCancelled, award_cancelled)                  \
  X(CancelTender, cancellation, kTenderCancelled, tender_cancelled)               \
  X(DeclareTenderUnsuccessful, outcome, kTenderUnsuccessful, tender_unsuccessful) \
  X(LogActivity, activity, kActivityLogged, activity_logged)                      \
  X(VoidEntry, voiding, kEntryVoided, entry_voided)                               \
  X(TrackTender, tracking, kTenderTracked, tender_tracked)                        \
  X(HandOverTender, handover, kTenderHandedOver, tender_handed_over)

#endif  // BIDTRAIL_TENDERS_COMMAND_TABLE_H_
