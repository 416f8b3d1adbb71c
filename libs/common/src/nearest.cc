#include "bidtrail/common/nearest.h"

#include <algorithm>
#include <cctype>

namespace bidtrail {

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::optional<std::string> Nearest(const std::string& typed,
                                   const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  size_t best_distance = 0;
  for (const std::string& candidate : candidates) {
    const size_t d = EditDistance(typed, candidate);
    const bool prefix = typed.size() >= 3 && candidate.compare(0, typed.size(), typed) == 0;
    const size_t allowed = std::min<size_t>(3, std::max<size_t>(2, candidate.size() / 3));
    if (!prefix && d > allowed) continue;
    const size_t score = prefix ? 0 : d;
    if (!best || score < best_distance) {
      best = candidate;
      best_distance = score;
    }
  }
  return best;
}

}  // namespace bidtrail
