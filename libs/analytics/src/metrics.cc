#include "bidtrail/analytics/metrics.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "bidtrail/common/proto_time.h"
#include "google/protobuf/duration.pb.h"

namespace bidtrail::analytics {
namespace {

template <typename T>
std::optional<T> Median(std::vector<T> values) {
  if (values.empty()) return std::nullopt;
  const size_t middle = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + middle, values.end());
  const T upper = values[middle];
  if (values.size() % 2 == 1) return upper;
  const T lower = *std::max_element(values.begin(), values.begin() + middle);
  return lower + (upper - lower) / 2;
}

// Tenders counted once, relying on the order of a CompetitionSet: the
// competitions of one tender are next to each other.
class TenderCount {
 public:
  void Add(std::string_view tender_id) {
    if (count_ > 0 && tender_id == last_) return;
    last_ = tender_id;
    ++count_;
  }
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }

 private:
  std::string_view last_;
  size_t count_ = 0;
};

// Hashes std::string_view keys with abseil's string hash (this abseil build
// does not know std::string_view).
struct ViewHash {
  size_t operator()(std::string_view view) const {
    return absl::Hash<absl::string_view>()(absl::string_view(view.data(), view.size()));
  }
};

// Lower-case enum value name without its prefix: PROCUREMENT_METHOD_OPEN -> open.
std::string EnumLabel(const google::protobuf::EnumDescriptor* descriptor, int value) {
  const google::protobuf::EnumValueDescriptor* found = descriptor->FindValueByNumber(value);
  if (found == nullptr || value == 0) return "unspecified";
  const std::string& zero = descriptor->value(0)->name();
  const std::string prefix = zero.substr(0, zero.size() - std::string("UNSPECIFIED").size());
  return absl::AsciiStrToLower(found->name().substr(prefix.size()));
}

void SetDuration(absl::Duration duration, google::protobuf::Duration* out) {
  const int64_t nanos = absl::ToInt64Nanoseconds(duration);
  out->set_seconds(nanos / 1000000000);
  out->set_nanos(static_cast<int32_t>(nanos % 1000000000));
}

std::optional<double> Ratio(std::optional<Decimal> numerator, std::optional<Decimal> denominator) {
  if (!numerator || !denominator || denominator->IsZero()) return std::nullopt;
  return static_cast<double>(numerator->nanos() - denominator->nanos()) /
         static_cast<double>(denominator->nanos());
}

struct Accumulator {
  uint32_t bid = 0, won = 0, lost = 0, pending = 0, void_count = 0, disqualified = 0;
  // Tender ids point into the competitions, which outlive the accumulator.
  TenderCount tenders_bid;
  TenderCount tenders_no_bid;
  std::map<std::string, Decimal> value_won;
  std::map<std::string, Decimal> value_lost;
  uint64_t bidders_sum = 0;
  std::vector<double> price_gaps;
  std::vector<absl::Duration> cycle_times;

  // What one competition adds to the groups it falls in, worked out once
  // (a head-to-head competition falls in one group per competitor).
  struct Outcome {
    bool counted = false;  // the bidder has a bid that was not withdrawn
    bool is_void = false;
    bool disqualified = false;
    enum class Result { kWon, kLost, kPending } result = Result::kPending;
    uint32_t bidders = 0;
    const std::string* value_currency = nullptr;  // value won or lost, and its currency
    std::optional<Decimal> value;
    std::optional<double> price_gap;
    std::optional<absl::Duration> cycle_time;
  };

