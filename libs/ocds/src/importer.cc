#include "bidtrail/ocds/importer.h"

#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bidtrail/common/status_macros.h"
#include "bidtrail/common/thread_pool.h"
#include "bidtrail/common/uuid.h"
#include "bidtrail/common/validate.h"
#include "bidtrail/ocds/mapping.h"
#include "bidtrail/ocds/release.h"
#include "bidtrail/tender/codec.h"
#include "bidtrail/tender/decide.h"
#include "bidtrail/tender/state.h"

namespace bidtrail::ocds {
namespace {

namespace fs = std::filesystem;

constexpr char kReleaseRefPrefix[] = "ocds-release:";
constexpr char kContentPrefix[] = "ocds-content:";
constexpr size_t kMaxMetadataBytes = 200;
constexpr absl::Duration kProgressInterval = absl::Milliseconds(100);

bool IsOcdsFileName(const std::string& name) {
  const std::string lower = absl::AsciiStrToLower(name);
  return absl::EndsWith(lower, ".json") || absl::EndsWith(lower, ".json.gz");
}

// The files under `paths`, in the order given, each folder's files sorted by
// path. NOT_FOUND for a path that does not exist.
absl::StatusOr<std::vector<std::string>> ListFiles(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code error;
    const fs::file_status status = fs::status(path, error);
    if (error || !fs::exists(status)) {
      return absl::NotFoundError(absl::StrCat(path, ": no such file or folder"));
    }
    if (!fs::is_directory(status)) {
      files.push_back(path);
      continue;
    }
    std::vector<std::string> found;
    // Symbolic links to folders are not followed: a link cycle would never end.
    fs::recursive_directory_iterator it(path, error);
    for (; !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
      std::error_code type_error;
      if (it->is_regular_file(type_error) && IsOcdsFileName(it->path().filename().string())) {
        found.push_back(it->path().string());
      }
    }
    if (error) {
      return absl::UnavailableError(absl::StrCat(path, ": cannot list: ", error.message()));
    }
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

absl::StatusOr<std::string> Gunzip(const std::string& compressed, const std::string& path) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 32) != Z_OK) {  // 15 + 32: gzip or zlib header
    return absl::InternalError("zlib: inflateInit2 failed");
  }
  std::string out;
  out.reserve(compressed.size() * 4);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  char buffer[1 << 16];
  int result = Z_OK;
  while (true) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof(buffer);
    result = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof(buffer) - stream.avail_out);
    if (result == Z_STREAM_END) {
      if (stream.avail_in == 0) break;
      inflateReset(&stream);  // another gzip member follows
      continue;
    }
    if (result != Z_OK) break;
  }
  const std::string message = stream.msg != nullptr ? stream.msg : "truncated data";
  inflateEnd(&stream);
  if (result != Z_STREAM_END) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": corrupt gzip data: ", message));
  }
  return out;
}

// The release reference stored as an event's correlation id: the release id
// when it fits, else a UUID of it.
std::string ReleaseRef(const std::string& release_id) {
  if (sizeof(kReleaseRefPrefix) - 1 + release_id.size() <= kMaxMetadataBytes &&
      IsPrintableAscii(release_id)) {
    return absl::StrCat(kReleaseRefPrefix, release_id);
  }
  return absl::StrCat(kReleaseRefPrefix, NameBasedUuid(release_id));
}

std::string ShortType(const std::string& type) {
  const size_t dot = type.rfind('.');
  return dot == std::string::npos ? type : type.substr(dot + 1);
}

// What importing one tender did.
struct TenderOutcome {
  uint64_t appended = 0;
  uint64_t already_recorded = 0;
  uint64_t releases_changed = 0;
  std::map<std::string, uint64_t> skipped;
  std::vector<std::string> problems;
};

// The stream as stored: its events by id, and the content each release had
// when its events were appended.
struct StoredStream {
  bool exists = false;
  uint64_t last_revision = 0;
  absl::flat_hash_map<std::string, std::pair<std::string, std::string>> events;  // id -> type, data
  std::map<std::string, std::string> content_of_release;                         // ref -> content
  tender::TenderState state;
};

