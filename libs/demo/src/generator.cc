#include "bidtrail/demo/generator.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bidtrail/common/proto_time.h"
#include "random.h"
#include "world.h"

namespace bidtrail::demo {
namespace {

using internal::Bidder;
using internal::Buyer;
using internal::BuyerKind;
using internal::kRoleCount;
using internal::MixSeed;
using internal::Random;
using internal::Team;
using internal::World;

// Bid teams work in China Standard Time.
const absl::TimeZone& China() {
  static const absl::TimeZone* const kZone = new absl::TimeZone(absl::FixedTimeZone(8 * 3600));
  return *kZone;
}

absl::Duration Days(double days) { return absl::Seconds(days * 86400.0); }

absl::Time Minute(absl::Time time) {
  return absl::FromUnixSeconds(absl::ToUnixSeconds(time) / 60 * 60);
}

absl::Time Clamp(absl::Time time, absl::Time lo, absl::Time hi) {
  return std::min(std::max(time, lo), hi);
}

// hh:mm local time on the local day of `time`.
absl::Time LocalAt(absl::Time time, int hour, int minute) {
  const absl::CivilDay day = absl::ToCivilDay(time, China());
  return absl::FromCivil(absl::CivilMinute(day.year(), day.month(), day.day(), hour, minute),
                         China());
}

bool Weekend(absl::Time time) {
  const absl::Weekday weekday = absl::GetWeekday(absl::ToCivilDay(time, China()));
  return weekday == absl::Weekday::saturday || weekday == absl::Weekday::sunday;
}

// The same moment moved forward into office hours (08:30 to 18:30 local,
// Monday to Friday), keeping its place in the working day where it can.
absl::Time OfficeHours(absl::Time time, Random* random) {
  const absl::Time opens = LocalAt(time, 8, 30);
  const absl::Time closes = LocalAt(time, 18, 30);
  if (time < opens) {
    time = opens + absl::Minutes(random->Int(0, 120));
  } else if (time > closes) {
    time = LocalAt(time + absl::Hours(24), 8, 30) + absl::Minutes(random->Int(0, 120));
  }
  while (Weekend(time)) time += absl::Hours(24);
  return Minute(time);
}

std::string FormatCents(int64_t cents) {
  return absl::StrFormat("%d.%02d", cents / 100, cents % 100);
}

v1::Money MoneyOf(int64_t cents, const std::string& currency) {
  v1::Money money;
  money.set_amount(FormatCents(cents));
  money.set_currency(currency);
  return money;
}

double Logistic(double x) { return 1.0 / (1.0 + std::exp(-x)); }

template <typename T>
T PickOf(Random* random, std::initializer_list<T> items) {
  return items.begin()[random->Int(0, static_cast<int64_t>(items.size()) - 1)];
}

// One planned event of a tender, before filtering and ordering.
struct Step {
  enum class Kind { kFact, kActivity, kCompetitorBid };
  absl::Time at;
  // Planning order: the causal order for events at the same time, and the
  // request id's suffix (stable whatever `now` filters out).
  int order = 0;
  Kind kind = Kind::kFact;
  // The lot a bid, disqualification or award is about ("" for none).
  std::string lot;
  std::string actor;
  v1::TenderEvent event;
};

struct LotPlan {
  std::string id;  // "" for a tender without lots
  int64_t value_cents = 0;
  bool cancelled = false;
  absl::Time cancelled_at;
};

struct BidPlan {
  const Bidder* bidder = nullptr;
  bool ours = false;
  const LotPlan* lot = nullptr;
  int64_t cents = 0;
  absl::Time at;
  double score = 0;
  bool withdrawn = false;
  bool disqualified = false;
  std::vector<v1::Party> partners;
};

struct Amendment {
  absl::Time at;
  absl::Duration shift;
  bool moves_documents = false;
};

// Plans the whole life of one tender from its own random stream, then keeps
// the events that have happened by `now`, in time order.
class TenderPlanner {
 public:
  TenderPlanner(const World& world, const Options& options, int index, absl::Time discovered_at)
      : world_(world),
        options_(options),
        index_(index),
        random_(MixSeed(options.seed, 2 * static_cast<uint64_t>(index) + 1)),
        discovered_at_(discovered_at) {}

  // The tender's commands that have happened by `now`, in time order, each
  // with its time.
  std::vector<std::pair<absl::Time, Command>> Plan();

 private:
  absl::Time DocumentsUntilAt(absl::Time time) const;
  absl::Time SubmissionAt(absl::Time time) const;
  // `target` moved into office hours, kept within [lo, hi].
  absl::Time Work(absl::Time target, absl::Time lo, absl::Time hi) {
    return Clamp(OfficeHours(target, &random_), lo, hi);
  }
  double Strength(const Bidder& bidder) const {
    return bidder.base + bidder.category[category_] + bidder.territory[territory_];
  }

  Step& Add(absl::Time at, Step::Kind kind, const std::string& actor, const std::string& lot = "");
  void PlanDiscovery();
  void PlanAmendments();
  void PlanActivities();
  void PlanActivity(absl::Time at, int role, const std::string& topic_override);
  void PlanDecisionAndDocuments();
  void PlanBids();
  void PlanOpening();
  void PlanOutcomes();
  void Remove(const std::function<bool(const Step&)>& gone);

  const World& world_;
  const Options& options_;
  const int index_;
  Random random_;
  const absl::Time discovered_at_;

  std::string tender_id_;
  int territory_ = 0;
  const Buyer* buyer_ = nullptr;
  const Team* team_ = nullptr;
  int category_ = 0;
  std::string rep_;
  bool lazy_ = false;
  v1::ProcurementMethod method_ = v1::PROCUREMENT_METHOD_OPEN;
  v1::DiscoveryChannel channel_ = v1::DISCOVERY_CHANNEL_PORTAL;
  std::string currency_ = "CNY";
  std::vector<LotPlan> lots_;
  bool declared_lots_ = false;

