// Waiting before retrying a write that lost an optimistic-concurrency race
// (ABORTED): a random pause that grows with the attempt, up to 50 ms, so
// that racing writers spread out. Header-only; thread-safe.
#ifndef BIDTRAIL_COMMON_RETRY_H_
#define BIDTRAIL_COMMON_RETRY_H_

#include <algorithm>
#include <random>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace bidtrail {

// Sleeps 0.1 ms to min(50, 2 * attempt + 1) ms, uniformly.
inline void BackoffBeforeRetry(int attempt) {
  thread_local std::mt19937 rng(std::random_device{}());
  const int ceiling_ms = std::min(50, 2 * attempt + 1);
  absl::SleepFor(
      absl::Microseconds(std::uniform_int_distribution<int>(100, ceiling_ms * 1000)(rng)));
}

}  // namespace bidtrail

#endif  // BIDTRAIL_COMMON_RETRY_H_
