#include "bidtrail/readmodel/review.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bidtrail/common/proto_time.h"
#include "bidtrail/readmodel/board.h"
#include "bidtrail/readmodel/tender_list.h"
#include "bidtrail/tender/state.h"

namespace bidtrail::readmodel {
namespace {

constexpr const char* kOpenStages[] = {"discovered", "documents", "bid"};

bool OpenStage(const std::string& stage) {
  return stage == "discovered" || stage == "documents" || stage == "bid";
}

// A tender as the log held it at the review's moment.
struct Seen {
  tender::TenderState state;
  std::string tender_id;
  std::string representative;
  std::string team;
  std::string stage;
  bool reached_documents = false;
  bool reached_bid = false;
  std::vector<std::string> moves;
  absl::Time moved_at = absl::InfinitePast();
  // In the review's currency: what it is worth (nullopt without a rate),
  // and what we won of it this quarter.
  std::optional<Decimal> value;
  Decimal won_value;
};

// Values in one currency, and what could not be converted.
class Converter {
 public:
  Converter(std::string currency, const std::map<std::string, Decimal>& rates)
      : currency_(std::move(currency)), rates_(rates) {}
  std::optional<Decimal> operator()(const v1::Money& money) {
    std::optional<Decimal> amount = Decimal::Parse(money.amount());
    if (!amount) return std::nullopt;
    if (money.currency() == currency_) return amount;
    if (auto rate = rates_.find(money.currency()); rate != rates_.end()) {
      return amount->Times(rate->second);
    }
    ++unconverted_;
    missing_.insert(money.currency());
    return std::nullopt;
  }
  uint32_t unconverted() const { return unconverted_; }
  const std::set<std::string>& missing() const { return missing_; }

 private:
  std::string currency_;
  const std::map<std::string, Decimal>& rates_;
  uint32_t unconverted_ = 0;
  std::set<std::string> missing_;
};

std::string Amount(const Decimal& value) { return value.ToFixed(2); }

Decimal Weighted(const Decimal& value, double rate) {
  const Decimal factor = Decimal::FromNanos(static_cast<__int128>(std::llround(rate * 1e9)));
  return value.Times(factor).value_or(Decimal());
}

std::string StageOf(const tender::TenderState& state, const std::string& own, absl::Time as_of) {
  const std::string_view outcome = OurOutcome(state, own, as_of);
  if (outcome == "pending") return "bid";
  if (outcome == "not_yet") return state.documents_obtained ? "documents" : "discovered";
  return std::string(outcome);
}

// Won, and reached, per stage, for one group's closed tenders.
struct StageHistory {
  int reached[3] = {0, 0, 0};
  int won[3] = {0, 0, 0};
  void Add(const Seen& seen) {
    const bool won_it = seen.stage == "won";
    const bool reached_stage[3] = {true, seen.reached_documents, seen.reached_bid};
    for (int i = 0; i < 3; ++i) {
      if (!reached_stage[i]) continue;
      ++reached[i];
      if (won_it) ++won[i];
    }
  }
};

int StageIndex(const std::string& stage) {
  return stage == "discovered" ? 0 : stage == "documents" ? 1 : 2;
}

}  // namespace

absl::StatusOr<std::pair<absl::Time, absl::Time>> IsoWeek(std::string_view week,
                                                          absl::TimeZone zone,
                                                          std::string_view field) {
  int year = 0;
  int number = 0;
  const bool shaped = week.size() == 8 && week[4] == '-' && (week[5] == 'W' || week[5] == 'w') &&
                      absl::SimpleAtoi(std::string(week.substr(0, 4)), &year) &&
                      absl::SimpleAtoi(std::string(week.substr(6, 2)), &number);
  // Week 1 holds the year's first Thursday; its Monday is on or before 4 January.
  const absl::CivilDay fourth(year, 1, 4);
  const int back =
      (static_cast<int>(absl::GetWeekday(fourth)) + 7 - static_cast<int>(absl::Weekday::monday)) %
      7;
  const absl::CivilDay monday = fourth - back + 7 * (number - 1);
  const int weeks_in_year =
      IsoWeekOf(absl::FromCivil(absl::CivilDay(year, 12, 28), zone), zone).substr(6) == "53" ? 53
                                                                                             : 52;
  if (!shaped || year < 1900 || year > 2199 || number < 1 || number > weeks_in_year) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(field), ": \"", std::string(week.substr(0, 20)),
        "\" is not an ISO week; write it as 2026-W49 (weeks 01 to 52 or 53, Monday first)"));
  }
  return std::make_pair(absl::FromCivil(monday, zone), absl::FromCivil(monday + 7, zone));
}