  absl::Time documents_until_;  // as discovered
  absl::Time submission_;
  absl::Time opening_;
  std::vector<Amendment> amendments_;
  absl::Time final_documents_until_;  // after every amendment
  absl::Time final_submission_;
  absl::Time final_opening_;

  bool pursue_ = true;
  absl::Time documents_at_ = absl::InfiniteFuture();
  int key_contacts_ = 0;  // activities with decision makers before the deadline
  std::vector<BidPlan> bids_;
  int awards_ = 0;

  std::vector<Step> steps_;
  int planned_steps_ = 0;  // never reused, whatever is removed
};

Step& TenderPlanner::Add(absl::Time at, Step::Kind kind, const std::string& actor,
                         const std::string& lot) {
  Step& step = steps_.emplace_back();
  step.at = at;
  step.order = ++planned_steps_;
  step.kind = kind;
  step.actor = actor;
  step.lot = lot;
  return step;
}

absl::Time TenderPlanner::DocumentsUntilAt(absl::Time time) const {
  absl::Time until = documents_until_;
  for (const Amendment& amendment : amendments_) {
    if (amendment.at <= time && amendment.moves_documents) until += amendment.shift;
  }
  return until;
}

absl::Time TenderPlanner::SubmissionAt(absl::Time time) const {
  absl::Time deadline = submission_;
  for (const Amendment& amendment : amendments_) {
    if (amendment.at <= time) deadline += amendment.shift;
  }
  return deadline;
}

void TenderPlanner::Remove(const std::function<bool(const Step&)>& gone) {
  steps_.erase(std::remove_if(steps_.begin(), steps_.end(), gone), steps_.end());
}

void TenderPlanner::PlanDiscovery() {
  // Where, who buys, what.
  std::vector<double> territory_weights;
  for (const auto& territory : world_.territories) territory_weights.push_back(territory.weight);
  territory_ = static_cast<int>(random_.Weighted(territory_weights));
  const std::vector<int>& candidates = world_.buyers_by_territory[territory_];
  std::vector<double> buyer_weights;
  for (int buyer : candidates) buyer_weights.push_back(world_.buyers[buyer].weight);
  buyer_ = &world_.buyers[candidates[random_.Weighted(buyer_weights)]];
  category_ = static_cast<int>(random_.Weighted(
      std::vector<double>(buyer_->category_weights.begin(), buyer_->category_weights.end())));
  team_ = &world_.teams[territory_];
  rep_ = random_.Pick(team_->sales);
  lazy_ = rep_ == team_->lazy;

  method_ = static_cast<v1::ProcurementMethod>(1 + random_.Weighted({65, 15, 12, 8}));
  // Good relationships bring tenders in through visits and referrals.
  const double close = std::max(0.0, buyer_->affinity);
  channel_ = static_cast<v1::DiscoveryChannel>(
      1 + random_.Weighted({18 + 40 * close, 42, 10, 10 + 15 * close, 12}));
  if ((buyer_->kind == BuyerKind::kUniversity || buyer_->kind == BuyerKind::kBank) &&
      random_.Chance(0.12)) {
    currency_ = "USD";  // imported equipment, foreign-loan projects
  }

  // Estimated value: the category's median scaled by the buyer, log-normal.
  const internal::Category& category = world_.categories[category_];
  const double cny = category.median_value_cny * buyer_->size * std::exp(0.6 * random_.Normal());
  const double units = currency_ == "USD" ? cny * 0.14 : cny;
  const int64_t rounding = currency_ == "USD" ? 1000 : 10000;
  const auto round_units = [&](double value) {
    return std::max<int64_t>(rounding,
                             static_cast<int64_t>(std::llround(value / rounding)) * rounding);
  };
  int64_t total_units = round_units(units);
  if (random_.Chance(0.25)) {
    declared_lots_ = true;
    const int count =
        static_cast<int>(random_.Int(2, std::min<int64_t>(4, category.lot_titles.size())));
    std::vector<double> shares;
    double sum = 0;
    for (int i = 0; i < count; ++i) sum += shares.emplace_back(random_.Uniform(0.5, 1.5));
    total_units = 0;
    for (int i = 0; i < count; ++i) {
      LotPlan& lot = lots_.emplace_back();
      lot.id = absl::StrCat("L", i + 1);
      const int64_t lot_units = round_units(units * shares[i] / sum);
      lot.value_cents = lot_units * 100;
      total_units += lot_units;
    }
  } else {
    lots_.emplace_back().value_cents = total_units * 100;
  }

  // Key dates: the documents on sale for 5 to 12 days, bids 4 to 12 days
  // later at 09:30, opened at once or soon after.
  const absl::Time found = discovered_at_;
  documents_until_ = LocalAt(found + Days(static_cast<double>(random_.Int(5, 12))), 17, 0);
  submission_ = LocalAt(documents_until_ + Days(static_cast<double>(random_.Int(4, 12))), 9, 30);
  opening_ =
      submission_ + PickOf<absl::Duration>(&random_, {absl::ZeroDuration(), absl::ZeroDuration(),
                                                      absl::Minutes(30), absl::Hours(2)});

  const absl::CivilYear year = absl::ToCivilYear(found, China());
  tender_id_ = absl::StrFormat("%s-%d-%05d", options_.tender_id_prefix, year.year(), index_ + 1);
  Step& step = Add(found, Step::Kind::kFact, rep_);
  v1::TenderDiscovered* tender = step.event.mutable_tender_discovered();
  tender->set_tender_id(tender_id_);
  // Campus projects are bought by universities.
  std::vector<std::string> titles;
  for (const std::string& title : category.titles) {
    if (buyer_->kind == BuyerKind::kUniversity || !absl::StrContains(title, "ampus")) {
      titles.push_back(title);
    }
  }
  std::string title = absl::StrCat(random_.Pick(titles), " (", year.year(), ")");
  if (random_.Chance(0.15)) absl::StrAppend(&title, ", phase II");
  tender->set_title(title);
  *tender->mutable_buyer() = buyer_->party;
  tender->set_territory(world_.territories[territory_].id);
  tender->set_category(category.id);
  tender->set_procurement_method(method_);
  *tender->mutable_estimated_value() = MoneyOf(total_units * 100, currency_);
  if (declared_lots_) {
    for (size_t i = 0; i < lots_.size(); ++i) {
      v1::Lot* lot = tender->add_lots();
      lot->set_id(lots_[i].id);
      lot->set_title(absl::StrCat("Lot ", i + 1, ": ", category.lot_titles[i]));
      *lot->mutable_value() = MoneyOf(lots_[i].value_cents, currency_);
    }
  }
  v1::KeyDates* dates = tender->mutable_key_dates();
  ToProtoTime(documents_until_, dates->mutable_documents_available_until());
  ToProtoTime(LocalAt(submission_ - Days(5), 17, 0), dates->mutable_enquiry_deadline());
  ToProtoTime(submission_, dates->mutable_submission_deadline());
  ToProtoTime(opening_, dates->mutable_bid_opening_at());
  ToProtoTime(LocalAt(opening_ + Days(static_cast<double>(random_.Int(20, 40))), 17, 0),
              dates->mutable_award_expected_by());
  tender->set_discovery_channel(channel_);
  tender->set_time_zone("Asia/Shanghai");  // the buyers' zone: times are China()'s
  switch (channel_) {
    case v1::DISCOVERY_CHANNEL_FIELD_VISIT:
      tender->set_source_reference(
          absl::StrCat("visit to ", buyer_->contacts[1], ", ", buyer_->contact_titles[1]));
      break;
    case v1::DISCOVERY_CHANNEL_PARTNER:
      tender->set_source_reference(random_.Pick(world_.integrators).name());
      break;
    case v1::DISCOVERY_CHANNEL_REFERRAL:
      tender->set_source_reference(absl::StrCat("referred by ", buyer_->contacts[2]));
      break;
    case v1::DISCOVERY_CHANNEL_IMPORT:
      tender->set_source_reference(
          absl::StrFormat("ocds-demo-%d-%06d", options_.seed % 1000, index_ + 1));
      break;
    default:
      tender->set_source_reference(absl::StrFormat("procurement portal notice ZB%s-%06d",
                                                   absl::FormatTime("%Y%m%d", found, China()),
                                                   random_.Int(1, 999999)));
      break;
  }
  tender->set_owner_team(team_->id);
  ToProtoTime(found, tender->mutable_occurred_at());
}

void TenderPlanner::PlanAmendments() {
  // Amendments come while there is time before the original deadline, and
  // only ever give more time: a bid made before an amendment stays on time.
  const int count = static_cast<int>(random_.Weighted({72, 22, 6}));
  const double room = absl::ToDoubleHours(submission_ - discovered_at_) / 24.0;
  if (count == 0 || room < 5) {
    final_documents_until_ = documents_until_;
    final_submission_ = submission_;
    final_opening_ = opening_;
    return;
  }
  std::vector<absl::Time> times;
  for (int i = 0; i < count; ++i) {
    times.push_back(Work(discovered_at_ + Days(random_.Uniform(1.5, room - 2.5)),
                         discovered_at_ + Days(1.5), submission_ - Days(2.5)));
  }
  std::sort(times.begin(), times.end());
  static const char* const kReasons[] = {
      "submission deadline extended to answer clarification questions",
      "technical specification revised after bidders' questions; deadline extended",
      "site survey added for all bidders; deadline extended",
      "qualification requirements corrected; deadline extended",
  };
  for (absl::Time at : times) {
    Amendment& amendment = amendments_.emplace_back();
    amendment.at = at + absl::Seconds(amendments_.size());  // distinct times
    amendment.shift = Days(static_cast<double>(random_.Int(3, 10)));
    amendment.moves_documents = random_.Chance(0.5);
    Step& step = Add(amendment.at, Step::Kind::kFact, rep_);
    v1::TenderAmended* amended = step.event.mutable_tender_amended();
    amended->set_tender_id(tender_id_);
    v1::KeyDates* dates = amended->mutable_key_dates();
    if (amendment.moves_documents) {
      ToProtoTime(DocumentsUntilAt(amendment.at), dates->mutable_documents_available_until());
    }
    const absl::Time deadline = SubmissionAt(amendment.at);
    ToProtoTime(deadline, dates->mutable_submission_deadline());
    ToProtoTime(deadline + (opening_ - submission_), dates->mutable_bid_opening_at());
    if (random_.Chance(0.3)) {
      const v1::Money& estimate = steps_.front().event.tender_discovered().estimated_value();
      int64_t units = 0;
      for (char c : estimate.amount()) {
        if (c == '.') break;
        units = units * 10 + (c - '0');
      }
      const int64_t revised = std::max<int64_t>(
          1000,
          static_cast<int64_t>(std::llround(units * random_.Uniform(0.85, 1.15) / 1000)) * 1000);
      *amended->mutable_estimated_value() = MoneyOf(revised * 100, currency_);
      amended->set_reason(
          absl::StrCat("budget revised after approval; ", kReasons[random_.Int(0, 3)]));
    } else {
      amended->set_reason(kReasons[random_.Int(0, 3)]);
    }
    ToProtoTime(amendment.at, amended->mutable_occurred_at());
  }
  final_documents_until_ = DocumentsUntilAt(absl::InfiniteFuture());
  final_submission_ = SubmissionAt(absl::InfiniteFuture());
  final_opening_ = final_submission_ + (opening_ - submission_);
}

void TenderPlanner::PlanActivity(absl::Time at, int role, const std::string& topic_override) {
  static const char* const kTopics[kRoleCount][3] = {
      {"project priority and budget approval", "our reference projects in the province",
       "long-term cooperation and service commitments"},
      {"requirements for the new system", "pain points in daily operations",
       "evaluation criteria and the project timetable"},
      {"draft technical specification", "integration with the existing systems",
       "proof-of-concept results"},
      {"tender schedule and qualification requirements", "payment and warranty terms",
       "bid bond and document formalities"},
      {"trial of our equipment", "feedback on the current system", "training needs of the staff"},
      {"parameters in the specification", "test plan for the proof of concept",
       "interfaces and data migration"},
  };
  // Activity kinds by role: VISIT, CALL, MEETING, TECHNICAL_EXCHANGE, SITE_TOUR.
  static const double kKindWeights[kRoleCount][5] = {
      {60, 0, 40, 0, 0},  {40, 0, 30, 30, 0}, {30, 0, 20, 50, 0},
      {15, 60, 25, 0, 0}, {40, 10, 0, 0, 50}, {0, 30, 0, 50, 20},
  };
  const v1::ActivityKind kind = static_cast<v1::ActivityKind>(
      1 + random_.Weighted(std::vector<double>(kKindWeights[role], kKindWeights[role] + 5)));
  const bool technical =
      kind == v1::ACTIVITY_KIND_TECHNICAL_EXCHANGE || kind == v1::ACTIVITY_KIND_SITE_TOUR;
  const std::string& actor = technical && random_.Chance(0.6) ? team_->engineer : rep_;
  Step& step = Add(at, Step::Kind::kActivity, actor);
  v1::ActivityLogged* activity = step.event.mutable_activity_logged();
  activity->set_tender_id(tender_id_);
  activity->set_kind(kind);
  activity->set_contact_name(buyer_->contacts[role]);
  activity->set_role(static_cast<v1::BuyingRole>(role + 1));
  static const char* const kVerbs[] = {
      "", "Visited", "Called", "Met", "Technical exchange with", "Site tour with"};
  const std::string topic =
      topic_override.empty() ? kTopics[role][random_.Int(0, 2)] : topic_override;
  activity->set_notes(
      absl::StrCat(kVerbs[kind], " the ", buyer_->contact_titles[role], ": ", topic, "."));
  ToProtoTime(at, activity->mutable_occurred_at());
}

void TenderPlanner::PlanActivities() {
  // Contacts before the deadline; decision makers' ones count for the bid.
  const double close = std::max(0.0, buyer_->affinity);
  int count = static_cast<int>(random_.Int(6, 13)) + static_cast<int>(std::lround(6 * close));
  if (lazy_) count = static_cast<int>(random_.Int(0, 2));
  if (!pursue_) count = std::min<int>(count, static_cast<int>(random_.Int(0, 2)));
  const absl::Time from = discovered_at_ + absl::Hours(2);
  const absl::Time to = final_submission_ - absl::Hours(2);
  for (int i = 0; i < count; ++i) {
    const absl::Time at =
        Clamp(OfficeHours(from + (to - from) * random_.Uniform(), &random_), from, to);
    const int role = static_cast<int>(random_.Weighted({10, 18, 20, 14, 14, 24}));
    if (role <= 2) ++key_contacts_;
    PlanActivity(Minute(at), role, "");
  }
}

void TenderPlanner::PlanDecisionAndDocuments() {
  // Whether we bid: less often where we are weak.
  const double strength = Strength(world_.us) + buyer_->affinity;
  const double no_bid = 0.03 + 0.30 * Logistic(-6 * (strength + 0.1));
  pursue_ = !random_.Chance(no_bid);
  const double window = absl::ToDoubleHours(documents_until_ - discovered_at_) / 24.0;
  const absl::Time decided =
      Clamp(OfficeHours(discovered_at_ + Days(random_.Uniform(0.5, std::min(6.0, window - 0.5))),
                        &random_),
            discovered_at_ + absl::Hours(1), documents_until_ - absl::Hours(1));
  const absl::Time now = options_.now;
  if (!pursue_) {
    if (random_.Chance(0.4)) {
      documents_at_ = Work(discovered_at_ + (decided - discovered_at_) * random_.Uniform(0.2, 0.8),
                           discovered_at_ + absl::Minutes(30), decided - absl::Minutes(30));
    }
    static const char* const kReasons[] = {
        "no product fit: the specification asks for features we do not offer",
        "price expectation below our cost",
        "specification written around a competitor's product",
        "bid team committed to larger bids in the same weeks",
        "payment terms unacceptable: 40% paid only after two years",
        "qualification we do not meet: a local service centre is required",
    };
    Step& step = Add(decided, Step::Kind::kFact, rep_);
    v1::NoBidDecided* decision = step.event.mutable_no_bid_decided();
    decision->set_tender_id(tender_id_);
    decision->set_reason(kReasons[random_.Int(0, 5)]);
    ToProtoTime(decided, decision->mutable_occurred_at());
  } else if (random_.Chance(0.04)) {
    // After the cut-off, with the buyer's permission: it happens, and is
    // recorded with who allowed it.
    const double slack = absl::ToDoubleHours(final_submission_ - final_documents_until_) / 24.0;
    documents_at_ = Work(final_documents_until_ +
                             Days(random_.Uniform(0.25, std::max(0.3, std::min(3.0, slack - 1.5)))),
                         final_documents_until_ + absl::Hours(1), final_submission_ - Days(1));
  } else {
    const absl::Time until = DocumentsUntilAt(now);
    if (until > now && until - now <= absl::Hours(48) && discovered_at_ < now &&
        random_.Chance(0.6)) {
      // Left to the last day: at risk on the board now.
      documents_at_ = Minute(now + (until - now) * random_.Uniform(0.3, 0.95));
    } else {
      documents_at_ = Clamp(OfficeHours(discovered_at_ + (documents_until_ - discovered_at_) *
                                                             std::pow(random_.Uniform(), 0.8),
                                        &random_),
                            discovered_at_ + absl::Minutes(30), documents_until_);
    }
  }
  if (documents_at_ == absl::InfiniteFuture()) return;
  documents_at_ = std::max(documents_at_, discovered_at_ + absl::Minutes(1));
  Step& step = Add(documents_at_, Step::Kind::kFact, rep_);
  v1::DocumentObtained* document = step.event.mutable_document_obtained();
  document->set_tender_id(tender_id_);
  document->set_kind(v1::DOCUMENT_KIND_TENDER_DOCUMENTS);
  document->set_obtained_by(rep_);
  if (documents_at_ > DocumentsUntilAt(documents_at_)) {
    document->set_exception_approver(
        absl::StrCat(buyer_->contacts[3], ", ", buyer_->contact_titles[3]));
    // As Decide would record it, so that a bulk load that bypasses Decide
    // stores the same event.
    document->set_exception(true);
  }
  ToProtoTime(documents_at_, document->mutable_occurred_at());
  if (!pursue_) return;
  // Amendment notices and clarifications, while the documents are on sale.
  auto add_document = [&](absl::Time at, v1::DocumentKind kind) {
    at = OfficeHours(at, &random_);
    if (at <= documents_at_ || at > DocumentsUntilAt(at)) return;
    Step& later = Add(at, Step::Kind::kFact, rep_);
    v1::DocumentObtained* obtained = later.event.mutable_document_obtained();
    obtained->set_tender_id(tender_id_);
    obtained->set_kind(kind);
    obtained->set_obtained_by(rep_);
    ToProtoTime(at, obtained->mutable_occurred_at());
  };
  for (const Amendment& amendment : amendments_) {
    add_document(amendment.at + absl::Hours(random_.Int(1, 30)), v1::DOCUMENT_KIND_AMENDMENT);
  }
  if (random_.Chance(0.5)) {
    add_document(documents_at_ + (final_documents_until_ - documents_at_) * random_.Uniform(),
                 v1::DOCUMENT_KIND_CLARIFICATION);
  }
}

void TenderPlanner::PlanBids() {
  const absl::Time now = options_.now;
  // Who bids: each competitor by its strength here; we when we pursue.
  std::vector<std::pair<double, const Bidder*>> field;
  for (const Bidder& competitor : world_.competitors) {
    field.emplace_back(Strength(competitor) + 0.1 * random_.Normal(), &competitor);
  }
  std::sort(field.begin(), field.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<const Bidder*> competitors;
  const bool too_few = random_.Chance(0.03);
  if (method_ == v1::PROCUREMENT_METHOD_DIRECT) {
    if (!pursue_ || random_.Chance(0.3)) competitors.push_back(field[0].second);
  } else if (method_ == v1::PROCUREMENT_METHOD_LIMITED) {
    const int invited = (pursue_ ? 1 : 2) + static_cast<int>(random_.Int(0, 1));
    for (int i = 0; i < invited; ++i) competitors.push_back(field[i].second);
  } else {
    for (const auto& [strength, competitor] : field) {
      if (random_.Chance(0.2 + 0.75 * Logistic(4 * (strength + 0.1)))) {
        competitors.push_back(competitor);
      }
    }
    // Open and selective tenders need three bids; most get them.
    const size_t wanted = too_few ? (pursue_ ? 1 : 2) : (pursue_ ? 2 : 3);
    for (const auto& [strength, competitor] : field) {
      if (competitors.size() >= wanted) break;
      if (std::find(competitors.begin(), competitors.end(), competitor) == competitors.end()) {
        competitors.push_back(competitor);
      }
    }
    if (too_few) competitors.resize(wanted);
  }

  const double relationship =
      buyer_->affinity + 0.035 * std::min(key_contacts_, 6) +
      (channel_ == v1::DISCOVERY_CHANNEL_FIELD_VISIT || channel_ == v1::DISCOVERY_CHANNEL_REFERRAL
           ? 0.15
           : 0.0);
  const bool weak_here = world_.us.territory[territory_] < 0;
  const absl::Time deadline_now = SubmissionAt(now);
  const bool last_minute = pursue_ && deadline_now > now && deadline_now - now <= absl::Hours(72) &&
                           discovered_at_ < now && random_.Chance(0.7);
  bool bid_any = false;
  for (size_t l = 0; l < lots_.size(); ++l) {
    const LotPlan& lot = lots_[l];
    const bool last_lot = l + 1 == lots_.size();
    if (pursue_ && (random_.Chance(0.8) || (last_lot && !bid_any))) {
      bid_any = true;
      BidPlan& bid = bids_.emplace_back();
      bid.bidder = &world_.us;
      bid.ours = true;
      bid.lot = &lot;
      const double ratio = world_.us.price_level + random_.Uniform(-0.05, 0.05);
      bid.cents = std::max<int64_t>(100, std::llround(lot.value_cents * ratio / 100.0) * 100);
      bid.score = Strength(world_.us) + relationship + 2.2 * (1 - ratio) + 0.35 * random_.Normal();
      const absl::Time lo = documents_at_ + absl::Hours(1);
      const absl::Time hi = final_submission_ - absl::Minutes(5);
      absl::Time at = final_submission_ - Days(std::clamp(random_.Exponential(0.8), 0.02, 4.0));
      at = last_minute ? Minute(now + (deadline_now - now) * random_.Uniform(0.3, 0.95))
                       : OfficeHours(at, &random_);
      bid.at = Clamp(at, lo, hi);
      if (random_.Chance(weak_here ? 0.6 : 0.3)) {
        bid.partners.push_back((category_ == 3 || category_ == 2) && random_.Chance(0.4)
                                   ? random_.Pick(world_.software_vendors)
                                   : random_.Pick(world_.integrators));
      }
      bid.withdrawn = random_.Chance(0.02);
    }
    for (const Bidder* competitor : competitors) {
      if (declared_lots_ && !random_.Chance(0.8)) continue;
      BidPlan& bid = bids_.emplace_back();
      bid.bidder = competitor;
      bid.lot = &lot;
      const double ratio =
          std::clamp(competitor->price_level + random_.Uniform(-0.06, 0.06), 0.7, 1.0);
      bid.cents = std::max<int64_t>(100, std::llround(lot.value_cents * ratio / 100.0) * 100);
      bid.score = Strength(*competitor) + 2.2 * (1 - ratio) + 0.35 * random_.Normal();
      bid.at = Work(final_submission_ - Days(random_.Uniform(0.01, 4.0)),
                    discovered_at_ + absl::Hours(2), final_submission_ - absl::Minutes(1));
      if (random_.Chance(0.2)) bid.partners.push_back(random_.Pick(world_.integrators));
    }
  }

  for (const BidPlan& bid : bids_) {
    Step& step = Add(bid.at, bid.ours ? Step::Kind::kFact : Step::Kind::kCompetitorBid,
                     bid.ours ? team_->bid_writer : rep_, bid.lot->id);
    v1::BidSubmitted* submitted = step.event.mutable_bid_submitted();
    submitted->set_tender_id(tender_id_);
    *submitted->mutable_bidder() = bid.bidder->party;
    submitted->set_lot_id(bid.lot->id);
    *submitted->mutable_amount() = MoneyOf(bid.cents, currency_);
    for (const v1::Party& partner : bid.partners) *submitted->add_partners() = partner;
    ToProtoTime(bid.at, submitted->mutable_occurred_at());
    if (bid.withdrawn) {
      const absl::Time at =
          Minute(bid.at + (final_submission_ - bid.at) * random_.Uniform(0.1, 0.9));
      Step& withdrawal = Add(at, Step::Kind::kFact, rep_, bid.lot->id);
      v1::BidWithdrawn* withdrawn = withdrawal.event.mutable_bid_withdrawn();
      withdrawn->set_tender_id(tender_id_);
      withdrawn->set_bidder_id(bid.bidder->party.id());
      withdrawn->set_lot_id(bid.lot->id);
      withdrawn->set_reason(PickOf<const char*>(
          &random_, {"manufacturer's authorisation not received in time",
                     "pricing error found in our bid", "key engineer no longer available"}));
      ToProtoTime(at, withdrawn->mutable_occurred_at());
    }
  }
}

void TenderPlanner::PlanOpening() {
  // Disqualifications in the days after the opening, before any award.
  for (BidPlan& bid : bids_) {
    if (bid.withdrawn || !random_.Chance(bid.ours ? 0.03 : 0.05)) continue;
    int others = 0;
    for (const BidPlan& other : bids_) {
      if (other.lot == bid.lot && &other != &bid && !other.withdrawn && !other.disqualified) {
        ++others;
      }
    }
    if (others == 0) continue;
    bid.disqualified = true;
    const absl::Time at = Work(final_opening_ + Days(random_.Uniform(0.5, 4.0)),
                               final_opening_ + absl::Hours(1), final_opening_ + Days(4));
    Step& step = Add(at, Step::Kind::kFact, rep_, bid.lot->id);
    v1::BidDisqualified* disqualified = step.event.mutable_bid_disqualified();
    disqualified->set_tender_id(tender_id_);
    disqualified->set_bidder_id(bid.bidder->party.id());
    disqualified->set_lot_id(bid.lot->id);
    disqualified->set_reason(
        bid.ours ? "bid bond received after the deadline"
                 : PickOf<const char*>(
                       &random_, {"bid bond not received", "qualification certificate missing",
                                  "deviation from a mandatory technical clause",
                                  "bid documents not sealed as required"}));
    ToProtoTime(at, disqualified->mutable_occurred_at());
  }
}

void TenderPlanner::PlanOutcomes() {
  const bool competitive =
      method_ == v1::PROCUREMENT_METHOD_OPEN || method_ == v1::PROCUREMENT_METHOD_SELECTIVE;
  // One lot of a split tender is sometimes dropped by the buyer.
  if (declared_lots_ && random_.Chance(0.2)) {
    LotPlan& lot = lots_[random_.Int(0, static_cast<int64_t>(lots_.size()) - 1)];
    lot.cancelled = true;
    lot.cancelled_at =
        Work(discovered_at_ + Days(3) + (final_opening_ - discovered_at_) * random_.Uniform(),
             discovered_at_ + Days(3), final_opening_ + Days(3));
    Step& step = Add(lot.cancelled_at, Step::Kind::kFact, rep_, lot.id);
    v1::TenderCancelled* cancelled = step.event.mutable_tender_cancelled();
    cancelled->set_tender_id(tender_id_);
    cancelled->add_lot_ids(lot.id);
    cancelled->set_reason(PickOf<const char*>(
        &random_, {"lot removed from this year's budget", "lot moved to a framework agreement",
                   "lot merged into another project"}));
    ToProtoTime(lot.cancelled_at, cancelled->mutable_occurred_at());
  }
  const bool cancelled = random_.Chance(0.05);
  // Before any award can be in force (awards come five days after the
  // opening at the earliest).
  const absl::Time cancelled_at = Work(
      discovered_at_ + Days(2) + (final_opening_ + Days(2) - discovered_at_) * random_.Uniform(),
      discovered_at_ + Days(2), final_opening_ + Days(4));
  const bool delayed = random_.Chance(0.08);

  std::vector<std::string> unsuccessful;
  const absl::Time unsuccessful_at =
      OfficeHours(final_opening_ + Days(random_.Uniform(4.5, 9)), &random_);
  size_t open_lots = 0;
  for (const LotPlan& lot : lots_) {
    if (lot.cancelled) continue;
    ++open_lots;
    std::vector<BidPlan*> valid;
    for (BidPlan& bid : bids_) {
      if (bid.lot == &lot && !bid.withdrawn && !bid.disqualified) valid.push_back(&bid);
    }
    if ((competitive && valid.size() < 3) || valid.empty()) {
      unsuccessful.push_back(lot.id);
      continue;
    }
    std::sort(valid.begin(), valid.end(),
              [](const BidPlan* a, const BidPlan* b) { return a->score > b->score; });
    auto announce = [&](absl::Time at, const BidPlan& winner) {
      const std::string award_id = absl::StrCat("A", ++awards_);
      Step& step = Add(at, Step::Kind::kFact, rep_, lot.id);
      v1::AwardAnnounced* award = step.event.mutable_award_announced();
      award->set_tender_id(tender_id_);
      award->set_award_id(award_id);
      award->set_lot_id(lot.id);
      *award->add_suppliers() = winner.bidder->party;
      *award->mutable_amount() = MoneyOf(winner.cents, currency_);
      ToProtoTime(at, award->mutable_occurred_at());
      return award_id;
    };
    const absl::Time awarded_at = OfficeHours(
        final_opening_ + Days(delayed ? random_.Uniform(35, 80) : random_.Uniform(5, 30)),
        &random_);
    const std::string first = announce(awarded_at, *valid[0]);
    if (valid.size() >= 2 && random_.Chance(0.05)) {
      // A complaint is upheld: the award is revoked, the winner disqualified,
      // and the lot goes to the next bidder.
      const absl::Time revoked_at =
          OfficeHours(awarded_at + Days(random_.Uniform(5, 25)), &random_);
      Step& revoked = Add(revoked_at, Step::Kind::kFact, rep_, lot.id);
      v1::AwardCancelled* cancellation = revoked.event.mutable_award_cancelled();
      cancellation->set_tender_id(tender_id_);
      cancellation->set_award_id(first);
      cancellation->set_reason(PickOf<const char*>(
          &random_, {"complaint upheld: the winner's qualification certificate had expired",
                     "complaint upheld: the winner's reference projects could not be verified",
                     "complaint upheld: the winner's bid deviated from a mandatory clause"}));
      ToProtoTime(revoked_at, cancellation->mutable_occurred_at());
      const absl::Time disqualified_at = revoked_at + absl::Hours(2);
      Step& out = Add(disqualified_at, Step::Kind::kFact, rep_, lot.id);
      v1::BidDisqualified* disqualified = out.event.mutable_bid_disqualified();
      disqualified->set_tender_id(tender_id_);
      disqualified->set_bidder_id(valid[0]->bidder->party.id());
      disqualified->set_lot_id(lot.id);
      disqualified->set_reason("disqualified after the complaint was upheld");
      ToProtoTime(disqualified_at, disqualified->mutable_occurred_at());
      valid[0]->disqualified = true;
      announce(OfficeHours(revoked_at + Days(random_.Uniform(3, 15)), &random_), *valid[1]);
    }
    // We hear how it went: a kick-off when we won, a debrief when we lost.
    const bool we_won = valid[0]->ours || (valid[0]->disqualified && valid[1]->ours);
    const bool we_bid =
        std::any_of(valid.begin(), valid.end(), [](const BidPlan* bid) { return bid->ours; });
    if (we_bid && !cancelled && random_.Chance(0.5)) {
      const absl::Time at = OfficeHours(awarded_at + Days(random_.Uniform(1, 10)), &random_);
      PlanActivity(at, we_won ? 1 : 3,
                   we_won ? "kick-off of the delivery project" : "debrief on the evaluation");
    }
  }
  const bool whole_tender_failed = !unsuccessful.empty() && unsuccessful.size() == open_lots;
  if (!unsuccessful.empty() && !cancelled) {
    Step& step = Add(unsuccessful_at, Step::Kind::kFact, rep_);
    v1::TenderUnsuccessful* failed = step.event.mutable_tender_unsuccessful();
    failed->set_tender_id(tender_id_);
    if (!whole_tender_failed) {
      for (const std::string& lot : unsuccessful) failed->add_lot_ids(lot);
    }
    failed->set_reason(competitive ? "fewer than three valid bids; to be tendered again"
                                   : "no acceptable offer");
    ToProtoTime(unsuccessful_at, failed->mutable_occurred_at());
    if (whole_tender_failed) {
      // An ended tender accepts only activities.
      const int ending = step.order;
      Remove([&](const Step& other) {
        return other.kind != Step::Kind::kActivity && other.at >= unsuccessful_at &&
               other.order != ending;
      });
    }
  }
  for (const LotPlan& lot : lots_) {
    if (!lot.cancelled) continue;
    Remove([&](const Step& step) {
      return step.lot == lot.id && step.at > lot.cancelled_at && step.kind != Step::Kind::kActivity;
    });
  }
  if (cancelled) {
    // Bids of a tender cancelled before its opening were never opened.
    Remove([&](const Step& step) {
      return (step.kind != Step::Kind::kActivity && step.at >= cancelled_at) ||
             (step.kind == Step::Kind::kCompetitorBid && cancelled_at < final_opening_);
    });
    Step& step = Add(cancelled_at, Step::Kind::kFact, rep_);
    v1::TenderCancelled* cancellation = step.event.mutable_tender_cancelled();
    cancellation->set_tender_id(tender_id_);
    cancellation->set_reason(PickOf<const char*>(
        &random_,
        {"budget withdrawn by the finance department", "requirements changed; to be tendered again",
         "merged into a provincial framework procurement",
         "complaint about the specification upheld"}));
    ToProtoTime(cancelled_at, cancellation->mutable_occurred_at());
  }
  // A representative who stopped following up records nothing after the
  // opening: the tender stays open and goes stale.
  if (random_.Chance(lazy_ ? 0.3 : 0.01)) {
    Remove([&](const Step& step) {
      return step.kind == Step::Kind::kCompetitorBid || step.at > final_opening_;
    });
  }
}

std::vector<std::pair<absl::Time, Command>> TenderPlanner::Plan() {
  PlanDiscovery();
  PlanAmendments();
  PlanDecisionAndDocuments();
  PlanActivities();
  PlanBids();
  PlanOpening();
  PlanOutcomes();

  // What has happened by now: competitors' bids become known at the opening.
  const absl::Time now = options_.now;
  Remove([&](const Step& step) {
    return step.at > now || (step.kind == Step::Kind::kCompetitorBid && final_opening_ > now);
  });
  std::stable_sort(steps_.begin(), steps_.end(),
                   [](const Step& a, const Step& b) { return a.at < b.at; });
  std::vector<std::pair<absl::Time, Command>> commands;
  commands.reserve(steps_.size());
  for (Step& step : steps_) {
    auto& [at, command] = commands.emplace_back();
    at = step.at;
    command.request_id = absl::StrCat("demo-", options_.seed, "-", tender_id_, "-", step.order);
    command.actor = std::move(step.actor);
    command.event = std::move(step.event);
  }
  return commands;
}

}  // namespace

class Generator::Impl {
 public:
  explicit Impl(const Options& options);

