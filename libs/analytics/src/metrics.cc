#include "bidtrail/analytics/metrics.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "bidtrail/common/currency.h"
#include "bidtrail/common/enum_names.h"
#include "bidtrail/common/proto_time.h"
#include "google/protobuf/duration.pb.h"

// What a request names (bidder, filters, currencies) is looked up with
// Symbol::Find, never interned: request input must not grow the process-wide
// table. A text the table does not hold (std::nullopt) belongs to no
// competition, so it matches nothing.
namespace bidtrail::analytics {
namespace {

constexpr uint32_t kNoGroup = ~uint32_t{0};

// Keys that order as their values do: a < b exactly when OrderKey(a) <
// OrderKey(b) (for doubles that are not NaN, -0 before +0).
uint64_t OrderKey(int64_t value) { return static_cast<uint64_t>(value) ^ (uint64_t{1} << 63); }
uint64_t OrderKey(double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return (bits >> 63) != 0 ? ~bits : bits | (uint64_t{1} << 63);
}

// Indices appended in the hot loop of a pass: the append is inline, the
// growth kept out of it.
class IndexList {
 public:
  [[gnu::always_inline]] void Add(uint32_t index) {
    if (size_ == capacity_) [[unlikely]]
      Grow();
    data_[size_++] = index;
  }
  void clear() { size_ = 0; }
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  const uint32_t* begin() const { return data_.get(); }
  const uint32_t* end() const { return data_.get() + size_; }

 private:
  [[gnu::noinline]] void Grow() {
    capacity_ = std::max<size_t>(16, capacity_ * 2);
    auto grown = std::make_unique_for_overwrite<uint32_t[]>(capacity_);
    std::copy_n(data_.get(), size_, grown.get());
    data_ = std::move(grown);
  }

  std::unique_ptr<uint32_t[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

// The lowest and highest key of values appended to a vector (OrderKey).
struct KeyRange {
  uint64_t low = ~uint64_t{0};
  uint64_t high = 0;
  template <typename T>
  void Add(T value) {
    low = std::min(low, OrderKey(value));
    high = std::max(high, OrderKey(value));
  }
};

// The value of rank `rank` in `values` (reordered), and for an `even` count
// the largest of those before it: the upper and lower middle once `rank` is
// the middle's.
template <typename T>
std::pair<T, std::optional<T>> SelectMiddle(std::vector<T>* values, size_t rank, bool even) {
  const auto begin = values->begin();
  std::nth_element(begin, begin + static_cast<std::ptrdiff_t>(rank), values->end());
  const T upper = begin[static_cast<std::ptrdiff_t>(rank)];
  if (!even) return {upper, std::nullopt};
  return {upper, *std::max_element(begin, begin + static_cast<std::ptrdiff_t>(rank))};
}

// The middle of `values` (reordered; `keys` their KeyRange, `spare` scratch):
// the upper middle value, and for an even count the lower one too.
// Selecting among many values (a group of a large history has tens of
// thousands) first counts them in buckets of the top bits of their keys and
// keeps only those in the buckets that hold the middle, again until few are
// left: a few linear passes instead of a selection's many unpredictable
// comparisons.
template <typename T>
std::pair<T, std::optional<T>> Middle(std::vector<T>* values, KeyRange keys,
                                      std::vector<T>* spare) {
  const bool even = values->size() % 2 == 0;
  size_t rank = values->size() / 2;  // of the upper middle, in *from
  std::vector<T>* from = values;
  constexpr int kBucketBits = 11;
  constexpr size_t kCountFrom = 1024;
  while (from->size() >= kCountFrom && keys.low != keys.high) {
    const uint64_t low = keys.low;
    const int shift = std::max(0, static_cast<int>(std::bit_width(keys.high - low)) - kBucketBits);
    std::array<uint32_t, size_t{1} << kBucketBits> counts{};
    for (const T& value : *from) ++counts[(OrderKey(value) - low) >> shift];
    // The buckets of the lower middle (the upper one for an odd count) and of
    // the upper middle, and how many values come before the first: those are
    // all smaller, and those after the last all larger.
    const size_t first_rank = even ? rank - 1 : rank;
    size_t before = 0;
    size_t first = 0;
    while (before + counts[first] <= first_rank) before += counts[first++];
    size_t last = first;
    for (size_t through = before + counts[first]; through <= rank;) through += counts[++last];
    std::vector<T>* to = from == values ? spare : values;
    to->clear();
    keys = KeyRange();
    for (const T& value : *from) {
      const size_t bucket = (OrderKey(value) - low) >> shift;
      if (bucket - first > last - first) continue;
      to->push_back(value);
      keys.Add(value);
    }
    from = to;
    rank -= before;
  }
  return SelectMiddle(from, rank, even);
}

// Scratch for medians, reused between the groups of a call.
template <typename T>
struct MedianScratch {
  std::vector<T> values;
  std::vector<T> spare;
};

// The median of a middle: the upper middle, or the mean of the two.
template <typename T>
T MedianOfMiddle(const std::pair<T, std::optional<T>>& middle) {
  const auto& [upper, lower] = middle;
  return lower ? *lower + (upper - *lower) / 2 : upper;
}

// Lower-case enum value name without its prefix: PROCUREMENT_METHOD_OPEN -> open.
std::string EnumLabel(const google::protobuf::EnumDescriptor* descriptor, int value) {
  if (value == 0 || descriptor->FindValueByNumber(value) == nullptr) return "unspecified";
  return EnumWord(*descriptor, value);
}

// (numerator - denominator) / denominator; the denominator is not zero.
double Ratio(const Decimal& numerator, const Decimal& denominator) {
  return static_cast<double>(numerator.nanos() - denominator.nanos()) /
         static_cast<double>(denominator.nanos());
}

int BidIndexOf(const Competition& competition, std::optional<Symbol> bidder) {
  return bidder ? competition.BidIndexOf(*bidder) : -1;
}

bool Won(const Competition& competition, std::optional<Symbol> bidder) {
  return bidder && competition.Won(*bidder);
}

// Visits the competitions of a set in its order. They are scattered over the
// heap (one list per tender), so a pass over them waits on memory more than
// it computes: it asks for the front of the competitions a few steps ahead
// (competition.h packs there what passes read), while it works on the
// current one. Measured on 150,000 competitions: 16 ahead, six lines (the
// front with four bids, when bids were inline) were best; fewer lines or
// batched requests were slower. The front is four lines now, the bids on
// the heap: those are asked for once the front has arrived.
template <typename Visit>
void ForEachCompetition(const CompetitionSet& competitions, Visit&& visit) {
  constexpr size_t kAhead = 16;
  constexpr size_t kFrontLines = 4;
  constexpr size_t kLine = 64;
  const auto items = competitions.begin();
  const size_t size = competitions.size();
  for (size_t i = 0; i < size; ++i) {
    if (i + kAhead < size) {
      const char* front = reinterpret_cast<const char*>(items[i + kAhead]);
      for (size_t line = 0; line < kFrontLines; ++line) __builtin_prefetch(front + line * kLine);
    }
    // The bids of one whose front has arrived by now.
    if (i + kAhead / 2 < size) {
      const std::vector<Competition::BidFacts>& bids = items[i + kAhead / 2]->bid_facts;
      if (!bids.empty()) __builtin_prefetch(bids.data());
    }
    visit(*items[i]);
  }
}

// Tenders counted once: a tender's competitions reach a group one after the
// other.
class TenderCount {
 public:
  void Add(uint32_t tender) {
    if (count_ > 0 && tender == last_) return;
    last_ = tender;
    ++count_;
  }
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }

 private:
  uint32_t last_ = 0;
  size_t count_ = 0;
};

class Converter;

// An amount written with at least its currency's minor units ("480000.00"
// CNY, "5000" JPY), never fewer digits than it has: a sum is exact.
std::string InMinorUnits(const Decimal& amount, std::string_view currency) {
  std::string text = amount.ToString();
  const int units = MinorUnits(currency);
  const size_t point = text.find('.');
  const int have = point == std::string::npos ? 0 : static_cast<int>(text.size() - point - 1);
  if (have >= units) return text;
  if (point == std::string::npos) text.push_back('.');
  text.append(static_cast<size_t>(units - have), '0');
  return text;
}

// Sums per currency. A group meets few currencies: a short list searched in
// place beats a map; the result is ordered by currency, as a map would be.
class MoneyTotals {
 public:
  void Add(Symbol currency, const Decimal& amount) {
    for (auto& [each, total] : totals_) {
      if (each == currency) {
        total += amount;
        return;
      }
    }
    totals_.emplace_back(currency, amount);
  }
  void Add(const MoneyTotals& other) {
    for (const auto& [currency, total] : other.totals_) Add(currency, total);
  }

  // The totals converted into the reporting currency, and those without a
  // rate as they are.
  void ToConverted(const Converter& converter, v1::MoneyTotal* converted,
                   google::protobuf::RepeatedPtrField<v1::MoneyTotal>* unconverted) const;

