// The event store interface: an append-only log of immutable events grouped in
// streams. Everything above the storage layer talks to this interface, never
// to a backend directly: the embedded RocksDB log (RocksEventLog), the gRPC
// client of a remote store, or a future clustered backend all implement it.
//
// Vocabulary:
//   stream    a sequence of events about one thing ("tender-<id>");
//   revision  an event's index in its stream: 0-based, gapless;
//   position  an event's index in the whole log: 1-based, gapless, in commit
//             order; position 0 means "before the first event".
//
// Implementations are thread-safe: every method may be called concurrently.
//
// Backends: the embedded RocksDB log (RocksEventLog), the same with its
// commits decided on a NATS JetStream stream (RocksEventLog with an Upstream;
// docs/nats.md), and the gRPC client of a remote store (GrpcEventStore). Every
// promise below holds on each; eventlog_test runs one contract suite on the
// first two. The hash chain is defined over a backend-independent encoding of
// a record (docs/architecture.md, "The hash chain"), so a log moved from one
// backend to another verifies with the same head hash.
#ifndef BIDTRAIL_EVENTLOG_EVENT_STORE_H_
#define BIDTRAIL_EVENTLOG_EVENT_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace bidtrail::eventlog {

// An event a client wants to append.
struct ProposedEvent {
  // UUID in canonical text form; unique within its stream.
  std::string event_id;
  std::string type;
  std::string data;
  // Business time; required (absl::InfinitePast() means "not set").
  absl::Time occurred_at = absl::InfinitePast();
  std::string actor;
  std::string correlation_id;
  std::string causation_id;
  // The principal that wrote the event for `actor` (a service acting for a
  // user); empty when the actor wrote it.
  std::string written_by;
};

// An event as stored.
struct RecordedEvent {
  std::string event_id;  // canonical lower-case UUID text
  std::string stream_id;
  uint64_t revision = 0;
  uint64_t position = 0;
  std::string type;
  std::string data;
  absl::Time occurred_at;
  absl::Time recorded_at;
  std::string actor;
  std::string correlation_id;
  std::string causation_id;
  std::string written_by;  // as ProposedEvent::written_by
  std::string hash;        // 32 bytes: SHA-256(previous hash || record bytes)
};

// An event of a packed batch (ReadAllRequest::packed): the fields a reader
// that folds events uses, its strings viewing bytes the batch holds.
struct EventView {
  std::string_view stream_id;
  uint64_t revision = 0;
  uint64_t position = 0;
  std::string_view type;
  std::string_view data;
  absl::Time occurred_at;
  absl::Time recorded_at;
  std::string_view actor;
};

// Copies the fields an EventView has into `out` (its strings copied); the
// others (ids, hash) are left as they are.
inline void AssignEventView(const EventView& view, RecordedEvent* out) {
  out->stream_id.assign(view.stream_id);
  out->revision = view.revision;
  out->position = view.position;
  out->type.assign(view.type);
  out->data.assign(view.data);
  out->occurred_at = view.occurred_at;
  out->recorded_at = view.recorded_at;
  out->actor.assign(view.actor);
}

// The fields of `event` an EventView has, viewing its strings.
inline EventView ViewOf(const RecordedEvent& event) {
  EventView view;
  view.stream_id = event.stream_id;
  view.revision = event.revision;
  view.position = event.position;
  view.type = event.type;
  view.data = event.data;
  view.occurred_at = event.occurred_at;
  view.recorded_at = event.recorded_at;
  view.actor = event.actor;
  return view;
}

