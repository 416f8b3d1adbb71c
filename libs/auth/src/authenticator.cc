#include "bidtrail/auth/authenticator.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bidtrail/common/log.h"
#include "bidtrail/common/proto_time.h"
#include "bidtrail/common/status_macros.h"
#include "bidtrail/common/uuid.h"
#include "bidtrail/common/validate.h"

namespace bidtrail::auth {

Authenticator::Authenticator(eventlog::EventStore* store) : Authenticator(store, Options()) {}

Authenticator::Authenticator(eventlog::EventStore* store, Options options)
    : store_(store), options_(std::move(options)) {}

absl::Status Authenticator::CatchUp(bool fresh) {
  absl::Status read = ReadNewEvents(fresh);
  if (read.ok()) {
    if (!reachable_) log::Info("auth", "access stream readable again");
    reachable_ = true;
    caught_up_once_ = true;
    return read;
  }
  // A remote event store that cannot be reached: the grants last read stay
  // in force (nothing can be written meanwhile), so that reads go on; a
  // process that never read them refuses.
  const bool transient = read.code() == absl::StatusCode::kUnavailable ||
                         read.code() == absl::StatusCode::kDeadlineExceeded;
  if (!transient || !caught_up_once_) return read;
  if (reachable_) {
    log::Warn("auth", "access stream unreadable; judging calls by the grants last read",
              {{"revision", next_revision_}, {"error", read}});
  }
  reachable_ = false;
  return absl::OkStatus();
}

absl::Status Authenticator::CatchUpFresh() {
  const absl::Time now = absl::Now();
  if (now - last_fresh_read_ < options_.min_fresh_read_interval) return absl::OkStatus();
  last_fresh_read_ = now;
  return CatchUp(/*fresh=*/true);
}

absl::Status Authenticator::ReadNewEvents(bool fresh) {
  while (true) {
    eventlog::ReadStreamRequest request;
    request.stream_id = kAccessStream;
    request.has_from_revision = true;
    request.from_revision = next_revision_;
    request.max_count = 1000;
    request.fresh = fresh;
    fresh = false;  // the first page caught up
    absl::StatusOr<eventlog::ReadStreamResult> read = store_->ReadStream(request);
    // A stream not written yet reads as empty or NOT_FOUND: nothing to fold.
    if (read.status().code() == absl::StatusCode::kNotFound) return absl::OkStatus();
    RETURN_IF_ERROR(read.status());
    if (!read->events.empty()) {
      auto next = std::make_shared<AccessState>(*state_);
      for (const eventlog::RecordedEvent& recorded : read->events) {
        if (std::optional<v1::AccessEvent> event =
                DecodeAccessEvent(recorded.type, recorded.data)) {
          next->Apply(*event);
        }
        next_revision_ = recorded.revision + 1;
      }
      state_ = std::move(next);
    }
    if (read->end_of_stream || read->events.empty()) return absl::OkStatus();
  }
}

absl::StatusOr<std::string> Authenticator::Authenticate(std::string_view authorization) {
  ASSIGN_OR_RETURN(Verified verified, Resolve(authorization));
  return std::move(verified.principal);
}

absl::StatusOr<Authenticator::Verified> Authenticator::Resolve(std::string_view authorization) {
  Verified verified;
  // A verified client certificate's subject (rpc::Credential): the
  // principal, with the grants that name it.
  constexpr std::string_view kCertificate = "\nx509:";
  if (authorization.substr(0, kCertificate.size()) == kCertificate &&
      authorization.size() > kCertificate.size()) {
    verified.principal = std::string(authorization.substr(kCertificate.size()));
    absl::MutexLock lock(&mu_);
    RETURN_IF_ERROR(CatchUp());
    verified.access = state_;
    verified.access_events = next_revision_;
    return verified;
  }
  if (authorization.empty()) {
    absl::MutexLock lock(&mu_);
    RETURN_IF_ERROR(CatchUp());
    if (state_->empty()) RETURN_IF_ERROR(CatchUpFresh());
    if (state_->empty()) {
      return absl::UnauthenticatedError(
          "no credential, and nobody has any right on this server yet: `bidtrail auth init NAME` "
          "makes the first admin and saves its token (tools/up does it for the local demo)");
    }
    return absl::UnauthenticatedError(
        "no credential: send `authorization: Bearer <token>` (bidtrail: --token, "
        "BIDTRAIL_TOKEN, or the token `bidtrail auth login` saved)");
  }
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() <= kBearer.size() ||
      !absl::EqualsIgnoreCase(absl::string_view(authorization.data(), kBearer.size()),
                              absl::string_view(kBearer.data(), kBearer.size()))) {
    return absl::UnauthenticatedError("the authorization is not `Bearer <token>`");
  }
  const std::string_view token = authorization.substr(kBearer.size());
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(CatchUp());
  absl::StatusOr<std::string> principal = state_->PrincipalOf(token, options_.clock());
  if (!principal.ok() && state_->Unknown(token)) {
    // Perhaps issued through another server a moment ago: looked up again
    // on what the log holds now (not for a token known to be revoked or
    // expired).
    RETURN_IF_ERROR(CatchUpFresh());
    principal = state_->PrincipalOf(token, options_.clock());
  }
  ASSIGN_OR_RETURN(verified.principal, std::move(principal));
  verified.access = state_;
  verified.access_events = next_revision_;
  return verified;
}

