// Per-principal limits on calls in flight and on open streams: one client
// cannot take every worker thread or every stream of a server. Thread-safe.
//
// A server installs one CallLimits; rpc::RunOnPool counts every unary call
// in it, and streaming calls take a slot with EnterStream. Past a limit the
// call ends at once with RESOURCE_EXHAUSTED naming the principal and the
// limit (docs/security.md).
#ifndef BIDTRAIL_RPC_LIMITS_H_
#define BIDTRAIL_RPC_LIMITS_H_

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace bidtrail::rpc {

class CallLimits {
 public:
  struct Options {
    // Unary calls of one principal running or queued at once; 0: no limit.
    int max_calls = 64;
    // Streams of one principal open at once (subscriptions, log reads,
    // rebuilds); 0: no limit.
    int max_streams = 16;
  };
  // Whom a call's credential (rpc::Credential) counts against, and whether
  // that principal is exempt (a service carries many users' calls). The
  // answer is kept for a minute per credential.
  struct Identity {
    std::string principal;
    bool exempt = false;
  };
  using Identify = std::function<Identity(const std::string& credential)>;

  CallLimits(Options options, Identify identify);

  // A held slot; released when destroyed.
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept;
    Slot& operator=(Slot&& other) noexcept;
    ~Slot();

   private:
    friend class CallLimits;
    Slot(CallLimits* limits, std::string principal, bool stream);
    void Release();
    CallLimits* limits_ = nullptr;
    std::string principal_;
    bool stream_ = false;
  };

  // A slot for a unary call or a stream of the credential's principal;
  // RESOURCE_EXHAUSTED past the limit.
  absl::StatusOr<Slot> EnterCall(const std::string& credential);
  absl::StatusOr<Slot> EnterStream(const std::string& credential);

  // Calls and streams a principal holds now.
  int calls(const std::string& principal) const;
  int streams(const std::string& principal) const;

  // The limits RunOnPool and the services use; nullptr (none) by default.
  // The installed object must outlive every call.
  static void Install(CallLimits* limits);
  static CallLimits* Installed();

 private:
  struct Held {
    int calls = 0;
    int streams = 0;
  };
  absl::StatusOr<Slot> Enter(const std::string& credential, bool stream);
  Identity IdentityOf(const std::string& credential) ABSL_LOCKS_EXCLUDED(mu_);
  void Leave(const std::string& principal, bool stream);

  const Options options_;
  const Identify identify_;
  mutable absl::Mutex mu_;
  std::map<std::string, Held> held_ ABSL_GUARDED_BY(mu_);
  // credential -> identity, until a time; cleared when it grows past a bound.
  struct Known {
    Identity identity;
    absl::Time until;
  };
  std::map<std::string, Known> known_ ABSL_GUARDED_BY(mu_);
};

// For a unary call (or a request answered as one): a slot from the installed
// limits (an empty one when none is installed), to keep until it is answered;
// shared, because the work that frees it is copied.
absl::StatusOr<std::shared_ptr<CallLimits::Slot>> EnterCall(const std::string& credential);
// For a streaming call: the same, to keep until the stream ends.
absl::StatusOr<std::shared_ptr<CallLimits::Slot>> EnterStream(const std::string& credential);

}  // namespace bidtrail::rpc

#endif  // BIDTRAIL_RPC_LIMITS_H_
