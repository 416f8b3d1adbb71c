// Exact decimal amounts for analytics: sums of money without floats. A
// Decimal holds an integer number of 10^-9 units. Pure; thread-safe.
#ifndef BIDTRAIL_ANALYTICS_DECIMAL_H_
#define BIDTRAIL_ANALYTICS_DECIMAL_H_

#include <optional>
#include <string>

namespace bidtrail::analytics {

class Decimal {
 public:
  Decimal() = default;
  // "1250000.00", "42", "-3.5"; std::nullopt for anything else, or more than
  // 9 fraction digits or 18 integer digits.
  static std::optional<Decimal> Parse(const std::string& text);
  static Decimal FromNanos(__int128 nanos) { return Decimal(nanos); }

  // Shortest exact form: "1250000", "0.5", "-3.25".
  std::string ToString() const;
  double ToDouble() const { return static_cast<double>(nanos_) / 1e9; }
  bool IsZero() const { return nanos_ == 0; }
  __int128 nanos() const { return nanos_; }

  Decimal operator+(const Decimal& other) const { return Decimal(nanos_ + other.nanos_); }
  Decimal& operator+=(const Decimal& other) {
    nanos_ += other.nanos_;
    return *this;
  }
  // Rounded to 10^-9.
  Decimal Times(const Decimal& other) const;
  bool operator<(const Decimal& other) const { return nanos_ < other.nanos_; }
  bool operator==(const Decimal& other) const { return nanos_ == other.nanos_; }

 private:
  explicit Decimal(__int128 nanos) : nanos_(nanos) {}
  __int128 nanos_ = 0;
};

}  // namespace bidtrail::analytics

#endif  // BIDTRAIL_ANALYTICS_DECIMAL_H_
