#include "ocds_bench.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench_util.h"
#include "bidtrail/common/status_macros.h"
#include "bidtrail/eventlog/nats_upstream.h"
#include "bidtrail/eventstore/grpc_client.h"
#include "bidtrail/ocds/importer.h"
#include "bidtrail/ocds/mapping.h"
#include "bidtrail/ocds/release.h"
#include "hosted_store.h"
#include "raw_jetstream.h"

namespace bidtrail::bench {
namespace {

constexpr uint64_t kDefaultReleases = 60000;
constexpr int kReleasesPerPackage = 100;
constexpr int kRounds = 3;
constexpr double kTargetReleasesPerSecond = 20000;
constexpr int64_t kHour = 3600;
constexpr int64_t kDay = 24 * kHour;

constexpr char kUsage[] =
    "usage: bidtrail-bench ocds [--releases N] [--import N] [--log nats://...] [--dir PATH]\n"
    "                          [--json]\n"
    "\n"
    "Generates N OCDS releases in memory (default 60000) and measures how fast\n"
    "they are parsed and mapped onto tender events: release packages of 100\n"
    "releases, three releases per contracting process (tender, amendment, bids\n"
    "and awards) in shuffled order, with parties, items, documents, lots, bids\n"
    "and awards as publishers write them. One thread; 3 rounds, the fastest kept.\n"
    "\n"
    "Then imports the first releases (--import, default 6000), written as files,\n"
    "as `bidtrail import ocds` does: through gRPC into an EventStore service on\n"
    "loopback over a fresh synced RocksDB log, with 1, 4 and 16 append threads\n"
    "(--threads), each into a log of its own; with --log, the same again on a\n"
    "JetStream log (R3 streams of the run's own, deleted at the end).\n"
    "\n"
    "  --releases N  releases to generate\n"
    "  --import N    releases to import (0: no import rows)\n"
    "  --log URLS    also import into a JetStream log on these NATS servers\n"
    "  --dir PATH    folder for the scratch files and logs (default /tmp)\n"
    "  --json        print one JSON object on one line instead of a table\n"
    "  --help        print this text\n";

// Append threads of the import rows: one, the import's default before and
// after it changed (4, 16).
constexpr int kImportThreads[] = {1, 4, 16};

struct Config {
  uint64_t releases = kDefaultReleases;
  uint64_t import_releases = 6000;
  std::vector<std::string> nats;
  std::string parent_dir = "/tmp";
  bool json = false;
};

void Progress(const std::string& what) {
  static const bool interactive = isatty(STDERR_FILENO) == 1;
  if (interactive) std::fprintf(stderr, "bidtrail-bench ocds: %s\n", what.c_str());
}

std::string Time(int64_t unix_seconds) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%S+02:00",
                          absl::FromUnixSeconds(unix_seconds) + absl::Hours(2),
                          absl::UTCTimeZone());
}

std::string Organization(uint64_t n, const char* role) {
  return absl::StrFormat(
      R"({"id": "UA-EDR-%08d", "name": "Company %d LLC", "identifier": {"scheme": "UA-EDR", "id": "%08d", "legalName": "Limited liability company Company %d"}, "address": {"streetAddress": "%d Khreshchatyk street", "locality": "Kyiv", "region": "Kyiv", "postalCode": "0%04d", "countryName": "Ukraine"}, "contactPoint": {"name": "Contact %d", "email": "tenders%d@example.ua", "telephone": "+38044%07d"}, "roles": ["%s"]})",
      n, n, n, n, n % 200 + 1, n % 10000, n, n, n % 10000000, role);
}

std::string Reference(uint64_t n) {
  return absl::StrFormat(R"({"id": "UA-EDR-%08d", "name": "Company %d LLC"})", n, n);
}