  void ToProto(google::protobuf::RepeatedPtrField<v1::MoneyTotal>* out) const {
    std::vector<std::pair<std::string_view, const Decimal*>> sorted;
    sorted.reserve(totals_.size());
    for (const auto& [currency, total] : totals_) sorted.emplace_back(currency.text(), &total);
    std::sort(sorted.begin(), sorted.end());
    for (const auto& [currency, total] : sorted) {
      v1::MoneyTotal* money = out->Add();
      money->set_currency(std::string(currency));
      money->set_amount(InMinorUnits(*total, currency));
    }
  }

 private:
  absl::InlinedVector<std::pair<Symbol, Decimal>, 2> totals_;
};

// The reporting currency and its rates, with currencies as symbols.
class Converter {
 public:
  explicit Converter(const ReportingCurrency& reporting)
      : target_(Symbol::Find(reporting.currency)), has_rates_(!reporting.rates.empty()) {
    for (const auto& [currency, rate] : reporting.rates) {
      if (std::optional<Symbol> symbol = Symbol::Find(currency)) rates_.emplace(*symbol, rate);
    }
  }

  // The amount in the reporting currency, or std::nullopt without a rate, for
  // a malformed amount, or when the product does not fit a Decimal. A
  // currency without a rate is remembered (Missing).
  std::optional<Decimal> Convert(const std::optional<Decimal>& value, Symbol from) const {
    if (!value) return std::nullopt;
    if (from == target_) return value;
    auto rate = rates_.find(from);
    if (rate == rates_.end()) {
      if (std::find(missing_.begin(), missing_.end(), from) == missing_.end()) {
        missing_.push_back(from);
      }
      return std::nullopt;
    }
    return value->Times(rate->second);
  }

  // Rates were given (some perhaps for currencies no competition has).
  bool has_rates() const { return has_rates_; }

  // Adds the currencies met without a rate (empty ones, of amounts with no
  // currency, left out).
  void AddMissing(std::vector<std::string>* out) const { AddMissing(missing_, out); }
  static void AddMissing(std::span<const Symbol> missing, std::vector<std::string>* out) {
    for (Symbol symbol : missing) {
      const std::string text(symbol.text());
      if (!text.empty() && std::find(out->begin(), out->end(), text) == out->end()) {
        out->push_back(text);
      }
    }
  }
  // The currencies met without a rate, in the order met.
  std::vector<Symbol> Missing() const { return {missing_.begin(), missing_.end()}; }

 private:
  const std::optional<Symbol> target_;
  const bool has_rates_;
  absl::flat_hash_map<Symbol, Decimal> rates_;
  // Few: a short list searched in place.
  mutable absl::InlinedVector<Symbol, 4> missing_;
};

void MoneyTotals::ToConverted(
    const Converter& converter, v1::MoneyTotal* converted,
    google::protobuf::RepeatedPtrField<v1::MoneyTotal>* unconverted) const {
  Decimal sum;
  MoneyTotals rest;
  for (const auto& [currency, total] : totals_) {
    if (std::optional<Decimal> value = converter.Convert(total, currency)) {
      sum += *value;
    } else {
      rest.Add(currency, total);
    }
  }
  // Converted with estimated rates: to the cent, not to the nano.
  converted->set_amount(sum.ToFixed(2));
  rest.ToProto(unconverted);
}

// The converter into the reporting currency: the request's rates, the
// table's for the others.
Converter ReportingConverter(const ReportingCurrency& reporting, const RateTable& table) {
  return Converter(WithTable(reporting, table));
}

// The converter into the thresholds' currency `target`: the request's rates
// rebased on it, and the table's straight into it for the others (so that
// with the table alone, bands do not depend on the reporting currency at
// all). A currency with neither is unrated.
Converter BandConverter(const ReportingCurrency& reporting, const RateTable& table,
                        const std::string& target) {
  std::optional<ReportingCurrency> rebased = Rebased(reporting, target);
  if (!rebased) {
    rebased = ReportingCurrency();
    rebased->currency = target;
  }
  return Converter(WithTable(*std::move(rebased), table));
}

// The cycle times and price gaps of one block's pass (WinLossBlock), each
// stored once however many groups its competition falls in (one per
// competitor, head to head): the groups keep indices, and take the values
// when the pass ends.
struct Samples {
  std::vector<int64_t> cycle_nanos;
  std::vector<absl::Duration> wide_cycles;  // CompetitionRows::Cycle::kWide
  std::vector<double> price_gaps;
};

// What one competition adds to the groups it falls in, worked out once
// (a head-to-head competition falls in one group per competitor).
struct Outcome {
  static constexpr uint32_t kNoSample = ~uint32_t{0};
  static constexpr uint32_t kAwardBeforeTender = kNoSample - 1;
  // Set in a cycle_time that is an index in Samples::wide_cycles.
  static constexpr uint32_t kWide = uint32_t{1} << 31;

  bool counted = false;  // the bidder has a bid that was not withdrawn
  bool is_void = false;
  bool disqualified = false;
  enum class Result { kWon, kLost, kPending } result = Result::kPending;
  uint32_t bidders = 0;
  // The value won or lost. Not a std::optional: building one in this hot
  // path went through memory in a way the CPU cannot forward.
  bool has_value = false;
  Symbol value_currency;
  Decimal value;
  uint32_t price_gap = kNoSample;   // in Samples
  uint32_t cycle_time = kNoSample;  // in Samples (kWide), or kAwardBeforeTender
  uint32_t tender = 0;              // CompetitionRows::Row::tender, across parts
};

// What the outcomes of every bidder in one competition share, worked out once
// per competition.
struct Shared {
  uint32_t bidders = 0;                      // bids not withdrawn
  uint32_t cycle_time = Outcome::kNoSample;  // decided: in Samples
  double award = 0;                          // the award in force, for price gaps
};

// Row i of `rows`.
Shared ShareOf(const CompetitionRows& rows, size_t i, Samples* samples) {
  const CompetitionRows::Row& row = rows[i];
  Shared shared;
  shared.bidders = row.bidders;
  if (row.status == Competition::Status::kDecided) {
    // An award dated before the tender (imported data does that) has no
    // cycle time: left out of the median, and counted.
    if (row.cycle == CompetitionRows::Cycle::kNanos) {
      if (row.cycle_nanos < 0) {
        shared.cycle_time = Outcome::kAwardBeforeTender;
      } else {
        shared.cycle_time = static_cast<uint32_t>(samples->cycle_nanos.size());
        samples->cycle_nanos.push_back(row.cycle_nanos);
      }
    } else if (const absl::Duration cycle = rows.cycle(i); cycle < absl::ZeroDuration()) {
      shared.cycle_time = Outcome::kAwardBeforeTender;
    } else {
      shared.cycle_time = static_cast<uint32_t>(samples->wide_cycles.size()) | Outcome::kWide;
      samples->wide_cycles.push_back(cycle);
    }
    if (row.has_award_value) shared.award = static_cast<double>(row.award_value.nanos());
  }
  return shared;
}

// The outcome for `bidder` in row i, whose bid (CompetitionRows::BidIndexOf)
// is `mine`.
// `tender`: numbered across the set's rows.
Outcome Evaluate(const CompetitionRows& rows, size_t i, Symbol bidder, size_t mine,
                 const Shared& shared, uint32_t tender, Samples* samples) {
  const CompetitionRows::Row& row = rows[i];
  Outcome outcome;
  outcome.tender = tender;
  outcome.counted = true;
  outcome.bidders = shared.bidders;
  if (row.status == Competition::Status::kVoid) {
    outcome.is_void = true;
    return outcome;
  }
  const CompetitionRows::Bid& bid = rows.bid(mine);
  outcome.disqualified = bid.status() == v1::BID_STATUS_DISQUALIFIED;
  const bool decided = row.status == Competition::Status::kDecided;
  outcome.cycle_time = shared.cycle_time;
  if (rows.Won(i, bidder) && !outcome.disqualified) {
    outcome.result = Outcome::Result::kWon;
    if (row.has_award_value) {
      outcome.has_value = true;
      outcome.value_currency = row.award_currency;
      outcome.value = row.award_value;
    }
  } else if (decided || outcome.disqualified) {
    outcome.result = Outcome::Result::kLost;
    if (bid.has_amount) {
      outcome.has_value = true;
      outcome.value_currency = bid.currency;
      outcome.value = rows.amount(mine);
    }
    if (decided && bid.has_amount && row.has_award_value && bid.currency == row.award_currency &&
        !row.award_value.IsZero()) {
      // As Ratio, with the award's conversion shared.
      outcome.price_gap = static_cast<uint32_t>(samples->price_gaps.size());
      samples->price_gaps.push_back(
          static_cast<double>(rows.amount(mine).nanos() - row.award_value.nanos()) / shared.award);
    }
  }
  return outcome;
}

// What a group counts and sums: added up alike within a pass and over the
// blocks of passes (BlockGroup).
struct Counts {
  uint32_t bid = 0, won = 0, lost = 0, pending = 0, void_count = 0, disqualified = 0;
  uint32_t awards_before_tender = 0;
  uint64_t bidders_sum = 0;
  MoneyTotals value_won;
  MoneyTotals value_lost;