absl::StatusOr<StoredStream> ReadStored(eventlog::EventStore* store, const std::string& stream_id) {
  StoredStream stored;
  eventlog::ReadStreamRequest request;
  request.stream_id = stream_id;
  request.max_count = 1000;
  std::vector<v1::TenderEvent> decoded;
  while (true) {
    absl::StatusOr<eventlog::ReadStreamResult> page = store->ReadStream(request);
    if (page.status().code() == absl::StatusCode::kNotFound) break;
    RETURN_IF_ERROR(page.status());
    for (eventlog::RecordedEvent& event : page->events) {
      stored.exists = true;
      stored.last_revision = event.revision;
      if (absl::StartsWith(event.correlation_id, kReleaseRefPrefix) &&
          absl::StartsWith(event.causation_id, kContentPrefix)) {
        stored.content_of_release[event.correlation_id] = event.causation_id;
      }
      if (std::optional<v1::TenderEvent> tender_event =
              tender::DecodeEvent(event.type, event.data)) {
        decoded.push_back(std::move(*tender_event));
      }
      stored.events.emplace(std::move(event.event_id),
                            std::make_pair(std::move(event.type), std::move(event.data)));
    }
    if (page->end_of_stream || page->events.empty()) break;
    request.has_from_revision = true;
    request.from_revision = page->next_revision;
  }
  stored.state = tender::Fold(decoded);
  return stored;
}

// Whether `event` would change nothing in a tender that is already `state`:
// events of another import of the same process, or entered by hand.
bool Redundant(const v1::TenderEvent& event, const tender::TenderState& state) {
  switch (event.event_case()) {
    case v1::TenderEvent::kTenderDiscovered:
      return state.exists;
    case v1::TenderEvent::kBidSubmitted: {
      const tender::LotState* lot = state.FindLot(event.bid_submitted().lot_id());
      return lot != nullptr && lot->ValidBid(event.bid_submitted().bidder().id()) != nullptr;
    }
    case v1::TenderEvent::kBidWithdrawn:
    case v1::TenderEvent::kBidDisqualified: {
      const bool withdrawn = event.has_bid_withdrawn();
      const tender::LotState* lot = state.FindLot(withdrawn ? event.bid_withdrawn().lot_id()
                                                            : event.bid_disqualified().lot_id());
      return lot == nullptr ||
             lot->ValidBid(withdrawn ? event.bid_withdrawn().bidder_id()
                                     : event.bid_disqualified().bidder_id()) == nullptr;
    }
    case v1::TenderEvent::kAwardAnnounced:
      return state.LotOfAward(event.award_announced().award_id()) != nullptr;
    case v1::TenderEvent::kAwardCancelled: {
      const tender::LotState* lot = state.LotOfAward(event.award_cancelled().award_id());
      if (lot == nullptr) return true;
      return std::none_of(lot->awards.begin(), lot->awards.end(), [&](const auto& award) {
        return award.award.award_id() == event.award_cancelled().award_id() && !award.cancelled;
      });
    }
    case v1::TenderEvent::kTenderCancelled:
    case v1::TenderEvent::kTenderUnsuccessful:
      return state.status != v1::TENDER_STATUS_OPEN;
    default:
      return false;
  }
}

class Importer {
 public:
  Importer(eventlog::EventStore* store, const ImportOptions& options,
           const std::function<void(const Progress&)>& progress)
      : store_(store), options_(options), progress_(progress) {}

