// TenderCommands: runs tender commands against any EventStore. For each
// command it reads the tender's stream, folds it, decides (libs/tender) and
// appends the decided events with the revision it read as the expected
// revision; when another writer got there first (ABORTED) it reads again and
// retries, which is safe because deciding is pure. Thread-safe.
//
// Idempotency: a command's event ids derive from (tender, request id, index),
// and its events carry the request id as causation id; a command whose
// request id is already in the stream returns that first result and appends
// nothing.
#ifndef BIDTRAIL_TENDERS_COMMANDS_H_
#define BIDTRAIL_TENDERS_COMMANDS_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bidtrail/eventlog/event_store.h"
#include "bidtrail/tender/decide.h"
#include "bidtrail/tender/state.h"
#include "bidtrail/v1/tenders.pb.h"

namespace bidtrail::tenders {

class TenderCommands {
 public:
  struct Options {
    tender::DomainConfig domain;
    // Attempts when concurrent writers keep winning; then ABORTED.
    int max_attempts = 50;
    // The time commands are decided at; absl::Now() unless a test fixes it.
    std::function<absl::Time()> clock = [] { return absl::Now(); };
    // For an activity that names a contact (ActivityLogged.contact_id):
    // checks the contact against the notebook and fills in its role
    // (contacts::ContactBook::ResolveActivity). Unset: such an activity is
    // refused (FAILED_PRECONDITION: no notebook here).
    std::function<absl::Status(const tender::TenderState& state, v1::ActivityLogged* activity)>
        resolve_contact = nullptr;
  };

  // Who ran the command and under which correlation id. Every field has a
  // default, so that `{actor}` or `{actor, correlation_id}` says the rest.
  struct Caller {
    std::string actor{};
    std::string correlation_id{};  // empty: the request id
    // The service that records for `actor`, when it is not the actor.
    std::string written_by{};
    // When set: whether the caller may run `command` on the tender as it
    // stands (its territory, the approver of a late fact); called before
    // the rules, nothing appended when it refuses.
    std::function<absl::Status(const tender::TenderState& state, const v1::TenderEvent& command,
                               const tender::LateRecording& late)>
        authorize = nullptr;
  };

  // `store` must outlive this object.
  TenderCommands(eventlog::EventStore* store, Options options);

  // Runs one command; `late` explains a fact recorded late (tender::Decide).
  // Errors: those of tender::Decide; INVALID_ARGUMENT for a bad request id
  // or actor; ABORTED after max_attempts lost races; the store's errors
  // (UNAVAILABLE, ...).
  absl::StatusOr<v1::CommandResult> Execute(const Caller& caller, const std::string& request_id,
                                            const v1::TenderEvent& command,
                                            const tender::LateRecording& late = {});

  // Records a quota (tender::ValidateQuota) in the stream "quotas"; a retry
  // with the same request id and quota appends nothing.
  absl::StatusOr<v1::SetQuotaResponse> SetQuota(const Caller& caller, const std::string& request_id,
                                                const v1::QuotaSet& quota);

  // The tender's state and the revision it was folded up to. NOT_FOUND for an
  // unknown tender.
  absl::StatusOr<std::pair<tender::TenderState, uint64_t>> Load(const std::string& tender_id);

  const Options& options() const { return options_; }

 private:
  eventlog::EventStore* const store_;
  const Options options_;
};

// What a command says, as bytes: its deterministic serialization and its
// late-recording explanation. Two sends of one command have the same.
std::string CommandFingerprint(const v1::TenderEvent& command, const tender::LateRecording& late);

// The event id of the `index`-th event of the command `request_id` on
// `stream_id`: NameBasedUuid (bidtrail/common/uuid.h) of the three and the
// command's fingerprint, so that a request id reused for another command is
// told apart from a retry. Events recorded before fingerprints were part of
// the id (an empty `fingerprint`) keep their ids.
std::string DeriveEventId(const std::string& stream_id, const std::string& request_id, int index,
                          const std::string& fingerprint = "");

}  // namespace bidtrail::tenders

#endif  // BIDTRAIL_TENDERS_COMMANDS_H_