  static Outcome Evaluate(const Competition& competition, std::string_view bidder) {
    Outcome outcome;
    const CompetitionBid* mine = competition.BidOf(bidder);
    if (mine == nullptr) return outcome;
    outcome.counted = true;
    outcome.bidders = static_cast<uint32_t>(std::count_if(
        competition.bids.begin(), competition.bids.end(),
        [](const CompetitionBid& b) { return b.status != v1::BID_STATUS_WITHDRAWN; }));
    if (competition.status == Competition::Status::kVoid) {
      outcome.is_void = true;
      return outcome;
    }
    outcome.disqualified = mine->status == v1::BID_STATUS_DISQUALIFIED;
    const bool decided = competition.status == Competition::Status::kDecided;
    if (decided) outcome.cycle_time = competition.first_award_at - competition.discovered_at;
    if (competition.Won(bidder) && !outcome.disqualified) {
      outcome.result = Outcome::Result::kWon;
      outcome.value = competition.award_value;
      outcome.value_currency = &competition.award_currency;
    } else if (decided || outcome.disqualified) {
      outcome.result = Outcome::Result::kLost;
      outcome.value = mine->value;
      outcome.value_currency = &mine->currency;
      if (decided && mine->currency == competition.award_currency) {
        outcome.price_gap = Ratio(mine->value, competition.award_value);
      }
    }
    return outcome;
  }

  void Add(const Outcome& outcome, std::string_view tender_id) {
    if (!outcome.counted) return;
    ++bid;
    tenders_bid.Add(tender_id);
    bidders_sum += outcome.bidders;
    if (outcome.is_void) {
      ++void_count;
      return;
    }
    if (outcome.disqualified) ++disqualified;
    if (outcome.cycle_time) cycle_times.push_back(*outcome.cycle_time);
    switch (outcome.result) {
      case Outcome::Result::kWon:
        ++won;
        if (outcome.value) value_won[*outcome.value_currency] += *outcome.value;
        break;
      case Outcome::Result::kLost:
        ++lost;
        if (outcome.value) value_lost[*outcome.value_currency] += *outcome.value;
        if (outcome.price_gap) price_gaps.push_back(*outcome.price_gap);
        break;
      case Outcome::Result::kPending:
        ++pending;
        break;
    }
  }

  void Add(const Competition& competition, std::string_view bidder) {
    Add(Evaluate(competition, bidder), competition.tender_id);
  }

  v1::WinLossGroup ToProto(const std::string& key, bool with_bid_rate) const {
    v1::WinLossGroup group;
    group.set_group(key);
    group.set_bid(bid);
    group.set_won(won);
    group.set_lost(lost);
    group.set_pending(pending);
    group.set_void_(void_count);
    group.set_disqualified(disqualified);
    group.set_no_bid(static_cast<uint32_t>(tenders_no_bid.size()));
    if (won + lost > 0) group.set_win_rate(static_cast<double>(won) / (won + lost));
    if (with_bid_rate && tenders_bid.size() + tenders_no_bid.size() > 0) {
      group.set_bid_rate(static_cast<double>(tenders_bid.size()) /
                         static_cast<double>(tenders_bid.size() + tenders_no_bid.size()));
    }
    for (const auto& [currency, amount] : value_won) {
      v1::MoneyTotal* total = group.add_value_won();
      total->set_currency(currency);
      total->set_amount(amount.ToString());
    }
    for (const auto& [currency, amount] : value_lost) {
      v1::MoneyTotal* total = group.add_value_lost();
      total->set_currency(currency);
      total->set_amount(amount.ToString());
    }
    if (bid > 0) group.set_mean_bidders(static_cast<double>(bidders_sum) / bid);
    if (auto gap = Median(price_gaps)) group.set_median_price_gap(*gap);
    if (auto cycle = Median(cycle_times)) SetDuration(*cycle, group.mutable_median_cycle_time());
    return group;
  }
};

std::string DealSize(const Competition& competition, const std::string& bidder,
                     const WinLossOptions& options) {
  std::optional<Decimal> value;
  if (competition.status == Competition::Status::kDecided) {
    value = options.reporting.Convert(competition.award_value, competition.award_currency);
  } else if (const CompetitionBid* mine = competition.BidOf(bidder); mine != nullptr) {
    value = options.reporting.Convert(mine->value, mine->currency);
  } else {
    value = options.reporting.Convert(competition.estimated_value, competition.estimated_currency);
  }
  if (!value) return "unrated";
  if (*value < options.medium_deal_from) return "small";
  if (*value < options.large_deal_from) return "medium";
  return "large";
}

