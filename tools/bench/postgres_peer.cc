#include "postgres_peer.h"

#include <libpq-fe.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "bidtrail/common/status_macros.h"

namespace bidtrail::bench {
namespace {

// Where Debian puts PostgreSQL 15's programs.
constexpr char kBin[] = "/usr/lib/postgresql/15/bin";

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

// `command` run as the postgres user when the bench is root (PostgreSQL
// refuses to run as root).
std::string AsPostgres(const std::string& command) {
  return absl::StrCat(geteuid() == 0 ? "runuser -u postgres -- " : "", command);
}

// Runs AsPostgres(`command`); its output goes to `log`. The exit status.
int Run(const std::string& command, const std::string& log) {
  return std::system(absl::StrCat(AsPostgres(command), " >>", ShellQuoted(log), " 2>&1").c_str());
}

std::string Tail(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.size() > 600 ? text.substr(text.size() - 600) : text;
}

// A PostgreSQL array literal of texts: {"a","b\"c"}.
void AppendArrayElement(std::string* array, const std::string& text) {
  if (array->size() > 1) array->push_back(',');  // after "{" and an element
  array->push_back('"');
  for (char c : text) {
    if (c == '"' || c == '\\') array->push_back('\\');
    array->push_back(c);
  }
  array->push_back('"');
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Start(const std::string& dir) {
  const std::string bin = kBin;
  if (access((bin + "/initdb").c_str(), X_OK) != 0) {
    return absl::UnavailableError(absl::StrCat("PostgreSQL 15 is not installed (no ", bin,
                                               "/initdb): apt-get install postgresql-15"));
  }
  const int port = FreePort();
  if (port == 0) return absl::UnavailableError("no free loopback port for PostgreSQL");
  const std::string data = dir + "/data";
  const std::string log = dir + "/bench.log";
  // As root, the server runs as postgres, which must reach its folder
  // through the bench's own scratch folder (mode 700).
  const std::string parent = dir.substr(0, dir.rfind('/'));
  if (std::system(absl::StrCat("mkdir -p ", ShellQuoted(data), " && chmod 700 ", ShellQuoted(data),
                               geteuid() == 0
                                   ? absl::StrCat(" && chown -R postgres ", ShellQuoted(dir),
                                                  " && chmod o+x ", ShellQuoted(parent))
                                   : std::string())
                      .c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot make ", data, " for PostgreSQL"));
  }
  // Defaults otherwise (fsync on, synchronous_commit on, 128 MB of shared
  // buffers): what a team gets without tuning, as raw RocksDB's baseline.
  if (Run(absl::StrCat(bin, "/initdb -D ", ShellQuoted(data), " -U bench --auth=trust -E UTF8"),
          log) != 0) {
    return absl::UnavailableError(absl::StrCat("initdb failed: ", Tail(log)));
  }
  std::unique_ptr<PostgresServer> server(new PostgresServer(bin, dir, port));
  // Interrupted, the bench stops the server rather than leave it running;
  // set before the start, so that a SIGTERM while it starts stops it too.
  server->stop_on_interrupt_ = std::make_unique<OnInterrupt>(
      AsPostgres(absl::StrCat(bin, "/pg_ctl -D ", ShellQuoted(data), " -m immediate -w stop")));
  if (Run(absl::StrCat(bin, "/pg_ctl -D ", ShellQuoted(data), " -l ",
                       ShellQuoted(dir + "/server.log"), " -w -t 60 -o ",
                       ShellQuoted(absl::StrCat("-p ", port, " -c listen_addresses=127.0.0.1 -k ",
                                                dir, " -c max_connections=100")),
                       " start"),
          log) != 0) {
    server->port_ = 0;  // nothing to stop
    return absl::UnavailableError(
        absl::StrCat("PostgreSQL did not start: ", Tail(log), Tail(dir + "/server.log")));
  }
  PGconn* probe = PQconnectdb(server->ConnectionString("postgres").c_str());
  if (PQstatus(probe) == CONNECTION_OK) {
    const int version = PQserverVersion(probe);
    server->version_ = absl::StrFormat("PostgreSQL %d.%d", version / 10000, version % 10000);
  }
  PQfinish(probe);
  return server;
}

PostgresServer::~PostgresServer() {
  if (port_ == 0) return;
  Run(absl::StrCat(bin_, "/pg_ctl -D ", ShellQuoted(dir_ + "/data"), " -m fast -w stop"),
      dir_ + "/bench.log");
}

std::string PostgresServer::ConnectionString(const std::string& database) const {
  return absl::StrFormat("host=127.0.0.1 port=%d user=bench dbname=%s", port_, database);
}

struct PostgresEvents::Connection {
  PGconn* conn = nullptr;
  ~Connection() { PQfinish(conn); }
};

PostgresEvents::PostgresEvents(std::unique_ptr<Connection> connection)
    : connection_(std::move(connection)) {}
PostgresEvents::~PostgresEvents() = default;

namespace {

absl::Status Check(PGresult* result, PGconn* conn, const char* what) {
  const ExecStatusType status = PQresultStatus(result);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(what, ": ", PQerrorMessage(conn)));
}

// The next revisions of the stream, the rows from arrays, one statement:
// under concurrency two writers may read the same maximum, and the unique
// (stream, revision) index refuses the second (SQLSTATE 23505).
constexpr char kAppend[] =
    "INSERT INTO events (stream, revision, event_id, type, data, occurred_at, actor, "
    "correlation_id) "
    "SELECT $1, next.revision + e.n - 1, e.id::uuid, e.type, e.data, e.at::timestamptz, "
    "e.actor, e.correlation "
    "FROM (SELECT coalesce(max(revision) + 1, 0) AS revision FROM events WHERE stream = $1) next, "
    "unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) "
    "WITH ORDINALITY AS e(id, type, data, at, actor, correlation, n)";

constexpr char kRead[] =
    "SELECT position, stream, revision, event_id, type, data, occurred_at, actor "
    "FROM events WHERE position > $1 ORDER BY position LIMIT $2";

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresEvents>> PostgresEvents::Connect(
    const PostgresServer& server, const std::string& database, bool create) {
  if (create && database != "postgres") {
    PGconn* admin = PQconnectdb(server.ConnectionString("postgres").c_str());
    PGresult* made = PQexec(admin, absl::StrCat("CREATE DATABASE ", database).c_str());
    const absl::Status status = Check(made, admin, "CREATE DATABASE");
    PQclear(made);
    PQfinish(admin);
    if (!status.ok()) return status;
  }
  auto connection = std::make_unique<Connection>();
  connection->conn = PQconnectdb(server.ConnectionString(database).c_str());
  if (PQstatus(connection->conn) != CONNECTION_OK) {
    return absl::UnavailableError(
        absl::StrCat("connecting to PostgreSQL: ", PQerrorMessage(connection->conn)));
  }
  if (create) {
    PGresult* made = PQexec(connection->conn,
                            "CREATE TABLE events ("
                            " position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                            " stream text NOT NULL,"
                            " revision bigint NOT NULL,"
                            " event_id uuid NOT NULL,"
                            " type text NOT NULL,"
                            " data text NOT NULL,"
                            " occurred_at timestamptz NOT NULL,"
                            " recorded_at timestamptz NOT NULL DEFAULT now(),"
                            " actor text NOT NULL,"
                            " correlation_id text NOT NULL,"
                            " UNIQUE (stream, revision),"
                            " UNIQUE (stream, event_id))");
    const absl::Status status = Check(made, connection->conn, "CREATE TABLE events");
    PQclear(made);
    if (!status.ok()) return status;
  }
  PGresult* prepared = PQprepare(connection->conn, "append", kAppend, 7, nullptr);
  absl::Status status = Check(prepared, connection->conn, "PREPARE append");
  PQclear(prepared);
  if (!status.ok()) return status;
  prepared = PQprepare(connection->conn, "read", kRead, 2, nullptr);
  status = Check(prepared, connection->conn, "PREPARE read");
  PQclear(prepared);
  if (!status.ok()) return status;
  return std::unique_ptr<PostgresEvents>(new PostgresEvents(std::move(connection)));
}

absl::StatusOr<int> PostgresEvents::Append(const std::string& stream,
                                           const std::vector<eventlog::ProposedEvent>& events) {
  std::string ids = "{", types = "{", data = "{", at = "{", actors = "{", correlations = "{";
  for (const eventlog::ProposedEvent& event : events) {
    AppendArrayElement(&ids, event.event_id);
    AppendArrayElement(&types, event.type);
    AppendArrayElement(&data, event.data);
    AppendArrayElement(
        &at, absl::FormatTime(absl::RFC3339_full, event.occurred_at, absl::UTCTimeZone()));
    AppendArrayElement(&actors, event.actor);
    AppendArrayElement(&correlations, event.correlation_id);
  }
  for (std::string* array : {&ids, &types, &data, &at, &actors, &correlations}) {
    array->push_back('}');
  }
  const char* values[] = {stream.c_str(), ids.c_str(),    types.c_str(),       data.c_str(),
                          at.c_str(),     actors.c_str(), correlations.c_str()};
  for (int attempt = 1; attempt <= 100; ++attempt) {
    PGresult* result = PQexecPrepared(connection_->conn, "append", 7, values, nullptr, nullptr, 0);
    if (PQresultStatus(result) == PGRES_COMMAND_OK) {
      const bool all = std::string(PQcmdTuples(result)) == std::to_string(events.size());
      PQclear(result);
      if (!all) return absl::InternalError("PostgreSQL appended fewer rows than given");
      return attempt;
    }
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    const bool conflict = state != nullptr && std::string(state) == "23505";
    const std::string message = PQerrorMessage(connection_->conn);
    PQclear(result);
    if (!conflict) return absl::InternalError(absl::StrCat("PostgreSQL append: ", message));
  }
  return absl::AbortedError("PostgreSQL append: 100 conflicts in a row");
}

namespace {

// Adds the rows of `result` (a SELECT of the read's columns, in position
// order) to `page`, and clears it: how many, their data bytes, the last
// position. Returns the rows added; `what` names the query in errors.
absl::StatusOr<int> AddRows(PGresult* result, PGconn* conn, const char* what,
                            PostgresEvents::Page* page) {
  absl::Status status = Check(result, conn, what);
  const int rows = status.ok() ? PQntuples(result) : 0;
  for (int row = 0; row < rows; ++row) {
    page->data_bytes += static_cast<uint64_t>(PQgetlength(result, row, 5));
  }
  if (rows > 0 && !absl::SimpleAtoi(PQgetvalue(result, rows - 1, 0), &page->last_position)) {
    status = absl::InternalError(absl::StrCat(what, ": a position that is not a number"));
  }
  PQclear(result);
  RETURN_IF_ERROR(status);
  page->rows += static_cast<uint64_t>(rows);
  return rows;
}

}  // namespace

absl::StatusOr<PostgresEvents::Page> PostgresEvents::Read(uint64_t after, uint64_t limit) {
  const std::string from = std::to_string(after);
  const std::string count = std::to_string(limit);
  const char* values[] = {from.c_str(), count.c_str()};
  Page page;
  RETURN_IF_ERROR(AddRows(PQexecPrepared(connection_->conn, "read", 2, values, nullptr, nullptr, 0),
                          connection_->conn, "PostgreSQL read", &page)
                      .status());
  return page;
}

absl::StatusOr<PostgresEvents::Page> PostgresEvents::ReadThroughCursor(uint64_t batch) {
  PGconn* conn = connection_->conn;
  auto run = [conn](const std::string& sql) -> absl::Status {
    PGresult* result = PQexec(conn, sql.c_str());
    const absl::Status status = Check(result, conn, sql.c_str());
    PQclear(result);
    return status;
  };
  RETURN_IF_ERROR(run("BEGIN READ ONLY"));
  absl::Status status = run(
      "DECLARE all_events NO SCROLL CURSOR FOR SELECT position, stream, revision, event_id, type, "
      "data, occurred_at, actor FROM events ORDER BY position");
  const std::string fetch = absl::StrCat("FETCH ", batch, " FROM all_events");
  Page total;
  while (status.ok()) {
    absl::StatusOr<int> rows =
        AddRows(PQexec(conn, fetch.c_str()), conn, "PostgreSQL FETCH", &total);
    status = rows.status();
    if (status.ok() && *rows == 0) break;
  }
  const absl::Status ended = run(status.ok() ? "COMMIT" : "ROLLBACK");
  RETURN_IF_ERROR(status);
  RETURN_IF_ERROR(ended);
  return total;
}

}  // namespace bidtrail::bench
