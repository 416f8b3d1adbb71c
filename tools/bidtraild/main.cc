// bidtraild: the bidtrail server. Hosts any set of bidtrail services in one
// process (--services=all) or one per process, on one gRPC port, with health
// checking and reflection. Stops gracefully on SIGINT or SIGTERM: stops
// accepting calls, ends open streams, drains with a deadline, closes storage.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bidtrail/common/log.h"
#include "bidtrail/common/status_macros.h"
#include "bidtrail/contacts/book.h"
#include "bidtrail/contacts/key_store.h"
#include "bidtrail/contacts/service.h"
#include "bidtrail/eventlog/log_copy.h"
#include "bidtrail/eventlog/nats_upstream.h"
#include "bidtrail/eventlog/rocks_event_log.h"
#include "bidtrail/eventstore/access_service.h"
#include "bidtrail/eventstore/grpc_client.h"
#include "bidtrail/eventstore/service.h"
#include "bidtrail/metrics/metrics.h"
#include "bidtrail/projection/engine.h"
#include "bidtrail/projections/service.h"
#include "bidtrail/rpc/call_log.h"
#include "bidtrail/rpc/limits.h"
#include "bidtrail/rpc/wire.h"
#include "bidtrail/storage/rocks_kv_store.h"
#include "bidtrail/tenders/commands.h"
#include "bidtrail/tenders/service.h"
#include "bidtrail/web/http_face.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"

ABSL_FLAG(std::string, services, "all",
          "services to host: all, or a comma-separated list of: eventstore, tenders, projections");
ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "address to listen on; port 0 picks a free port (see --port_file)");
ABSL_FLAG(std::string, data_dir, "var/data", "folder of the event log (created when missing)");
ABSL_FLAG(bool, sync, true,
          "sync every acknowledged append to disk (true); false is faster but a machine crash "
          "may lose the last acknowledged appends");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "how long a shutdown waits for calls in flight before cancelling them");
ABSL_FLAG(std::string, port_file, "", "write the port actually listened on to this file");
ABSL_FLAG(std::string, eventstore, "",
          "address of the event store (host:port) when this process does not host it");
ABSL_FLAG(absl::Duration, late_window, absl::Hours(24),
          "our facts (documents, our bids, no-bids) recorded longer than this after they "
          "happened need a reason");
ABSL_FLAG(std::string, log_level, "info",
          "least important log lines written to standard error: debug, info, warn or error");
ABSL_FLAG(absl::Duration, slow_call, absl::Seconds(1),
          "unary calls taking longer are logged as slow");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate (chain) to serve TLS with; with --tls_key");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");
ABSL_FLAG(std::string, http, "",
          "HOST:PORT to serve the JSON API, the calendar feeds and /metrics on (docs/web.md); "
          "off when empty. The API and feeds where the queries service runs, /metrics in any "
          "process; HTTPS with --tls_cert/--tls_key");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA bundle: require client certificates signed by it (mTLS)");
ABSL_FLAG(std::string, eventstore_tls_ca, "",
          "PEM CA that signed the remote event store's certificate: reach it over TLS");
ABSL_FLAG(std::string, eventstore_tls_cert, "",
          "PEM client certificate to present to the remote event store (mTLS); with "
          "--eventstore_tls_key");
ABSL_FLAG(std::string, eventstore_tls_key, "", "PEM key of --eventstore_tls_cert");
ABSL_FLAG(bool, insecure_plaintext, false,
          "serve without TLS on an address that is not loopback (refused otherwise)");
ABSL_FLAG(int, max_calls_per_principal, 64,
          "unary calls one principal may have running or queued at once; more are refused with "
          "RESOURCE_EXHAUSTED (0: no limit; service principals are not limited)");
ABSL_FLAG(int, max_streams_per_principal, 16,
          "log reads and subscriptions one principal may have open at once; more are refused "
          "with RESOURCE_EXHAUSTED (0: no limit; service principals are not limited)");
ABSL_FLAG(std::string, min_free_disk, "128MiB",
          "appends are refused (RESOURCE_EXHAUSTED) while the data folder's disk has less free "
          "space, and resume once there is more; reads go on. A size: 512MiB, 2GiB, or 0 for "
          "no floor");
ABSL_FLAG(bool, accept_data_loss, false,
          "open a log that came back shorter than it acknowledged (a damaged or cut write-ahead "
          "log; refused with DATA_LOSS otherwise), recording the loss in the log's $log stream");
ABSL_FLAG(std::string, recover_admin, "",
          "when every admin token is lost: with bidtraild stopped, grant NAME admin and print a "
          "new token for it, recorded in the log, then exit (needs the data folder itself)");