  bool Next(Command* command);
  uint64_t yielded() const { return yielded_; }
  uint64_t estimated_total() const;
  uint64_t pending() const { return heap_.size(); }

 private:
  struct Pending {
    absl::Time at;
    uint64_t sequence;
    Command command;
  };
  // std::push_heap keeps the largest first: "later" is "smaller".
  static bool Later(const Pending& a, const Pending& b) {
    return a.at != b.at ? a.at > b.at : a.sequence > b.sequence;
  }

  absl::Time DiscoveryTime(int index);
  void GenerateTender();

  const Options options_;
  const World world_;
  // Local midnights of the working days in [now - span, now].
  std::vector<absl::Time> working_days_;
  int next_tender_ = 0;
  absl::Time next_discovery_;
  absl::Time last_discovery_ = absl::InfinitePast();
  std::vector<Pending> heap_;
  uint64_t sequence_ = 0;
  uint64_t planned_ = 0;
  uint64_t yielded_ = 0;
};

Generator::Impl::Impl(const Options& options)
    : options_(options), world_(internal::MakeWorld(options.own_party_id)) {
  const absl::Time start = options_.now - options_.span;
  for (absl::CivilDay day = absl::ToCivilDay(start, China());
       day <= absl::ToCivilDay(options_.now, China()); ++day) {
    const absl::Weekday weekday = absl::GetWeekday(day);
    if (weekday != absl::Weekday::saturday && weekday != absl::Weekday::sunday) {
      working_days_.push_back(absl::FromCivil(day, China()));
    }
  }
  if (options_.tenders > 0) next_discovery_ = DiscoveryTime(0);
}

absl::Time Generator::Impl::DiscoveryTime(int index) {
  Random random(MixSeed(options_.seed, 2 * static_cast<uint64_t>(index)));
  // The business grows: tenders found per day rise from 0.8 to 1.2 times the
  // mean over the span. q is the share of tenders found by then; x inverts
  // the cumulative a*x + b*x^2/2 of the density a + b*x.
  const double q = (index + random.Uniform()) / options_.tenders;
  constexpr double kA = 0.8;
  constexpr double kB = 0.4;
  const double x = (-kA + std::sqrt(kA * kA + 2 * kB * q)) / kB;
  absl::Time at;
  if (working_days_.empty()) {
    at = options_.now - options_.span + options_.span * x;
  } else {
    // Spread over working days, 08:30 to 18:30 local.
    const double position = x * static_cast<double>(working_days_.size());
    const size_t day = std::min(static_cast<size_t>(position), working_days_.size() - 1);
    at = working_days_[day] + absl::Minutes(510) +
         absl::Minutes(600) * std::clamp(position - static_cast<double>(day), 0.0, 1.0);
  }
  at = Minute(at);
  if (last_discovery_ != absl::InfinitePast())
    at = std::max(at, last_discovery_ + absl::Seconds(1));
  at = std::min(at, options_.now);
  last_discovery_ = at;
  return at;
}

void Generator::Impl::GenerateTender() {
  TenderPlanner planner(world_, options_, next_tender_, next_discovery_);
  for (auto& [at, command] : planner.Plan()) {
    Pending& pending = heap_.emplace_back();
    pending.at = at;
    pending.sequence = sequence_++;
    pending.command = std::move(command);
    std::push_heap(heap_.begin(), heap_.end(), Later);
    ++planned_;
  }
  ++next_tender_;
  if (next_tender_ < options_.tenders) next_discovery_ = DiscoveryTime(next_tender_);
}

bool Generator::Impl::Next(Command* command) {
  // A tender's events all come at or after its discovery, and tenders are
  // found in time order: once the next discovery is later than the earliest
  // pending event, nothing still to be generated can come before it.
  while (next_tender_ < options_.tenders &&
         (heap_.empty() || next_discovery_ <= heap_.front().at)) {
    GenerateTender();
  }
  if (heap_.empty()) return false;
  std::pop_heap(heap_.begin(), heap_.end(), Later);
  *command = std::move(heap_.back().command);
  heap_.pop_back();
  ++yielded_;
  return true;
}

uint64_t Generator::Impl::estimated_total() const {
  if (next_tender_ == 0) return static_cast<uint64_t>(std::max(options_.tenders, 0)) * 20;
  return planned_ * static_cast<uint64_t>(options_.tenders) / static_cast<uint64_t>(next_tender_);
}

Generator::Generator(const Options& options) : impl_(std::make_unique<Impl>(options)) {}
Generator::~Generator() = default;
bool Generator::Next(Command* command) { return impl_->Next(command); }
uint64_t Generator::yielded() const { return impl_->yielded(); }
uint64_t Generator::estimated_total() const { return impl_->estimated_total(); }
uint64_t Generator::pending() const { return impl_->pending(); }

}  // namespace bidtrail::demo