bool Selected(const Competition& competition, const WinLossOptions& options) {
  return competition.date >= options.from && competition.date < options.to &&
         (options.territory.empty() || competition.territory == options.territory) &&
         (options.owner_team.empty() || competition.owner_team == options.owner_team) &&
         (options.buyer_id.empty() || competition.buyer_id == options.buyer_id) &&
         (options.category.empty() || competition.category == options.category);
}

std::string CellOf(const std::string& potential, const std::string& share) {
  return absl::StrCat(potential, "/", share);
}

}  // namespace

std::optional<Decimal> ReportingCurrency::Convert(const std::string& amount,
                                                  const std::string& from) const {
  return Convert(Decimal::Parse(amount), from);
}

std::optional<Decimal> ReportingCurrency::Convert(const std::optional<Decimal>& value,
                                                  const std::string& from) const {
  if (!value) return std::nullopt;
  if (from == currency) return value;
  auto rate = rates.find(from);
  if (rate == rates.end()) return std::nullopt;
  return value->Times(rate->second);
}

std::string QuarterOf(absl::Time time) {
  const absl::CivilMonth month = absl::ToCivilMonth(time, absl::UTCTimeZone());
  return absl::StrCat(month.year(), "-Q", (month.month() - 1) / 3 + 1);
}

