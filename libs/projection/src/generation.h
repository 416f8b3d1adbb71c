// One generation of read models (a key prefix in the store): how far it has
// folded the log, and its competitions for the analytics. Shared by the
// engine (queries, rebuilds) and the generation's runner (runner.h), which
// is the only writer. Thread-safe as annotated.
#ifndef BIDTRAIL_PROJECTION_GENERATION_H_
#define BIDTRAIL_PROJECTION_GENERATION_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bidtrail/analytics/competition.h"
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
  // Each tender's competitions, as of the last write, and where the tender
  // is in `parts`.
  struct TenderCompetitions {
    CompetitionList list;
    uint32_t part = 0;
    uint32_t slot = 0;
  };
  absl::flat_hash_map<std::string, TenderCompetitions> competitions ABSL_GUARDED_BY(mu);
  // The tenders in the order they first appeared, in parts of up to
  // kPartTenders, each packed for the analytics' passes
  // (analytics::CompetitionRows) when a query needs it, and again only after
  // a change to one of its tenders. Tenders that change are mostly recent
  // ones, and recent tenders share the last parts: a query after a write
  // repacks a few parts, not every competition.
  static constexpr size_t kPartTenders = 1024;
  struct Part {
    std::vector<CompetitionList> lists;                      // null: none (yet)
    std::shared_ptr<const analytics::CompetitionRows> rows;  // null: to pack
  };
  std::vector<Part> parts ABSL_GUARDED_BY(mu);
  // Each buyer's decided competitions, latest award first (as
  // analytics::Incumbents orders them): a tender's incumbent reads its
  // buyer's last few instead of passing over every competition.
  struct AwardKey {
    absl::Time award_at;
    std::string tender_id;
    std::string lot_id;
  };
  struct LatestFirst {
    bool operator()(const AwardKey& a, const AwardKey& b) const {
      if (a.award_at != b.award_at) return a.award_at > b.award_at;
      if (a.tender_id != b.tender_id) return a.tender_id > b.tender_id;
      return a.lot_id > b.lot_id;
    }
  };
  struct Award {
    CompetitionList list;  // keeps `competition` alive
    const analytics::Competition* competition;
  };
  absl::flat_hash_map<analytics::Symbol, std::map<AwardKey, Award, LatestFirst>> buyer_awards
      ABSL_GUARDED_BY(mu);
  // All of them as one set, made on demand; null after a write changed any.
  std::shared_ptr<const analytics::CompetitionSet> snapshot ABSL_GUARDED_BY(mu);

  // Sets a tender's competitions (null removes them), keeping buyer_awards
  // and dropping the snapshot.
  void SetCompetitions(const std::string& tender_id, CompetitionList list)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    auto found = competitions.find(tender_id);
    if (found != competitions.end() && found->second.list != nullptr) {
      for (const analytics::Competition& competition : *found->second.list) {
        if (competition.status != analytics::Competition::Status::kDecided) continue;
        auto buyer = buyer_awards.find(competition.buyer_id);
        if (buyer == buyer_awards.end()) continue;
        buyer->second.erase(AwardKey{competition.award_at, tender_id, competition.lot_id});
        if (buyer->second.empty()) buyer_awards.erase(buyer);
      }
    }
    if (list != nullptr) {
      for (const analytics::Competition& competition : *list) {
        if (competition.status != analytics::Competition::Status::kDecided) continue;
        buyer_awards[competition.buyer_id].insert_or_assign(
            AwardKey{competition.award_at, tender_id, competition.lot_id},
            Award{list, &competition});
      }
    }
    if (found != competitions.end()) {
      Part& part = parts[found->second.part];
      part.lists[found->second.slot] = list;
      part.rows = nullptr;
      found->second.list = std::move(list);
    } else {
      if (parts.empty() || parts.back().lists.size() >= kPartTenders) parts.emplace_back();
      Part& part = parts.back();
      part.lists.push_back(list);
      part.rows = nullptr;
      competitions.emplace(
          tender_id, TenderCompetitions{std::move(list), static_cast<uint32_t>(parts.size() - 1),
                                        static_cast<uint32_t>(part.lists.size() - 1)});
    }
    snapshot = nullptr;
  }

  // Every part's rows, packing those that changed since they were last
  // packed: together, every competition (CompetitionSet::SetRows).
  std::vector<std::shared_ptr<const analytics::CompetitionRows>> Rows()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::vector<std::shared_ptr<const analytics::CompetitionRows>> rows;
    rows.reserve(parts.size());
    std::vector<const analytics::Competition*> competitions;
    for (Part& part : parts) {
      if (part.rows == nullptr) {
        competitions.clear();
        for (const CompetitionList& list : part.lists) {
          if (list == nullptr) continue;
          for (const analytics::Competition& competition : *list)
            competitions.push_back(&competition);
        }
        part.rows = std::make_shared<const analytics::CompetitionRows>(competitions);
      }
      rows.push_back(part.rows);
    }
    return rows;
  }

  // No competitions at all.
  void ClearCompetitions() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    competitions.clear();
    parts.clear();
    buyer_awards.clear();
    snapshot = nullptr;
  }
};

}  // namespace bidtrail::projection

#endif  // BIDTRAIL_PROJECTION_GENERATION_H_
