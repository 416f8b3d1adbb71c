#include "bidtrail/eventlog/nats_upstream.h"

#include <nats/nats.h>
#include <openssl/sha.h>

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bidtrail/common/log.h"
#include "bidtrail/common/status_macros.h"

namespace bidtrail::eventlog {
namespace {

// The payload of message 1: every append expects a sequence of at least 1,
// because an expected last sequence of 0 means "none" to the C client.
constexpr std::string_view kGenesis = "{\"bidtrail_log\":1}";
constexpr char kGenesisId[] = "bidtrail-log-genesis";
constexpr char kFenced[] = "fenced: ";

absl::Status FromNats(natsStatus status, int js_error, const std::string& what) {
  if (status == NATS_OK) return absl::OkStatus();
  std::string message = absl::StrCat(what, ": ", natsStatus_GetText(status));
  // The thread's last error text, when it is this error's (it may be an
  // older call's otherwise).
  natsStatus last_status = NATS_OK;
  const char* detail = nats_GetLastError(&last_status);
  if (last_status == status && detail != nullptr && *detail != '\0') {
    absl::StrAppend(&message, " (", detail, ")");
  }
  if (js_error != 0) absl::StrAppend(&message, " (JetStream error ", js_error, ")");
  if (status == NATS_TIMEOUT) return absl::DeadlineExceededError(message);
  return absl::UnavailableError(message);
}

int64_t Millis(absl::Duration duration) { return absl::ToInt64Milliseconds(duration); }

// A group's message id (Nats-Msg-Id): the first 16 bytes of its SHA-256, in
// hex. Groups hold their positions and chain hashes, so no two differ only
// by their bytes' order: equal ids mean the same group.
std::string MessageId(std::string_view group) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(group.data()), group.size(), digest);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), 16));
}

// Whether JetStream refused a publish for its expectations: the stream's last
// sequence, or its last message id, was not the one named.
bool WrongLast(int js_error) {
  return js_error == JSStreamWrongLastSequenceErr || js_error == JSStreamWrongLastMsgIDErr;
}

}  // namespace

bool IsFenced(const absl::Status& status) {
  const std::string message(status.message());
  return status.code() == absl::StatusCode::kFailedPrecondition &&
         message.compare(0, sizeof(kFenced) - 1, kFenced) == 0;
}

class NatsUpstream::Impl {
 public:
  explicit Impl(Options options)
      : options_(std::move(options)), subject_(absl::StrCat(options_.stream, ".log")) {}

  ~Impl() {
    // Publishes still in flight are answered, so that nobody waits forever
    // (RocksEventLog waits for its own before letting go of the upstream).
    absl::flat_hash_map<std::string, PendingPublish> left;
    {
      absl::MutexLock lock(&pending_mu_);
      left.swap(pending_);
    }
    for (auto& [id, pending] : left) {
      pending.done(absl::UnavailableError(absl::StrCat("publishing to ", Describe(), ": closing")));
    }
    if (js_ != nullptr) jsCtx_Destroy(js_);
    if (connection_ != nullptr) natsConnection_Destroy(connection_);
    if (nats_options_ != nullptr) natsOptions_Destroy(nats_options_);
  }