std::vector<v1::WinLossGroup> WinLoss(const CompetitionSet& competitions,
                                      const WinLossOptions& options) {
  // Keys and labels point into the competitions (which outlive this call) or
  // into `interned`, so that the loop below copies no string.
  absl::flat_hash_map<std::string_view, Accumulator, ViewHash> groups;
  std::set<std::string, std::less<>> interned;
  auto intern = [&](std::string key) -> std::string_view {
    return *interned.insert(std::move(key)).first;
  };
  // For grouping by segment: each buyer's cell as of the end of the period.
  std::map<std::string, std::string> cell_of_buyer;
  if (options.group_by == v1::WIN_LOSS_GROUP_BY_CUSTOMER_SEGMENT) {
    const v1::SegmentsResponse grid = Segments(competitions, options.segments);
    for (const v1::BuyerSegment& buyer : grid.buyers()) {
      cell_of_buyer[buyer.buyer().id()] = CellOf(buyer.potential(), buyer.share_band());
    }
  }
  const bool per_bidder = options.group_by == v1::WIN_LOSS_GROUP_BY_BIDDER;
  // Names of parties, for groups keyed by a party id.
  absl::flat_hash_map<std::string_view, std::string_view, ViewHash> labels;
  for (const Competition* each : competitions) {
    const Competition& competition = *each;
    if (!Selected(competition, options)) continue;
    if (options.group_by == v1::WIN_LOSS_GROUP_BY_BUYER) {
      labels.try_emplace(competition.buyer_id, competition.buyer_name);
    }
    if (per_bidder) {
      std::vector<std::string_view> bidders;
      for (const CompetitionBid& bid : competition.bids) {
        if (std::find(bidders.begin(), bidders.end(), bid.bidder_id) == bidders.end()) {
          bidders.push_back(bid.bidder_id);
          if (!bid.bidder_name.empty()) labels.try_emplace(bid.bidder_id, bid.bidder_name);
        }
      }
      for (std::string_view bidder : bidders) groups[bidder].Add(competition, bidder);
      if (competition.no_bid && !options.own_party_id.empty()) {
        groups[options.own_party_id].tenders_no_bid.Add(competition.tender_id);
      }
      continue;
    }
    std::vector<std::string_view> keys;
    switch (options.group_by) {
      case v1::WIN_LOSS_GROUP_BY_BUYER:
        keys = {competition.buyer_id};
        break;
      case v1::WIN_LOSS_GROUP_BY_TERRITORY:
        keys = {competition.territory};
        break;
      case v1::WIN_LOSS_GROUP_BY_CATEGORY:
        keys = {competition.category};
        break;
      case v1::WIN_LOSS_GROUP_BY_OWNER_TEAM:
        keys = {competition.owner_team};
        break;
      case v1::WIN_LOSS_GROUP_BY_QUARTER:
        keys = {intern(QuarterOf(competition.date))};
        break;
      case v1::WIN_LOSS_GROUP_BY_DEAL_SIZE:
        keys = {intern(DealSize(competition, options.bidder_id, options))};
        break;
      case v1::WIN_LOSS_GROUP_BY_PROCUREMENT_METHOD:
        keys = {
            intern(EnumLabel(v1::ProcurementMethod_descriptor(), competition.procurement_method))};
        break;
      case v1::WIN_LOSS_GROUP_BY_DISCOVERY_CHANNEL:
        keys = {
            intern(EnumLabel(v1::DiscoveryChannel_descriptor(), competition.discovery_channel))};
        break;
      case v1::WIN_LOSS_GROUP_BY_CUSTOMER_SEGMENT: {
        auto cell = cell_of_buyer.find(competition.buyer_id);
        keys = {cell == cell_of_buyer.end() ? std::string_view("unsegmented")
                                            : std::string_view(cell->second)};
        break;
      }
      case v1::WIN_LOSS_GROUP_BY_COMPETITOR: {
        if (competition.BidOf(options.bidder_id) == nullptr) break;
        for (const CompetitionBid& bid : competition.bids) {
          if (bid.bidder_id != options.bidder_id && bid.status != v1::BID_STATUS_WITHDRAWN &&
              std::find(keys.begin(), keys.end(), bid.bidder_id) == keys.end()) {
            keys.push_back(bid.bidder_id);
            if (!bid.bidder_name.empty()) labels.try_emplace(bid.bidder_id, bid.bidder_name);
          }
        }
        break;
      }
      default:
        keys = {"all"};
        break;
    }
    const bool count_no_bid = options.bidder_id == options.own_party_id && competition.no_bid &&
                              options.group_by != v1::WIN_LOSS_GROUP_BY_COMPETITOR;
    const Accumulator::Outcome outcome = Accumulator::Evaluate(competition, options.bidder_id);
    for (std::string_view key : keys) {
      Accumulator& group = groups[key];
      group.Add(outcome, competition.tender_id);
      if (count_no_bid) group.tenders_no_bid.Add(competition.tender_id);
    }
  }
  std::vector<v1::WinLossGroup> result;
  for (const auto& [key, group] : groups) {
    if (group.bid == 0 && group.tenders_no_bid.empty()) continue;
    // No-bid decisions belong to tenders, not to head-to-head meetings.
    const bool ours = per_bidder ? key == options.own_party_id
                                 : options.bidder_id == options.own_party_id &&
                                       options.group_by != v1::WIN_LOSS_GROUP_BY_COMPETITOR;
    v1::WinLossGroup proto = group.ToProto(std::string(key), ours);
    if (auto label = labels.find(key); label != labels.end()) {
      proto.set_label(std::string(label->second));
    }
    result.push_back(std::move(proto));
  }
  // Largest first; the key breaks ties, so that the order does not depend on
  // hashing.
  std::sort(result.begin(), result.end(), [](const v1::WinLossGroup& a, const v1::WinLossGroup& b) {
    return a.bid() != b.bid() ? a.bid() > b.bid() : a.group() < b.group();
  });
  return result;
}

