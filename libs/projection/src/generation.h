// One generation of read models (a key prefix in the store): how far it has
// folded the log, and its competitions for the analytics. Shared by the
// engine (queries, rebuilds) and the generation's runner (runner.h), which
// is the only writer. Thread-safe as annotated.
#ifndef BIDTRAIL_PROJECTION_GENERATION_H_
#define BIDTRAIL_PROJECTION_GENERATION_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bidtrail/analytics/competition.h"
#include "bidtrail/v1/queries.pb.h"
#include "keys.h"

namespace bidtrail::projection {

using CompetitionList = std::shared_ptr<const std::vector<analytics::Competition>>;

struct Generation {
  explicit Generation(uint32_t id) : id(id), prefix(keys::GenerationPrefix(id)) {}
  const uint32_t id;
  const std::string prefix;

  // The last position written (checkpoint), unknown events counted up to it,
  // and whether the runner has caught up with the log's head.
  std::atomic<uint64_t> checkpoint{0};
  std::atomic<uint64_t> unknown{0};
  std::atomic<bool> caught_up{false};

  absl::Mutex mu;
  // Where each tender's competitions are in `parts`.
  struct Place {
    uint32_t part = 0;
    uint32_t slot = 0;
  };
  absl::flat_hash_map<std::string, Place> places ABSL_GUARDED_BY(mu);
  // Each tender's competitions as of the last write, the tenders in the
  // order they first appeared, in parts of up to kPartTenders, each packed
  // for the analytics' passes (analytics::CompetitionRows) when a query
  // needs it, and again only after a change to one of its tenders. Tenders
  // that change are mostly recent ones, and recent tenders share the last
  // parts: a query after a write repacks a few parts, not every competition.
  static constexpr size_t kPartTenders = 1024;
  struct Part {
    std::vector<CompetitionList> lists;                      // null: none (yet)
    std::shared_ptr<const analytics::CompetitionRows> rows;  // null: to pack
    uint64_t version = 0;  // changes with every change (never reused)
  };
  std::vector<Part> parts ABSL_GUARDED_BY(mu);
  uint64_t last_part_version ABSL_GUARDED_BY(mu) = 0;
  // Each buyer's decided competitions, latest award first (as
  // analytics::Incumbents orders them): a tender's incumbent reads its
  // buyer's last few instead of passing over every competition.
  // An entry is the competition itself (its list in `parts` keeps it alive,
  // and SetCompetitions removes its entries before the list goes): 64 bytes
  // a decided competition, where its own copy of the tender's and lot's ids
  // and of the list's pointer took 160, a tenth of a million tenders' heap.
  struct AwardKey {
    absl::Time award_at;
    const analytics::Competition* competition;
  };
  struct LatestFirst {
    bool operator()(const AwardKey& a, const AwardKey& b) const {
      if (a.award_at != b.award_at) return a.award_at > b.award_at;
      if (a.competition->tender_id != b.competition->tender_id) {
        return a.competition->tender_id > b.competition->tender_id;
      }
      return a.competition->lot_id > b.competition->lot_id;
    }
  };
  absl::flat_hash_map<analytics::Symbol, std::set<AwardKey, LatestFirst>> buyer_awards
      ABSL_GUARDED_BY(mu);
  // All of them as one set, made on demand; null after a write changed any.
  std::shared_ptr<const analytics::CompetitionSet> snapshot ABSL_GUARDED_BY(mu);
  // Each buyer's incumbent as last computed from its latest awards (empty:
  // none), for `incumbents_own` as our own party; a buyer's entry goes when
  // a write changes one of its awards. A deadline board asks for the same
  // buyers at every refresh, and awards change rarely.
  absl::flat_hash_map<analytics::Symbol, std::optional<v1::IncumbentRecord>> incumbents
      ABSL_GUARDED_BY(mu);
  std::string incumbents_own ABSL_GUARDED_BY(mu);
  // Beyond this many buyers the cache starts again (a bound on its memory:
  // a few hundred bytes a buyer).
  static constexpr size_t kMaxIncumbents = 100000;