  void Add(const Counts& other) {
    bid += other.bid;
    won += other.won;
    lost += other.lost;
    pending += other.pending;
    void_count += other.void_count;
    disqualified += other.disqualified;
    awards_before_tender += other.awards_before_tender;
    bidders_sum += other.bidders_sum;
    value_won.Add(other.value_won);
    value_lost.Add(other.value_lost);
  }
};

struct Accumulator {
  Counts counts;
  TenderCount tenders_bid;
  TenderCount tenders_no_bid;
  // Indices in Samples.
  IndexList price_gaps;
  IndexList cycle_times;       // in Samples::cycle_nanos
  IndexList wide_cycle_times;  // in Samples::wide_cycles

  void Add(const Outcome& outcome) {
    if (!outcome.counted) return;
    Counts& c = counts;
    ++c.bid;
    tenders_bid.Add(outcome.tender);
    c.bidders_sum += outcome.bidders;
    if (outcome.is_void) {
      ++c.void_count;
      return;
    }
    if (outcome.disqualified) ++c.disqualified;
    if (outcome.cycle_time == Outcome::kAwardBeforeTender) {
      ++c.awards_before_tender;
    } else if (outcome.cycle_time != Outcome::kNoSample) {
      if ((outcome.cycle_time & Outcome::kWide) == 0) {
        cycle_times.Add(outcome.cycle_time);
      } else {
        wide_cycle_times.Add(outcome.cycle_time & ~Outcome::kWide);
      }
    }
    switch (outcome.result) {
      case Outcome::Result::kWon:
        ++c.won;
        if (outcome.has_value) c.value_won.Add(outcome.value_currency, outcome.value);
        break;
      case Outcome::Result::kLost:
        ++c.lost;
        if (outcome.has_value) c.value_lost.Add(outcome.value_currency, outcome.value);
        if (outcome.price_gap != Outcome::kNoSample) price_gaps.Add(outcome.price_gap);
        break;
      case Outcome::Result::kPending:
        ++c.pending;
        break;
    }
  }
};

// A group of one block's pass (WinLossBlock): its totals, its label as
// first seen there, and whether the pass reached it at all.
struct BlockSlot {
  Accumulator totals;
  // Groups keyed by a party: its name, as first seen; groups keyed by a
  // buyer: its name. A symbol's text (which lives as long as the process).
  std::string_view label;
  bool labelled = false;
  bool reached = false;
};

// A group keyed by a party is labelled with the name of the first bid of
// that party which has one: bid `bid` of row i. Names are not in the rows
// (competition.h): read only while the group has no label.
void SetLabel(const CompetitionRows& rows, size_t i, size_t bid, BlockSlot* group) {
  if (group->labelled) return;
  const Symbol name = rows.detail(i).competition->bid_facts[bid - rows.bids_begin(i)].name;
  if (name == Symbol()) return;
  group->label = name.text();
  group->labelled = true;
}

// Sizes an array of groups indexed by symbol for `symbol`: once to every
// symbol there is; a symbol interned since (by another thread building
// competitions) grows it.
[[gnu::noinline]] void Grow(std::vector<uint32_t>* groups, Symbol symbol) {
  groups->resize(std::max<size_t>(symbol.index() + 1, Symbol::Count()), kNoGroup);
}

// An entry of an array of groups indexed by symbol (kNoGroup until set).
inline uint32_t& GroupOf(std::vector<uint32_t>* groups, Symbol symbol) {
  if (symbol.index() >= groups->size()) [[unlikely]]
    Grow(groups, symbol);
  return (*groups)[symbol.index()];
}

// The group keys of one WinLoss call, numbered in the order they appear.
// The loop finds a key's number through an array indexed by symbol, or a
// cache keyed by a small value, so that it hashes no string.
class Groups {
 public:
  // The group keyed by the symbol's text.
  uint32_t OfSymbol(Symbol symbol) {
    uint32_t& group = GroupOf(&by_symbol_, symbol);
    if (group == kNoGroup) group = OfKey(symbol.text());
    return group;
  }

  uint32_t OfKey(std::string_view key) {
    auto [found, inserted] =
        by_key_.try_emplace(std::string(key), static_cast<uint32_t>(keys_.size()));
    if (inserted) keys_.emplace_back(key);
    return found->second;
  }

  const std::string& key(uint32_t slot) const { return keys_[slot]; }

 private:
  std::vector<uint32_t> by_symbol_;
  absl::flat_hash_map<std::string, uint32_t> by_key_;
  std::vector<std::string> keys_;
};

// The groups of one block's pass, indexed by the call's group numbers, and
// the order the pass reached them in.
class BlockSlots {
 public:
  [[gnu::always_inline]] BlockSlot& operator[](uint32_t slot) {
    if (slot >= slots_.size()) [[unlikely]]
      slots_.resize(slot + 1);
    BlockSlot& found = slots_[slot];
    if (!found.reached) [[unlikely]] {
      found.reached = true;
      reached_.push_back(slot);
    }
    return found;
  }
  const std::vector<uint32_t>& reached() const { return reached_; }
  // Empties the slots reached, for the next block.
  void Clear() {
    for (uint32_t slot : reached_) slots_[slot] = BlockSlot();
    reached_.clear();
  }