  absl::Status Connect() {
    RETURN_IF_ERROR(FromNats(natsOptions_Create(&nats_options_), 0, "NATS options"));
    std::vector<const char*> servers;
    for (const std::string& server : options_.servers) servers.push_back(server.c_str());
    RETURN_IF_ERROR(FromNats(
        natsOptions_SetServers(nats_options_, servers.data(), static_cast<int>(servers.size())), 0,
        "NATS servers"));
    natsOptions_SetName(nats_options_, "bidtraild");
    // Keep reconnecting for as long as the process runs: a cluster that
    // loses a node, or restarts, is reconnected to.
    natsOptions_SetMaxReconnect(nats_options_, -1);
    natsOptions_SetReconnectWait(nats_options_, 100);
    natsOptions_SetTimeout(nats_options_, Millis(options_.timeout));
    RETURN_IF_ERROR(FromNats(natsConnection_Connect(&connection_, nats_options_), 0,
                             absl::StrCat("connecting to ", Servers())));
    jsOptions js_options;
    jsOptions_Init(&js_options);
    // JetStream API requests (stream info, consumers) may queue behind a
    // busy cluster: they wait longer than a publish.
    js_options.Wait = Millis(std::max(options_.timeout, absl::Seconds(5)));
    // Publishes that do not wait are answered through OnAck; RocksEventLog
    // keeps far fewer in flight than this.
    js_options.PublishAsync.AckHandler = &Impl::OnAck;
    js_options.PublishAsync.AckHandlerClosure = this;
    js_options.PublishAsync.MaxPending = 1024;
    RETURN_IF_ERROR(
        FromNats(natsConnection_JetStream(&js_, connection_, &js_options), 0, "JetStream"));
    // A cluster that has just started places no stream until its nodes
    // know each other (JetStream answers "no suitable peers" or "temporarily
    // unavailable" meanwhile): wait for it, as for a node coming back.
    const absl::Time give_up = absl::Now() + std::max(options_.timeout, absl::Seconds(30));
    for (int attempt = 0;; ++attempt) {
      jsErrCode js_error = static_cast<jsErrCode>(0);
      absl::Status ensured = EnsureStream(&js_error);
      // A JetStream API request that times out is one no meta leader
      // answered yet (seen on a loaded machine): the cluster is forming too.
      const bool forming = js_error == JSClusterNoPeersErr || js_error == JSClusterNotAvailErr ||
                           js_error == JSClusterNotLeaderErr ||
                           js_error == JSClusterIncompleteErr || absl::IsDeadlineExceeded(ensured);
      if (ensured.ok() || !forming || absl::Now() >= give_up) {
        RETURN_IF_ERROR(ensured);
        break;
      }
      if (attempt == 0) {
        log::Info("eventlog", "waiting for the JetStream cluster to place the stream",
                  {{"upstream", Describe()}, {"error", ensured.ToString()}});
      }
      absl::SleepFor(absl::Milliseconds(250));
    }
    return EnsureGenesis();
  }

  absl::StatusOr<uint64_t> Publish(uint64_t after, std::string_view group) {
    if (after == 0) {
      // Only the genesis message has sequence 1: a writer at 0 has not read
      // the stream yet.
      return absl::FailedPreconditionError(absl::StrCat(kFenced, "the stream was not read yet"));
    }
    const std::string message_id = MessageId(group);
    jsPubOptions publish_options;
    jsPubOptions_Init(&publish_options);
    publish_options.ExpectLastSeq = after;
    publish_options.MsgId = message_id.c_str();
    publish_options.MaxWait = Millis(options_.timeout);
    jsPubAck* ack = nullptr;
    jsErrCode js_error = static_cast<jsErrCode>(0);
    const natsStatus status =
        js_Publish(&ack, js_, subject_.c_str(), group.data(), static_cast<int>(group.size()),
                   &publish_options, &js_error);
    if (status == NATS_OK) {
      const uint64_t sequence = ack->Sequence;
      jsPubAck_Destroy(ack);
      return sequence;
    }
    if (WrongLast(js_error)) return Fenced(after);
    return FromNats(status, js_error, absl::StrCat("publishing to ", Describe()));
  }

