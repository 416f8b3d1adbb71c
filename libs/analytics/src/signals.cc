#include "bidtrail/analytics/signals.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bidtrail/common/proto_time.h"
#include "bidtrail/common/validate.h"

namespace bidtrail::analytics {
namespace {

using Kind = v1::SignalKind;

bool Competitive(v1::ProcurementMethod method) {
  return method == v1::PROCUREMENT_METHOD_OPEN || method == v1::PROCUREMENT_METHOD_SELECTIVE;
}

std::string MethodWord(v1::ProcurementMethod method) {
  return method == v1::PROCUREMENT_METHOD_SELECTIVE ? "a selective" : "an open";
}

bool Active(const Competition::BidFacts& bid) { return bid.status != v1::BID_STATUS_WITHDRAWN; }

// Distinct bidders with a bid not withdrawn.
size_t BidderCount(const Competition& competition) {
  absl::InlinedVector<Symbol, 8> bidders;
  for (const Competition::BidFacts& bid : competition.bid_facts) {
    if (Active(bid) && std::find(bidders.begin(), bidders.end(), bid.bidder) == bidders.end()) {
      bidders.push_back(bid.bidder);
    }
  }
  return bidders.size();
}

std::string Text(Symbol symbol) { return std::string(symbol.text()); }

std::string Money(const Decimal& amount, Symbol currency) {
  return absl::StrCat(amount.ToString(), " ", Text(currency));
}

std::string Percent(double ratio) { return absl::StrFormat("%.1f%%", 100 * ratio); }

v1::Party PartyOf(Symbol id, std::string_view name) {
  v1::Party party;
  party.set_id(std::string(id.text()));
  party.set_name(std::string(name));
  return party;
}

// The name a winner bid under in the competition ("" when it has no bid).
std::string_view NameIn(const Competition& competition, Symbol party) {
  const int index = competition.BidIndexOf(party);
  return index < 0 ? std::string_view() : competition.bid_facts[index].name.text();
}

// The competition's flags, except the price-close rule (which needs every
// competition's gap first).
void FlagsOf(const Competition& competition, const SignalOptions& options,
             std::vector<std::pair<Kind, std::string>>* flags) {
  const bool decided = competition.status == Competition::Status::kDecided;
  const bool has_deadline = competition.submission_deadline != absl::InfinitePast();
  const bool bidding_over =
      decided || (has_deadline && competition.submission_deadline <= options.now);
  if (Competitive(competition.procurement_method) && bidding_over &&
      competition.status != Competition::Status::kVoid && BidderCount(competition) == 1) {
    flags->push_back(
        {v1::SIGNAL_KIND_SINGLE_BID,
         absl::StrCat("1 bid in ", MethodWord(competition.procurement_method), " procedure")});
  }
  // Publication is known for imported tenders only (their discovery is the
  // publisher's notice); ours are discovered when we learn of them.
  if (Competitive(competition.procurement_method) && has_deadline &&
      competition.discovery_channel == v1::DISCOVERY_CHANNEL_IMPORT &&
      competition.discovered_at != absl::InfinitePast()) {
    const absl::Duration period = competition.submission_deadline - competition.discovered_at;
    if (period >= absl::ZeroDuration() && period < options.short_period) {
      flags->push_back({v1::SIGNAL_KIND_SHORT_SUBMISSION_PERIOD,
                        absl::StrCat(HumanDuration(period),
                                     " from publication to the submission deadline (under ",
                                     absl::ToInt64Hours(options.short_period) / 24, " days)")});
    }
  }
  const auto& bids = competition.bid_facts;
  // Identical prices: two bidders, one currency, one amount.
  for (size_t i = 0; i < bids.size(); ++i) {
    bool found = false;
    for (size_t j = i + 1; j < bids.size() && !found; ++j) {
      const auto& a = bids[i];
      const auto& b = bids[j];
      if (Active(a) && Active(b) && a.has_amount && b.has_amount && a.bidder != b.bidder &&
          a.currency == b.currency && a.amount == b.amount) {
        flags->push_back({v1::SIGNAL_KIND_IDENTICAL_BID_PRICES,
                          absl::StrCat(Text(a.bidder), " and ", Text(b.bidder), " both bid ",
                                       Money(a.amount, a.currency))});
        found = true;
      }
    }
    if (found) break;
  }
  if (decided) {
    for (size_t i = 0; i < bids.size() && i < 64; ++i) {
      if (Active(bids[i]) && (competition.late_bids >> i & 1) != 0 &&
          competition.Won(bids[i].bidder)) {
        flags->push_back({v1::SIGNAL_KIND_LATE_BID_WON,
                          absl::StrCat(Text(bids[i].bidder),
                                       "'s winning bid is dated after the submission deadline")});
        break;
      }
    }
    int others = 0;
    int others_disqualified = 0;
    for (const auto& bid : bids) {
      if (!Active(bid) || competition.Won(bid.bidder)) continue;
      ++others;
      if (bid.status == v1::BID_STATUS_DISQUALIFIED) ++others_disqualified;
    }
    const bool winner_bid =
        std::any_of(competition.winners.begin(), competition.winners.end(),
                    [&](Symbol winner) { return competition.BidIndexOf(winner) >= 0; });
    if (winner_bid && others > 0 && others == others_disqualified) {
      flags->push_back({v1::SIGNAL_KIND_ALL_OTHER_BIDS_DISQUALIFIED,
                        others == 1
                            ? std::string("the other bid was disqualified")
                            : absl::StrCat("the ", others, " other bids were disqualified")});
    }
  }
  // The lowest bid disqualified: bids with amounts in one currency, two at
  // least, and a disqualified one at the lowest amount.
  const Competition::BidFacts* lowest = nullptr;
  int priced = 0;
  bool one_currency = true;
  Symbol currency;
  for (const auto& bid : bids) {
    if (!Active(bid) || !bid.has_amount) continue;
    if (priced == 0) currency = bid.currency;
    if (bid.currency != currency) one_currency = false;
    ++priced;
    if (lowest == nullptr || bid.amount < lowest->amount ||
        (bid.amount == lowest->amount && bid.status == v1::BID_STATUS_DISQUALIFIED)) {
      lowest = &bid;
    }
  }
  if (one_currency && priced >= 2 && lowest->status == v1::BID_STATUS_DISQUALIFIED) {
    flags->push_back(
        {v1::SIGNAL_KIND_LOWEST_BID_DISQUALIFIED,
         absl::StrCat(Text(lowest->bidder), "'s bid, the lowest (",
                      Money(lowest->amount, lowest->currency), "), was disqualified")});
  }
}

// The runner-up's gap above the winning bid: (runner-up - winning) /
// winning, when the winning bid is the lowest valid one and another valid
// bid in its currency exists.
std::optional<double> PriceGap(const Competition& competition) {
  if (competition.status != Competition::Status::kDecided) return std::nullopt;
  const Competition::BidFacts* winning = nullptr;
  for (Symbol winner : competition.winners) {
    const int index = competition.BidIndexOf(winner);
    if (index < 0) continue;
    const auto& bid = competition.bid_facts[index];
    if (bid.status == v1::BID_STATUS_VALID && bid.has_amount) {
      winning = &bid;
      break;
    }
  }
  if (winning == nullptr || winning->amount.IsNegative() || winning->amount.IsZero()) {
    return std::nullopt;
  }
  const Competition::BidFacts* runner_up = nullptr;
  for (const auto& bid : competition.bid_facts) {
    if (bid.status != v1::BID_STATUS_VALID || !bid.has_amount || competition.Won(bid.bidder) ||
        bid.currency != winning->currency) {
      continue;
    }
    if (runner_up == nullptr || bid.amount < runner_up->amount) runner_up = &bid;
  }
  if (runner_up == nullptr || runner_up->amount < winning->amount) return std::nullopt;
  return static_cast<double>(runner_up->amount.nanos() - winning->amount.nanos()) /
         static_cast<double>(winning->amount.nanos());
}

bool Selected(const Competition& competition, const SignalOptions& options) {
  return competition.date >= options.from && competition.date < options.to &&
         SourceSelects(options.source, competition.discovery_channel);
}

}  // namespace

double Quantile(const std::vector<double>& sorted, double q) {
  const double rank = q * static_cast<double>(sorted.size() - 1);
  const size_t below = static_cast<size_t>(std::floor(rank));
  const size_t above = std::min(below + 1, sorted.size() - 1);
  return sorted[below] + (rank - static_cast<double>(below)) * (sorted[above] - sorted[below]);
}

absl::flat_hash_map<Symbol, v1::IncumbentRecord> Incumbents(const CompetitionSet& competitions,
                                                            Source source,
                                                            const absl::flat_hash_set<Symbol>* only,
                                                            std::string_view own_party_id) {
  // Each buyer's decided competitions, latest award first.
  absl::flat_hash_map<Symbol, std::vector<const Competition*>> awarded;
  for (const Competition* competition : competitions) {
    if (competition->status != Competition::Status::kDecided ||
        !SourceSelects(source, competition->discovery_channel) ||
        (only != nullptr && !only->contains(competition->buyer_id))) {
      continue;
    }
    awarded[competition->buyer_id].push_back(competition);
  }
  absl::flat_hash_map<Symbol, v1::IncumbentRecord> incumbents;
  for (auto& [buyer, list] : awarded) {
    std::sort(list.begin(), list.end(), [](const Competition* a, const Competition* b) {
      if (a->award_at != b->award_at) return a->award_at > b->award_at;
      if (a->tender_id != b->tender_id) return a->tender_id > b->tender_id;
      return a->lot_id > b->lot_id;
    });
    if (list.size() > static_cast<size_t>(kIncumbentAwards)) list.resize(kIncumbentAwards);
    // Wins per supplier, in the order of their latest win.
    std::vector<std::pair<Symbol, int>> wins;
    for (const Competition* competition : list) {
      for (Symbol winner : competition->winners) {
        auto found = std::find_if(wins.begin(), wins.end(),
                                  [&](const auto& entry) { return entry.first == winner; });
        if (found == wins.end()) {
          wins.push_back({winner, 1});
        } else {
          ++found->second;
        }
      }
    }
    // The most wins; among equals, the first in that order (the latest win).
    const auto best = std::max_element(
        wins.begin(), wins.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
    if (best == wins.end() || best->second < kIncumbentMinWins ||
        2 * best->second < static_cast<int>(list.size())) {
      continue;
    }
    v1::IncumbentRecord record;
    std::string_view name;
    int single = 0;
    for (const Competition* competition : list) {
      if (!competition->Won(best->first)) continue;
      if (name.empty()) name = NameIn(*competition, best->first);
      if (BidderCount(*competition) == 1) ++single;
    }
    *record.mutable_supplier() = PartyOf(best->first, name);
    record.set_awards_won(best->second);
    record.set_awards_considered(static_cast<uint32_t>(list.size()));
    record.set_won_with_single_bid(single);
    // Named as people know it: "we" for our own party, else its name.
    const std::string who =
        !own_party_id.empty() && best->first.text() == own_party_id
            ? std::string("we are the incumbent:")
            : absl::StrCat("incumbent ", name.empty() ? Text(best->first) : std::string(name),
                           name.empty() ? "" : absl::StrCat(" (", Text(best->first), ")"));
    record.set_summary(absl::StrCat(who, " won ", best->second, " of the last ", list.size(),
                                    " awards of this buyer, ", single, " with a single bid"));
    incumbents[buyer] = std::move(record);
  }
  return incumbents;
}

SignalReport Signals(const CompetitionSet& competitions, const SignalOptions& options) {
  SignalReport report;
  struct BuyerTally {
    v1::BuyerSignals summary;
    absl::flat_hash_map<uint32_t, int> awards_by_currency;  // currency symbol index
    std::vector<const Competition*> decided;
    absl::flat_hash_map<Kind, uint32_t> counts;
  };
  absl::flat_hash_map<Symbol, BuyerTally> buyers;
  std::vector<const Competition*> buyer_order;
  // The competitions in the window, and the price gaps.
  std::vector<std::pair<const Competition*, double>> gaps;
  std::vector<std::vector<std::pair<Kind, std::string>>> flags;
  std::vector<const Competition*> selected;
  for (const Competition* competition : competitions) {
    if (!Selected(*competition, options)) continue;
    selected.push_back(competition);
    flags.emplace_back();
    FlagsOf(*competition, options, &flags.back());
    if (std::optional<double> gap = PriceGap(*competition)) gaps.push_back({competition, *gap});
  }
  report.price_gaps = static_cast<uint32_t>(gaps.size());
  absl::flat_hash_set<const Competition*> close;
  if (gaps.size() >= static_cast<size_t>(kMinPriceGaps)) {
    std::vector<double> sorted;
    for (const auto& [competition, gap] : gaps) sorted.push_back(gap);
    std::sort(sorted.begin(), sorted.end());
    const double q1 = Quantile(sorted, 0.25);
    const double q3 = Quantile(sorted, 0.75);
    const double threshold = q1 - 1.5 * (q3 - q1);
    report.price_gap_threshold = threshold;
    for (const auto& [competition, gap] : gaps) {
      if (gap < threshold) close.insert(competition);
    }
  }
  absl::flat_hash_map<const Competition*, double> gap_of(gaps.begin(), gaps.end());
  // Suppliers: their awards and buyers.
  absl::flat_hash_map<Symbol, std::pair<int, absl::flat_hash_set<Symbol>>> supplier_awards;
  absl::flat_hash_map<Symbol, std::string_view> names;
  absl::flat_hash_map<Symbol, std::string_view> buyer_names;
  for (size_t i = 0; i < selected.size(); ++i) {
    const Competition& competition = *selected[i];
    std::vector<std::pair<Kind, std::string>>& found = flags[i];
    if (close.contains(&competition)) {
      found.push_back({v1::SIGNAL_KIND_PRICE_CLOSE_TO_WINNING_BID,
                       absl::StrCat("runner-up ", Percent(gap_of.at(&competition)),
                                    " above the winning bid (a low outlier: under ",
                                    Percent(*report.price_gap_threshold), ")")});
    }
    auto [tally_it, added] = buyers.try_emplace(competition.buyer_id);
    BuyerTally& tally = tally_it->second;
    if (added) {
      *tally.summary.mutable_buyer() = PartyOf(competition.buyer_id, competition.buyer_name.text());
      buyer_order.push_back(&competition);
      buyer_names[competition.buyer_id] = competition.buyer_name.text();
    }
    v1::BuyerSignals& summary = tally.summary;
    summary.set_competitions(summary.competitions() + 1);
    const bool decided = competition.status == Competition::Status::kDecided;
    const bool bidding_over = decided || (competition.submission_deadline != absl::InfinitePast() &&
                                          competition.submission_deadline <= options.now);
    const size_t bidders = BidderCount(competition);
    if (Competitive(competition.procurement_method) && bidding_over &&
        competition.status != Competition::Status::kVoid && bidders >= 1) {
      summary.set_competitive(summary.competitive() + 1);
      if (bidders == 1) summary.set_single_bid(summary.single_bid() + 1);
    }
    if (decided) {
      tally.decided.push_back(&competition);
      if (competition.award_value) ++tally.awards_by_currency[competition.award_currency.index()];
      for (Symbol winner : competition.winners) {
        auto& [count, with] = supplier_awards[winner];
        ++count;
        with.insert(competition.buyer_id);
        if (names[winner].empty()) names[winner] = NameIn(competition, winner);
      }
    }
    if (!found.empty()) summary.set_flagged_competitions(summary.flagged_competitions() + 1);
    for (auto& [kind, detail] : found) {
      ++tally.counts[kind];
      v1::CompetitionSignal* signal = &report.signals.emplace_back();
      signal->set_tender_id(competition.tender_id);
      signal->set_lot_id(competition.lot_id);
      *signal->mutable_buyer() = PartyOf(competition.buyer_id, competition.buyer_name.text());
      signal->set_kind(kind);
      signal->set_detail(std::move(detail));
      ToProtoTime(competition.date, signal->mutable_date());
    }
  }
  std::stable_sort(report.signals.begin(), report.signals.end(),
                   [](const v1::CompetitionSignal& a, const v1::CompetitionSignal& b) {
                     const absl::Time at = FromProtoTime(a.date());
                     const absl::Time bt = FromProtoTime(b.date());
                     if (at != bt) return at > bt;
                     if (a.tender_id() != b.tender_id()) return a.tender_id() < b.tender_id();
                     if (a.lot_id() != b.lot_id()) return a.lot_id() < b.lot_id();
                     return a.kind() < b.kind();
                   });
  absl::flat_hash_set<Symbol> buyer_symbols;
  for (const auto& [buyer, tally] : buyers) buyer_symbols.insert(buyer);
  absl::flat_hash_map<Symbol, v1::IncumbentRecord> incumbents =
      Incumbents(competitions, options.source, &buyer_symbols, options.own_party_id);
  for (const Competition* first : buyer_order) {
    BuyerTally& tally = buyers.at(first->buyer_id);
    v1::BuyerSignals& summary = tally.summary;
    if (summary.competitive() > 0) {
      summary.set_single_bid_rate(static_cast<double>(summary.single_bid()) /
                                  summary.competitive());
    }
    summary.set_awards(static_cast<uint32_t>(tally.decided.size()));
    // The currency most awards are in (ties: the first in text order).
    Symbol currency;
    int most = 0;
    for (const Competition* competition : tally.decided) {
      if (!competition->award_value) continue;
      const int count = tally.awards_by_currency[competition->award_currency.index()];
      if (count > most || (count == most && competition->award_currency.text() < currency.text())) {
        most = count;
        currency = competition->award_currency;
      }
    }
    if (most > 0) {
      Decimal total;
      std::vector<std::pair<Symbol, Decimal>> by_supplier;
      for (const Competition* competition : tally.decided) {
        if (!competition->award_value || competition->award_currency != currency ||
            competition->winners.empty()) {
          continue;
        }
        total += *competition->award_value;
        // A consortium's award is shared equally among its suppliers.
        const std::optional<Decimal> share = competition->award_value->DividedBy(
            Decimal::FromNanos(static_cast<__int128>(competition->winners.size()) * 1000000000));
        for (Symbol winner : competition->winners) {
          auto entry = std::find_if(by_supplier.begin(), by_supplier.end(),
                                    [&](const auto& e) { return e.first == winner; });
          if (entry == by_supplier.end()) {
            by_supplier.push_back({winner, share.value_or(Decimal())});
          } else {
            entry->second += share.value_or(Decimal());
          }
        }
      }
      summary.set_currency(std::string(currency.text()));
      summary.set_awarded_value(total.ToString());
      const auto top = std::max_element(by_supplier.begin(), by_supplier.end(),
                                        [](const auto& a, const auto& b) {
                                          if (a.second == b.second)
                                            return a.first.text() > b.first.text();
                                          return a.second < b.second;
                                        });
      if (top != by_supplier.end() && !total.IsZero() && !total.IsNegative()) {
        *summary.mutable_top_supplier() = PartyOf(top->first, names[top->first]);
        summary.set_top_supplier_share(static_cast<double>(top->second.nanos()) /
                                       static_cast<double>(total.nanos()));
      }
    }
    if (auto incumbent = incumbents.find(first->buyer_id); incumbent != incumbents.end()) {
      *summary.mutable_incumbent() = incumbent->second;
    }
    for (int kind = 1; kind <= v1::SignalKind_MAX; ++kind) {
      const auto count = tally.counts.find(static_cast<Kind>(kind));
      if (count == tally.counts.end()) continue;
      v1::SignalCount* out = summary.add_counts();
      out->set_kind(static_cast<Kind>(kind));
      out->set_count(count->second);
    }
    report.buyers.push_back(std::move(summary));
  }
  std::stable_sort(report.buyers.begin(), report.buyers.end(),
                   [](const v1::BuyerSignals& a, const v1::BuyerSignals& b) {
                     if (a.flagged_competitions() != b.flagged_competitions()) {
                       return a.flagged_competitions() > b.flagged_competitions();
                     }
                     if (a.single_bid_rate() != b.single_bid_rate()) {
                       return a.single_bid_rate() > b.single_bid_rate();
                     }
                     return a.buyer().id() < b.buyer().id();
                   });
  for (const auto& [supplier, entry] : supplier_awards) {
    const auto& [count, with] = entry;
    if (count < kSupplierMinAwards || with.size() != 1) continue;
    v1::SupplierSignal* signal = &report.suppliers.emplace_back();
    *signal->mutable_supplier() = PartyOf(supplier, names[supplier]);
    const Symbol buyer = *with.begin();
    *signal->mutable_buyer() = PartyOf(buyer, buyer_names[buyer]);
    signal->set_awards(count);
  }
  std::sort(report.suppliers.begin(), report.suppliers.end(),
            [](const v1::SupplierSignal& a, const v1::SupplierSignal& b) {
              if (a.awards() != b.awards()) return a.awards() > b.awards();
              return a.supplier().id() < b.supplier().id();
            });
  return report;
}

}  // namespace bidtrail::analytics