// Events whose strings are packed one after another in one buffer, rather
// than each in strings of its own: for a reader going through the whole log,
// a handful of allocations per event, and reading them back scattered over
// the heap, cost more than folding the event. Move-only.
class PackedEvents {
 public:
  PackedEvents() = default;
  PackedEvents(PackedEvents&&) = default;
  PackedEvents& operator=(PackedEvents&&) = default;
  PackedEvents(const PackedEvents&) = delete;
  PackedEvents& operator=(const PackedEvents&) = delete;

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  // The i-th event; its strings stay valid while this object lives (moves
  // included) and nothing is added.
  EventView operator[](size_t i) const {
    const Entry& entry = entries_[i];
    const char* at = bytes_.data() + entry.offset;
    EventView view;
    view.stream_id = std::string_view(at, entry.stream_id_size);
    at += entry.stream_id_size;
    view.type = std::string_view(at, entry.type_size);
    at += entry.type_size;
    view.actor = std::string_view(at, entry.actor_size);
    at += entry.actor_size;
    view.data = std::string_view(at, entry.data_size);
    view.revision = entry.revision;
    view.position = entry.position;
    view.occurred_at = entry.occurred_at;
    view.recorded_at = entry.recorded_at;
    return view;
  }
  // Copies `event` in (its strings may point anywhere).
  void Add(const EventView& event) {
    Entry& entry = entries_.emplace_back();
    entry.offset = bytes_.size();
    entry.stream_id_size = event.stream_id.size();
    entry.type_size = event.type.size();
    entry.actor_size = event.actor.size();
    entry.data_size = event.data.size();
    entry.revision = event.revision;
    entry.position = event.position;
    entry.occurred_at = event.occurred_at;
    entry.recorded_at = event.recorded_at;
    bytes_.append(event.stream_id).append(event.type).append(event.actor).append(event.data);
  }
  void Reserve(size_t events, size_t bytes) {
    entries_.reserve(events);
    bytes_.reserve(bytes);
  }

 private:
  struct Entry {
    size_t offset;
    size_t stream_id_size;
    size_t type_size;
    size_t actor_size;
    size_t data_size;
    uint64_t revision;
    uint64_t position;
    absl::Time occurred_at;
    absl::Time recorded_at;
  };
  std::string bytes_;
  std::vector<Entry> entries_;
};

// What the stream must look like for an append to be accepted.
class ExpectedRevision {
 public:
  enum class Kind { kAny, kNoStream, kStreamExists, kExact };

  static ExpectedRevision Any() { return ExpectedRevision(Kind::kAny, 0); }
  static ExpectedRevision NoStream() { return ExpectedRevision(Kind::kNoStream, 0); }
  static ExpectedRevision StreamExists() { return ExpectedRevision(Kind::kStreamExists, 0); }
  static ExpectedRevision Exact(uint64_t revision) {
    return ExpectedRevision(Kind::kExact, revision);
  }

  Kind kind() const { return kind_; }
  // Meaningful for Kind::kExact only.
  uint64_t revision() const { return revision_; }
  // For messages: "any", "no stream", "stream exists", "revision 7".
  std::string ToString() const;

 private:
  ExpectedRevision(Kind kind, uint64_t revision) : kind_(kind), revision_(revision) {}
  Kind kind_;
  uint64_t revision_;
};

// Where an append landed. Revisions and positions of one append are consecutive.
struct AppendResult {
  uint64_t first_revision = 0;
  uint64_t last_revision = 0;
  uint64_t first_position = 0;
  uint64_t last_position = 0;
  // True when every event was already in the stream at these revisions: an
  // idempotent retry; nothing was written.
  bool already_recorded = false;
};

struct StreamInfo {
  bool exists = false;
  uint64_t last_revision = 0;  // valid when exists
  uint64_t event_count = 0;
};

enum class Direction { kForward, kBackward };

struct ReadStreamRequest {
  std::string stream_id;
  Direction direction = Direction::kForward;
  // First revision to return; unset: 0 forward, the last revision backward.
  bool has_from_revision = false;
  uint64_t from_revision = 0;
  uint32_t max_count = 1000;
  // Read what the log holds now, not what this store has seen of it: a
  // store that is the replica of a log kept elsewhere (a JetStream stream,
  // upstream.h) first catches up with everything the log had committed when
  // the call began, waiting for its own groups in flight. For decisions
  // that a write made through another server may change (a command refused
  // because its tender is unknown here yet). A store whose reads are always
  // current ignores it.
  bool fresh = false;
};

struct ReadStreamResult {
  std::vector<RecordedEvent> events;
  bool end_of_stream = true;
  uint64_t next_revision = 0;  // where the next page starts, when !end_of_stream
};