ABSL_FLAG(std::string, log, "rocksdb",
          "where the event log is kept: rocksdb (embedded, in --data_dir) or a NATS JetStream "
          "cluster, nats://HOST:PORT[,nats://HOST:PORT...] (replicated; --data_dir then holds "
          "this process's replica of it; docs/nats.md)");
ABSL_FLAG(std::string, nats_stream, "BIDTRAIL", "with --log=nats://...: the JetStream stream");
ABSL_FLAG(int, nats_replicas, 3,
          "with --log=nats://...: copies of the stream when bidtraild creates it (1, 3 or 5)");
ABSL_FLAG(absl::Duration, nats_connect_wait, absl::Seconds(30),
          "with --log=nats://...: how long a start waits for the cluster to answer");
ABSL_FLAG(std::string, import_log, "",
          "with --log=nats://...: copy the RocksDB log in this folder (a data folder's eventlog/, "
          "or a backup) into the empty JetStream stream, record for record, then exit");
ABSL_FLAG(std::string, backup_dir, "",
          "folder `bidtrail backup NAME` writes copies of the log into (default "
          "<data_dir>/backups); clients name a copy, never a path");
ABSL_FLAG(std::string, rates, "",
          "exchange-rate file for the analytics: a line `base CUR`, then `CUR VALUE` lines (the "
          "value of one CUR in the base currency); used for currencies a query gives no rate for");
ABSL_FLAG(std::string, own_party_id, "us",
          "our company's party id: bids by this party are ours (rules and analytics)");

namespace {

const std::set<std::string>& KnownServices() {
  static const std::set<std::string> known = {"eventstore", "tenders", "projections"};
  return known;
}

int Fail(const std::string& message) {
  bidtrail::log::Error("bidtraild", "cannot start", {{"error", message}});
  return 1;
}

// --log=nats://...: the JetStream stream, waiting up to --nats_connect_wait
// for the cluster (nodes start in any order). INVALID_ARGUMENT for a
// malformed flag, or the last error.
absl::StatusOr<std::shared_ptr<bidtrail::eventlog::NatsUpstream>> ConnectToNats(
    const std::string& where) {
  using bidtrail::eventlog::NatsUpstream;
  NatsUpstream::Options options;
  ASSIGN_OR_RETURN(options.servers, NatsUpstream::ParseServers(where));
  options.stream = absl::GetFlag(FLAGS_nats_stream);
  options.replicas = absl::GetFlag(FLAGS_nats_replicas);
  const absl::Time give_up = absl::Now() + absl::GetFlag(FLAGS_nats_connect_wait);
  while (true) {
    absl::StatusOr<std::unique_ptr<NatsUpstream>> connected = NatsUpstream::Connect(options);
    if (connected.ok()) return std::shared_ptr<NatsUpstream>(std::move(connected).value());
    if (absl::IsInvalidArgument(connected.status()) ||
        absl::IsFailedPrecondition(connected.status())) {
      return connected.status();
    }
    if (absl::Now() > give_up) {
      return absl::Status(connected.status().code(),
                          absl::StrCat(connected.status().message(),
                                       "; is the cluster running? (deploy/local/nats-cluster.sh "
                                       "start runs one on loopback; --log takes its client URLs, "
                                       "comma-separated)"));
    }
    bidtrail::log::Warn("bidtraild", "waiting for the NATS cluster",
                        {{"servers", where}, {"error", connected.status()}});
    absl::SleepFor(absl::Seconds(1));
  }
}

// --import_log=DIR: the RocksDB log in DIR copied into the empty stream.
int ImportLog(const std::string& from, bidtrail::eventlog::Upstream& upstream) {
  bidtrail::eventlog::RocksEventLog::Options source_options;
  source_options.path = from;
  if (!std::filesystem::exists(from)) {
    std::fprintf(stderr, "bidtraild: --import_log: %s does not exist\n", from.c_str());
    return 2;
  }
  // Only an existing log: opening any other folder would make an empty one.
  if (!std::filesystem::exists(from + "/CURRENT")) {
    const std::string hint = std::filesystem::exists(from + "/eventlog/CURRENT")
                                 ? absl::StrCat("; a data folder's log is in ", from, "/eventlog")
                                 : " (give a data folder's eventlog/, or a backup folder)";
    std::fprintf(stderr, "bidtraild: --import_log: %s holds no event log%s\n", from.c_str(),
                 hint.c_str());
    return 2;
  }
  absl::StatusOr<std::unique_ptr<bidtrail::eventlog::RocksEventLog>> source =
      bidtrail::eventlog::RocksEventLog::Open(source_options);
  if (!source.ok()) return Fail(absl::StrCat("--import_log: ", source.status().ToString()));
  absl::StatusOr<bidtrail::eventlog::VerifyResult> verified = (*source)->Verify();
  if (!verified.ok() || !verified->ok) {
    return Fail(absl::StrCat("--import_log: ", from, " does not verify: ",
                             verified.ok() ? verified->problem : verified.status().ToString()));
  }
  if (verified->records_checked == 0) {
    std::fprintf(stderr, "bidtraild: --import_log: %s holds no events; nothing to copy\n",
                 from.c_str());
    return 2;
  }
  absl::StatusOr<uint64_t> copied =
      bidtrail::eventlog::CopyLogToUpstream(**source, upstream, [](uint64_t done, uint64_t total) {
        bidtrail::log::Info("bidtraild", "copying the log", {{"records", done}, {"of", total}});
      });
  if (!copied.ok()) return Fail(absl::StrCat("--import_log: ", copied.status().ToString()));
  std::printf("copied %llu records from %s into %s; head hash %s\n",
              static_cast<unsigned long long>(*copied), from.c_str(), upstream.Describe().c_str(),
              absl::BytesToHexString(verified->head_hash).c_str());
  return 0;
}

}  // namespace

