// The OCDS importer: reads OCDS files and folders (.json and .json.gz),
// groups the releases by ocid, maps each contracting process onto tender
// events (bidtrail/ocds/mapping.h) and appends them to the event store, one
// stream per tender ("tender-<TenderIdOf(ocid)>").
//
// Importing is idempotent: event ids derive from (ocid, release id, element),
// events already in a stream are recognised and not appended again, so a
// second import of the same files appends nothing. A release that was
// imported before and now comes with other content is reported and not
// imported again. Nothing in the input stops the import: what cannot be
// represented is counted in the summary, by reason.
//
// ImportPaths may be called from several threads at once (with different or
// the same stores); each call uses its own threads internally.
#ifndef BIDTRAIL_OCDS_IMPORTER_H_
#define BIDTRAIL_OCDS_IMPORTER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bidtrail/eventlog/event_store.h"

namespace bidtrail::ocds {

struct ImportOptions {
  // Stored as the actor of every event.
  std::string actor = "ocds-import";
  // Most events in one append (the log accepts up to 10000); a tender with
  // more is appended in several.
  size_t max_events_per_append = 1000;
  // Tenders appended concurrently. Each thread waits for its append to be
  // durable (a group commit's fsync on RocksDB; on JetStream an R3
  // acknowledgement, several milliseconds), and the log commits concurrent
  // appends together: the more appends in flight, the faster a large import
  // (docs/ocds-import.md, "Speed": 16 threads imported 1.6-1.9 times as
  // many tenders a second as 4 on RocksDB, 1.1-1.9 times on JetStream).
  int append_threads = 16;
  // Retries of a tender whose stream changed between reading and appending
  // (someone else appended to it).
  int max_append_attempts = 10;
  // Map and report, append nothing.
  bool dry_run = false;
};

// Where a running import is. Delivered from one thread at a time.
struct Progress {
  enum class Phase { kReading, kAppending, kDone };
  Phase phase = Phase::kReading;
  uint64_t files_done = 0;
  uint64_t files_total = 0;
  uint64_t releases_read = 0;
  // Contracting processes (ocids) mapped and appended, of all found.
  uint64_t processes_done = 0;
  uint64_t processes_total = 0;
  uint64_t events_appended = 0;
};

struct ImportSummary {
  uint64_t files = 0;
  // Files that could not be read or parsed, by reason ("invalid_json",
  // "unrecognized_document", "unreadable", "invalid_gzip").
  std::map<std::string, uint64_t> files_skipped;
  // Release objects with content found in the files. Each one is mapped or
  // skipped: releases == releases_mapped + sum(releases_skipped).
  uint64_t releases = 0;
  uint64_t releases_mapped = 0;
  std::map<std::string, uint64_t> releases_skipped;
  uint64_t records = 0;
  uint64_t linked_releases = 0;
  uint64_t compiled_releases_unused = 0;
  // Distinct contracting processes (ocids) among the releases.
  uint64_t processes = 0;
  // Processes that became tenders (one stream each); the others had only
  // planning or contract releases.
  uint64_t tenders = 0;
  // BidSubmitted and AwardAnnounced events mapped from the input (appended
  // now or already in the log).
  uint64_t bids = 0;
  uint64_t awards = 0;
  uint64_t events_mapped = 0;
  uint64_t events_appended = 0;
  uint64_t events_already_recorded = 0;
  // Mapped events by type name without the package ("BidSubmitted").
  std::map<std::string, uint64_t> events_by_type;
  // Parts of releases not imported, and events not appended, by reason.
  std::map<std::string, uint64_t> skipped;
  // Parts imported with an interpretation, by reason.
  std::map<std::string, uint64_t> notes;
  // What a person should look at, one line each: releases with one id and
  // different content, files that could not be read, events the log refused.
  // At most kMaxProblems lines; problems_total counts them all.
  std::vector<std::string> problems;
  uint64_t problems_total = 0;
  absl::Duration elapsed;

  static constexpr size_t kMaxProblems = 100;

  // Files skipped, whatever the reason: all of `files` when none could be
  // read as OCDS.
  uint64_t FilesSkipped() const;
  // One JSON object, on one line.
  std::string ToJson() const;
  // Aligned lines for a terminal.
  std::string ToText() const;
};

// Imports every .json and .json.gz file under `paths` (files, or folders
// searched recursively in name order, not following links to folders) into
// `store`; a file named in `paths` is read whatever its extension.
// `progress`, when set, is called as files are read and processes appended.
//
// Returns the summary, also when parts of the input were skipped: unreadable
// files and releases that cannot be represented are counted, not errors.
// Errors: NOT_FOUND for a path that does not exist; INVALID_ARGUMENT for no
// paths or invalid options; ABORTED when a stream kept changing under the
// import (max_append_attempts); the store's UNAVAILABLE or INTERNAL when
// appending fails. What was appended before an error stays, and importing
// again continues from there.
absl::StatusOr<ImportSummary> ImportPaths(const std::vector<std::string>& paths,
                                          eventlog::EventStore* store, const ImportOptions& options,
                                          const std::function<void(const Progress&)>& progress);

// The contents of one file; .gz files are decompressed. NOT_FOUND when it
// does not exist, UNAVAILABLE when it cannot be read, INVALID_ARGUMENT for
// corrupt gzip data.
absl::StatusOr<std::string> ReadInputFile(const std::string& path);

}  // namespace bidtrail::ocds

#endif  // BIDTRAIL_OCDS_IMPORTER_H_