  // Sets a tender's competitions (null removes them), keeping buyer_awards
  // and dropping the snapshot.
  void SetCompetitions(const std::string& tender_id, CompetitionList list)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    // A new tender takes the next slot of the last part.
    auto [found, is_new] = places.try_emplace(tender_id);
    Place& place = found->second;
    if (is_new) {
      if (parts.empty() || parts.back().lists.size() >= kPartTenders) parts.emplace_back();
      place = Place{static_cast<uint32_t>(parts.size() - 1),
                    static_cast<uint32_t>(parts.back().lists.size())};
      parts.back().lists.emplace_back();
    }
    Part& part = parts[place.part];
    CompetitionList& stored = part.lists[place.slot];
    if (stored != nullptr) {
      for (const analytics::Competition& competition : *stored) {
        if (competition.status != analytics::Competition::Status::kDecided) continue;
        incumbents.erase(competition.buyer_id);
        auto buyer = buyer_awards.find(competition.buyer_id);
        if (buyer == buyer_awards.end()) continue;
        buyer->second.erase(AwardKey{competition.award_at, &competition});
        if (buyer->second.empty()) buyer_awards.erase(buyer);
      }
    }
    if (list != nullptr) {
      for (const analytics::Competition& competition : *list) {
        if (competition.status != analytics::Competition::Status::kDecided) continue;
        incumbents.erase(competition.buyer_id);
        // Two lots with one id (imported data has them): the later one.
        std::set<AwardKey, LatestFirst>& awards = buyer_awards[competition.buyer_id];
        auto [entry, added] = awards.insert(AwardKey{competition.award_at, &competition});
        if (!added) {
          awards.erase(entry);
          awards.insert(AwardKey{competition.award_at, &competition});
        }
      }
    }
    stored = std::move(list);
    part.rows = nullptr;
    part.version = ++last_part_version;
    snapshot = nullptr;
  }

  // A part to pack without holding `mu` (packing every part takes a tenth
  // of a second per 100,000 tenders, which the runner's writes need not wait
  // for): ToPack under `mu`, Pack without it, Packed under `mu` again.
  struct PackJob {
    size_t part = 0;
    uint64_t version = 0;
    std::vector<CompetitionList> lists;
    std::shared_ptr<const analytics::CompetitionRows> rows;

    void Pack() { rows = Generation::Pack(std::move(lists)); }
  };
  std::vector<PackJob> ToPack() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::vector<PackJob> jobs;
    for (size_t i = 0; i < parts.size(); ++i) {
      if (parts[i].rows == nullptr) jobs.push_back({i, parts[i].version, parts[i].lists, nullptr});
    }
    return jobs;
  }
  // Keeps a job's rows unless its part changed since ToPack.
  void Packed(PackJob job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (job.part < parts.size() && parts[job.part].version == job.version) {
      parts[job.part].rows = std::move(job.rows);
    }
  }

  // Every part's rows, packing those that changed since they were last
  // packed: together, every competition (CompetitionSet::SetRows).
  std::vector<std::shared_ptr<const analytics::CompetitionRows>> Rows()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::vector<std::shared_ptr<const analytics::CompetitionRows>> rows;
    rows.reserve(parts.size());
    for (Part& part : parts) {
      if (part.rows == nullptr) part.rows = Pack(part.lists);
      rows.push_back(part.rows);
    }
    return rows;
  }

  // The rows keep the lists they were packed from (a snapshot is its
  // parts' rows alone: CompetitionSet::OfRows).
  static std::shared_ptr<const analytics::CompetitionRows> Pack(
      std::vector<CompetitionList> lists) {
    std::vector<const analytics::Competition*> competitions;
    for (const CompetitionList& list : lists) {
      if (list == nullptr) continue;
      for (const analytics::Competition& competition : *list) competitions.push_back(&competition);
    }
    return std::make_shared<const analytics::CompetitionRows>(
        competitions, std::make_shared<const std::vector<CompetitionList>>(std::move(lists)));
  }

  // No competitions at all.
  void ClearCompetitions() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    buyer_awards.clear();  // first: its entries point into the lists
    incumbents.clear();
    places.clear();
    parts.clear();
    snapshot = nullptr;
  }
};

}  // namespace bidtrail::projection

#endif  // BIDTRAIL_PROJECTION_GENERATION_H_