// Selects events; empty fields select everything.
struct EventFilter {
  std::string stream_prefix;
  std::vector<std::string> event_types;

  bool Empty() const { return stream_prefix.empty() && event_types.empty(); }
  bool Matches(std::string_view stream_id, std::string_view type) const;
};

struct ReadAllRequest {
  uint64_t from_position = 1;  // 0 and 1 both mean the start
  uint64_t max_count = 1000;   // matching events to return at most
  // Examine at most this many records (matching or not) before returning, so
  // that a selective filter over a long log still answers in bounded time. A
  // hint: a backend may examine more or fewer (next_position says where it
  // stopped either way).
  uint64_t max_scan = 100000;
  // Stop once the events returned carry this many bytes of data (always at
  // least one event); 0: no byte limit.
  uint64_t max_bytes = 0;
  EventFilter filter;
  // Leave event_id, correlation_id, causation_id and hash empty, for readers
  // that fold events and never look at those (projections): formatting and
  // copying them costs a fifth of reading an event. A hint: a store may fill
  // them anyway.
  bool lean = false;
  // Return the events in ReadAllResult::packed rather than `events`: only
  // the fields of an EventView, without a string of their own. A hint: a
  // store may return `events` anyway (a remote one does).
  bool packed = false;
  // Return the events in ReadAllResult::records, as the log stores them: for
  // a server that passes the log on (the gRPC ReadAll), whose client decodes
  // them with DecodeRecords, instead of decoding and encoding every event on
  // the way. A hint: a store may return `events` anyway.
  bool records = false;
};

struct ReadAllResult {
  std::vector<RecordedEvent> events;
  PackedEvents packed;  // instead of `events`, as ReadAllRequest::packed
  // Instead of `events`, as ReadAllRequest::records: each event's record (the
  // encoding the hash chain covers, docs/architecture.md "The hash chain",
  // followed by its 32-byte hash), in the group format the JetStream log
  // publishes (docs/nats.md): a format byte 1, then each record preceded by
  // its length as a varint. Empty when no event is returned.
  std::string records;
  // Position after the last record examined: where to continue from.
  uint64_t next_position = 1;
};

struct VerifyResult {
  bool ok = true;
  uint64_t records_checked = 0;
  uint64_t first_bad_position = 0;  // when !ok
  std::string problem;              // when !ok
  std::string head_hash;            // hash of the last record checked
};

// One item delivered by a subscription: a batch of events, or the one-time
// notice that the subscriber has caught up with the head.
struct EventBatch {
  std::vector<RecordedEvent> events;
  PackedEvents packed;         // instead of `events`, as SubscribeRequest::packed
  std::string records;         // instead of `events`, as SubscribeRequest::records
  uint64_t next_position = 1;  // resume from here (filtered-out events included)
};
struct CaughtUp {
  uint64_t head_position = 0;
};
using SubscriptionItem = std::variant<EventBatch, CaughtUp>;

// A subscription: catch-up from a position, then live. Next() and Cancel() may
// be called from different threads; Next() from one thread at a time.
// Lifetime: a subscription holds no resource of the store between calls of
// Next() (no snapshot, no buffer of its own), so a slow subscriber costs only
// its cursor and is never dropped; every Subscription must be destroyed
// before the store that made it; shutting the store down makes every Next()
// return CANCELLED.
class Subscription {
 public:
  virtual ~Subscription() = default;
  // Blocks until the next item. Returns CANCELLED after Cancel() (or when the
  // store shuts down), or the storage/transport error that ended it.
  virtual absl::StatusOr<SubscriptionItem> Next() = 0;
  // Wakes a blocked Next(); later calls return CANCELLED. Idempotent.
  virtual void Cancel() = 0;
};

struct SubscribeRequest {
  uint64_t from_position = 1;  // 0 and 1 both mean the start
  EventFilter filter;
  // Largest batch delivered at once, in events and in bytes of event data.
  uint32_t max_batch = 512;
  uint64_t max_batch_bytes = uint64_t{1} << 20;
  // As ReadAllRequest::lean, ReadAllRequest::packed and ReadAllRequest::records.
  bool lean = false;
  bool packed = false;
  bool records = false;
};

