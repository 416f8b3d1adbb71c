// What someone most likely meant by a word that is not one of the choices:
// for "did you mean ...?" in the CLI's and the HTTP API's refusals. Pure.
#ifndef BIDTRAIL_COMMON_NEAREST_H_
#define BIDTRAIL_COMMON_NEAREST_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace bidtrail {

// Levenshtein distance, ignoring ASCII case.
size_t EditDistance(const std::string& a, const std::string& b);

// The candidate nearest to `typed` (a typo of it: few edits, or a prefix);
// nullopt when none is near.
std::optional<std::string> Nearest(const std::string& typed,
                                   const std::vector<std::string>& candidates);

}  // namespace bidtrail

#endif  // BIDTRAIL_COMMON_NEAREST_H_