v1::SegmentsResponse Segments(const CompetitionSet& competitions, const SegmentOptions& options) {
  struct Buyer {
    std::string name;
    Decimal total;
    Decimal ours;
    uint32_t won = 0;
    uint32_t lost = 0;
  };
  std::map<std::string, Buyer> buyers;
  uint32_t unconverted = 0;
  const absl::Time start = options.as_of - options.window;
  for (const Competition* each : competitions) {
    const Competition& competition = *each;
    if (competition.status != Competition::Status::kDecided) continue;
    if (competition.award_at <= start || competition.award_at > options.as_of) continue;
    std::optional<Decimal> value =
        options.reporting.Convert(competition.award_value, competition.award_currency);
    if (!value) {
      ++unconverted;
      continue;
    }
    Buyer& buyer = buyers[competition.buyer_id];
    buyer.name = competition.buyer_name;
    buyer.total += *value;
    if (competition.Won(options.bidder_id)) {
      // A shared award counts for each supplier in equal parts.
      buyer.ours +=
          Decimal::FromNanos(value->nanos() / static_cast<__int128>(competition.winners.size()));
    }
    if (const CompetitionBid* mine = competition.BidOf(options.bidder_id); mine != nullptr) {
      if (competition.Won(options.bidder_id) && mine->status != v1::BID_STATUS_DISQUALIFIED) {
        ++buyer.won;
      } else {
        ++buyer.lost;
      }
    }
  }
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
  v1::SegmentsResponse response;
  for (const auto& [id, buyer] : buyers) {
    const char* potential = buyer.total < options.medium_potential_from  ? "small"
                            : buyer.total < options.large_potential_from ? "medium"
                                                                         : "large";
    const double share = buyer.total.IsZero() ? 0
                                              : static_cast<double>(buyer.ours.nanos()) /
                                                    static_cast<double>(buyer.total.nanos());
    const char* band = share < options.development_share_from     ? "growth"
                       : share < options.consolidation_share_from ? "development"
                                                                  : "consolidation";
    v1::BuyerSegment* segment = response.add_buyers();
    segment->mutable_buyer()->set_id(id);
    segment->mutable_buyer()->set_name(buyer.name);
    segment->set_potential(potential);
    segment->set_share_band(band);
    segment->set_awarded_value(buyer.total.ToString());
    segment->set_our_awarded_value(buyer.ours.ToString());
    segment->set_share(share);
    v1::SegmentCell& cell = cells[CellOf(potential, band)];
    cell.set_buyers(cell.buyers() + 1);
    cell.set_won(cell.won() + buyer.won);
    cell.set_lost(cell.lost() + buyer.lost);
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
  return response;
}

std::vector<v1::CompetitorSummary> Competitors(const CompetitionSet& competitions,
                                               const std::string& bidder_id, absl::Time from,
                                               absl::Time to) {
  struct Record {
    std::string name;
    uint32_t met = 0, their_wins = 0, our_wins = 0;
    std::vector<double> differences;
  };
  std::map<std::string, Record> records;
  for (const Competition* each : competitions) {
    const Competition& competition = *each;
    if (competition.date < from || competition.date >= to) continue;
    const CompetitionBid* mine = competition.BidOf(bidder_id);
    if (mine == nullptr) continue;
    std::set<std::string> seen;
    for (const CompetitionBid& bid : competition.bids) {
      if (bid.bidder_id == bidder_id || bid.status == v1::BID_STATUS_WITHDRAWN) continue;
      if (!seen.insert(bid.bidder_id).second) continue;
      const CompetitionBid* theirs = competition.BidOf(bid.bidder_id);
      Record& record = records[bid.bidder_id];
      record.name = bid.bidder_name;
      ++record.met;
      if (competition.Won(bid.bidder_id)) ++record.their_wins;
      if (competition.Won(bidder_id)) ++record.our_wins;
      if (theirs->currency == mine->currency) {
        if (auto difference = Ratio(theirs->value, mine->value)) {
          record.differences.push_back(*difference);
        }
      }
    }
  }
  std::vector<v1::CompetitorSummary> result;
  for (const auto& [id, record] : records) {
    v1::CompetitorSummary summary;
    summary.mutable_competitor()->set_id(id);
    summary.mutable_competitor()->set_name(record.name);
    summary.set_met(record.met);
    summary.set_their_wins(record.their_wins);
    summary.set_our_wins(record.our_wins);
    if (!record.differences.empty()) {
      double sum = 0;
      for (double d : record.differences) sum += d;
      summary.set_mean_price_difference(sum / record.differences.size());
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