  absl::StatusOr<ImportSummary> Run(const std::vector<std::string>& paths) {
    const absl::Time start = absl::Now();
    ASSIGN_OR_RETURN(std::vector<std::string> files, ListFiles(paths));
    {
      absl::MutexLock lock(&mu_);
      progress_state_.files_total = files.size();
    }
    ReadFiles(files);

    // std::map: already in ocid order.
    std::vector<std::pair<std::string, std::vector<Release>>> processes;
    processes.reserve(by_ocid_.size());
    for (auto& [ocid, releases] : by_ocid_) processes.emplace_back(ocid, std::move(releases));
    by_ocid_.clear();
    {
      absl::MutexLock lock(&mu_);
      summary_.processes = processes.size();
      progress_state_.phase = Progress::Phase::kAppending;
      progress_state_.processes_total = processes.size();
      Report(/*force=*/true);
    }

    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    absl::Status first_error;
    auto work = [&] {
      while (!failed.load()) {
        const size_t index = next.fetch_add(1);
        if (index >= processes.size()) return;
        auto& [ocid, releases] = processes[index];
        TenderMapping mapping = MapReleases(ocid, std::move(releases));
        absl::StatusOr<TenderOutcome> outcome =
            options_.dry_run ? TenderOutcome() : AppendTender(mapping);
        absl::MutexLock lock(&mu_);
        if (!outcome.ok()) {
          if (!failed.exchange(true)) first_error = outcome.status();
          return;
        }
        Merge(mapping, *outcome);
      }
    };
    const int threads =
        static_cast<int>(std::min<size_t>(std::max(1, options_.append_threads), processes.size()));
    if (threads > 0) {
      ThreadPool pool(threads, "ocds-append");
      pool.RunParts(threads, [&](int) { work(); });
    }
    if (failed.load()) {
      absl::MutexLock lock(&mu_);
      return absl::Status(
          first_error.code(),
          absl::StrCat(first_error.message(), " (after appending ", summary_.events_appended,
                       " events; importing again continues from there)"));
    }
    absl::MutexLock lock(&mu_);
    // Threads finish in any order; sorted, the same input gives the same summary.
    std::sort(summary_.problems.begin(), summary_.problems.end());
    summary_.elapsed = absl::Now() - start;
    progress_state_.phase = Progress::Phase::kDone;
    Report(/*force=*/true);
    return summary_;
  }