absl::StatusOr<AccessState> Authenticator::State() {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(CatchUp());
  return *state_;
}

absl::Status Authenticator::Record(const std::vector<v1::AccessEvent>& events,
                                   std::string_view actor,
                                   const eventlog::ExpectedRevision& expected) {
  std::vector<eventlog::ProposedEvent> proposed;
  const absl::Time now = options_.clock();
  for (const v1::AccessEvent& event : events) {
    eventlog::ProposedEvent each;
    // Random: a grant repeated later is a new fact, not a retry.
    each.event_id = NameBasedUuid(absl::StrCat("access\n", NewToken()));
    each.type = AccessEventType(event);
    const google::protobuf::Message& inner =
        event.GetReflection()->GetMessage(event, event.GetReflection()->GetOneofFieldDescriptor(
                                                     event, event.GetDescriptor()->oneof_decl(0)));
    each.data = inner.SerializeAsString();
    each.occurred_at = now;
    each.actor = std::string(actor);
    proposed.push_back(std::move(each));
  }
  return store_->Append(kAccessStream, expected, proposed).status();
}

absl::StatusOr<std::string> Authenticator::AdminWithToken(
    std::string_view principal, std::string_view actor, std::string_view label,
    const eventlog::ExpectedRevision& expected) {
  const std::string token = NewToken();
  v1::AccessEvent admin;
  admin.mutable_role_granted()->set_principal(std::string(principal));
  admin.mutable_role_granted()->set_role(v1::ROLE_ADMIN);
  v1::AccessEvent issued;
  issued.mutable_token_issued()->set_principal(std::string(principal));
  issued.mutable_token_issued()->set_token_hash(TokenHash(token));
  issued.mutable_token_issued()->set_label(std::string(label));
  RETURN_IF_ERROR(Record({admin, issued}, actor, expected));
  return token;
}

absl::StatusOr<std::string> Authenticator::Bootstrap(std::string_view principal) {
  absl::StatusOr<std::string> token = AdminWithToken(principal, principal, "bidtrail auth init",
                                                     eventlog::ExpectedRevision::NoStream());
  if (token.status().code() == absl::StatusCode::kAborted ||
      token.status().code() == absl::StatusCode::kFailedPrecondition) {
    return absl::FailedPreconditionError(
        "access is set up already: ask an admin for a token (bidtrail auth token NAME)");
  }
  return token;
}

absl::StatusOr<std::string> Authenticator::Recover(std::string_view principal,
                                                   std::string_view actor) {
  if (principal.empty()) return absl::InvalidArgumentError("principal: required");
  return AdminWithToken(principal, actor, "bidtraild --recover_admin",
                        eventlog::ExpectedRevision::Any());
}

Acting ActingFor(const Authenticator::Verified& verified, std::string_view claimed) {
  Acting acting;
  acting.service = verified.access->Has(verified.principal, v1::ROLE_SERVICE);
  acting.actor = acting.service && !IsBlank(claimed) ? std::string(claimed) : verified.principal;
  if (acting.actor != verified.principal) acting.written_by = verified.principal;
  return acting;
}

}  // namespace bidtrail::auth
