// QueriesGrpcService: bidtrail.v1.QueriesService over the projection engine
// (deadlines, analytics, actor history) and the event store (timelines and
// audits, which read the tender's stream itself). Thread-safe. Callback API;
// calls run on the service's worker threads, Rebuild on a thread of its own.
#ifndef BIDTRAIL_PROJECTIONS_SERVICE_H_
#define BIDTRAIL_PROJECTIONS_SERVICE_H_

#include <functional>
#include <set>
#include <string>

#include "absl/time/time.h"
#include "bidtrail/analytics/metrics.h"
#include "bidtrail/auth/authenticator.h"
#include "bidtrail/common/thread_pool.h"
#include "bidtrail/eventlog/event_store.h"
#include "bidtrail/projection/engine.h"
#include "bidtrail/rpc/unary.h"
#include "bidtrail/v1/queries.grpc.pb.h"

namespace bidtrail::projections {

class QueriesGrpcService final : public v1::QueriesService::CallbackService {
 public:
  struct Options {
    // Default bidder of the analytics, and "ours" on timelines.
    std::string own_party_id = "us";
    int worker_threads = 16;
    // "Now" for requests that leave as_of unset.
    std::function<absl::Time()> clock = [] { return absl::Now(); };
    // Exchange rates for the analytics (bidtraild --rates FILE), used for
    // currencies a request gives no rate for.
    analytics::RateTable rates;
    // When set, every call needs a token, and a reader sees what its roles
    // allow (docs/security.md). Must outlive the service.
    auth::Authenticator* authenticator = nullptr;
  };

  // `engine` and `store` must outlive the service.
  QueriesGrpcService(projection::ProjectionEngine* engine, eventlog::EventStore* store,
                     Options options);

  // Who reads: everything (unchecked, analyst, manager, admin), or a
  // bidder's territories.
  struct Reader {
    std::string principal;
    bool all = true;
    std::set<std::string> territories;
    bool admin = true;
    bool Reads(const std::string& territory) const {
      return all || territories.count(territory) > 0 || territories.count("*") > 0;
    }
  };

  BIDTRAIL_UNARY_RPC(Timeline);
  BIDTRAIL_UNARY_RPC(Deadlines);
  BIDTRAIL_UNARY_RPC(WinLoss);
  BIDTRAIL_UNARY_RPC(Segments);
  BIDTRAIL_UNARY_RPC(Competitors);
  BIDTRAIL_UNARY_RPC(TenderAsOf);
  BIDTRAIL_UNARY_RPC(ActorHistory);
  BIDTRAIL_UNARY_RPC(ListTenders);
  BIDTRAIL_UNARY_RPC(Signals);
  BIDTRAIL_UNARY_RPC(PipelineReview);
  BIDTRAIL_UNARY_RPC(VerifyLog);
  BIDTRAIL_UNARY_RPC(GetProjectionStatus);

  grpc::ServerWriteReactor<v1::RebuildResponse>* Rebuild(
      grpc::CallbackServerContext* context, const v1::RebuildRequest* request) override;

 private:
  // The caller of a call with this `authorization` metadata; everything
  // when the service checks no token.
  absl::StatusOr<Reader> ReaderOf(const std::string& authorization) const;
  // PERMISSION_DENIED unless `reader` reads the tender of `records`.
  static absl::Status CheckTender(const Reader& reader,
                                  const std::vector<eventlog::RecordedEvent>& records);

  // TenderAsOf by business time (occurred_by), over the stream's `records`.
  absl::Status TenderHappenedBy(const v1::TenderAsOfRequest& request,
                                const std::vector<eventlog::RecordedEvent>& records,
                                v1::TenderAsOfResponse* response);

  projection::ProjectionEngine* const engine_;
  eventlog::EventStore* const store_;
  const Options options_;
  // What WinLoss's passes found, for the next calls (a change repacks only
  // the part of the competitions it touched).
  analytics::WinLossCache winloss_cache_;
  ThreadPool pool_;  // last: joined first
};

}  // namespace bidtrail::projections

#endif  // BIDTRAIL_PROJECTIONS_SERVICE_H_