// The whole text of a file, or FAILED_PRECONDITION naming the flag.
absl::StatusOr<std::string> ReadFlagFile(const std::string& path, const char* flag) {
  std::ifstream file(path);
  if (!file) return absl::FailedPreconditionError(absl::StrCat("--", flag, ": cannot read ", path));
  return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}

// "512MiB", "2GiB", "64KiB", "1000B", "0": bytes.
absl::StatusOr<uint64_t> ParseSize(const std::string& text) {
  static const std::pair<const char*, uint64_t> kUnits[] = {
      {"GiB", uint64_t{1} << 30}, {"MiB", uint64_t{1} << 20}, {"KiB", uint64_t{1} << 10}, {"B", 1}};
  uint64_t unit = 1;
  std::string number = text;
  for (const auto& [suffix, bytes] : kUnits) {
    const std::string tail(suffix);
    if (number.size() > tail.size() &&
        number.compare(number.size() - tail.size(), tail.size(), tail) == 0) {
      number.resize(number.size() - tail.size());
      unit = bytes;
      break;
    }
  }
  uint64_t value = 0;
  if (!absl::SimpleAtoi(number, &value) || (unit > 1 && value > (UINT64_MAX / unit))) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text,
                     "\" is not a size; write a whole number with B, KiB, MiB or GiB (512MiB), "
                     "or 0 for no floor"));
  }
  if (unit == 1 && number == text && value != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", text, "\": say the unit (B, KiB, MiB or GiB), for example ", text, "MiB"));
  }
  return value * unit;
}

// Who acts from the server's own console (break glass, an accepted loss), as
// recorded in the log: "console:<user>".
std::string ConsoleActor() {
  const char* user = std::getenv("USER");
  return absl::StrCat("console:", user != nullptr && user[0] != '\0' ? user : "unknown");
}

// Whether `listen` ("127.0.0.1:50051", "[::1]:0", "localhost:1") is loopback.
bool Loopback(const std::string& listen) {
  const std::string host = listen.substr(0, listen.rfind(':'));
  return host.rfind("127.", 0) == 0 || host == "localhost" || host == "[::1]" || host == "::1";
}

// The channel credentials to reach a remote event store at `address`: TLS
// with --eventstore_tls_ca (and a client certificate with
// --eventstore_tls_cert/key); plaintext only to loopback unless
// --insecure_plaintext says so, since the service token travels with every
// call.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> EventStoreCredentialsFor(
    const std::string& address) {
  const std::string ca = absl::GetFlag(FLAGS_eventstore_tls_ca);
  const std::string cert = absl::GetFlag(FLAGS_eventstore_tls_cert);
  const std::string key = absl::GetFlag(FLAGS_eventstore_tls_key);
  if (cert.empty() != key.empty()) {
    return absl::InvalidArgumentError(
        "--eventstore_tls_cert and --eventstore_tls_key: give both, or neither");
  }
  if (ca.empty()) {
    if (!cert.empty()) {
      return absl::InvalidArgumentError("--eventstore_tls_cert needs --eventstore_tls_ca");
    }
    if (!Loopback(address) && !absl::GetFlag(FLAGS_insecure_plaintext)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--eventstore ", address,
          " is not a loopback address: reach it over TLS (--eventstore_tls_ca), or say "
          "--insecure_plaintext to send the service token in the clear anyway"));
    }
    return grpc::InsecureChannelCredentials();
  }
  grpc::SslCredentialsOptions options;
  ASSIGN_OR_RETURN(options.pem_root_certs, ReadFlagFile(ca, "eventstore_tls_ca"));
  if (!cert.empty()) {
    ASSIGN_OR_RETURN(options.pem_cert_chain, ReadFlagFile(cert, "eventstore_tls_cert"));
    ASSIGN_OR_RETURN(options.pem_private_key, ReadFlagFile(key, "eventstore_tls_key"));
  }
  return grpc::SslCredentials(options);
}