std::string Documents(uint64_t process, int count, int64_t published) {
  std::string out = "[";
  for (int d = 0; d < count; ++d) {
    if (d > 0) out += ", ";
    absl::StrAppendFormat(
        &out,
        R"({"id": "doc-%d-%d", "documentType": "biddingDocuments", "title": "Tender documentation part %d.pdf", "url": "https://public.example.org/documents/%016x%d", "datePublished": "%s", "format": "application/pdf", "language": "uk"})",
        process, d, d + 1, process * 2654435761u, d, Time(published + d * kHour));
  }
  return out + "]";
}

std::string Items(uint64_t process, int lots) {
  std::string out = "[";
  for (int i = 0; i < 3; ++i) {
    if (i > 0) out += ", ";
    absl::StrAppendFormat(
        &out,
        R"({"id": "item-%d-%d", "description": "Power transformer spare parts, set %d", "classification": {"scheme": "CPV", "id": "31170000-8", "description": "Transformers"}, "quantity": %d, "unit": {"name": "piece", "value": {"amount": %d.50, "currency": "UAH"}}, "relatedLot": "lot-%d"})",
        process, i, i + 1, 5 + i, 1000 + i * 37, (i % lots) + 1);
  }
  return out + "]";
}

std::string Lots(int lots, const char* status) {
  std::string out = "[";
  for (int l = 1; l <= lots; ++l) {
    if (l > 1) out += ", ";
    absl::StrAppendFormat(
        &out,
        R"({"id": "lot-%d", "title": "Lot %d: transformer parts", "status": "%s", "value": {"amount": %d000.00, "currency": "UAH", "valueAddedTaxIncluded": true}})",
        l, l, status, 100 + l * 25);
  }
  return out + "]";
}

// The three releases of one contracting process.
std::vector<std::string> Process(uint64_t process, std::mt19937_64& rng) {
  const std::string ocid = absl::StrFormat("ocds-bench-UA-2024-%08d", process);
  const int lots = 1 + static_cast<int>(rng() % 3);
  const int bidders = 2 + static_cast<int>(rng() % 5);
  const int64_t start = 1704067200 + static_cast<int64_t>(process % 20000) * 1800;
  const uint64_t buyer = 10000000 + process % 5000;
  const std::string tender_common = absl::StrFormat(
      R"("id": "%s-tender", "title": "Supply of transformer spare parts No. %d", "description": "Supply of spare parts for power transformers of the regional distribution network, with delivery, unloading and warranty service for 24 months.", "procurementMethod": "open", "procurementMethodDetails": "aboveThresholdUA", "mainProcurementCategory": "goods", "value": {"amount": %d000.00, "currency": "UAH", "valueAddedTaxIncluded": true}, "procuringEntity": %s, "items": %s)",
      ocid, process, 100 + lots * 50, Reference(buyer), Items(process, lots));

  std::vector<std::string> releases;
  releases.push_back(absl::StrFormat(
      R"({"ocid": "%s", "id": "%s-01", "date": "%s", "tag": ["tender"], "initiationType": "tender", "language": "uk", "parties": [%s], "buyer": %s, "tender": {%s, "status": "active", "tenderPeriod": {"startDate": "%s", "endDate": "%s"}, "enquiryPeriod": {"startDate": "%s", "endDate": "%s"}, "awardPeriod": {"startDate": "%s"}, "lots": %s, "documents": %s}})",
      ocid, ocid, Time(start), Organization(buyer, "buyer"), Reference(buyer), tender_common,
      Time(start), Time(start + 14 * kDay), Time(start), Time(start + 10 * kDay),
      Time(start + 15 * kDay), Lots(lots, "active"), Documents(process, 3, start)));
  releases.push_back(absl::StrFormat(
      R"({"ocid": "%s", "id": "%s-02", "date": "%s", "tag": ["tenderAmendment"], "initiationType": "tender", "language": "uk", "buyer": %s, "tender": {%s, "status": "active", "tenderPeriod": {"startDate": "%s", "endDate": "%s"}, "amendments": [{"id": "am-%d", "date": "%s", "rationale": "Deadline extended after a clarification request"}], "lots": %s, "documents": %s}})",
      ocid, ocid, Time(start + 5 * kDay), Reference(buyer), tender_common, Time(start),
      Time(start + 17 * kDay), process, Time(start + 5 * kDay), Lots(lots, "active"),
      Documents(process, 4, start)));

  std::string parties = Organization(buyer, "buyer");
  std::string bids = "[";
  for (int b = 0; b < bidders; ++b) {
    const uint64_t bidder = 20000000 + (process * 7 + static_cast<uint64_t>(b) * 131) % 40000;
    absl::StrAppend(&parties, ", ", Organization(bidder, "tenderer"));
    if (b > 0) bids += ", ";
    absl::StrAppendFormat(
        &bids,
        R"({"id": "bid-%d-%d", "date": "%s", "status": "valid", "tenderers": [%s], "value": {"amount": %d.%02d, "currency": "UAH", "valueAddedTaxIncluded": true}, "relatedLots": ["lot-%d"]})",
        process, b, Time(start + 12 * kDay + b * 10 * 60), Reference(bidder),
        90000 + static_cast<int>(rng() % 40000), static_cast<int>(rng() % 100), b % lots + 1);
  }
  bids += "]";
  std::string awards = "[";
  for (int l = 1; l <= lots; ++l) {
    // The winner of each lot: its first bidder.
    int winner = -1;
    for (int b = 0; b < bidders; ++b) {
      if (b % lots + 1 == l) {
        winner = b;
        break;
      }
    }
    if (winner < 0) continue;
    const uint64_t bidder = 20000000 + (process * 7 + static_cast<uint64_t>(winner) * 131) % 40000;
    if (awards.size() > 1) awards += ", ";
    absl::StrAppendFormat(
        &awards,
        R"({"id": "award-%d-%d", "status": "active", "date": "%s", "relatedLots": ["lot-%d"], "suppliers": [%s], "value": {"amount": %d.00, "currency": "UAH", "valueAddedTaxIncluded": true}, "documents": %s})",
        process, l, Time(start + 20 * kDay + l * kHour), l, Reference(bidder), 95000 + l * 1000,
        Documents(process, 1, start + 20 * kDay));
  }
  awards += "]";
  releases.push_back(absl::StrFormat(
      R"({"ocid": "%s", "id": "%s-03", "date": "%s", "tag": ["award", "bid"], "initiationType": "tender", "language": "uk", "parties": [%s], "buyer": %s, "tender": {"id": "%s-tender", "status": "complete", "lots": %s}, "bids": {"details": %s}, "awards": %s})",
      ocid, ocid, Time(start + 21 * kDay), parties, Reference(buyer), ocid, Lots(lots, "complete"),
      bids, awards));
  return releases;
}

