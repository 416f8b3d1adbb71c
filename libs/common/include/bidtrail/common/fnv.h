// FNV-1a, 64 bits: a fingerprint of bytes that is the same in every process
// and every build (std::hash and absl::Hash are not meant to be), for tags
// that outlive a process: page tokens, static files' versions. Not a
// cryptographic hash.
#ifndef BIDTRAIL_COMMON_FNV_H_
#define BIDTRAIL_COMMON_FNV_H_

#include <cstdint>
#include <string_view>

namespace bidtrail {

inline constexpr uint64_t kFnv1a64Basis = 14695981039346656037ull;

// `hash` continues an earlier one: Fnv1a64(b, Fnv1a64(a)) hashes a then b.
inline uint64_t Fnv1a64(std::string_view bytes, uint64_t hash = kFnv1a64Basis) {
  for (char c : bytes) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return hash;
}

}  // namespace bidtrail

#endif  // BIDTRAIL_COMMON_FNV_H_