 private:
  std::vector<BlockSlot> slots_;
  std::vector<uint32_t> reached_;
};

// The value whose OrderKey is `key`.
template <typename T>
T FromOrderKey(uint64_t key);
template <>
int64_t FromOrderKey<int64_t>(uint64_t key) {
  return static_cast<int64_t>(key ^ (uint64_t{1} << 63));
}
template <>
double FromOrderKey<double>(uint64_t key) {
  const uint64_t bits = (key >> 63) != 0 ? key & ~(uint64_t{1} << 63) : ~key;
  double value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

enum class DealBand { kUnrated, kSmall, kMedium, kLarge };

// Row i; `mine`: the bidder's bid (CompetitionRows::BidIndexOf).
DealBand DealSize(const CompetitionRows& rows, size_t i, int64_t mine, const Converter& converter,
                  const WinLossOptions& options) {
  const CompetitionRows::Row& row = rows[i];
  std::optional<Decimal> value;
  if (row.status == Competition::Status::kDecided) {
    value = converter.Convert(
        row.has_award_value ? std::optional<Decimal>(row.award_value) : std::nullopt,
        row.award_currency);
  } else if (mine >= 0) {
    const CompetitionRows::Bid& bid = rows.bid(static_cast<size_t>(mine));
    value = converter.Convert(bid.has_amount
                                  ? std::optional<Decimal>(rows.amount(static_cast<size_t>(mine)))
                                  : std::nullopt,
                              bid.currency);
  } else {
    const Competition& competition = *rows.detail(i).competition;
    value = converter.Convert(competition.estimated_value, competition.estimated_currency);
  }
  if (!value) return DealBand::kUnrated;
  if (*value < options.medium_deal_from) return DealBand::kSmall;
  if (*value < options.large_deal_from) return DealBand::kMedium;
  return DealBand::kLarge;
}

const char* DealBandLabel(DealBand band) {
  switch (band) {
    case DealBand::kUnrated:
      return "unrated";
    case DealBand::kSmall:
      return "small";
    case DealBand::kMedium:
      return "medium";
    case DealBand::kLarge:
      return "large";
  }
  return "unrated";
}

// WinLossOptions' selection, with the filters as symbols.
class Selection {
 public:
  explicit Selection(const WinLossOptions& options)
      : from_(options.from),
        to_(options.to),
        territory_(Filter(options.territory)),
        owner_team_(Filter(options.owner_team)),
        buyer_id_(Filter(options.buyer_id)),
        category_(Filter(options.category)),
        source_(options.source),
        reads_details_(territory_ || owner_team_ || buyer_id_ || category_ ||
                       source_ != Source::kAll) {}

  // False when a filter names a text no competition has: nothing is selected.
  bool Possible() const { return possible_; }

  // Row i of `rows`: its details are read only when a filter needs them.
  bool Selects(const CompetitionRows& rows, size_t i) const {
    const CompetitionRows::Row& row = rows[i];
    if (!(row.date >= from_ && row.date < to_)) return false;
    if (!reads_details_) return true;
    const CompetitionRows::Detail& detail = rows.detail(i);
    return Matches(territory_, detail.territory) && Matches(owner_team_, detail.owner_team) &&
           Matches(buyer_id_, detail.buyer_id) && Matches(category_, detail.category) &&
           SourceSelects(source_, detail.discovery_channel);
  }

 private:
  // The symbol a filter asks for; std::nullopt for no filter.
  std::optional<Symbol> Filter(const std::string& text) {
    if (text.empty()) return std::nullopt;
    std::optional<Symbol> symbol = Symbol::Find(text);
    if (!symbol) possible_ = false;
    return symbol;
  }
  static bool Matches(std::optional<Symbol> wanted, Symbol value) {
    return !wanted || *wanted == value;
  }

  // Before the filters, which clear it.
  bool possible_ = true;
  absl::Time from_;
  absl::Time to_;
  std::optional<Symbol> territory_;
  std::optional<Symbol> owner_team_;
  std::optional<Symbol> buyer_id_;
  std::optional<Symbol> category_;
  Source source_;
  bool reads_details_;
};

constexpr int64_t kSecondsPerDay = 24 * 60 * 60;

std::string CellOf(const std::string& potential, const std::string& share) {
  return absl::StrCat(potential, "/", share);
}

}  // namespace

absl::StatusOr<RateTable> ParseRateTable(std::string_view text) {
  RateTable table;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> words = absl::StrSplit(line, ' ', absl::SkipWhitespace());
    auto refuse = [&](const std::string& why) {
      return absl::InvalidArgumentError(absl::StrCat("rates line ", number, ": \"",
                                                     std::string(line.substr(0, 60)), "\": ", why));
    };
    if (words.size() != 2) return refuse("expected `base CUR` or `CUR VALUE`");
    if (words[0] == "base") {
      if (!table.base.empty()) return refuse("a second base");
      if (!IsIsoCurrency(words[1])) return refuse("not an ISO 4217 currency code");
      table.base = std::string(words[1]);
      table.in_base[table.base] = *Decimal::Parse("1");
      continue;
    }
    if (table.base.empty()) return refuse("the `base CUR` line must come first");
    if (!IsIsoCurrency(words[0])) return refuse("not an ISO 4217 currency code");
    const std::optional<Decimal> value = Decimal::Parse(words[1]);
    if (!value || value->nanos() <= 0) return refuse("the value must be a positive decimal");
    if (!table.in_base.emplace(std::string(words[0]), *value).second) {
      return refuse("a second rate for the same currency");
    }
  }
  if (table.base.empty()) return absl::InvalidArgumentError("rates: no `base CUR` line");
  return table;
}

ReportingCurrency WithTable(ReportingCurrency reporting, const RateTable& table) {
  auto target = table.in_base.find(reporting.currency);
  if (target == table.in_base.end()) return reporting;
  for (const auto& [currency, in_base] : table.in_base) {
    if (currency == reporting.currency || reporting.rates.count(currency) > 0) continue;
    if (std::optional<Decimal> rate = in_base.DividedBy(target->second)) {
      reporting.rates.emplace(currency, *rate);
    }
  }
  return reporting;
}

std::optional<ReportingCurrency> Rebased(const ReportingCurrency& reporting,
                                         const std::string& target) {
  if (target == reporting.currency) return reporting;
  auto into_reporting = reporting.rates.find(target);
  if (into_reporting == reporting.rates.end()) return std::nullopt;
  // One unit of X is rate(X) units of the reporting currency, and one unit
  // of `target` is rate(target) of them: X in target = rate(X) / rate(target).
  ReportingCurrency rebased;
  rebased.currency = target;
  const Decimal one = *Decimal::Parse("1");
  if (std::optional<Decimal> back = one.DividedBy(into_reporting->second)) {
    rebased.rates.emplace(reporting.currency, *back);
  }
  for (const auto& [currency, rate] : reporting.rates) {
    if (currency == target) continue;
    if (std::optional<Decimal> cross = rate.DividedBy(into_reporting->second)) {
      rebased.rates.emplace(currency, *cross);
    }
  }
  return rebased;
}

std::optional<Source> SourceOf(std::string_view word) {
  if (word.empty()) return Source::kAll;
  if (word == "own") return Source::kOwn;
  if (word == "import") return Source::kImport;
  return std::nullopt;
}

bool SourceSelects(Source source, v1::DiscoveryChannel channel) {
  switch (source) {
    case Source::kAll:
      return true;
    case Source::kOwn:
      return channel != v1::DISCOVERY_CHANNEL_IMPORT;
    case Source::kImport:
      return channel == v1::DISCOVERY_CHANNEL_IMPORT;
  }
  return true;
}

std::string QuarterOf(absl::Time time) {
  const absl::CivilMonth month = absl::ToCivilMonth(time, absl::UTCTimeZone());
  return absl::StrCat(month.year(), "-Q", (month.month() - 1) / 3 + 1);
}

// What one group holds over a block of parts: Accumulator's counts and
// totals, and its samples as values (their OrderKeys, sorted) rather than
// indices into one call's Samples, so that the block outlives the call.
struct BlockGroup {
  std::string key;
  std::string_view label;  // a symbol's text
  bool labelled = false;
  Counts counts;
  // Tenders do not span parts: their counts add up over blocks.
  size_t tenders_bid = 0;
  size_t tenders_no_bid = 0;
  std::vector<uint64_t> price_gaps;   // OrderKey(double), sorted
  std::vector<uint64_t> cycle_nanos;  // OrderKey(int64_t), sorted
  std::vector<absl::Duration> wide_cycles;

  void AddCounts(const BlockGroup& other) {
    counts.Add(other.counts);
    tenders_bid += other.tenders_bid;
    tenders_no_bid += other.tenders_no_bid;
  }
};

struct WinLossBlock {
  // In the order the pass reached them.
  std::vector<BlockGroup> groups;
  // Currencies the deal-size bands met without a rate.
  std::vector<Symbol> band_missing;
};

namespace {

// Samples merged over blocks: each block's sorted keys, not copied.
struct MergedSamples {
  std::vector<const std::vector<uint64_t>*> arrays;
  size_t count = 0;

  void Add(const std::vector<uint64_t>& keys) {
    if (keys.empty()) return;
    arrays.push_back(&keys);
    count += keys.size();
  }
};

// Below so many samples, a median gathers them and selects (Middle);
// from so many, it searches the blocks' sorted keys for the middle ranks.
constexpr size_t kSearchFrom = 2048;

// The key of rank `rank` (from 0) among the keys of every array: the least
// key with more than `rank` keys at or below it, found by halving the key
// range, each step counting with a binary search in each sorted array.
uint64_t KeyOfRank(const MergedSamples& samples, size_t rank) {
  uint64_t low = ~uint64_t{0};
  uint64_t high = 0;
  for (const std::vector<uint64_t>* keys : samples.arrays) {
    low = std::min(low, keys->front());
    high = std::max(high, keys->back());
  }
  while (low < high) {
    const uint64_t mid = low + (high - low) / 2;
    size_t at_most = 0;
    for (const std::vector<uint64_t>* keys : samples.arrays) {
      at_most +=
          static_cast<size_t>(std::upper_bound(keys->begin(), keys->end(), mid) - keys->begin());
    }
    if (at_most > rank) {
      high = mid;
    } else {
      low = mid + 1;
    }
  }
  return low;
}

// The middle of merged samples (not empty): the upper middle value, and
// for an even count the lower one too, as Middle gives them.
template <typename T>
std::pair<T, std::optional<T>> MiddleOfMerged(const MergedSamples& samples,
                                              MedianScratch<T>* scratch) {
  const bool even = samples.count % 2 == 0;
  const size_t rank = samples.count / 2;
  if (samples.arrays.size() == 1) {
    const std::vector<uint64_t>& keys = *samples.arrays[0];
    return {FromOrderKey<T>(keys[rank]),
            even ? std::optional<T>(FromOrderKey<T>(keys[rank - 1])) : std::nullopt};
  }
  if (samples.count < kSearchFrom) {
    scratch->values.clear();
    KeyRange range;
    for (const std::vector<uint64_t>* keys : samples.arrays) {
      for (uint64_t key : *keys) {
        const T value = FromOrderKey<T>(key);
        scratch->values.push_back(value);
        range.Add(value);
      }
    }
    return Middle(&scratch->values, range, &scratch->spare);
  }
  const T upper = FromOrderKey<T>(KeyOfRank(samples, rank));
  if (!even) return {upper, std::nullopt};
  return {upper, FromOrderKey<T>(KeyOfRank(samples, rank - 1))};
}

// One group over every block.
struct MergedGroup {
  BlockGroup totals;  // counts and totals; no samples
  MergedSamples price_gaps;
  MergedSamples cycle_nanos;
  std::vector<const std::vector<absl::Duration>*> wide_cycles;