struct Workload {
  std::vector<std::string> packages;
  uint64_t releases = 0;
  uint64_t bytes = 0;
};

Workload MakeWorkload(uint64_t releases) {
  std::mt19937_64 rng(42);
  std::vector<std::string> all;
  all.reserve(releases + 2);
  for (uint64_t process = 0; all.size() < releases; ++process) {
    for (std::string& release : Process(process, rng)) all.push_back(std::move(release));
  }
  all.resize(releases);
  // Releases of a process arrive out of order and in different packages.
  for (size_t i = 0; i + 1 < all.size(); i += 2) {
    if (rng() % 3 == 0) std::swap(all[i], all[i + 1]);
  }
  Workload workload;
  workload.releases = all.size();
  for (size_t first = 0; first < all.size(); first += kReleasesPerPackage) {
    std::string package = absl::StrCat(
        R"({"uri": "https://public.example.org/ocds/package-)", first / kReleasesPerPackage,
        R"(.json", "publishedDate": "2024-06-01T00:00:00Z", "publisher": {"name": "bench"}, "version": "1.1", "releases": [)");
    for (size_t i = first; i < std::min(all.size(), first + kReleasesPerPackage); ++i) {
      if (i > first) package += ",\n";
      package += all[i];
    }
    package += "]}";
    workload.bytes += package.size();
    workload.packages.push_back(std::move(package));
  }
  return workload;
}

struct Round {
  double parse_seconds = 0;
  double map_seconds = 0;
  uint64_t releases = 0;
  uint64_t tenders = 0;
  uint64_t events = 0;

  double Seconds() const { return parse_seconds + map_seconds; }
};

absl::StatusOr<Round> RunRound(const Workload& workload) {
  using Clock = std::chrono::steady_clock;
  Round round;
  const Clock::time_point began = Clock::now();
  std::map<std::string, std::vector<ocds::Release>> by_ocid;
  for (size_t i = 0; i < workload.packages.size(); ++i) {
    absl::StatusOr<ocds::Document> document =
        ocds::ParseDocument(workload.packages[i], absl::StrCat("package-", i));
    if (!document.ok()) return document.status();
    round.releases += document->releases.size();
    for (ocds::Release& release : document->releases) {
      by_ocid[release.ocid].push_back(std::move(release));
    }
  }
  const Clock::time_point parsed = Clock::now();
  for (auto& [ocid, releases] : by_ocid) {
    const ocds::TenderMapping mapping = ocds::MapReleases(ocid, std::move(releases));
    round.events += mapping.events.size();
    ++round.tenders;
  }
  const Clock::time_point mapped = Clock::now();
  round.parse_seconds = std::chrono::duration<double>(parsed - began).count();
  round.map_seconds = std::chrono::duration<double>(mapped - parsed).count();
  return round;
}

// One import row: `threads` append threads into a fresh log.
struct ImportRow {
  std::string backend;  // "rocksdb" or "nats"
  int threads = 0;
  double seconds = 0;
  uint64_t tenders = 0;
  uint64_t events = 0;
  double cpu_seconds = 0;

  double TendersPerSecond() const {
    return seconds > 0 ? static_cast<double>(tenders) / seconds : 0;
  }
  double EventsPerSecond() const { return seconds > 0 ? static_cast<double>(events) / seconds : 0; }
  // The whole process's CPU (client and server) per event appended.
  double CpuMicrosPerEvent() const {
    return events > 0 ? cpu_seconds * 1e6 / static_cast<double>(events) : 0;
  }
};

// The first `releases` of the workload as package files under `dir`, as a
// publisher's download would be.
absl::StatusOr<std::vector<std::string>> WriteImportFiles(const Workload& workload,
                                                          uint64_t releases,
                                                          const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return absl::InternalError(absl::StrCat("creating ", dir, ": ", error.message()));
  std::vector<std::string> files;
  const size_t packages = std::min<size_t>(
      workload.packages.size(), (releases + kReleasesPerPackage - 1) / kReleasesPerPackage);
  for (size_t i = 0; i < packages; ++i) {
    const std::string file = absl::StrFormat("%s/package-%05d.json", dir, i);
    std::ofstream out(file, std::ios::binary);
    out << workload.packages[i];
    out.close();
    if (!out) return absl::InternalError(absl::StrCat("writing ", file));
    files.push_back(file);
  }
  return files;
}

// Imports `files` with `threads` append threads through gRPC into a fresh
// log at `path` (on `upstream` when given), as `bidtrail import ocds` does.
absl::StatusOr<ImportRow> ImportThroughGrpc(const std::vector<std::string>& files,
                                            const std::string& path, int threads,
                                            std::shared_ptr<eventlog::Upstream> upstream) {
  ASSIGN_OR_RETURN(std::unique_ptr<HostedEventStore> hosted,
                   HostedEventStore::Start(path, std::move(upstream)));
  auto client = std::make_unique<eventstore::GrpcEventStore>(
      eventstore::GrpcEventStore::Connect(hosted->address()),
      eventstore::GrpcEventStore::Options());
  RETURN_IF_ERROR(client->HeadPosition().status());
  ocds::ImportOptions options;
  options.append_threads = threads;
  ImportRow row;
  row.threads = threads;
  const double cpu_before = ProcessCpuSeconds();
  const auto began = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(const ocds::ImportSummary summary,
                   ocds::ImportPaths(files, client.get(), options, nullptr));
  row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  row.cpu_seconds = ProcessCpuSeconds() - cpu_before;
  row.tenders = summary.tenders;
  row.events = summary.events_appended;
  client.reset();
  hosted->Shutdown();
  return row;
}

absl::StatusOr<std::vector<ImportRow>> MeasureImports(const Workload& workload,
                                                      const Config& config) {
  std::vector<ImportRow> rows;
  if (config.import_releases == 0) return rows;
  ASSIGN_OR_RETURN(std::unique_ptr<ScratchDir> scratch, ScratchDir::Create(config.parent_dir));
  ASSIGN_OR_RETURN(const std::vector<std::string> files,
                   WriteImportFiles(workload, config.import_releases, scratch->Sub("ocds")));
  for (const int threads : kImportThreads) {
    Progress(absl::StrCat("import into a RocksDB log, ", threads, " append threads"));
    ASSIGN_OR_RETURN(ImportRow row,
                     ImportThroughGrpc(files, scratch->Sub(absl::StrCat("rocksdb-", threads)),
                                       threads, nullptr));
    row.backend = "rocksdb";
    rows.push_back(row);
  }
  for (const int threads : kImportThreads) {
    if (config.nats.empty()) break;
    Progress(absl::StrCat("import into a JetStream log, ", threads, " append threads"));
    const std::string what = absl::StrCat("IMPORT_", threads);
    absl::StatusOr<ImportRow> row;
    {
      ASSIGN_OR_RETURN(std::shared_ptr<eventlog::NatsUpstream> upstream,
                       BenchUpstream(config.nats, BenchStream(what)));
      row = ImportThroughGrpc(files, scratch->Sub(absl::StrCat("nats-", threads)), threads,
                              std::move(upstream));
    }
    RETURN_IF_ERROR(RawJetStream::Delete(config.nats, BenchStream(what)));
    if (!row.ok()) return row.status();
    row->backend = "nats";
    rows.push_back(*row);
  }
  return rows;
}

}  // namespace