  void PublishAsync(const Fence& fence, std::string_view group, PublishDone done) {
    if (fence.after == 0) {
      done(absl::FailedPreconditionError(absl::StrCat(kFenced, "the stream was not read yet")));
      return;
    }
    const std::string message_id = MessageId(group);
    natsMsg* message = nullptr;
    natsStatus status = natsMsg_Create(&message, subject_.c_str(), nullptr, group.data(),
                                       static_cast<int>(group.size()));
    if (status != NATS_OK) {
      done(FromNats(status, 0, absl::StrCat("publishing to ", Describe())));
      return;
    }
    jsPubOptions publish_options;
    jsPubOptions_Init(&publish_options);
    publish_options.ExpectLastSeq = fence.after;
    if (!fence.after_group_id.empty()) {
      publish_options.ExpectLastMsgId = fence.after_group_id.c_str();
    }
    publish_options.MsgId = message_id.c_str();
    // The client library answers a publish it hears nothing about within
    // this time with a timeout.
    publish_options.MaxWait = Millis(options_.timeout);
    {
      absl::MutexLock lock(&pending_mu_);
      pending_[message_id] = {std::move(done), fence.after};
    }
    status = js_PublishMsgAsync(js_, &message, &publish_options);
    natsMsg_Destroy(message);  // no effect when the library took it
    if (status != NATS_OK) {
      // Not sent, or sent and answered already (then OnAck has the answer).
      PendingPublish unsent;
      {
        absl::MutexLock lock(&pending_mu_);
        auto it = pending_.find(message_id);
        if (it == pending_.end()) return;
        unsent = std::move(it->second);
        pending_.erase(it);
      }
      unsent.done(FromNats(status, 0, absl::StrCat("publishing to ", Describe())));
    }
  }

  // The library's answer to a publish that did not wait: an acknowledgement
  // (`ack`) or an error (`error`, a timeout among them).
  static void OnAck(jsCtx*, natsMsg* message, jsPubAck* ack, jsPubAckErr* error, void* closure) {
    Impl* const self = static_cast<Impl*>(closure);
    const char* id = nullptr;
    if (natsMsgHeader_Get(message, "Nats-Msg-Id", &id) != NATS_OK || id == nullptr) id = "";
    PendingPublish pending;
    {
      absl::MutexLock lock(&self->pending_mu_);
      auto it = self->pending_.find(id);
      if (it == self->pending_.end()) {
        natsMsg_Destroy(message);
        return;
      }
      pending = std::move(it->second);
      self->pending_.erase(it);
    }
    natsMsg_Destroy(message);
    if (ack != nullptr) {
      pending.done(ack->Sequence);
    } else if (error != nullptr && WrongLast(error->ErrCode)) {
      pending.done(self->Fenced(pending.after));
    } else if (error != nullptr) {
      std::string what = absl::StrCat("publishing to ", self->Describe());
      if (error->ErrText != nullptr && *error->ErrText != '\0') {
        absl::StrAppend(&what, " (", error->ErrText, ")");
      }
      pending.done(FromNats(error->Err == NATS_OK ? NATS_ERR : error->Err, error->ErrCode, what));
    } else {
      pending.done(absl::UnknownError(absl::StrCat("publishing to ", self->Describe(),
                                                   ": an answer with neither ack nor error")));
    }
  }

  std::string GroupId(std::string_view group) const { return MessageId(group); }

  absl::StatusOr<uint64_t> ReadAfter(
      uint64_t after,
      const std::function<absl::Status(uint64_t sequence, std::string_view group)>& apply) {
    ASSIGN_OR_RETURN(const uint64_t last, LastSequence());
    if (last < after) {
      return absl::DataLossError(absl::StrCat(
          Describe(), " ends at sequence ", last, ", but this replica applied up to ", after,
          ": the JetStream stream lost messages (or is another stream of the same name)"));
    }
    if (last == after) return after;
    uint64_t reached = after;
    // A consumer that stops delivering (the stream's leader moving, a node
    // coming back) is made again from where it stopped, a few times.
    absl::Status transient;
    for (int attempt = 0; attempt < 4 && reached < last; ++attempt) {
      const uint64_t before = reached;
      bool lasting = false;
      transient = ReadFrom(reached, last, apply, &reached, &lasting);
      if (lasting) return transient;
      if (reached > before) attempt = 0;  // progress: the attempts start again
    }
    if (reached < last) return transient;
    return reached;
  }

