// Deterministic random numbers for the demo generator. Internal to libs/demo.
// Not thread-safe.
//
// std::mt19937_64's output is fixed by the C++ standard, but the standard
// distributions (uniform_int_distribution, normal_distribution, ...) are not:
// their results differ between library versions. Every distribution here is
// derived from the engine's raw 64-bit output, so a seed gives the same
// history with any compiler and standard library.
#ifndef BIDTRAIL_LIBS_DEMO_SRC_RANDOM_H_
#define BIDTRAIL_LIBS_DEMO_SRC_RANDOM_H_

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <random>
#include <vector>

namespace bidtrail::demo::internal {

// SplitMix64: a seed for an independent stream `stream` of `seed`, so that
// one tender's history depends only on (seed, tender) and not on the order
// in which tenders are generated.
inline uint64_t MixSeed(uint64_t seed, uint64_t stream) {
  uint64_t z = seed + 0x9E3779B97F4A7C15u * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}

  // Uniform in [0, 1), from the top 53 bits.
  double Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  // Uniform in [lo, hi).
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  // Uniform in [lo, hi], both included (Lemire's multiply-shift; the bias is
  // below 2^-40 for the small ranges used here).
  int64_t Int(int64_t lo, int64_t hi) {
    const uint64_t range = static_cast<uint64_t>(hi - lo) + 1;
    const unsigned __int128 product = static_cast<unsigned __int128>(engine_()) * range;
    return lo + static_cast<int64_t>(product >> 64);
  }
  bool Chance(double probability) { return Uniform() < probability; }
  // Standard normal (Box-Muller).
  double Normal() {
    const double u1 = 1.0 - Uniform();  // (0, 1]: the logarithm stays finite
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
  double Exponential(double mean) { return -mean * std::log(1.0 - Uniform()); }
  // An index drawn with probability proportional to its weight; weights are
  // non-negative with a positive sum.
  size_t Weighted(const std::vector<double>& weights) {
    double total = 0;
    for (double weight : weights) total += weight;
    double point = Uniform() * total;
    for (size_t i = 0; i < weights.size(); ++i) {
      if (point < weights[i]) return i;
      point -= weights[i];
    }
    return weights.size() - 1;
  }
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[static_cast<size_t>(Int(0, static_cast<int64_t>(items.size()) - 1))];
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace bidtrail::demo::internal

#endif  // BIDTRAIL_LIBS_DEMO_SRC_RANDOM_H_
