// The access stream as a server sees it: who a call's credential proves, and
// the grants recorded as events (docs/security.md). Thread-safe.
#ifndef BIDTRAIL_AUTH_AUTHENTICATOR_H_
#define BIDTRAIL_AUTH_AUTHENTICATOR_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bidtrail/auth/access.h"
#include "bidtrail/eventlog/event_store.h"

namespace bidtrail::auth {

class Authenticator {
 public:
  struct Options {
    std::function<absl::Time()> clock = [] { return absl::Now(); };
    // A token this server does not know, or a call finding no right granted
    // yet, reads the access stream fresh (eventlog::ReadStreamRequest::fresh:
    // made through another server a moment ago), at most once per interval,
    // so that a stream of bad tokens costs the store little.
    absl::Duration min_fresh_read_interval = absl::Milliseconds(10);
  };

  // `store` must outlive the authenticator.
  explicit Authenticator(eventlog::EventStore* store);
  Authenticator(eventlog::EventStore* store, Options options);

  // The principal an `authorization` value ("Bearer btk_...") proves now,
  // after reading any access events appended since the last call (so a
  // revocation holds from the next call on). UNAUTHENTICATED when missing,
  // malformed, unknown, revoked or expired. A verified client certificate,
  // as rpc::Credential gives it ("\nx509:<name>"), proves <name>.
  absl::StatusOr<std::string> Authenticate(std::string_view authorization);

  // Authenticate, and the access state it was judged by, from one read of
  // the access stream: what a service needs per call.
  struct Verified {
    std::string principal;
    std::shared_ptr<const AccessState> access;
    // Events of the access stream `access` folds.
    uint64_t access_events = 0;
  };
  absl::StatusOr<Verified> Resolve(std::string_view authorization);

  // The access state, caught up with the log.
  absl::StatusOr<AccessState> State();

  // Appends `events` to the access stream as `actor`, in order; the stream
  // must be at `expected` (NoStream for the first grants: two bootstraps
  // cannot both win).
  absl::Status Record(const std::vector<v1::AccessEvent>& events, std::string_view actor,
                      const eventlog::ExpectedRevision& expected);

  // The first admin, only while no grant exists: grants `principal` admin,
  // issues a token for it and returns the token (shown once, never stored).
  // FAILED_PRECONDITION once the access stream has any event.
  absl::StatusOr<std::string> Bootstrap(std::string_view principal);

  // When every admin token is lost: grants `principal` admin and issues it a
  // token whatever the stream holds, recorded with `actor` (who ran the
  // recovery on the server's machine). Only for a caller that already holds
  // the data folder (bidtraild --recover_admin); never reachable over gRPC.
  absl::StatusOr<std::string> Recover(std::string_view principal, std::string_view actor);

 private:
  // Folds the access events appended since the last read. When the store
  // cannot be reached (UNAVAILABLE, DEADLINE_EXCEEDED) after one good read,
  // keeps the state last read and says so once in the log. `fresh`: what
  // the log holds now (eventlog::ReadStreamRequest::fresh), for a token or
  // a first admin this server's replica of a JetStream log may not have
  // seen yet (made through another server a moment ago).
  absl::Status CatchUp(bool fresh = false) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Grants `principal` admin and issues it a token (returned), as `actor`.
  absl::StatusOr<std::string> AdminWithToken(std::string_view principal, std::string_view actor,
                                             std::string_view label,
                                             const eventlog::ExpectedRevision& expected);
  absl::Status ReadNewEvents(bool fresh) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  eventlog::EventStore* const store_;
  const Options options_;
  absl::Mutex mu_;
  // Replaced, never changed in place, when access events arrive (rarely):
  // calls share it without copying.
  std::shared_ptr<const AccessState> state_ ABSL_GUARDED_BY(mu_) =
      std::make_shared<const AccessState>();
  // The revision of the next access event to fold.
  uint64_t next_revision_ ABSL_GUARDED_BY(mu_) = 0;
  bool caught_up_once_ ABSL_GUARDED_BY(mu_) = false;
  // When the access stream was last read fresh (Options::min_fresh_read_interval).
  absl::Time last_fresh_read_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // Reads the access stream fresh unless it was within the interval.
  absl::Status CatchUpFresh() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool reachable_ ABSL_GUARDED_BY(mu_) = true;
};

// Who records on a call: the principal `verified` proves, whatever the call
// claims; a service acts for the user it names in `claimed` (the actor
// header: a loader, another front end) and is then the event's writer.
struct Acting {
  std::string actor;
  std::string written_by;  // the service, when it acts for someone else
  bool service = false;
};
Acting ActingFor(const Authenticator::Verified& verified, std::string_view claimed);

}  // namespace bidtrail::auth

#endif  // BIDTRAIL_AUTH_AUTHENTICATOR_H_