  // Reads sequences after `from` up to `last` with one ephemeral pull
  // consumer, a batch at a time, advancing *reached. *lasting: the error is
  // not the consumer's (a gap, a group that does not apply), and trying
  // again would not help. (Not an ordered push consumer: the C client 3.4
  // resets those from its own timer thread when heartbeats stop, which was
  // seen corrupting the heap when a stalled cluster and the reader's clean-up
  // met.)
  absl::Status ReadFrom(
      uint64_t from, uint64_t last,
      const std::function<absl::Status(uint64_t sequence, std::string_view group)>& apply,
      uint64_t* reached, bool* lasting) {
    natsSubscription* subscription = nullptr;
    jsSubOptions subscribe_options;
    jsSubOptions_Init(&subscribe_options);
    subscribe_options.Config.DeliverPolicy = js_DeliverByStartSequence;
    subscribe_options.Config.OptStartSeq = from + 1;
    subscribe_options.Config.AckPolicy = js_AckNone;
    subscribe_options.Config.InactiveThreshold = absl::ToInt64Nanoseconds(absl::Seconds(30));
    jsErrCode js_error = static_cast<jsErrCode>(0);
    RETURN_IF_ERROR(FromNats(js_PullSubscribe(&subscription, js_, subject_.c_str(), nullptr,
                                              nullptr, &subscribe_options, &js_error),
                             js_error, absl::StrCat("reading ", Describe())));
    absl::Status result;
    while (*reached < last && result.ok()) {
      natsMsgList batch{nullptr, 0};
      const int wanted = static_cast<int>(std::min<uint64_t>(last - *reached, 256));
      jsErrCode fetch_error = static_cast<jsErrCode>(0);
      natsStatus status = natsSubscription_Fetch(&batch, subscription, wanted,
                                                 Millis(options_.timeout), &fetch_error);
      if (status != NATS_OK) {
        result = FromNats(status, fetch_error,
                          absl::StrCat("reading ", Describe(), " after sequence ", *reached));
        natsMsgList_Destroy(&batch);
        break;
      }
      for (int i = 0; i < batch.Count && result.ok(); ++i) {
        natsMsg* message = batch.Msgs[i];
        jsMsgMetaData* meta = nullptr;
        status = natsMsg_GetMetaData(&meta, message);
        if (status != NATS_OK) {
          result = FromNats(status, 0, "reading a message's sequence");
          break;
        }
        const uint64_t sequence = meta->Sequence.Stream;
        jsMsgMetaData_Destroy(meta);
        const std::string_view data(natsMsg_GetData(message),
                                    static_cast<size_t>(natsMsg_GetDataLength(message)));
        if (sequence != *reached + 1) {
          result = absl::DataLossError(
              absl::StrCat(Describe(), ": sequence ", sequence, " follows ", *reached, " (a gap)"));
          *lasting = true;
        } else if (data != kGenesis) {
          result = apply(sequence, data);
          *lasting = !result.ok();
        }
        if (result.ok()) *reached = sequence;
      }
      natsMsgList_Destroy(&batch);
    }
    // Deletes the ephemeral consumer now rather than when it times out.
    natsSubscription_Unsubscribe(subscription);
    natsSubscription_Destroy(subscription);
    return result;
  }

  absl::StatusOr<uint64_t> LastSequence() {
    jsStreamInfo* info = nullptr;
    jsErrCode js_error = static_cast<jsErrCode>(0);
    RETURN_IF_ERROR(
        FromNats(js_GetStreamInfo(&info, js_, options_.stream.c_str(), nullptr, &js_error),
                 js_error, absl::StrCat("asking ", Describe(), " for its last sequence")));
    const uint64_t last = info->State.LastSeq;
    jsStreamInfo_Destroy(info);
    return last;
  }