std::string IsoWeekOf(absl::Time time, absl::TimeZone zone) {
  const absl::CivilDay day = absl::ToCivilDay(time, zone);
  // The week's Thursday decides its year.
  const int from_monday =
      (static_cast<int>(absl::GetWeekday(day)) + 7 - static_cast<int>(absl::Weekday::monday)) % 7;
  const absl::CivilDay thursday = day - from_monday + 3;
  const int year = static_cast<int>(thursday.year());
  const int number = static_cast<int>((absl::GetYearDay(thursday) - 1) / 7 + 1);
  return absl::StrFormat("%04d-W%02d", year, number);
}

std::pair<absl::Time, absl::Time> QuarterBounds(absl::Time time, absl::TimeZone zone) {
  const absl::CivilMonth month = absl::ToCivilMonth(time, zone);
  const absl::CivilMonth first(month.year(), (month.month() - 1) / 3 * 3 + 1);
  return {absl::FromCivil(first, zone), absl::FromCivil(first + 3, zone)};
}

std::string QuarterIn(absl::Time time, absl::TimeZone zone) {
  const absl::CivilMonth month = absl::ToCivilMonth(time, zone);
  return absl::StrFormat("%04d-Q%d", month.year(), (month.month() - 1) / 3 + 1);
}

v1::PipelineReviewResponse Review(const std::vector<TenderHistory>& tenders,
                                  const std::vector<Quota>& quotas, const ReviewOptions& options) {
  v1::PipelineReviewResponse response;
  response.set_week(options.week);
  ToProtoTime(options.week_start, response.mutable_week_start());
  ToProtoTime(options.week_end, response.mutable_week_end());
  ToProtoTime(options.as_of, response.mutable_as_of());
  response.set_happened(options.happened);
  const absl::Time quarter_at = options.as_of - absl::Seconds(1);
  const std::string quarter = QuarterIn(quarter_at, options.zone);
  // Named variables, not a structured binding: lambdas below capture them
  // (clang 14 cannot capture bindings).
  const std::pair<absl::Time, absl::Time> quarter_bounds = QuarterBounds(quarter_at, options.zone);
  const absl::Time quarter_start = quarter_bounds.first;
  const absl::Time quarter_end = quarter_bounds.second;
  response.set_quarter(quarter);
  const std::string& own = options.own_party_id;

  // Each tender as the log held it.
  std::vector<Seen> seen;
  for (const TenderHistory& history : tenders) {
    std::vector<v1::TenderEvent> events;
    std::vector<uint64_t> revisions;
    std::vector<const HistoryEvent*> kept;
    for (const HistoryEvent& entry : history.events) {
      if ((options.happened ? entry.occurred_at : entry.recorded_at) >= options.as_of) continue;
      events.push_back(entry.event);
      revisions.push_back(entry.revision);
      kept.push_back(&entry);
    }
    if (events.empty()) continue;
    Seen tender;
    tender.state = tender::FoldStream(events, revisions);
    if (!tender.state.exists || !InOurPipeline(tender.state, own)) continue;
    tender.tender_id = tender.state.details.tender_id();
    tender.team = tender.state.details.owner_team();
    std::vector<const v1::TenderEvent*> pointers;
    for (const v1::TenderEvent& event : events) pointers.push_back(&event);
    const std::vector<bool> voided = tender::VoidedOf(pointers, revisions);
    for (size_t i = 0; i < kept.size(); ++i) {
      const v1::TenderEvent& event = kept[i]->event;
      if (tender.representative.empty() &&
          ((event.has_tender_discovered() &&
            event.tender_discovered().discovery_channel() != v1::DISCOVERY_CHANNEL_IMPORT) ||
           event.has_tender_tracked())) {
        tender.representative = kept[i]->actor;
      }
      if (voided[i] || kept[i]->occurred_at < options.week_start ||
          kept[i]->occurred_at >= options.week_end) {
        continue;
      }
      std::string move;
      if (event.has_tender_discovered() || event.has_tender_tracked()) move = "new";
      if (event.has_document_obtained()) move = "documents";
      if (event.has_bid_submitted() && event.bid_submitted().bidder().id() == own) move = "bid";
      if (event.has_no_bid_decided()) move = "no_bid";
      if (event.has_award_announced()) {
        const auto& suppliers = event.award_announced().suppliers();
        const bool ours = std::any_of(suppliers.begin(), suppliers.end(),
                                      [&](const v1::Party& p) { return p.id() == own; });
        const tender::LotState* lot = tender.state.FindLot(event.award_announced().lot_id());
        if (ours) {
          move = "won";
        } else if (lot != nullptr &&
                   std::any_of(lot->bids.begin(), lot->bids.end(), [&](const tender::BidRecord& b) {
                     return b.bid.bidder().id() == own;
                   })) {
          move = "lost";
        }
      }
      if (move.empty()) continue;
      if (std::find(tender.moves.begin(), tender.moves.end(), move) == tender.moves.end()) {
        tender.moves.push_back(move);
      }
      tender.moved_at = std::max(tender.moved_at, kept[i]->occurred_at);
    }
    if (tender.representative.empty()) tender.representative = kept[0]->actor;
    tender.stage = StageOf(tender.state, own, options.as_of);
    tender.reached_documents = tender.state.documents_obtained;
    for (const tender::LotState& lot : tender.state.lots) {
      for (const tender::BidRecord& bid : lot.bids) {
        if (bid.bid.bidder().id() == own) tender.reached_bid = true;
      }
    }
    seen.push_back(std::move(tender));
  }

  // The quotas of the quarter as recorded by then: the latest of each.
  std::map<std::string, v1::Money> team_quota;
  std::map<std::string, v1::Money> representative_quota;
  for (const Quota& recorded : quotas) {
    if ((!options.happened && recorded.recorded_at >= options.as_of) ||
        recorded.quota.quarter() != quarter) {
      continue;
    }
    if (!recorded.quota.team().empty()) team_quota[recorded.quota.team()] = recorded.quota.amount();
    if (!recorded.quota.representative().empty()) {
      representative_quota[recorded.quota.representative()] = recorded.quota.amount();
    }
  }
  // The currency: asked for; else the quota of the one team or person
  // reviewed; else the one most of the pipeline is valued in (the same
  // whoever is reviewed, and whatever quotas others set).
  std::string currency = options.currency;
  if (currency.empty() && !options.representative.empty() &&
      representative_quota.count(options.representative)) {
    currency = representative_quota[options.representative].currency();
  }
  if (currency.empty() && options.representative.empty() && !options.owner_team.empty() &&
      team_quota.count(options.owner_team)) {
    currency = team_quota[options.owner_team].currency();
  }
  if (currency.empty()) {
    std::map<std::string, int> counts;
    for (const Seen& tender : seen) ++counts[tender.state.details.estimated_value().currency()];
    counts.erase("");
    int most = 0;
    for (const auto& [code, count] : counts) {
      if (count > most) {
        most = count;
        currency = code;
      }
    }
  }
  response.set_currency(currency);
  const std::map<std::string, Decimal> rates =
      options.rates_into ? options.rates_into(currency) : std::map<std::string, Decimal>();
  Converter convert(currency, rates);

  // Historical win rates by stage: closed tenders (won, lost, no bid, not
  // bid), of each representative, each team and everyone, whatever the
  // review's filter.
  std::map<std::string, StageHistory> by_representative;
  std::map<std::string, StageHistory> by_team;
  StageHistory everyone;
  for (const Seen& tender : seen) {
    if (tender.stage != "won" && tender.stage != "lost" && tender.stage != "no_bid" &&
        tender.stage != "not_bid") {
      continue;
    }
    by_representative[tender.representative].Add(tender);
    by_team[tender.team].Add(tender);
    everyone.Add(tender);
  }
  // The review's own tenders.
  seen.erase(
      std::remove_if(seen.begin(), seen.end(),
                     [&](const Seen& tender) {
                       return (!options.owner_team.empty() && tender.team != options.owner_team) ||
                              (!options.representative.empty() &&
                               tender.representative != options.representative);
                     }),
      seen.end());
  struct Rate {
    std::optional<double> rate;
    int history = 0;
    std::string of;
  };
  // The win rate at `stage`: the representative's (when given) with enough
  // history, else the team's (when given), else everyone's.
  auto rate_for = [&](const std::string* representative, const std::string* team,
                      int stage) -> Rate {
    auto find = [](const std::map<std::string, StageHistory>& in, const std::string* key) {
      const auto found = key == nullptr ? in.end() : in.find(*key);
      return found == in.end() ? nullptr : &found->second;
    };
    const std::pair<const StageHistory*, const char*> chain[] = {
        {find(by_representative, representative), "representative"},
        {find(by_team, team), "team"},
        {&everyone, "all"}};
    for (const auto& [history, of] : chain) {
      if (history == nullptr) continue;
      const int reached = history->reached[stage];
      if (reached >= kMinStageHistory || (history == &everyone && reached > 0)) {
        return {static_cast<double>(history->won[stage]) / reached, reached, of};
      }
    }
    return {};
  };

  // What each tender is worth: our bids, else the estimate; won: the awards.
  auto value_of = [&](const Seen& tender) -> std::optional<Decimal> {
    Decimal total;
    bool any = false;
    for (const tender::LotState& lot : tender.state.lots) {
      if (const tender::BidRecord* bid = lot.ValidBid(own);
          bid != nullptr && bid->status == v1::BID_STATUS_VALID) {
        if (std::optional<Decimal> amount = convert(bid->bid.amount())) {
          total += *amount;
          any = true;
        }
      }
    }
    if (any) return total;
    return convert(tender.state.details.estimated_value());
  };
  auto won_value_of = [&](const Seen& tender) {
    Decimal total;
    for (const tender::LotState& lot : tender.state.lots) {
      const tender::AwardRecord* award = lot.AwardInForce();
      if (award == nullptr) continue;
      const absl::Time at = FromProtoTime(award->award.occurred_at());
      if (at < quarter_start || at >= options.as_of) continue;
      const auto& suppliers = award->award.suppliers();
      if (std::none_of(suppliers.begin(), suppliers.end(),
                       [&](const v1::Party& p) { return p.id() == own; })) {
        continue;
      }
      if (std::optional<Decimal> amount = convert(award->award.amount())) total += *amount;
    }
    return total;
  };
  for (Seen& tender : seen) {
    tender.won_value = won_value_of(tender);
    if (OpenStage(tender.stage)) tender.value = value_of(tender);
  }
  auto expected_by = [](const tender::TenderState& state) {
    const v1::KeyDates& dates = state.details.key_dates();
    if (dates.has_award_expected_by()) return FromProtoTime(dates.award_expected_by());
    if (dates.has_bid_opening_at()) return FromProtoTime(dates.bid_opening_at());
    if (dates.has_submission_deadline()) return FromProtoTime(dates.submission_deadline());
    return absl::InfiniteFuture();
  };

  // The groups: each team, each representative, everyone.
  std::set<std::string> teams;
  std::set<std::string> representatives;
  for (const Seen& tender : seen) {
    teams.insert(tender.team);
    representatives.insert(tender.representative);
  }
  auto fill = [&](const std::string& kind, const std::string& name, auto member) {
    v1::ReviewGroup* group = response.add_groups();
    group->set_kind(kind);
    group->set_name(name.empty() && kind == "team" ? "(no team)" : name);
    Decimal values[3];
    Decimal weighted[3];
    int counts[3] = {0, 0, 0};
    Decimal won;
    Decimal forecast_open;
    for (const Seen& tender : seen) {
      if (!member(tender)) continue;
      auto item = [&](google::protobuf::RepeatedPtrField<v1::ReviewItem>* list) {
        v1::ReviewItem* out = list->Add();
        out->set_tender_id(tender.tender_id);
        out->set_title(tender.state.details.title());
        out->set_stage(tender.stage);
        out->set_representative(tender.representative);
        out->set_owner_team(tender.team);
        return out;
      };
      if (!tender.moves.empty()) {
        v1::ReviewItem* out = item(group->mutable_moved());
        for (const std::string& move : tender.moves) {
          out->add_what(move);
          if (move == "new") group->set_new_tenders(group->new_tenders() + 1);
          if (move == "documents") group->set_documents(group->documents() + 1);
          if (move == "bid") group->set_bids(group->bids() + 1);
          if (move == "won") group->set_won(group->won() + 1);
          if (move == "lost") group->set_lost(group->lost() + 1);
          if (move == "no_bid") group->set_no_bids(group->no_bids() + 1);
        }
        ToProtoTime(tender.moved_at, out->mutable_at());
      }
      won += tender.won_value;
      if (!OpenStage(tender.stage)) continue;
      if (tender.state.last_event_at < options.as_of - options.stale_after) {
        group->set_stale(group->stale() + 1);
        ToProtoTime(tender.state.last_event_at, item(group->mutable_stale_tenders())->mutable_at());
      }
      const v1::KeyDates& dates = tender.state.details.key_dates();
      const absl::Time next_end = options.week_end + absl::Hours(24 * 7);
      auto due_next_week = [&](const google::protobuf::Timestamp& due) {
        const absl::Time at = FromProtoTime(due);
        return at >= options.week_end && at < next_end;
      };
      if (dates.has_documents_available_until() && !tender.state.documents_obtained &&
          due_next_week(dates.documents_available_until())) {
        v1::ReviewItem* out = item(group->mutable_next_week());
        out->add_what("documents");
        *out->mutable_at() = dates.documents_available_until();
        group->set_deadlines_next_week(group->deadlines_next_week() + 1);
      }
      if (dates.has_submission_deadline() && tender.stage != "bid" &&
          due_next_week(dates.submission_deadline())) {
        v1::ReviewItem* out = item(group->mutable_next_week());
        out->add_what("submission");
        *out->mutable_at() = dates.submission_deadline();
        group->set_deadlines_next_week(group->deadlines_next_week() + 1);
      }
      const int stage = StageIndex(tender.stage);
      ++counts[stage];
      const std::optional<Decimal>& value = tender.value;
      if (!value) continue;
      values[stage] += *value;
      const Rate rate = rate_for(&tender.representative, &tender.team, stage);
      if (!rate.rate) continue;
      const Decimal expected = Weighted(*value, *rate.rate);
      weighted[stage] += expected;
      if (expected_by(tender.state) < quarter_end) forecast_open += expected;
    }
    for (int stage = 0; stage < 3; ++stage) {
      v1::StageValue* out = group->add_pipeline();
      out->set_stage(kOpenStages[stage]);
      out->set_tenders(counts[stage]);
      out->set_value(Amount(values[stage]));
      out->set_weighted_value(Amount(weighted[stage]));
      // The group's own rate, as the tenders of a representative use it.
      const Rate rate = rate_for(kind == "representative" ? &name : nullptr,
                                 kind == "team" ? &name : nullptr, stage);
      if (rate.rate) out->set_win_rate(*rate.rate);
      out->set_history(rate.history);
      out->set_history_of(rate.of);
    }
    group->set_won_value(Amount(won));
    const Decimal forecast = won + forecast_open;
    group->set_forecast(Amount(forecast));
    std::optional<Decimal> quota;
    if (kind == "team" && team_quota.count(name)) quota = convert(team_quota[name]);
    if (kind == "representative" && representative_quota.count(name)) {
      quota = convert(representative_quota[name]);
    }
    // Everyone's quota: the one reviewed's (a representative, a team), or
    // the teams' together when every team has one.
    if (kind == "all" && !options.representative.empty()) {
      if (representative_quota.count(options.representative)) {
        quota = convert(representative_quota[options.representative]);
      }
    } else if (kind == "all" && !options.owner_team.empty()) {
      if (team_quota.count(options.owner_team)) quota = convert(team_quota[options.owner_team]);
    } else if (kind == "all" && !teams.empty() &&
               std::all_of(teams.begin(), teams.end(),
                           [&](const std::string& team) { return team_quota.count(team) > 0; })) {
      Decimal total;
      bool whole = true;
      for (const std::string& team : teams) {
        if (std::optional<Decimal> one = convert(team_quota[team])) {
          total += *one;
        } else {
          whole = false;
        }
      }
      if (whole) quota = total;
    }
    if (quota) {
      group->set_quota(Amount(*quota));
      if (quota->nanos() > 0) {
        group->set_attainment(static_cast<double>(won.nanos()) /
                              static_cast<double>(quota->nanos()));
        group->set_forecast_attainment(static_cast<double>(forecast.nanos()) /
                                       static_cast<double>(quota->nanos()));
      }
    }
  };
  // One representative's review has no team rows: a team is more than them.
  for (const std::string& team : options.representative.empty() ? teams : std::set<std::string>()) {
    fill("team", team, [&](const Seen& tender) { return tender.team == team; });
  }
  for (const std::string& representative : representatives) {
    fill("representative", representative,
         [&](const Seen& tender) { return tender.representative == representative; });
  }
  fill("all", "all", [](const Seen&) { return true; });
  response.set_unconverted(convert.unconverted());
  for (const std::string& missing : convert.missing())
    response.add_currencies_without_rate(missing);
  return response;
}

}  // namespace bidtrail::readmodel