class EventStore {
 public:
  virtual ~EventStore() = default;

  // Appends `events` to `stream_id`, all or nothing.
  // Errors: INVALID_ARGUMENT for a malformed stream id, event or limit
  // (naming the field); ABORTED when `expected` does not match (the message
  // gives the actual revision); ALREADY_EXISTS when some but not all event ids
  // are already in the stream; UNAVAILABLE/INTERNAL on storage failure.
  // A full repeat of an earlier append returns its original result with
  // already_recorded set, whatever `expected` says.
  virtual absl::StatusOr<AppendResult> Append(const std::string& stream_id,
                                              const ExpectedRevision& expected,
                                              const std::vector<ProposedEvent>& events) = 0;

  // Appends as Append does, but answers by calling `done` with the outcome,
  // exactly once: on this thread, or on the thread that commits the append
  // (after it is durable). Where AppendsAsynchronously(), this returns without
  // waiting for the commit, and `done` must not block: it runs on the thread
  // that commits the next groups. The default calls Append on this thread.
  using AppendDone = std::function<void(absl::StatusOr<AppendResult>)>;
  virtual void AppendAsync(std::string stream_id, ExpectedRevision expected,
                           std::vector<ProposedEvent> events, AppendDone done) {
    done(Append(stream_id, expected, events));
  }
  // True when AppendAsync never waits for a commit (nor for disk), so that a
  // server may call it from threads that must not block (gRPC's).
  virtual bool AppendsAsynchronously() const { return false; }

  // Reads a page of one stream. NOT_FOUND when the stream does not exist;
  // INVALID_ARGUMENT for a bad stream id or max_count.
  virtual absl::StatusOr<ReadStreamResult> ReadStream(const ReadStreamRequest& request) = 0;

  // Reads the log forward up to the committed head.
  virtual absl::StatusOr<ReadAllResult> ReadAll(const ReadAllRequest& request) = 0;

  virtual absl::StatusOr<StreamInfo> GetStreamInfo(const std::string& stream_id) = 0;

  // Position of the last committed event; 0 when empty.
  virtual absl::StatusOr<uint64_t> HeadPosition() = 0;

  virtual absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(
      const SubscribeRequest& request) = 0;

  // Recomputes the hash chain over the whole log.
  virtual absl::StatusOr<VerifyResult> Verify() = 0;

  // Writes a consistent copy of the log into `path`, a folder that must not
  // exist, chosen by the server (clients name a backup, never a path), while
  // serving; returns the head position the copy holds. Whatever the backend,
  // the copy is a log in the embedded format (RocksEventLog) that opens and
  // verifies with the same head hash. ALREADY_EXISTS when `path` exists;
  // FAILED_PRECONDITION when it cannot be written; UNIMPLEMENTED for a
  // backend without copies.
  virtual absl::StatusOr<uint64_t> Backup(const std::string& path) = 0;
};

// Decodes ReadAllResult::records (as ReadAllRequest::records) and appends its
// events to `events` (lean: as ReadAllRequest::lean) or to `packed`.
// DATA_LOSS when the bytes are not records of that format.
absl::Status DecodeRecords(std::string_view records, bool lean, std::vector<RecordedEvent>* events);
absl::Status DecodeRecords(std::string_view records, PackedEvents* packed);
// How many records `records` holds (without decoding them).
absl::StatusOr<uint64_t> CountRecords(std::string_view records);

// Every event of `stream_id`, in revision order, read page by page; empty
// when the stream does not exist. `fresh`: read what the log holds now
// (ReadStreamRequest::fresh). Errors as EventStore::ReadStream.
absl::StatusOr<std::vector<RecordedEvent>> ReadWholeStream(EventStore& store,
                                                           const std::string& stream_id,
                                                           bool fresh = false);

}  // namespace bidtrail::eventlog

#endif  // BIDTRAIL_EVENTLOG_EVENT_STORE_H_