  absl::StatusOr<std::string> StreamLeader() {
    jsStreamInfo* info = nullptr;
    jsErrCode js_error = static_cast<jsErrCode>(0);
    RETURN_IF_ERROR(
        FromNats(js_GetStreamInfo(&info, js_, options_.stream.c_str(), nullptr, &js_error),
                 js_error, absl::StrCat("asking ", Describe(), " for its leader")));
    std::string leader =
        info->Cluster != nullptr && info->Cluster->Leader != nullptr ? info->Cluster->Leader : "";
    jsStreamInfo_Destroy(info);
    return leader;
  }

  size_t MaxGroupBytes() const {
    const int64_t payload = natsConnection_GetMaxPayload(connection_);
    return payload > 4096 ? static_cast<size_t>(payload) - 1024 : 1024;
  }

  std::string Servers() const { return absl::StrJoin(options_.servers, ","); }
  std::string Describe() const { return absl::StrCat(Servers(), " stream ", options_.stream); }

 private:
  // `*js_error`: JetStream's error code when it refused.
  absl::Status EnsureStream(jsErrCode* js_error_out) {
    jsStreamInfo* info = nullptr;
    jsErrCode& js_error = *js_error_out;
    natsStatus status = js_GetStreamInfo(&info, js_, options_.stream.c_str(), nullptr, &js_error);
    if (status == NATS_OK) {
      absl::Status fits = Fits(*info->Config);
      jsStreamInfo_Destroy(info);
      return fits;
    }
    if (js_error != JSStreamNotFoundErr && status != NATS_NOT_FOUND) {
      return FromNats(status, js_error, absl::StrCat("looking for ", Describe()));
    }
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    config.Name = options_.stream.c_str();
    const char* subjects[] = {subject_.c_str()};
    config.Subjects = subjects;
    config.SubjectsLen = 1;
    config.Storage = js_FileStorage;
    config.Replicas = options_.replicas;
    config.DenyDelete = true;
    config.DenyPurge = true;
    config.Retention = js_LimitsPolicy;  // with no limits: nothing is ever removed
    config.Discard = js_DiscardNew;      // a full stream refuses, never drops old messages
    if (options_.duplicate_window > absl::ZeroDuration()) {
      config.Duplicates = absl::ToInt64Nanoseconds(options_.duplicate_window);
    }
    js_error = static_cast<jsErrCode>(0);
    status = js_AddStream(&info, js_, &config, nullptr, &js_error);
    if (status != NATS_OK) {
      // Another bidtraild may have made it at the same moment.
      jsStreamInfo* existing = nullptr;
      jsErrCode again = static_cast<jsErrCode>(0);
      if (js_GetStreamInfo(&existing, js_, options_.stream.c_str(), nullptr, &again) == NATS_OK) {
        absl::Status fits = Fits(*existing->Config);
        jsStreamInfo_Destroy(existing);
        return fits;
      }
      return FromNats(status, js_error, absl::StrCat("making ", Describe()));
    }
    jsStreamInfo_Destroy(info);
    return absl::OkStatus();
  }