  // `converter`: into the reporting currency, for the converted values when
  // it has rates.
  v1::WinLossGroup ToProto(bool with_bid_rate, const Converter& converter,
                           const std::string& reporting_currency, MedianScratch<double>* gaps,
                           MedianScratch<int64_t>* cycles) const {
    const BlockGroup& t = totals;
    const Counts& c = totals.counts;
    v1::WinLossGroup group;
    group.set_group(t.key);
    group.set_bid(c.bid);
    group.set_won(c.won);
    group.set_lost(c.lost);
    group.set_pending(c.pending);
    group.set_void_(c.void_count);
    group.set_disqualified(c.disqualified);
    group.set_no_bid(static_cast<uint32_t>(t.tenders_no_bid));
    if (c.won + c.lost > 0) group.set_win_rate(static_cast<double>(c.won) / (c.won + c.lost));
    if (with_bid_rate && t.tenders_bid + t.tenders_no_bid > 0) {
      group.set_bid_rate(static_cast<double>(t.tenders_bid) /
                         static_cast<double>(t.tenders_bid + t.tenders_no_bid));
    }
    c.value_won.ToProto(group.mutable_value_won());
    c.value_lost.ToProto(group.mutable_value_lost());
    if (converter.has_rates()) {
      group.mutable_value_won_converted()->set_currency(reporting_currency);
      c.value_won.ToConverted(converter, group.mutable_value_won_converted(),
                              group.mutable_value_won_unconverted());
      group.mutable_value_lost_converted()->set_currency(reporting_currency);
      c.value_lost.ToConverted(converter, group.mutable_value_lost_converted(),
                               group.mutable_value_lost_unconverted());
    }
    if (c.bid > 0) group.set_mean_bidders(static_cast<double>(c.bidders_sum) / c.bid);
    if (price_gaps.count > 0) {
      group.set_median_price_gap(MedianOfMiddle(MiddleOfMerged(price_gaps, gaps)));
    }
    if (!wide_cycles.empty()) {
      // Durations have no OrderKey: by selection alone.
      std::vector<absl::Duration> durations;
      for (const std::vector<uint64_t>* keys : cycle_nanos.arrays) {
        for (uint64_t key : *keys)
          durations.push_back(absl::Nanoseconds(FromOrderKey<int64_t>(key)));
      }
      for (const std::vector<absl::Duration>* wide : wide_cycles) {
        durations.insert(durations.end(), wide->begin(), wide->end());
      }
      ToProtoDuration(
          MedianOfMiddle(SelectMiddle(&durations, durations.size() / 2, durations.size() % 2 == 0)),
          group.mutable_median_cycle_time());
    } else if (cycle_nanos.count > 0) {
      const auto [upper, lower] = MiddleOfMerged(cycle_nanos, cycles);
      const std::optional<absl::Duration> lower_duration =
          lower ? std::optional<absl::Duration>(absl::Nanoseconds(*lower)) : std::nullopt;
      ToProtoDuration(MedianOfMiddle(std::make_pair(absl::Nanoseconds(upper), lower_duration)),
                      group.mutable_median_cycle_time());
    }
    group.set_awards_before_tender(c.awards_before_tender);
    return group;
  }
};

// What a block's pass depends on besides its parts, as bytes: the options
// that select, group and band (the reporting currency's own rates convert
// totals after the merge, and matter only to deal-size bands). Empty for a
// query whose passes depend on the whole set (customer segments: each
// buyer's cell is that of all its competitions).
std::string QueryKey(const WinLossOptions& options) {
  if (options.group_by == v1::WIN_LOSS_GROUP_BY_CUSTOMER_SEGMENT) return "";
  // Each field with its length first: no two different options meet.
  std::string key;
  auto add = [&key](std::string_view field) {
    absl::StrAppend(&key, field.size(), ":");
    key.append(field);
  };
  add(absl::StrCat(static_cast<int>(options.group_by)));
  add(options.bidder_id);
  add(options.own_party_id);
  add(absl::FormatTime(absl::RFC3339_full, options.from, absl::UTCTimeZone()));
  add(absl::FormatTime(absl::RFC3339_full, options.to, absl::UTCTimeZone()));
  add(options.territory);
  add(options.owner_team);
  add(options.buyer_id);
  add(options.category);
  add(absl::StrCat(static_cast<int>(options.source)));
  if (options.group_by == v1::WIN_LOSS_GROUP_BY_DEAL_SIZE) {
    add(options.medium_deal_from.ToString());
    add(options.large_deal_from.ToString());
    add(options.deal_size_currency);
    add(options.reporting.currency);
    for (const std::map<std::string, Decimal>* rates :
         {&options.reporting.rates, &options.rate_table.in_base}) {
      add(absl::StrCat(rates->size()));
      for (const auto& [currency, rate] : *rates) {
        add(currency);
        add(rate.ToString());
      }
    }
    add(options.rate_table.base);
  }
  return key;
}

// Sorts `keys` (`spare`: scratch): below a few hundred with std::sort, else
// by their digits of 11 bits from the lowest (a radix sort), skipping a digit
// every key has alike. A block's samples are sorted once, when its pass
// ends; at a million tenders that is a few million keys, which std::sort
// took three times longer over.
void SortKeys(std::vector<uint64_t>* keys, std::vector<uint64_t>* spare) {
  const size_t count = keys->size();
  if (count < 512) {
    std::sort(keys->begin(), keys->end());
    return;
  }
  constexpr int kBits = 11;
  constexpr int kDigits = (64 + kBits - 1) / kBits;
  constexpr uint64_t kMask = (uint64_t{1} << kBits) - 1;
  std::vector<std::array<uint32_t, size_t{1} << kBits>> counts(kDigits);
  for (uint64_t key : *keys) {
    for (int digit = 0; digit < kDigits; ++digit) ++counts[digit][(key >> (digit * kBits)) & kMask];
  }
  spare->resize(count);
  uint64_t* from = keys->data();
  uint64_t* to = spare->data();
  for (int digit = 0; digit < kDigits; ++digit) {
    const int shift = digit * kBits;
    std::array<uint32_t, size_t{1} << kBits>& at = counts[digit];
    if (at[(from[0] >> shift) & kMask] == count) continue;  // alike in every key
    uint32_t next = 0;
    for (uint32_t& bucket : at) {
      const uint32_t here = bucket;
      bucket = next;
      next += here;
    }
    for (size_t i = 0; i < count; ++i) to[at[(from[i] >> shift) & kMask]++] = from[i];
    std::swap(from, to);
  }
  if (from != keys->data()) std::copy(from, from + count, keys->data());
}

// One WinLoss call: what its passes share (the selection, the group
// numbers), and a pass over one block of parts at a time.
class WinLossPass {
 public:
  explicit WinLossPass(const WinLossOptions& options)
      : options_(options),
        selection_(options),
        bidder_(Symbol::Find(options.bidder_id)),
        per_bidder_(options.group_by == v1::WIN_LOSS_GROUP_BY_BIDDER),
        // No-bid decisions belong to tenders, not to head-to-head meetings.
        count_no_bid_(options.bidder_id == options.own_party_id &&
                      options.group_by != v1::WIN_LOSS_GROUP_BY_COMPETITOR) {
    // Where the own party's no-bid decisions go when grouping by bidder.
    if (per_bidder_ && !options.own_party_id.empty()) {
      std::optional<Symbol> own = Symbol::Find(options.own_party_id);
      own_party_ = own ? groups_.OfSymbol(*own) : groups_.OfKey(options.own_party_id);
    }
    group_of_band_.fill(kNoGroup);
  }

  bool Possible() const { return selection_.Possible(); }
  bool per_bidder() const { return per_bidder_; }
  bool count_no_bid() const { return count_no_bid_; }

  // For grouping by segment: each buyer's cell as of the end of the period.
  void SetCells(const CompetitionSet& competitions) {
    const v1::SegmentsResponse grid = Segments(competitions, options_.segments);
    for (const v1::BuyerSegment& buyer : grid.buyers()) {
      // Every buyer on the grid comes from a competition: its id is interned.
      if (std::optional<Symbol> id = Symbol::Find(buyer.buyer().id())) {
        cell_of_buyer_[*id] = CellOf(buyer.potential(), buyer.share_band());
      }
    }
  }

  // A pass over parts [begin, end).
  std::shared_ptr<const WinLossBlock> Block(
      const std::vector<std::shared_ptr<const CompetitionRows>>& parts, size_t begin, size_t end);