// TLS (and mTLS) from the flags; plaintext only on loopback unless
// --insecure_plaintext says so.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(
    const std::string& listen) {
  const std::string cert = absl::GetFlag(FLAGS_tls_cert);
  const std::string key = absl::GetFlag(FLAGS_tls_key);
  if (cert.empty() != key.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key: give both, or neither");
  }
  if (cert.empty()) {
    if (!absl::GetFlag(FLAGS_tls_client_ca).empty()) {
      return absl::InvalidArgumentError("--tls_client_ca needs --tls_cert and --tls_key");
    }
    if (!Loopback(listen) && !absl::GetFlag(FLAGS_insecure_plaintext)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--listen ", listen,
          " is not a loopback address: serve it with TLS (--tls_cert, --tls_key), or say "
          "--insecure_plaintext to serve it in the clear anyway"));
    }
    return grpc::InsecureServerCredentials();
  }
  grpc::SslServerCredentialsOptions options;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  ASSIGN_OR_RETURN(pair.private_key, ReadFlagFile(key, "tls_key"));
  ASSIGN_OR_RETURN(pair.cert_chain, ReadFlagFile(cert, "tls_cert"));
  options.pem_key_cert_pairs.push_back(std::move(pair));
  if (const std::string ca = absl::GetFlag(FLAGS_tls_client_ca); !ca.empty()) {
    ASSIGN_OR_RETURN(options.pem_root_certs, ReadFlagFile(ca, "tls_client_ca"));
    options.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

int main(int argc, char** argv) {
  // Debian's abseil is built with absl::Mutex deadlock detection on: a
  // lock graph updated at every acquisition, a few percent of the CPU of a
  // busy server (docs/performance.md). The tests keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::SetProgramUsageMessage(
      "bidtraild: the bidtrail server.\n"
      "  bidtraild --services=all --listen=127.0.0.1:50051 --data_dir=var/data");
  // --help lists this program's flags: they are defined in its main.cc,
  // which absl's default (a file named after the program) does not match.
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view file) {
    return absl::StrContains(file, "/bidtraild/main.cc");
  };
  usage.contains_helpshort_flags = usage.contains_help_flags;
  absl::SetFlagsUsageConfig(usage);
  absl::ParseCommandLine(argc, argv);
  if (bidtrail::log::Level level;
      bidtrail::log::ParseLevel(absl::GetFlag(FLAGS_log_level), &level)) {
    bidtrail::log::SetMinLevel(level);
  } else {
    std::fprintf(stderr, "bidtraild: --log_level: \"%s\" is not one of debug, info, warn, error\n",
                 absl::GetFlag(FLAGS_log_level).c_str());
    return 2;
  }

  std::set<std::string> services;
  for (absl::string_view name :
       absl::StrSplit(absl::GetFlag(FLAGS_services), ',', absl::SkipWhitespace())) {
    if (name == "all") {
      services.insert(KnownServices().begin(), KnownServices().end());
    } else if (KnownServices().count(std::string(name)) > 0) {
      services.insert(std::string(name));
    } else {
      std::fprintf(stderr, "bidtraild: --services: unknown service \"%s\"; known: all, %s\n",
                   std::string(name).c_str(), absl::StrJoin(KnownServices(), ", ").c_str());
      return 2;
    }
  }
  if (services.empty()) {
    std::fprintf(stderr, "bidtraild: --services: name at least one service (or all)\n");
    return 2;
  }

  // Signals are taken by sigwait() below, never by a handler on a random thread.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<bidtrail::eventlog::RocksEventLog> log;
  // Who a call's credential proves: the access stream of the log, read by
  // every service; every call is checked (docs/security.md). A process that
  // reaches a remote event store sends $BIDTRAIL_SERVICE_TOKEN. Before the
  // services: it outlives them.
  std::unique_ptr<bidtrail::auth::Authenticator> authenticator;
  std::unique_ptr<bidtrail::eventstore::EventStoreGrpcService> eventstore;
  std::unique_ptr<bidtrail::eventstore::AccessGrpcService> access;
  // The customer notebook, with the log: its keys live in the event store's
  // data folder and are backed up with it (docs/notebook.md).
  std::unique_ptr<bidtrail::contacts::KeyStore> contact_keys;
  std::unique_ptr<bidtrail::contacts::ContactBook> contact_book;
  std::unique_ptr<bidtrail::contacts::ContactsGrpcService> contacts;
  // The transport first: a refusal (plaintext off loopback) before any file is opened.
  const std::string listen = absl::GetFlag(FLAGS_listen);
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      ServerCredentialsFor(listen);
  if (!credentials.ok()) {
    std::fprintf(stderr, "bidtraild: %s\n", std::string(credentials.status().message()).c_str());
    return 2;
  }
  const std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  if (!absl::GetFlag(FLAGS_recover_admin).empty() && services.count("eventstore") == 0) {
    std::fprintf(stderr,
                 "bidtraild: --recover_admin: needs the event store's data folder (--services "
                 "including eventstore, and --data_dir)\n");
    return 2;
  }
  if (services.count("eventstore") > 0) {
    bidtrail::eventlog::RocksEventLog::Options options;
    options.path = data_dir + "/eventlog";
    options.sync = absl::GetFlag(FLAGS_sync);
    absl::StatusOr<uint64_t> floor = ParseSize(absl::GetFlag(FLAGS_min_free_disk));
    if (!floor.ok()) {
      std::fprintf(stderr, "bidtraild: --min_free_disk: %s\n",
                   std::string(floor.status().message()).c_str());
      return 2;
    }
    options.min_free_bytes = *floor;
    options.accept_data_loss = absl::GetFlag(FLAGS_accept_data_loss);
    options.accepted_by = absl::StrCat("bidtraild --accept_data_loss (", ConsoleActor(), ")");
    if (const std::string where = absl::GetFlag(FLAGS_log); where != "rocksdb") {
      absl::StatusOr<std::shared_ptr<bidtrail::eventlog::NatsUpstream>> upstream =
          ConnectToNats(where);
      if (!upstream.ok()) {
        std::fprintf(stderr, "bidtraild: --log: %s\n",
                     std::string(upstream.status().message()).c_str());
        return absl::IsInvalidArgument(upstream.status()) ? 2 : 1;
      }
      if (const std::string from = absl::GetFlag(FLAGS_import_log); !from.empty()) {
        return ImportLog(from, **upstream);
      }
      options.upstream = *std::move(upstream);
    } else if (!absl::GetFlag(FLAGS_import_log).empty()) {
      std::fprintf(stderr,
                   "bidtraild: --import_log: copies into a JetStream log; add --log=nats://...\n");
      return 2;
    }
    std::error_code error;
    std::filesystem::create_directories(data_dir, error);
    if (error) return Fail(absl::StrCat("--data_dir ", data_dir, ": ", error.message()));
    auto opened = bidtrail::eventlog::RocksEventLog::Open(options);
    // On JetStream the replica catches up at open: a cluster still settling
    // (a node just back, a leader being elected) is waited for.
    const absl::Time give_up = absl::Now() + absl::GetFlag(FLAGS_nats_connect_wait);
    while (options.upstream != nullptr && !opened.ok() && absl::Now() < give_up &&
           (absl::IsUnavailable(opened.status()) || absl::IsDeadlineExceeded(opened.status()))) {
      bidtrail::log::Warn("bidtraild", "waiting for the NATS cluster to catch the replica up",
                          {{"error", opened.status()}});
      absl::SleepFor(absl::Seconds(1));
      opened = bidtrail::eventlog::RocksEventLog::Open(options);
    }
    if (!opened.ok()) return Fail(opened.status().ToString());
    log = std::move(opened).value();
    // Break glass: whoever holds the data folder holds the log anyway.
    if (const std::string name = absl::GetFlag(FLAGS_recover_admin); !name.empty()) {
      bidtrail::auth::Authenticator recovering(log.get());
      absl::StatusOr<std::string> token = recovering.Recover(name, ConsoleActor());
      if (!token.ok()) return Fail(token.status().ToString());
      std::printf(
          "%s is an admin of %s again. Its new token, shown this once:\n  %s\n"
          "Save it with `bidtrail auth login`; revoke lost tokens with `bidtrail auth revoke`.\n",
          name.c_str(), data_dir.c_str(), token->c_str());
      return 0;
    }
    bidtrail::eventstore::EventStoreGrpcService::Options service_options;
    service_options.backup_dir = absl::GetFlag(FLAGS_backup_dir).empty()
                                     ? data_dir + "/backups"
                                     : absl::GetFlag(FLAGS_backup_dir);
    authenticator = std::make_unique<bidtrail::auth::Authenticator>(log.get());
    service_options.authenticator = authenticator.get();
    auto keys = bidtrail::contacts::KeyStore::Open(data_dir + "/keys");
    if (!keys.ok()) return Fail(keys.status().ToString());
    contact_keys = std::move(keys).value();
    contact_book = std::make_unique<bidtrail::contacts::ContactBook>(log.get(), contact_keys.get());
    contacts = std::make_unique<bidtrail::contacts::ContactsGrpcService>(contact_book.get(), 8,
                                                                         authenticator.get());
    // A backup holds the keys beside the log: NAME and NAME.keys.
    service_options.after_backup = [keys = contact_keys.get()](const std::string& path) {
      return keys->CopyTo(path + ".keys");
    };
    eventstore =
        std::make_unique<bidtrail::eventstore::EventStoreGrpcService>(log.get(), service_options);
  }

  // Other services reach the event store through its interface: in process
  // when this process hosts it, over gRPC otherwise.
  std::unique_ptr<bidtrail::eventstore::GrpcEventStore> remote_store;
  bidtrail::eventlog::EventStore* store = log.get();
  const bool needs_store = services.count("tenders") > 0 || services.count("projections") > 0;
  if (needs_store && store == nullptr) {
    const std::string address = absl::GetFlag(FLAGS_eventstore);
    if (address.empty()) {
      std::fprintf(stderr,
                   "bidtraild: --eventstore: required when --services does not include "
                   "eventstore (the address of the bidtraild that hosts it)\n");
      return 2;
    }
    bidtrail::eventstore::GrpcEventStore::Options remote_options;
    // A service's token for an event store that checks them.
    const char* token = std::getenv("BIDTRAIL_SERVICE_TOKEN");
    if (token == nullptr || token[0] == '\0') {
      std::fprintf(stderr,
                   "bidtraild: BIDTRAIL_SERVICE_TOKEN: required to reach the event store at %s; "
                   "an admin makes one: bidtrail auth grant NAME service; bidtrail auth token "
                   "NAME (docs/security.md)\n",
                   address.c_str());
      return 2;
    }
    remote_options.token = token;
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> channel_credentials =
        EventStoreCredentialsFor(address);
    if (!channel_credentials.ok()) {
      std::fprintf(stderr, "bidtraild: %s\n",
                   std::string(channel_credentials.status().message()).c_str());
      return 2;
    }
    remote_store = std::make_unique<bidtrail::eventstore::GrpcEventStore>(
        bidtrail::eventstore::GrpcEventStore::Connect(address, *channel_credentials),
        remote_options);
    store = remote_store.get();
  }
  if (authenticator == nullptr && store != nullptr) {
    authenticator = std::make_unique<bidtrail::auth::Authenticator>(store);
  }
  // Every process answers `bidtrail auth` (whoami, and grants by an admin,
  // appended through the event store), whichever address a user talks to.
  access = std::make_unique<bidtrail::eventstore::AccessGrpcService>(authenticator.get());
  // One principal cannot take every worker or stream. Services carry many
  // users' calls: not limited.
  if (absl::GetFlag(FLAGS_max_calls_per_principal) < 0 ||
      absl::GetFlag(FLAGS_max_streams_per_principal) < 0) {
    std::fprintf(stderr,
                 "bidtraild: --max_calls_per_principal, --max_streams_per_principal: 0 (no "
                 "limit) or more\n");
    return 2;
  }
  bidtrail::rpc::CallLimits::Options limit_options;
  limit_options.max_calls = absl::GetFlag(FLAGS_max_calls_per_principal);
  limit_options.max_streams = absl::GetFlag(FLAGS_max_streams_per_principal);
  // Never freed: a stream's thread may give its slot back after main returns.
  auto* limits = new bidtrail::rpc::CallLimits(
      limit_options, [checking = authenticator.get()](const std::string& credential) {
        bidtrail::rpc::CallLimits::Identity identity;
        absl::StatusOr<bidtrail::auth::Authenticator::Verified> verified =
            checking->Resolve(credential);
        if (verified.ok()) {
          identity.principal = verified->principal;
          identity.exempt = verified->access->Has(verified->principal, bidtrail::v1::ROLE_SERVICE);
        }
        return identity;
      });
  bidtrail::rpc::CallLimits::Install(limits);
  bidtrail::auth::Authenticator* const checking = authenticator.get();
  std::unique_ptr<bidtrail::projection::ProjectionEngine> engine;
  std::unique_ptr<bidtrail::projections::QueriesGrpcService> queries;
  if (services.count("projections") > 0) {
    bidtrail::analytics::RateTable rates;
    if (const std::string path = absl::GetFlag(FLAGS_rates); !path.empty()) {
      absl::StatusOr<std::string> text = ReadFlagFile(path, "rates");
      if (!text.ok()) return Fail(std::string(text.status().message()));
      auto parsed = bidtrail::analytics::ParseRateTable(*text);
      if (!parsed.ok()) {
        return Fail(absl::StrCat("--rates ", path, ": ", parsed.status().message()));
      }
      rates = *std::move(parsed);
      bidtrail::log::Info(
          "bidtraild", "exchange rates",
          {{"file", path}, {"base", rates.base}, {"currencies", rates.in_base.size()}});
    }
    bidtrail::storage::RocksKvStore::Options store_options;
    store_options.path = data_dir + "/projections";
    auto models = bidtrail::storage::RocksKvStore::Open(store_options);
    if (!models.ok()) return Fail(models.status().ToString());
    bidtrail::projection::ProjectionEngine::Options options;
    options.own_party_id = absl::GetFlag(FLAGS_own_party_id);
    auto opened =
        bidtrail::projection::ProjectionEngine::Open(store, std::move(models).value(), options);
    if (!opened.ok()) return Fail(opened.status().ToString());
    engine = std::move(opened).value();
    bidtrail::projections::QueriesGrpcService::Options query_options;
    query_options.own_party_id = options.own_party_id;
    query_options.rates = std::move(rates);
    query_options.authenticator = checking;
    queries = std::make_unique<bidtrail::projections::QueriesGrpcService>(engine.get(), store,
                                                                          query_options);
  }
  std::unique_ptr<bidtrail::tenders::TenderCommands> tender_commands;
  std::unique_ptr<bidtrail::tenders::TendersGrpcService> tenders;
  // Without the event store here, a keyless fold of the notebook checks the
  // contacts activities name.
  std::unique_ptr<bidtrail::contacts::ContactBook> contact_follower;
  if (services.count("tenders") > 0) {
    bidtrail::tenders::TenderCommands::Options options;
    options.domain.own_party_id = absl::GetFlag(FLAGS_own_party_id);
    options.domain.late_window = absl::GetFlag(FLAGS_late_window);
    bidtrail::contacts::ContactBook* notebook = contact_book.get();
    if (notebook == nullptr) {
      contact_follower = std::make_unique<bidtrail::contacts::ContactBook>(store, nullptr);
      notebook = contact_follower.get();
    }
    options.resolve_contact = [notebook](const bidtrail::tender::TenderState& state,
                                         bidtrail::v1::ActivityLogged* activity) {
      return notebook->ResolveActivity(state, activity);
    };
    tender_commands = std::make_unique<bidtrail::tenders::TenderCommands>(store, options);
    tenders = std::make_unique<bidtrail::tenders::TendersGrpcService>(tender_commands.get(), 32,
                                                                      checking);
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, *credentials, &port);
  builder.SetMaxReceiveMessageSize(bidtrail::rpc::kMaxMessageBytes);
  builder.SetMaxSendMessageSize(bidtrail::rpc::kMaxMessageBytes);
  {
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        interceptors;
    bidtrail::rpc::CallLogOptions call_log;
    call_log.slow_call = absl::GetFlag(FLAGS_slow_call);
    if (eventstore) call_log.hosted_services.insert("bidtrail.v1.EventStoreService");
    if (tenders) call_log.hosted_services.insert("bidtrail.v1.TendersService");
    if (queries) call_log.hosted_services.insert("bidtrail.v1.QueriesService");
    if (contacts) call_log.hosted_services.insert("bidtrail.v1.ContactsService");
    call_log.hosted_services.insert("bidtrail.v1.AccessService");
    interceptors.push_back(bidtrail::rpc::NewCallLogFactory(call_log));
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
  }
  if (eventstore) builder.RegisterService(eventstore.get());
  if (tenders) builder.RegisterService(tenders.get());
  if (access) builder.RegisterService(access.get());
  if (queries) builder.RegisterService(queries.get());
  if (contacts) builder.RegisterService(contacts.get());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return Fail(absl::StrCat("cannot listen on ", listen,
                             " (is another bidtraild running? pick another with --listen)"));
  }
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  if (eventstore) health->SetServingStatus("bidtrail.v1.EventStoreService", true);
  if (tenders) health->SetServingStatus("bidtrail.v1.TendersService", true);
  if (queries) health->SetServingStatus("bidtrail.v1.QueriesService", true);
  if (contacts) health->SetServingStatus("bidtrail.v1.ContactsService", true);
  health->SetServingStatus("bidtrail.v1.AccessService", true);
  if (engine) engine->Start();
  if (contact_book) contact_book->Start();
  // The projections' state, read when /metrics is scraped.
  std::unique_ptr<bidtrail::metrics::ScrapeHook> projection_metrics;
  if (engine) {
    projection_metrics = bidtrail::metrics::OnScrape([projections = engine.get()] {
      static prometheus::Gauge& checkpoint =
          bidtrail::metrics::Gauges("bidtrail_projection_checkpoint",
                                    "The last log position the read models hold")
              .Add({});
      static prometheus::Gauge& lag =
          bidtrail::metrics::Gauges("bidtrail_projection_lag_events",
                                    "Events in the log the read models do not hold yet")
              .Add({});
      static prometheus::Gauge& rebuilding =
          bidtrail::metrics::Gauges("bidtrail_projection_rebuilding",
                                    "1 while the read models are being rebuilt")
              .Add({});
      static prometheus::Gauge& rebuild_position =
          bidtrail::metrics::Gauges("bidtrail_projection_rebuild_position",
                                    "How far a rebuild has folded the log")
              .Add({});
      static prometheus::Gauge& failures =
          bidtrail::metrics::Gauges("bidtrail_projection_failures_in_a_row",
                                    "Failures of the projection runner since it last folded")
              .Add({});
      const bidtrail::projection::ProjectionStatus status = projections->Status();
      checkpoint.Set(static_cast<double>(status.checkpoint));
      lag.Set(static_cast<double>(
          status.head_position > status.checkpoint ? status.head_position - status.checkpoint : 0));
      rebuilding.Set(status.rebuilding ? 1 : 0);
      rebuild_position.Set(static_cast<double>(status.rebuild_position));
      failures.Set(status.last_error ? static_cast<double>(status.last_error->failures_in_a_row)
                                     : 0);
    });
  }

  // The HTTP face answers through this process's queries service.
  std::unique_ptr<bidtrail::web::HttpFace> http;
  if (const std::string http_listen = absl::GetFlag(FLAGS_http); !http_listen.empty()) {
    bidtrail::web::HttpFace::Options http_options;
    http_options.listen = http_listen;
    http_options.tls_cert_file = absl::GetFlag(FLAGS_tls_cert);
    http_options.tls_key_file = absl::GetFlag(FLAGS_tls_key);
    if (http_options.tls_cert_file.empty() && !Loopback(http_listen) &&
        !absl::GetFlag(FLAGS_insecure_plaintext)) {
      return Fail(absl::StrCat("--http=", http_listen,
                               " is not a loopback address and there is no --tls_cert: tokens "
                               "would travel in the clear; give --tls_cert and --tls_key, or "
                               "--insecure_plaintext to serve it in the clear anyway"));
    }
    grpc::ChannelArguments channel_args;
    absl::StatusOr<std::unique_ptr<bidtrail::web::HttpFace>> started =
        bidtrail::web::HttpFace::Start(http_options,
                                       queries ? server->InProcessChannel(channel_args) : nullptr);
    if (!started.ok()) return Fail(std::string(started.status().message()));
    http = std::move(started).value();
    bidtrail::log::Info("http", "listening", {{"url", http->url()}});
  }

  const std::string host = listen.substr(0, listen.rfind(':'));
  if (const std::string port_file = absl::GetFlag(FLAGS_port_file); !port_file.empty()) {
    std::ofstream(port_file) << port << "\n";
  }
  std::string storage = log != nullptr
                            ? absl::StrCat("data in ", data_dir, " (sync ",
                                           absl::GetFlag(FLAGS_sync) ? "on" : "off", ")")
                            : absl::StrCat("event store at ", absl::GetFlag(FLAGS_eventstore));
  if (log != nullptr && absl::GetFlag(FLAGS_log) != "rocksdb") {
    storage = absl::StrCat("log on ", absl::GetFlag(FLAGS_log), " stream ",
                           absl::GetFlag(FLAGS_nats_stream), ", replica in ", data_dir);
  }
  bidtrail::log::Info("bidtraild", "serving",
                      {{"services", absl::StrJoin(services, ",")},
                       {"address", absl::StrCat(host, ":", port)},
                       {"storage", storage},
                       {"pid", static_cast<int>(getpid())}});

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  bidtrail::log::Info("bidtraild", "shutting down", {{"signal", strsignal(signal_number)}});

  http.reset();
  health->Shutdown();
  if (eventstore) eventstore->BeginShutdown();
  server->Shutdown(absl::ToChronoTime(absl::Now() + absl::GetFlag(FLAGS_shutdown_grace)));
  if (eventstore) eventstore->WaitForStreams();
  server->Wait();
  tenders.reset();
  tender_commands.reset();
  contact_follower.reset();
  contacts.reset();
  contact_book.reset();
  contact_keys.reset();
  queries.reset();
  projection_metrics.reset();
  if (engine) engine->Stop();
  engine.reset();
  remote_store.reset();
  eventstore.reset();
  log.reset();
  bidtrail::log::Info("bidtraild", "stopped");
  return 0;
}
