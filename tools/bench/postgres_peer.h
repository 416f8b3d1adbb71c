// The peer a team would otherwise pick: an events table in PostgreSQL 15
// (Debian's postgresql-15), started by the bench on a free loopback port in
// a scratch folder with its default, durable settings, and stopped after.
// The table has a global sequence (the position), a unique (stream,
// revision) index for optimistic concurrency and a unique event id, as
// bidtrail's log has; clients talk libpq over loopback TCP, as bidtrail's
// talk gRPC. Used by `bidtrail-bench eventstore --peers` (docs/performance.md).
#ifndef BIDTRAIL_TOOLS_BENCH_POSTGRES_PEER_H_
#define BIDTRAIL_TOOLS_BENCH_POSTGRES_PEER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench_util.h"
#include "bidtrail/eventlog/event_store.h"

namespace bidtrail::bench {

// One PostgreSQL server for the bench's lifetime.
class PostgresServer {
 public:
  // initdb and start in `dir` (created; owned by the postgres user when the
  // bench runs as root, which PostgreSQL refuses to run as). UNAVAILABLE,
  // saying why, when PostgreSQL is not installed or does not start.
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Start(const std::string& dir);
  // Stops the server (fast shutdown).
  ~PostgresServer();

  // libpq connection string for a client of `database`.
  std::string ConnectionString(const std::string& database) const;
  // "PostgreSQL 15.18"
  const std::string& version() const { return version_; }

  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

 private:
  PostgresServer(std::string bin, std::string dir, int port)
      : bin_(std::move(bin)), dir_(std::move(dir)), port_(port) {}
  std::string bin_;
  std::string dir_;
  int port_;
  std::string version_;
  std::unique_ptr<OnInterrupt> stop_on_interrupt_;
};

// One client connection to the events table.
class PostgresEvents {
 public:
  // Connects to `database`, and makes it (unless "postgres") and its
  // table when `create` (once per database).
  static absl::StatusOr<std::unique_ptr<PostgresEvents>> Connect(const PostgresServer& server,
                                                                 const std::string& database,
                                                                 bool create);
  ~PostgresEvents();

  // Appends `events` to `stream` at its next revisions, in one durable
  // transaction; a revision taken by a concurrent writer (unique violation)
  // is retried, as an optimistic writer does. Returns the attempts made.
  absl::StatusOr<int> Append(const std::string& stream,
                             const std::vector<eventlog::ProposedEvent>& events);

  // Reads the table in position order from after `after`, at most `limit`
  // rows: their count, data bytes and the last position.
  struct Page {
    uint64_t rows = 0;
    uint64_t data_bytes = 0;
    uint64_t last_position = 0;
  };
  absl::StatusOr<Page> Read(uint64_t after, uint64_t limit);
  // Reads the whole table in position order through one cursor (one query,
  // `batch` rows a FETCH), as a reader that streams it does: the count, data
  // bytes and the last position of all of it.
  absl::StatusOr<Page> ReadThroughCursor(uint64_t batch);

  PostgresEvents(const PostgresEvents&) = delete;
  PostgresEvents& operator=(const PostgresEvents&) = delete;

 private:
  struct Connection;
  explicit PostgresEvents(std::unique_ptr<Connection> connection);
  std::unique_ptr<Connection> connection_;
};

}  // namespace bidtrail::bench

#endif  // BIDTRAIL_TOOLS_BENCH_POSTGRES_PEER_H_