  // A stream of that name that is not a bidtrail log, or that could lose
  // messages, is refused.
  absl::Status Fits(const jsStreamConfig& config) const {
    if (config.SubjectsLen != 1 || subject_ != config.Subjects[0]) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the JetStream stream ", options_.stream, " exists with other subjects than ", subject_,
          ": not a bidtrail log; name another with --nats_stream"));
    }
    if (!config.DenyDelete || !config.DenyPurge || config.MaxMsgs > 0 || config.MaxBytes > 0 ||
        config.MaxAge > 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the JetStream stream ", options_.stream,
          " allows deleting, purging or expiring messages: a log could lose events or get gaps "
          "in it; its configuration must deny deletes and purges and set no limits"));
    }
    return absl::OkStatus();
  }

  absl::Status EnsureGenesis() {
    ASSIGN_OR_RETURN(const uint64_t last, LastSequence());
    if (last > 0) return absl::OkStatus();
    jsPubOptions publish_options;
    jsPubOptions_Init(&publish_options);
    publish_options.MsgId = kGenesisId;  // two first starts at once: one genesis
    publish_options.MaxWait = Millis(options_.timeout);
    jsPubAck* ack = nullptr;
    jsErrCode js_error = static_cast<jsErrCode>(0);
    const natsStatus status =
        js_Publish(&ack, js_, subject_.c_str(), kGenesis.data(), static_cast<int>(kGenesis.size()),
                   &publish_options, &js_error);
    RETURN_IF_ERROR(FromNats(status, js_error, absl::StrCat("starting ", Describe())));
    const uint64_t sequence = ack->Sequence;
    jsPubAck_Destroy(ack);
    if (sequence != 1) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the JetStream stream ", options_.stream, " got its first message at sequence ", sequence,
          ", not 1: it is not a bidtrail log"));
    }
    return absl::OkStatus();
  }

  absl::Status Fenced(uint64_t after) const {
    return absl::FailedPreconditionError(
        absl::StrCat(kFenced, "the stream moved past sequence ", after, " (another writer)"));
  }

  struct PendingPublish {
    PublishDone done;
    uint64_t after = 0;
  };

  const Options options_;
  const std::string subject_;
  // Publishes that did not wait, by message id, until answered.
  absl::Mutex pending_mu_;
  absl::flat_hash_map<std::string, PendingPublish> pending_ ABSL_GUARDED_BY(pending_mu_);
  natsOptions* nats_options_ = nullptr;
  natsConnection* connection_ = nullptr;
  jsCtx* js_ = nullptr;
};

absl::StatusOr<std::unique_ptr<NatsUpstream>> NatsUpstream::Connect(const Options& options) {
  if (options.servers.empty()) return absl::InvalidArgumentError("servers: at least one");
  if (options.stream.empty()) return absl::InvalidArgumentError("stream: required");
  if (options.replicas != 1 && options.replicas != 3 && options.replicas != 5) {
    return absl::InvalidArgumentError(
        absl::StrCat("replicas: ", options.replicas, "; must be 1, 3 or 5"));
  }
  auto impl = std::make_unique<Impl>(options);
  RETURN_IF_ERROR(impl->Connect());
  return std::unique_ptr<NatsUpstream>(new NatsUpstream(std::move(impl)));
}

absl::StatusOr<std::vector<std::string>> NatsUpstream::ParseServers(const std::string& text) {
  std::vector<std::string> servers;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    const std::string server(absl::StripAsciiWhitespace(part));
    if (server.compare(0, 7, "nats://") != 0 || server.size() <= 7) {
      return absl::InvalidArgumentError(absl::StrCat(
          "\"", server,
          "\" is not a NATS server URL; write nats://HOST:PORT[,nats://HOST:PORT...]"));
    }
    servers.push_back(server);
  }
  if (servers.empty()) {
    return absl::InvalidArgumentError("no NATS server named; write nats://HOST:PORT[,...]");
  }
  return servers;
}

NatsUpstream::NatsUpstream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
NatsUpstream::~NatsUpstream() = default;

absl::StatusOr<uint64_t> NatsUpstream::Publish(uint64_t after, std::string_view group) {
  return impl_->Publish(after, group);
}

void NatsUpstream::PublishAsync(const Fence& fence, std::string_view group, PublishDone done) {
  impl_->PublishAsync(fence, group, std::move(done));
}

std::string NatsUpstream::GroupId(std::string_view group) const { return impl_->GroupId(group); }

absl::StatusOr<uint64_t> NatsUpstream::ReadAfter(
    uint64_t after,
    const std::function<absl::Status(uint64_t sequence, std::string_view group)>& apply) {
  return impl_->ReadAfter(after, apply);
}

absl::StatusOr<uint64_t> NatsUpstream::LastSequence() { return impl_->LastSequence(); }

std::string NatsUpstream::Describe() const { return impl_->Describe(); }

absl::StatusOr<std::string> NatsUpstream::StreamLeader() { return impl_->StreamLeader(); }

size_t NatsUpstream::MaxGroupBytes() const { return impl_->MaxGroupBytes(); }

}  // namespace bidtrail::eventlog