int RunOcdsBench(int argc, char** argv) {
  Config config;
  BenchArgs args;
  int exit_code = 0;
  if (!ParseBenchArgs(argc, argv, "ocds", kUsage, {"releases", "import", "log", "dir"}, &args,
                      &exit_code)) {
    return exit_code;
  }
  config.json = args.json;
  if (!WholeNumberArg(args, "releases", true, "ocds", kUsage, &config.releases)) return 2;
  if (!WholeNumberArg(args, "import", false, "ocds", kUsage, &config.import_releases)) return 2;
  if (!FolderAndLogArgs(args, "ocds", kUsage, &config.parent_dir, &config.nats)) return 2;

  Progress(absl::StrCat("generating ", config.releases, " releases"));
  const Workload workload = MakeWorkload(config.releases);
  Round best;
  for (int r = 1; r <= kRounds; ++r) {
    Progress(absl::StrCat("parse and map, round ", r));
    absl::StatusOr<Round> round = RunRound(workload);
    if (!round.ok()) {
      std::fprintf(stderr, "bidtrail-bench ocds: %s\n", round.status().ToString().c_str());
      return 1;
    }
    if (round->releases != workload.releases) {
      std::fprintf(stderr, "bidtrail-bench ocds: parsed %llu releases of %llu\n",
                   static_cast<unsigned long long>(round->releases),
                   static_cast<unsigned long long>(workload.releases));
      return 1;
    }
    if (r == 1 || round->Seconds() < best.Seconds()) best = *round;
  }

  const absl::StatusOr<std::vector<ImportRow>> imports = MeasureImports(workload, config);
  if (!imports.ok()) {
    std::fprintf(stderr, "bidtrail-bench ocds: importing: %s\n",
                 imports.status().ToString().c_str());
    return 1;
  }

  const double releases = static_cast<double>(workload.releases);
  const double releases_per_s = releases / best.Seconds();
  const double parse_per_s = releases / best.parse_seconds;
  const double map_per_s = releases / best.map_seconds;
  const double mb_per_s = static_cast<double>(workload.bytes) / 1e6 / best.Seconds();
  const double bytes_per_release = static_cast<double>(workload.bytes) / releases;
  const bool met = releases_per_s >= kTargetReleasesPerSecond;

  if (config.json) {
    JsonLine json;
    json.Add("releases", workload.releases);
    json.Add("packages", static_cast<uint64_t>(workload.packages.size()));
    json.Add("bytes", workload.bytes);
    json.Add("bytes_per_release", bytes_per_release);
    json.Add("tenders", best.tenders);
    json.Add("events", best.events);
    json.Add("seconds", best.Seconds());
    json.Add("releases_per_s", releases_per_s);
    json.Add("mb_per_s", mb_per_s);
    json.Add("parse_releases_per_s", parse_per_s);
    json.Add("map_releases_per_s", map_per_s);
    json.Add("target_releases_per_s", kTargetReleasesPerSecond);
    json.Add("target_met", met);
    if (!imports->empty()) json.Add("import_releases", config.import_releases);
    for (const ImportRow& row : *imports) {
      const std::string key = absl::StrCat("import_", row.backend, "_threads_", row.threads);
      json.Add(key + "_tenders", row.tenders);
      json.Add(key + "_events", row.events);
      json.Add(key + "_seconds", row.seconds);
      json.Add(key + "_tenders_per_s", row.TendersPerSecond());
      json.Add(key + "_events_per_s", row.EventsPerSecond());
      json.Add(key + "_cpu_us_per_event", row.CpuMicrosPerEvent());
    }
    absl::PrintF("%s\n", json.ToString());
    return 0;
  }
  absl::PrintF(
      "bidtrail-bench ocds: %d releases (%.0f bytes each on average) of %d contracting\n"
      "processes in %d release packages, in memory; parse and map on one thread, the\n"
      "fastest of %d rounds\n\n",
      workload.releases, bytes_per_release, best.tenders, workload.packages.size(), kRounds);
  Table table({"measurement", "releases", "seconds", "releases/s", "MB/s", "target", "result"});
  table.AddRow(
      {"parse", absl::StrCat(workload.releases), absl::StrFormat("%.3f", best.parse_seconds),
       absl::StrFormat("%.0f", parse_per_s),
       absl::StrFormat("%.0f", static_cast<double>(workload.bytes) / 1e6 / best.parse_seconds), "",
       ""});
  table.AddRow({"map (events)", absl::StrCat(workload.releases),
                absl::StrFormat("%.3f", best.map_seconds), absl::StrFormat("%.0f", map_per_s), "",
                "", ""});
  table.AddRow({"parse + map", absl::StrCat(workload.releases),
                absl::StrFormat("%.3f", best.Seconds()), absl::StrFormat("%.0f", releases_per_s),
                absl::StrFormat("%.0f", mb_per_s),
                absl::StrFormat(">= %.0f", kTargetReleasesPerSecond), met ? "pass" : "MISS"});
  absl::PrintF("%s\n", table.ToString());
  absl::PrintF("events mapped: %d\nreleases_per_s: %.0f\n", best.events, releases_per_s);
  if (!imports->empty()) {
    absl::PrintF(
        "\nimport of the first %d releases, as `bidtrail import ocds` does: through gRPC on\n"
        "loopback into a fresh synced log, each thread appending one tender at a time\n\n",
        config.import_releases);
    Table import_table({"log", "append threads", "tenders", "events", "seconds", "tenders/s",
                        "events/s", "CPU us/event"});
    for (const ImportRow& row : *imports) {
      import_table.AddRow({row.backend == "nats" ? "JetStream R3" : "RocksDB",
                           absl::StrCat(row.threads), absl::StrCat(row.tenders),
                           absl::StrCat(row.events), absl::StrFormat("%.2f", row.seconds),
                           absl::StrFormat("%.0f", row.TendersPerSecond()),
                           absl::StrFormat("%.0f", row.EventsPerSecond()),
                           absl::StrFormat("%.1f", row.CpuMicrosPerEvent())});
    }
    absl::PrintF("%s\n", import_table.ToString());
  }
  return 0;
}

}  // namespace bidtrail::bench