 private:
  void AddProblem(std::string line) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    ++summary_.problems_total;
    if (summary_.problems.size() < ImportSummary::kMaxProblems) {
      summary_.problems.push_back(std::move(line));
    }
  }

  void ReadFiles(const std::vector<std::string>& files) {
    for (const std::string& file : files) {
      absl::StatusOr<std::string> contents = ReadInputFile(file);
      absl::StatusOr<Document> document =
          contents.ok() ? ParseDocument(*contents, file) : contents.status();
      absl::MutexLock lock(&mu_);
      ++summary_.files;
      if (!contents.ok()) {
        ++summary_.files_skipped[contents.status().code() == absl::StatusCode::kInvalidArgument
                                     ? "invalid_gzip"
                                     : "unreadable"];
        AddProblem(std::string(contents.status().message()));
      } else if (!document.ok()) {
        // Both are INVALID_ARGUMENT; ParseDocument's message tells them apart.
        const bool not_ocds =
            absl::StrContains(document.status().message(), "not an OCDS document");
        ++summary_.files_skipped[not_ocds ? "unrecognized_document" : "invalid_json"];
        AddProblem(std::string(document.status().message()));
      } else {
        summary_.records += document->records;
        summary_.linked_releases += document->linked_releases;
        summary_.compiled_releases_unused += document->compiled_releases_unused;
        for (const auto& [reason, count] : document->skipped_releases) {
          summary_.releases += count;
          summary_.releases_skipped[reason] += count;
        }
        summary_.releases += document->releases.size();
        for (Release& release : document->releases) {
          by_ocid_[release.ocid].push_back(std::move(release));
        }
      }
      ++progress_state_.files_done;
      progress_state_.releases_read = summary_.releases;
      Report(/*force=*/false);
    }
  }

  // Appends what the log does not have yet, retrying when someone else
  // appended to the stream meanwhile.
  absl::StatusOr<TenderOutcome> AppendTender(const TenderMapping& mapping) {
    const std::string stream_id = tender::StreamIdOf(mapping.tender_id);
    absl::Status last_conflict;
    // Events appended by an attempt that then met a concurrent writer: the
    // next attempt finds them already recorded, but this import wrote them.
    uint64_t appended_earlier = 0;
    for (int attempt = 0; attempt < options_.max_append_attempts; ++attempt) {
      ASSIGN_OR_RETURN(StoredStream stored, ReadStored(store_, stream_id));
      TenderOutcome outcome;
      std::vector<eventlog::ProposedEvent> proposed;
      std::set<std::string> changed_releases;
      for (const MappedEvent& mapped : mapping.events) {
        const std::string ref = ReleaseRef(mapped.release_id);
        const std::string content = absl::StrCat(kContentPrefix, mapped.release_fingerprint);
        if (auto it = stored.content_of_release.find(ref);
            it != stored.content_of_release.end() && it->second != content) {
          if (changed_releases.insert(mapped.release_id).second) {
            outcome.problems.push_back(
                absl::StrCat(mapping.ocid, ": release ", mapped.release_id,
                             " was imported before with other content; not imported again"));
          }
          continue;
        }
        const std::string type = tender::EventTypeName(mapped.event);
        std::string data = tender::EncodeEventData(mapped.event);
        if (auto it = stored.events.find(mapped.event_id); it != stored.events.end()) {
          if (it->second.first == type && it->second.second == data) {
            ++outcome.already_recorded;
          } else {
            ++outcome.skipped["event_conflict"];
            outcome.problems.push_back(absl::StrCat(
                mapping.ocid, ": event ", mapped.event_id, " from release ", mapped.release_id,
                " is in the log with other content; kept the logged one"));
          }
          continue;
        }
        if (Redundant(mapped.event, stored.state)) {
          ++outcome.skipped["already_in_log"];
          continue;
        }
        tender::Apply(mapped.event, &stored.state);
        eventlog::ProposedEvent& event = proposed.emplace_back();
        event.event_id = mapped.event_id;
        event.type = type;
        event.data = std::move(data);
        event.occurred_at = tender::OccurredAtOf(mapped.event);
        event.actor = options_.actor;
        event.correlation_id = ref;
        event.causation_id = content;
      }
      outcome.releases_changed = changed_releases.size();

      eventlog::ExpectedRevision expected =
          stored.exists ? eventlog::ExpectedRevision::Exact(stored.last_revision)
                        : eventlog::ExpectedRevision::NoStream();
      bool retry = false;
      for (size_t first = 0; first < proposed.size(); first += options_.max_events_per_append) {
        const size_t last = std::min(proposed.size(), first + options_.max_events_per_append);
        const std::vector<eventlog::ProposedEvent> chunk(proposed.begin() + first,
                                                         proposed.begin() + last);
        absl::StatusOr<eventlog::AppendResult> result = store_->Append(stream_id, expected, chunk);
        if (result.status().code() == absl::StatusCode::kAborted) {
          last_conflict = result.status();
          retry = true;
          break;
        }
        if (result.status().code() == absl::StatusCode::kInvalidArgument ||
            result.status().code() == absl::StatusCode::kAlreadyExists) {
          outcome.skipped["append_rejected"] += proposed.size() - first;
          outcome.problems.push_back(absl::StrCat(mapping.ocid, ": the log refused ",
                                                  proposed.size() - first,
                                                  " events: ", result.status().message()));
          break;
        }
        RETURN_IF_ERROR(result.status());
        if (result->already_recorded) {
          outcome.already_recorded += chunk.size();
        } else {
          outcome.appended += chunk.size();
        }
        expected = eventlog::ExpectedRevision::Exact(result->last_revision);
      }
      if (!retry) {
        outcome.appended += appended_earlier;
        outcome.already_recorded -= std::min(outcome.already_recorded, appended_earlier);
        return outcome;
      }
      appended_earlier += outcome.appended;
      thread_local std::mt19937 rng(std::random_device{}());
      absl::SleepFor(absl::Microseconds(std::uniform_int_distribution<int>(100, 5000)(rng)));
    }
    return absl::AbortedError(
        absl::StrCat("stream ", stream_id, " kept changing during the import (",
                     options_.max_append_attempts, " attempts): ", last_conflict.message()));
  }

  void Merge(const TenderMapping& mapping, const TenderOutcome& outcome)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    summary_.releases_mapped += mapping.releases_mapped - outcome.releases_changed;
    for (const auto& [reason, count] : mapping.releases_skipped) {
      summary_.releases_skipped[reason] += count;
    }
    if (outcome.releases_changed > 0) {
      summary_.releases_skipped["release_changed_since_import"] += outcome.releases_changed;
    }
    summary_.bids += mapping.bids;
    summary_.awards += mapping.awards;
    summary_.events_mapped += mapping.events.size();
    for (const MappedEvent& mapped : mapping.events) {
      ++summary_.events_by_type[ShortType(tender::EventTypeName(mapped.event))];
    }
    summary_.events_appended += outcome.appended;
    summary_.events_already_recorded += outcome.already_recorded;
    for (const auto& [reason, count] : mapping.skipped) summary_.skipped[reason] += count;
    for (const auto& [reason, count] : outcome.skipped) summary_.skipped[reason] += count;
    for (const auto& [reason, count] : mapping.notes) summary_.notes[reason] += count;
    for (const std::string& line : mapping.conflicts) AddProblem(line);
    for (const std::string& line : outcome.problems) AddProblem(line);
    if (!mapping.events.empty()) ++summary_.tenders;
    ++progress_state_.processes_done;
    progress_state_.events_appended = summary_.events_appended;
    Report(/*force=*/false);
  }

  void Report(bool force) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!progress_) return;
    const absl::Time now = absl::Now();
    if (!force && now - last_report_ < kProgressInterval) return;
    last_report_ = now;
    progress_(progress_state_);
  }

  eventlog::EventStore* const store_;
  const ImportOptions& options_;
  const std::function<void(const Progress&)>& progress_;

  // Used by the reading phase only, which runs on one thread.
  std::map<std::string, std::vector<Release>> by_ocid_;

  absl::Mutex mu_;
  ImportSummary summary_ ABSL_GUARDED_BY(mu_);
  Progress progress_state_ ABSL_GUARDED_BY(mu_);
  absl::Time last_report_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace

absl::StatusOr<std::string> ReadInputFile(const std::string& path) {
  std::error_code error;
  if (!fs::exists(path, error)) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::UnavailableError(absl::StrCat(path, ": cannot open"));
  std::string contents((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return absl::UnavailableError(absl::StrCat(path, ": read error"));
  if (absl::EndsWith(absl::AsciiStrToLower(path), ".gz")) return Gunzip(contents, path);
  return contents;
}

absl::StatusOr<ImportSummary> ImportPaths(const std::vector<std::string>& paths,
                                          eventlog::EventStore* store, const ImportOptions& options,
                                          const std::function<void(const Progress&)>& progress) {
  if (paths.empty()) return absl::InvalidArgumentError("paths: give at least one file or folder");
  if (store == nullptr && !options.dry_run) {
    return absl::InvalidArgumentError("store: required unless dry_run is set");
  }
  if (options.max_events_per_append < 1 || options.max_events_per_append > 10000) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_events_per_append: ", options.max_events_per_append, "; must be 1 to 10000"));
  }
  if (options.append_threads < 1 || options.append_threads > 256) {
    return absl::InvalidArgumentError(
        absl::StrCat("append_threads: ", options.append_threads, "; must be 1 to 256"));
  }
  if (options.max_append_attempts < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_append_attempts: ", options.max_append_attempts, "; must be at least 1"));
  }
  if (options.actor.empty() || options.actor.size() > kMaxMetadataBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("actor: ", options.actor.size(), " bytes; must be 1 to 200"));
  }
  Importer importer(store, options, progress);
  return importer.Run(paths);
}

}  // namespace bidtrail::ocds