 private:
  const WinLossOptions& options_;
  const Selection selection_;
  const std::optional<Symbol> bidder_;
  const bool per_bidder_;
  const bool count_no_bid_;
  Groups groups_;
  uint32_t own_party_ = kNoGroup;
  absl::flat_hash_map<Symbol, std::string> cell_of_buyer_;
  // Caches from what the loop computes per competition to its group.
  std::vector<uint32_t> group_of_buyer_segment_;
  absl::flat_hash_map<int64_t, uint32_t> group_of_day_;
  absl::flat_hash_map<int, uint32_t> group_of_enum_;
  std::array<uint32_t, 4> group_of_band_;
  uint32_t group_of_all_ = kNoGroup;
  // Reused from one block to the next.
  BlockSlots slots_;
  Samples samples_;
  std::vector<uint64_t> sort_scratch_;
};

std::shared_ptr<const WinLossBlock> WinLossPass::Block(
    const std::vector<std::shared_ptr<const CompetitionRows>>& parts, size_t begin, size_t end) {
  // Locals for the loop below: what it reads on every row stays in
  // registers rather than being read again through `this` after each store.
  const WinLossOptions& options = options_;
  const Selection& selection = selection_;
  const std::optional<Symbol> bidder = bidder_;
  const bool per_bidder = per_bidder_;
  const bool count_no_bid = count_no_bid_;
  Groups& groups = groups_;
  BlockSlots& slots = slots_;
  Samples& samples = samples_;
  samples.cycle_nanos.clear();
  samples.wide_cycles.clear();
  samples.price_gaps.clear();
  {
    // A decided competition has one cycle time, and most of the bidder's
    // lost ones a price gap: no reallocation while the pass appends them.
    size_t rows = 0;
    for (size_t part = begin; part < end; ++part) rows += parts[part]->size();
    samples.cycle_nanos.reserve(rows);
    samples.price_gaps.reserve(rows);
  }
  // Bands convert into the thresholds' currency; the block keeps the
  // currencies it met without a rate.
  const Converter band_converter =
      BandConverter(options.reporting, options.rate_table, options.deal_size_currency);
  // The tender whose no-bid decision was counted last.
  uint32_t no_bid_counted_for = ~uint32_t{0};

  // The groups one competition falls in; reused, so that the loop does not
  // allocate.
  IndexList keys;
  // Tenders are numbered across the block's parts: each part's from 1, after
  // those of the parts before.
  uint32_t tenders_before = 0;
  // One row (i, of rows) of the pass; `known_mine`: the bidder's bid in it,
  // when the caller knows it.
  constexpr int64_t kUnknownBid = -2;
  auto visit = [&](const CompetitionRows& rows, size_t i, int64_t known_mine) {
    const CompetitionRows::Row& row = rows[i];
    if (!selection.Selects(rows, i)) return;
    const uint32_t tender = tenders_before + row.tender;
    if (per_bidder) {
      keys.clear();
      std::optional<Shared> shared;
      for (size_t bid = rows.bids_begin(i), end = rows.bids_end(i); bid < end; ++bid) {
        const Symbol each = rows.bid(bid).bidder;
        const uint32_t slot = groups.OfSymbol(each);
        if (std::find(keys.begin(), keys.end(), slot) != keys.end()) continue;
        keys.Add(slot);
        BlockSlot& group = slots[slot];
        if (!group.labelled) SetLabel(rows, i, bid, &group);
        const int64_t mine = rows.BidIndexOf(i, each);
        if (mine < 0) continue;  // withdrawn
        if (!shared) shared = ShareOf(rows, i, &samples);
        group.totals.Add(
            Evaluate(rows, i, each, static_cast<size_t>(mine), *shared, tender, &samples));
      }
      if (row.no_bid && own_party_ != kNoGroup) slots[own_party_].totals.tenders_no_bid.Add(tender);
      return;
    }
    keys.clear();
    const int64_t mine = known_mine != kUnknownBid ? known_mine
                         : bidder                  ? rows.BidIndexOf(i, *bidder)
                                                   : -1;
    switch (options.group_by) {
      case v1::WIN_LOSS_GROUP_BY_BUYER: {
        const CompetitionRows::Detail& detail = rows.detail(i);
        const uint32_t slot = groups.OfSymbol(detail.buyer_id);
        BlockSlot& group = slots[slot];
        if (!group.labelled) {
          group.label = detail.competition->buyer_name.text();
          group.labelled = true;
        }
        keys.Add(slot);
        break;
      }
      case v1::WIN_LOSS_GROUP_BY_TERRITORY:
        keys.Add(groups.OfSymbol(rows.detail(i).territory));
        break;
      case v1::WIN_LOSS_GROUP_BY_CATEGORY:
        keys.Add(groups.OfSymbol(rows.detail(i).category));
        break;
      case v1::WIN_LOSS_GROUP_BY_OWNER_TEAM:
        keys.Add(groups.OfSymbol(rows.detail(i).owner_team));
        break;
      case v1::WIN_LOSS_GROUP_BY_QUARTER: {
        // A UTC day lies in one quarter: the quarter is worked out once per
        // day (infinite dates have a quarter of their own).
        const absl::Time date = row.date;
        if (date == absl::InfinitePast() || date == absl::InfiniteFuture()) {
          keys.Add(groups.OfKey(QuarterOf(date)));
          break;
        }
        const int64_t seconds = absl::ToUnixSeconds(date);
        const int64_t day = seconds / kSecondsPerDay - (seconds % kSecondsPerDay < 0 ? 1 : 0);
        auto [found, inserted] = group_of_day_.try_emplace(day, kNoGroup);
        if (inserted) found->second = groups.OfKey(QuarterOf(date));
        keys.Add(found->second);
        break;
      }
      case v1::WIN_LOSS_GROUP_BY_DEAL_SIZE: {
        const DealBand band = DealSize(rows, i, mine, band_converter, options);
        uint32_t& slot = group_of_band_[static_cast<size_t>(band)];
        if (slot == kNoGroup) slot = groups.OfKey(DealBandLabel(band));
        keys.Add(slot);
        break;
      }
      case v1::WIN_LOSS_GROUP_BY_PROCUREMENT_METHOD:
      case v1::WIN_LOSS_GROUP_BY_DISCOVERY_CHANNEL: {
        const bool method = options.group_by == v1::WIN_LOSS_GROUP_BY_PROCUREMENT_METHOD;
        const CompetitionRows::Detail& detail = rows.detail(i);
        const int value = method ? static_cast<int>(detail.procurement_method)
                                 : static_cast<int>(detail.discovery_channel);
        auto [found, inserted] = group_of_enum_.try_emplace(value, kNoGroup);
        // Values this build does not know share the "unspecified" group.
        if (inserted) {
          found->second = groups.OfKey(EnumLabel(
              method ? v1::ProcurementMethod_descriptor() : v1::DiscoveryChannel_descriptor(),
              value));
        }
        keys.Add(found->second);
        break;
      }
      case v1::WIN_LOSS_GROUP_BY_CUSTOMER_SEGMENT: {
        const Symbol buyer = rows.detail(i).buyer_id;
        uint32_t& slot = GroupOf(&group_of_buyer_segment_, buyer);
        if (slot == kNoGroup) {
          auto cell = cell_of_buyer_.find(buyer);
          slot = groups.OfKey(cell == cell_of_buyer_.end() ? std::string_view("unsegmented")
                                                           : std::string_view(cell->second));
        }
        keys.Add(slot);
        break;
      }
      case v1::WIN_LOSS_GROUP_BY_COMPETITOR: {
        // Only competitions of the bidder's have competitors.
        if (mine < 0) break;
        for (size_t each = rows.bids_begin(i), end = rows.bids_end(i); each < end; ++each) {
          const CompetitionRows::Bid& bid = rows.bid(each);
          if (bid.bidder == *bidder || bid.withdrawn()) continue;
          const uint32_t slot = groups.OfSymbol(bid.bidder);
          if (std::find(keys.begin(), keys.end(), slot) != keys.end()) continue;
          keys.Add(slot);
          BlockSlot& group = slots[slot];
          if (!group.labelled) SetLabel(rows, i, each, &group);
        }
        break;
      }
      default:
        if (group_of_all_ == kNoGroup) group_of_all_ = groups.OfKey("all");
        keys.Add(group_of_all_);
        break;
    }
    if (keys.empty()) return;
    const Outcome outcome = mine < 0 ? Outcome()
                                     : Evaluate(rows, i, *bidder, static_cast<size_t>(mine),
                                                ShareOf(rows, i, &samples), tender, &samples);
    // A no-bid decision is the tender's: it counts once, in the groups of
    // the tender's first competition selected (a tender whose lots fall in
    // several deal-size bands counts in its first lot's band), so that the
    // groups' no_bid add up to the whole.
    const bool no_bid_here = count_no_bid && row.no_bid && tender != no_bid_counted_for;
    if (no_bid_here) no_bid_counted_for = tender;
    for (uint32_t slot : keys) {
      Accumulator& totals = slots[slot].totals;
      totals.Add(outcome);
      if (no_bid_here) totals.tenders_no_bid.Add(tender);
    }
  };
  for (size_t part = begin; part < end; ++part) {
    const CompetitionRows& rows = *parts[part];
    if (options.group_by == v1::WIN_LOSS_GROUP_BY_COMPETITOR) {
      // Only competitions of the bidder's have competitors: those the rows
      // list for the bidder, in their order.
      if (bidder) {
        for (const CompetitionRows::Posting& posting : rows.PostingsOf(*bidder)) {
          visit(rows, posting.row, posting.bid);
        }
      }
    } else {
      for (size_t i = 0; i < rows.size(); ++i) visit(rows, i, kUnknownBid);
    }
    tenders_before += rows.tenders();
  }

  auto block = std::make_shared<WinLossBlock>();
  block->groups.reserve(slots.reached().size());
  for (uint32_t slot : slots.reached()) {
    BlockSlot& reached = slots[slot];
    const Accumulator& totals = reached.totals;
    BlockGroup& group = block->groups.emplace_back();
    group.key = groups.key(slot);
    group.label = reached.label;
    group.labelled = reached.labelled;
    group.counts = totals.counts;
    group.tenders_bid = totals.tenders_bid.size();
    group.tenders_no_bid = totals.tenders_no_bid.size();
    group.price_gaps.reserve(totals.price_gaps.size());
    for (uint32_t index : totals.price_gaps) {
      group.price_gaps.push_back(OrderKey(samples.price_gaps[index]));
    }
    SortKeys(&group.price_gaps, &sort_scratch_);
    group.cycle_nanos.reserve(totals.cycle_times.size());
    for (uint32_t index : totals.cycle_times) {
      group.cycle_nanos.push_back(OrderKey(samples.cycle_nanos[index]));
    }
    SortKeys(&group.cycle_nanos, &sort_scratch_);
    for (uint32_t index : totals.wide_cycle_times) {
      group.wide_cycles.push_back(samples.wide_cycles[index]);
    }
  }
  slots.Clear();
  block->band_missing = band_converter.Missing();
  return block;
}

}  // namespace

WinLossCache::WinLossCache(size_t queries, size_t max_bytes)
    : max_queries_(std::max<size_t>(1, queries)), max_bytes_(max_bytes) {}
WinLossCache::~WinLossCache() = default;

namespace {

// What a block's groups hold, roughly: for the cache's bound.
size_t BytesOf(const WinLossBlock& block) {
  size_t bytes = sizeof(WinLossBlock) + block.band_missing.capacity() * sizeof(Symbol);
  for (const BlockGroup& group : block.groups) {
    bytes += sizeof(BlockGroup) + group.key.capacity() +
             (group.price_gaps.capacity() + group.cycle_nanos.capacity()) * sizeof(uint64_t) +
             group.wide_cycles.capacity() * sizeof(absl::Duration);
  }
  return bytes;
}

}  // namespace

std::shared_ptr<const WinLossBlock> WinLossCache::Find(
    std::string_view query, size_t block,
    const std::vector<std::shared_ptr<const CompetitionRows>>& parts) {
  absl::MutexLock lock(&mu_);
  auto found = queries_.find(absl::string_view(query.data(), query.size()));
  if (found == queries_.end()) return nullptr;
  Query& kept_query = found->second;
  kept_query.last_used = ++uses_;
  if (block >= kept_query.blocks.size()) return nullptr;
  Kept& kept = kept_query.blocks[block];
  if (kept.found == nullptr) return nullptr;
  const size_t begin = block * kBlockParts;
  const size_t end = std::min(parts.size(), begin + kBlockParts);
  bool same = kept.parts.size() == end - begin;
  for (size_t i = begin; same && i < end; ++i) {
    // A part alive is the very part it was: one that was freed cannot be
    // mistaken for another made at its address.
    same = kept.parts[i - begin].lock() == parts[i];
  }
  if (same) return kept.found;
  // Over parts that changed since: of no use any more.
  kept_query.bytes -= kept.bytes;
  bytes_ -= kept.bytes;
  kept = Kept();
  return nullptr;
}

void WinLossCache::Keep(std::string_view query, size_t block, size_t blocks,
                        const std::vector<std::shared_ptr<const CompetitionRows>>& parts,
                        std::shared_ptr<const WinLossBlock> found) {
  Kept kept;
  const size_t begin = block * kBlockParts;
  const size_t end = std::min(parts.size(), begin + kBlockParts);
  for (size_t i = begin; i < end; ++i) kept.parts.push_back(parts[i]);
  kept.bytes = BytesOf(*found);
  kept.found = std::move(found);
  absl::MutexLock lock(&mu_);
  ++kept_;
  Query& kept_query = queries_[absl::string_view(query.data(), query.size())];
  kept_query.last_used = ++uses_;
  // Blocks beyond the set's last (it shrank) go.
  for (size_t i = blocks; i < kept_query.blocks.size(); ++i) {
    kept_query.bytes -= kept_query.blocks[i].bytes;
    bytes_ -= kept_query.blocks[i].bytes;
  }
  kept_query.blocks.resize(blocks);
  if (block < blocks) {
    Kept& slot = kept_query.blocks[block];
    kept_query.bytes += kept.bytes - slot.bytes;
    bytes_ += kept.bytes - slot.bytes;
    slot = std::move(kept);
  }
  Evict(&kept_query);
}

void WinLossCache::Evict(const Query* keep) {
  while (queries_.size() > 1 && (queries_.size() > max_queries_ || bytes_ > max_bytes_)) {
    auto oldest = queries_.end();
    for (auto it = queries_.begin(); it != queries_.end(); ++it) {
      if (&it->second == keep) continue;
      if (oldest == queries_.end() || it->second.last_used < oldest->second.last_used) oldest = it;
    }
    if (oldest == queries_.end()) return;
    bytes_ -= oldest->second.bytes;
    queries_.erase(oldest);
  }
}

uint64_t WinLossCache::kept() {
  absl::MutexLock lock(&mu_);
  return kept_;
}

size_t WinLossCache::blocks() {
  absl::MutexLock lock(&mu_);
  size_t count = 0;
  for (const auto& [query, kept] : queries_) {
    for (const Kept& block : kept.blocks) count += block.found != nullptr ? 1 : 0;
  }
  return count;
}

std::vector<v1::WinLossGroup> WinLoss(const CompetitionSet& competitions,
                                      const WinLossOptions& options,
                                      std::vector<std::string>* without_rate, WinLossCache* cache) {
  WinLossPass pass(options);
  if (!pass.Possible()) return {};
  if (options.group_by == v1::WIN_LOSS_GROUP_BY_CUSTOMER_SEGMENT) pass.SetCells(competitions);
  const std::string query = cache != nullptr ? QueryKey(options) : std::string();
  const bool cached = cache != nullptr && !query.empty();

  // Each block's pass, kept or made now; then the groups merged over blocks,
  // in the order the blocks first reached them.
  const std::vector<std::shared_ptr<const CompetitionRows>>& parts = competitions.Rows();
  const size_t block_count =
      (parts.size() + WinLossCache::kBlockParts - 1) / WinLossCache::kBlockParts;
  std::vector<std::shared_ptr<const WinLossBlock>> blocks;
  blocks.reserve(block_count);
  for (size_t block = 0; block < block_count; ++block) {
    std::shared_ptr<const WinLossBlock> found = cached ? cache->Find(query, block, parts) : nullptr;
    if (found == nullptr) {
      const size_t begin = block * WinLossCache::kBlockParts;
      found = pass.Block(parts, begin, std::min(parts.size(), begin + WinLossCache::kBlockParts));
      if (cached) cache->Keep(query, block, block_count, parts, found);
    }
    blocks.push_back(std::move(found));
  }
  std::vector<MergedGroup> merged;
  absl::flat_hash_map<std::string_view, size_t> merged_of_key;
  for (const std::shared_ptr<const WinLossBlock>& block : blocks) {
    for (const BlockGroup& group : block->groups) {
      auto [found, added] = merged_of_key.try_emplace(group.key, merged.size());
      if (added) merged.emplace_back().totals.key = group.key;
      MergedGroup& into = merged[found->second];
      if (!into.totals.labelled && group.labelled) {
        into.totals.label = group.label;
        into.totals.labelled = true;
      }
      into.totals.AddCounts(group);
      into.price_gaps.Add(group.price_gaps);
      into.cycle_nanos.Add(group.cycle_nanos);
      if (!group.wide_cycles.empty()) into.wide_cycles.push_back(&group.wide_cycles);
    }
  }

  const Converter converter = ReportingConverter(options.reporting, options.rate_table);
  const bool per_bidder = pass.per_bidder();
  const bool count_no_bid = pass.count_no_bid();
  MedianScratch<double> gap_scratch;
  MedianScratch<int64_t> cycle_scratch;
  std::vector<v1::WinLossGroup> result;
  for (const MergedGroup& group : merged) {
    const BlockGroup& totals = group.totals;
    if (totals.counts.bid == 0 && totals.tenders_no_bid == 0) continue;
    const bool ours = per_bidder ? totals.key == options.own_party_id : count_no_bid;
    v1::WinLossGroup proto =
        group.ToProto(ours, converter, options.reporting.currency, &gap_scratch, &cycle_scratch);
    if (totals.labelled) proto.set_label(std::string(totals.label));
    result.push_back(std::move(proto));
  }
  if (without_rate != nullptr) {
    converter.AddMissing(without_rate);
    for (const std::shared_ptr<const WinLossBlock>& block : blocks) {
      Converter::AddMissing(block->band_missing, without_rate);
    }
    std::sort(without_rate->begin(), without_rate->end());
  }
  // Quarters in date order, deal sizes from small to large; any other
  // grouping largest first. The key breaks ties, so that the order does not
  // depend on the order in which groups appeared.
  if (options.group_by == v1::WIN_LOSS_GROUP_BY_QUARTER) {
    std::sort(
        result.begin(), result.end(),
        [](const v1::WinLossGroup& a, const v1::WinLossGroup& b) { return a.group() < b.group(); });
    return result;
  }
  if (options.group_by == v1::WIN_LOSS_GROUP_BY_DEAL_SIZE) {
    auto band = [](const std::string& key) {
      return key == "small" ? 0 : key == "medium" ? 1 : key == "large" ? 2 : 3;
    };
    std::sort(result.begin(), result.end(),
              [&](const v1::WinLossGroup& a, const v1::WinLossGroup& b) {
                return band(a.group()) < band(b.group());
              });
    return result;
  }
  std::sort(result.begin(), result.end(), [](const v1::WinLossGroup& a, const v1::WinLossGroup& b) {
    return a.bid() != b.bid() ? a.bid() > b.bid() : a.group() < b.group();
  });
  return result;
}

v1::SegmentsResponse Segments(const CompetitionSet& competitions, const SegmentOptions& options) {
  struct Buyer {
    // The last competition's.
    Symbol name;
    Decimal total;
    // In the potential thresholds' currency, for the band.
    Decimal total_for_band;
    Decimal ours;
    uint32_t won = 0;
    uint32_t lost = 0;
  };
  absl::flat_hash_map<Symbol, Buyer> buyers;
  const std::optional<Symbol> bidder = Symbol::Find(options.bidder_id);
  const Converter converter = ReportingConverter(options.reporting, options.rate_table);
  const Converter band_converter =
      BandConverter(options.reporting, options.rate_table, options.potential_currency);
  uint32_t unconverted = 0;
  const absl::Time start = options.as_of - options.window;
  ForEachCompetition(competitions, [&](const Competition& competition) {
    if (competition.status != Competition::Status::kDecided) return;
    if (!SourceSelects(options.source, competition.discovery_channel)) return;
    if (competition.award_at <= start || competition.award_at > options.as_of) return;
    std::optional<Decimal> value =
        converter.Convert(competition.award_value, competition.award_currency);
    std::optional<Decimal> for_band =
        band_converter.Convert(competition.award_value, competition.award_currency);
    if (!value || !for_band) {
      ++unconverted;
      return;
    }
    Buyer& buyer = buyers[competition.buyer_id];
    buyer.name = competition.buyer_name;
    buyer.total += *value;
    buyer.total_for_band += *for_band;
    const bool won = Won(competition, bidder);
    if (won) {
      // A shared award counts for each supplier in equal parts.
      buyer.ours +=
          Decimal::FromNanos(value->nanos() / static_cast<__int128>(competition.winners.size()));
    }
    if (const int mine = BidIndexOf(competition, bidder); mine >= 0) {
      if (won && competition.bid_facts[mine].status != v1::BID_STATUS_DISQUALIFIED) {
        ++buyer.won;
      } else {
        ++buyer.lost;
      }
    }
  });
  static const char* const kPotentials[] = {"small", "medium", "large"};
  static const char* const kShares[] = {"growth", "development", "consolidation"};
  std::map<std::string, v1::SegmentCell> cells;
  for (const char* potential : kPotentials) {
    for (const char* share : kShares) {
      v1::SegmentCell& cell = cells[CellOf(potential, share)];
      cell.set_potential(potential);
      cell.set_share_band(share);
    }
  }
  // Buyers in the order of their ids.
  std::vector<std::pair<std::string_view, const Buyer*>> by_id;
  by_id.reserve(buyers.size());
  for (const auto& [id, buyer] : buyers) by_id.emplace_back(id.text(), &buyer);
  std::sort(by_id.begin(), by_id.end());
  v1::SegmentsResponse response;
  for (const auto& [id, buyer] : by_id) {
    const char* potential = buyer->total_for_band < options.medium_potential_from  ? "small"
                            : buyer->total_for_band < options.large_potential_from ? "medium"
                                                                                   : "large";
    const double share = buyer->total.IsZero() ? 0
                                               : static_cast<double>(buyer->ours.nanos()) /
                                                     static_cast<double>(buyer->total.nanos());
    const char* band = share < options.development_share_from     ? "growth"
                       : share < options.consolidation_share_from ? "development"
                                                                  : "consolidation";
    v1::BuyerSegment* segment = response.add_buyers();
    segment->mutable_buyer()->set_id(std::string(id));
    segment->mutable_buyer()->set_name(std::string(buyer->name.text()));
    segment->set_potential(potential);
    segment->set_share_band(band);
    // Converted with estimated rates: to the cent.
    segment->set_awarded_value(buyer->total.ToFixed(2));
    segment->set_our_awarded_value(buyer->ours.ToFixed(2));
    segment->set_share(share);
    v1::SegmentCell& cell = cells[CellOf(potential, band)];
    cell.set_buyers(cell.buyers() + 1);
    cell.set_won(cell.won() + buyer->won);
    cell.set_lost(cell.lost() + buyer->lost);
  }
  for (const char* potential : kPotentials) {
    for (const char* share : kShares) {
      v1::SegmentCell cell = cells[CellOf(potential, share)];
      if (cell.won() + cell.lost() > 0) {
        cell.set_win_rate(static_cast<double>(cell.won()) / (cell.won() + cell.lost()));
      }
      *response.add_cells() = cell;
    }
  }
  response.set_unconverted_awards(unconverted);
  response.set_reporting_currency(options.reporting.currency);
  std::vector<std::string> without_rate;
  converter.AddMissing(&without_rate);
  band_converter.AddMissing(&without_rate);
  std::sort(without_rate.begin(), without_rate.end());
  for (std::string& currency : without_rate) response.add_currencies_without_rate(currency);
  return response;
}

std::vector<v1::CompetitorSummary> Competitors(const CompetitionSet& competitions,
                                               const std::string& bidder_id, absl::Time from,
                                               absl::Time to, Source source) {
  struct Record {
    // As the last competition spelled it.
    Symbol name;
    uint32_t met = 0, their_wins = 0, our_wins = 0;
    std::vector<double> differences;
  };
  absl::flat_hash_map<Symbol, Record> records;
  const std::optional<Symbol> bidder = Symbol::Find(bidder_id);
  // The competitors met in one competition; reused.
  absl::InlinedVector<Symbol, 8> seen;
  ForEachCompetition(competitions, [&](const Competition& competition) {
    if (competition.date < from || competition.date >= to) return;
    if (!SourceSelects(source, competition.discovery_channel)) return;
    const int mine = BidIndexOf(competition, bidder);
    if (mine < 0) return;
    const Competition::BidFacts& ours = competition.bid_facts[mine];
    const bool we_won = competition.Won(*bidder);
    seen.clear();
    for (size_t i = 0; i < competition.bid_facts.size(); ++i) {
      const Competition::BidFacts& bid = competition.bid_facts[i];
      if (bid.bidder == *bidder || bid.status == v1::BID_STATUS_WITHDRAWN) continue;
      if (std::find(seen.begin(), seen.end(), bid.bidder) != seen.end()) continue;
      seen.push_back(bid.bidder);
      const Competition::BidFacts& theirs =
          competition.bid_facts[competition.BidIndexOf(bid.bidder)];
      Record& record = records[bid.bidder];
      record.name = bid.name;
      ++record.met;
      if (competition.Won(bid.bidder)) ++record.their_wins;
      if (we_won) ++record.our_wins;
      if (theirs.currency == ours.currency && theirs.has_amount && ours.has_amount &&
          !ours.amount.IsZero()) {
        record.differences.push_back(Ratio(theirs.amount, ours.amount));
      }
    }
  });
  // In the order of competitor ids, then (stably) most met first.
  std::vector<std::pair<std::string_view, const Record*>> by_id;
  by_id.reserve(records.size());
  for (const auto& [id, record] : records) by_id.emplace_back(id.text(), &record);
  std::sort(by_id.begin(), by_id.end());
  std::vector<v1::CompetitorSummary> result;
  for (const auto& [id, record] : by_id) {
    v1::CompetitorSummary summary;
    summary.mutable_competitor()->set_id(std::string(id));
    summary.mutable_competitor()->set_name(std::string(record->name.text()));
    summary.set_met(record->met);
    summary.set_their_wins(record->their_wins);
    summary.set_our_wins(record->our_wins);
    if (!record->differences.empty()) {
      // Summed in value order, not in the order competitions are met: that
      // order differs between a projection folded live and one loaded or
      // rebuilt, and a floating sum would differ in its last digits.
      std::vector<double> differences = record->differences;
      std::sort(differences.begin(), differences.end());
      double sum = 0;
      for (double d : differences) sum += d;
      summary.set_mean_price_difference(sum / record->differences.size());
    }
    result.push_back(std::move(summary));
  }
  std::stable_sort(result.begin(), result.end(),
                   [](const v1::CompetitorSummary& a, const v1::CompetitorSummary& b) {
                     return a.met() > b.met();
                   });
  return result;
}

}  // namespace bidtrail::analytics
