#include "bidtrail/tenders/commands.h"

#include "absl/strings/str_cat.h"
#include "bidtrail/common/retry.h"
#include "bidtrail/common/status_macros.h"
#include "bidtrail/common/uuid.h"
#include "bidtrail/common/validate.h"
#include "bidtrail/tender/codec.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace bidtrail::tenders {
namespace {

constexpr size_t kMaxActorBytes = 200;

// The tender's stream, and its events decoded (unknown types skipped).
struct LoadedStream {
  std::vector<eventlog::RecordedEvent> records;
  std::vector<v1::TenderEvent> events;
  // The stream revision of each of `events`.
  std::vector<uint64_t> revisions;
  bool exists = false;
  uint64_t last_revision = 0;
};

// `fresh`: what the log holds now (eventlog::ReadStreamRequest::fresh).
absl::StatusOr<LoadedStream> LoadStream(eventlog::EventStore* store, const std::string& stream_id,
                                        bool fresh = false) {
  LoadedStream loaded;
  ASSIGN_OR_RETURN(loaded.records, eventlog::ReadWholeStream(*store, stream_id, fresh));
  loaded.exists = !loaded.records.empty();
  if (loaded.exists) loaded.last_revision = loaded.records.back().revision;
  for (const eventlog::RecordedEvent& record : loaded.records) {
    if (std::optional<v1::TenderEvent> event = tender::DecodeEvent(record.type, record.data)) {
      loaded.events.push_back(std::move(*event));
      loaded.revisions.push_back(record.revision);
    }
  }
  return loaded;
}

// The stream as tender::PrepareVoid reads it.
std::vector<tender::StreamEntry> EntriesOf(const LoadedStream& loaded) {
  std::vector<tender::StreamEntry> entries;
  size_t decoded = 0;
  for (const eventlog::RecordedEvent& record : loaded.records) {
    tender::StreamEntry entry{record.position, record.revision, record.type, nullptr};
    if (decoded < loaded.events.size() && loaded.revisions[decoded] == record.revision) {
      entry.event = &loaded.events[decoded++];
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

// What `command` appends on the tender as `loaded` holds it, or why not.
absl::StatusOr<std::vector<v1::TenderEvent>> DecideOn(const TenderCommands::Options& options,
                                                      const TenderCommands::Caller& caller,
                                                      const LoadedStream& loaded,
                                                      const v1::TenderEvent& command,
                                                      const tender::LateRecording& late) {
  const tender::TenderState state = tender::FoldStream(loaded.events, loaded.revisions);
  if (caller.authorize) RETURN_IF_ERROR(caller.authorize(state, command, late));
  v1::TenderEvent proposed_command = command;
  // Who fetched a document, when not named: whoever records it (the
  // principal the token proves, or the person a service records for).
  if (proposed_command.has_document_obtained() &&
      IsBlank(proposed_command.document_obtained().obtained_by())) {
    proposed_command.mutable_document_obtained()->set_obtained_by(caller.actor);
  }
  if (command.has_entry_voided() && loaded.exists) {
    RETURN_IF_ERROR(
        tender::PrepareVoid(EntriesOf(loaded), proposed_command.mutable_entry_voided()));
  }
  if (state.exists && proposed_command.has_activity_logged() &&
      !proposed_command.activity_logged().contact_id().empty()) {
    if (!options.resolve_contact) {
      return absl::FailedPreconditionError(
          "contact_id: this server keeps no notebook (ContactsService is hosted with "
          "TendersService); name the person with contact_name instead");
    }
    RETURN_IF_ERROR(options.resolve_contact(state, proposed_command.mutable_activity_logged()));
  }
  return tender::Decide(state, proposed_command, options.domain, options.clock(), late);
}

// A refusal that a view of the log lagging behind it may explain: what the
// command needs is not there yet, or is already there in another form.
bool MayBeStale(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kPermissionDenied:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string CommandFingerprint(const v1::TenderEvent& command, const tender::LateRecording& late) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    out.SetSerializationDeterministic(true);
    command.SerializeToCodedStream(&out);
  }
  return absl::StrCat(bytes, std::string(1, '\0'), late.reason, std::string(1, '\0'),
                      late.approver);
}

std::string DeriveEventId(const std::string& stream_id, const std::string& request_id, int index,
                          const std::string& fingerprint) {
  std::string name =
      absl::StrCat(stream_id, std::string(1, '\0'), request_id, std::string(1, '\0'), index);
  if (!fingerprint.empty()) absl::StrAppend(&name, std::string(1, '\0'), fingerprint);
  return NameBasedUuid(name);
}

TenderCommands::TenderCommands(eventlog::EventStore* store, Options options)
    : store_(store), options_(std::move(options)) {}

absl::StatusOr<std::pair<tender::TenderState, uint64_t>> TenderCommands::Load(
    const std::string& tender_id) {
  RETURN_IF_ERROR(tender::ValidateTenderId(tender_id));
  ASSIGN_OR_RETURN(LoadedStream loaded, LoadStream(store_, tender::StreamIdOf(tender_id)));
  tender::TenderState state = tender::FoldStream(loaded.events, loaded.revisions);
  if (!state.exists) {
    return absl::NotFoundError(absl::StrCat("tender ", tender_id, " not found"));
  }
  return std::make_pair(std::move(state), loaded.last_revision);
}

absl::StatusOr<v1::CommandResult> TenderCommands::Execute(const Caller& caller,
                                                          const std::string& request_id,
                                                          const v1::TenderEvent& command,
                                                          const tender::LateRecording& late) {
  RETURN_IF_ERROR(CheckRequestId(request_id));
  RETURN_IF_ERROR(CheckName(caller.actor, "actor", kMaxActorBytes));
  RETURN_IF_ERROR(CheckPrintableAscii(caller.actor, "actor"));
  const std::string tender_id = tender::TenderIdOf(command);
  RETURN_IF_ERROR(tender::ValidateTenderId(tender_id));
  const std::string stream_id = tender::StreamIdOf(tender_id);

  const std::string fingerprint = CommandFingerprint(command, late);
  // A server whose log is the replica of a JetStream stream may not have
  // seen yet what another server wrote a moment ago (docs/nats.md): a
  // command its view refuses is decided again, once, on what the log holds
  // now. A command its view accepts needs no such read: the append is
  // fenced, a stale view ends in ABORTED, and the next attempt reads fresh.
  bool fresh = false;
  absl::Status stale_refusal;  // what the stale view said, while a fresh one is read
  for (int attempt = 1;; ++attempt) {
    absl::StatusOr<LoadedStream> read = LoadStream(store_, stream_id, fresh);
    if (!read.ok() && !stale_refusal.ok() &&
        (absl::IsUnavailable(read.status()) || absl::IsDeadlineExceeded(read.status()))) {
      // The log cannot be asked now: the refusal stands as the view gave it.
      return stale_refusal;
    }
    RETURN_IF_ERROR(read.status());
    stale_refusal = absl::OkStatus();
    LoadedStream& loaded = *read;
    const bool view_was_fresh = fresh;
    fresh = false;

    // A retried command: answer with what it appended the first time. The
    // same request id with another command is refused: the first one stands.
    v1::CommandResult result;
    result.set_tender_id(tender_id);
    for (const eventlog::RecordedEvent& record : loaded.records) {
      if (record.causation_id != request_id) continue;
      if (result.first_position() == 0 &&
          record.event_id != DeriveEventId(stream_id, request_id, 0, fingerprint) &&
          record.event_id != DeriveEventId(stream_id, request_id, 0)) {
        return absl::FailedPreconditionError(absl::StrCat(
            "request_id ", request_id, " was used for another command on tender ", tender_id,
            " (recorded at position ", record.position,
            "); a retry repeats the command exactly, a new command needs a new request id "
            "(bidtrail: leave --request-id out), nothing was written"));
      }
      if (std::optional<v1::TenderEvent> event = tender::DecodeEvent(record.type, record.data)) {
        *result.add_events() = std::move(*event);
      }
      if (result.first_position() == 0) result.set_first_position(record.position);
      result.set_last_position(record.position);
      result.set_revision(record.revision);
    }
    if (result.first_position() != 0) {
      result.set_already_applied(true);
      return result;
    }

    absl::StatusOr<std::vector<v1::TenderEvent>> decision =
        DecideOn(options_, caller, loaded, command, late);
    if (!decision.ok() && !view_was_fresh && MayBeStale(decision.status())) {
      fresh = true;
      stale_refusal = decision.status();
      continue;
    }
    RETURN_IF_ERROR(decision.status());
    std::vector<v1::TenderEvent>& decided = *decision;
    std::vector<eventlog::ProposedEvent> proposed;
    for (size_t i = 0; i < decided.size(); ++i) {
      eventlog::ProposedEvent event;
      event.event_id = DeriveEventId(stream_id, request_id, static_cast<int>(i), fingerprint);
      event.type = tender::EventTypeName(decided[i]);
      event.data = tender::EncodeEventData(decided[i]);
      event.occurred_at = tender::OccurredAtOf(decided[i]);
      event.actor = caller.actor;
      event.written_by = caller.written_by;
      event.correlation_id = caller.correlation_id.empty() ? request_id : caller.correlation_id;
      event.causation_id = request_id;
      proposed.push_back(std::move(event));
    }
    const eventlog::ExpectedRevision expected =
        loaded.exists ? eventlog::ExpectedRevision::Exact(loaded.last_revision)
                      : eventlog::ExpectedRevision::NoStream();
    absl::StatusOr<eventlog::AppendResult> appended = store_->Append(stream_id, expected, proposed);
    if (appended.status().code() == absl::StatusCode::kAborted) {
      if (attempt >= options_.max_attempts) {
        return absl::AbortedError(absl::StrCat("tender ", tender_id, ": other writers won ",
                                               attempt, " times in a row; try again"));
      }
      BackoffBeforeRetry(attempt);
      fresh = true;
      continue;
    }
    RETURN_IF_ERROR(appended.status());
    for (v1::TenderEvent& event : decided) *result.add_events() = std::move(event);
    result.set_revision(appended->last_revision);
    result.set_first_position(appended->first_position);
    result.set_last_position(appended->last_position);
    result.set_already_applied(appended->already_recorded);
    return result;
  }
}

absl::StatusOr<v1::SetQuotaResponse> TenderCommands::SetQuota(const Caller& caller,
                                                              const std::string& request_id,
                                                              const v1::QuotaSet& quota) {
  RETURN_IF_ERROR(CheckRequestId(request_id));
  RETURN_IF_ERROR(CheckName(caller.actor, "actor", kMaxActorBytes));
  RETURN_IF_ERROR(tender::ValidateQuota(quota));
  // A retry: what the request recorded the first time (the quota stream is
  // small: a few events a quarter per team and person).
  ASSIGN_OR_RETURN(const std::vector<eventlog::RecordedEvent> recorded,
                   eventlog::ReadWholeStream(*store_, tender::kQuotaStream));
  for (const eventlog::RecordedEvent& record : recorded) {
    if (record.causation_id != request_id) continue;
    if (record.data != quota.SerializeAsString()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "request_id ", request_id, " was used for another quota (recorded at position ",
          record.position, "); a new quota needs a new request id, nothing was written"));
    }
    v1::SetQuotaResponse response;
    response.set_position(record.position);
    response.set_already_applied(true);
    return response;
  }
  eventlog::ProposedEvent event;
  event.data = quota.SerializeAsString();
  event.event_id = DeriveEventId(tender::kQuotaStream, request_id, 0, event.data);
  event.type = v1::QuotaSet::descriptor()->full_name();
  event.occurred_at = options_.clock();
  event.actor = caller.actor;
  event.written_by = caller.written_by;
  event.correlation_id = caller.correlation_id.empty() ? request_id : caller.correlation_id;
  event.causation_id = request_id;
  ASSIGN_OR_RETURN(
      eventlog::AppendResult appended,
      store_->Append(tender::kQuotaStream, eventlog::ExpectedRevision::Any(), {event}));
  v1::SetQuotaResponse response;
  response.set_position(appended.last_position);
  response.set_already_applied(appended.already_recorded);
  return response;
}

}  // namespace bidtrail::tenders
