// Exact decimal amounts: money without floats. A Decimal holds an integer
// number of 10^-9 units in 128 bits. The one decimal syntax of bidtrail:
// digits, an optional '.' and 1 to 9 fraction digits, at most 18 digits
// before the point, an optional leading '-'. Pure; thread-safe.
#ifndef BIDTRAIL_COMMON_DECIMAL_H_
#define BIDTRAIL_COMMON_DECIMAL_H_

#include <optional>
#include <string>
#include <string_view>

namespace bidtrail {

class Decimal {
 public:
  Decimal() = default;
  // "1250000.00", "42", "-3.5"; std::nullopt for anything else, or more than
  // 9 fraction digits or 18 integer digits.
  static std::optional<Decimal> Parse(std::string_view text);
  static Decimal FromNanos(__int128 nanos) { return Decimal(nanos); }

  // Shortest exact form: "1250000", "0.5", "-3.25".
  std::string ToString() const;
  // Rounded to `digits` (0 to 9) fraction digits, half away from zero, and
  // written with exactly that many: ToFixed(2) of 0.125 is "0.13".
  std::string ToFixed(int digits) const;
  bool IsZero() const { return nanos_ == 0; }
  bool IsNegative() const { return nanos_ < 0; }
  __int128 nanos() const { return nanos_; }

  // Sums of parsed amounts cannot overflow: a parsed amount is below 10^27
  // units and 128 bits hold 1.7 * 10^38.
  Decimal operator+(const Decimal& other) const { return Decimal(nanos_ + other.nanos_); }
  Decimal& operator+=(const Decimal& other) {
    nanos_ += other.nanos_;
    return *this;
  }
  // The product rounded to 10^-9 (half away from zero), or std::nullopt when
  // it does not fit in 128 bits.
  std::optional<Decimal> Times(const Decimal& other) const;
  // The quotient rounded to 10^-9 (half away from zero), or std::nullopt
  // for a zero divisor or when it does not fit in 128 bits.
  std::optional<Decimal> DividedBy(const Decimal& other) const;
  bool operator<(const Decimal& other) const { return nanos_ < other.nanos_; }
  bool operator==(const Decimal& other) const { return nanos_ == other.nanos_; }

 private:
  explicit Decimal(__int128 nanos) : nanos_(nanos) {}
  __int128 nanos_ = 0;
};

}  // namespace bidtrail

#endif  // BIDTRAIL_COMMON_DECIMAL_H_
