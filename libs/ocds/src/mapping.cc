#include "bidtrail/ocds/mapping.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bidtrail/common/proto_time.h"
#include "bidtrail/common/uuid.h"
#include "bidtrail/common/validate.h"
#include "bidtrail/tender/decide.h"
#include "bidtrail/tender/state.h"

namespace bidtrail::ocds {
namespace {

constexpr absl::string_view kNul("\0", 1);

// A time the log accepts as a business time.
bool Usable(absl::Time time) { return IsPlausibleTime(time); }

// The codelist value before any publisher-specific suffix: ProZorro's
// "active.tendering" is "active".
std::string StatusOf(const std::string& status) { return status.substr(0, status.find('.')); }

v1::ProcurementMethod MethodOf(const std::string& method) {
  if (method == "open") return v1::PROCUREMENT_METHOD_OPEN;
  if (method == "selective") return v1::PROCUREMENT_METHOD_SELECTIVE;
  if (method == "limited") return v1::PROCUREMENT_METHOD_LIMITED;
  if (method == "direct") return v1::PROCUREMENT_METHOD_DIRECT;
  return v1::PROCUREMENT_METHOD_UNSPECIFIED;
}

void SetMoney(const Value& value, v1::Money* money) {
  money->set_amount(value.amount);
  money->set_currency(value.currency);
}

bool SameMoney(const Value& value, const v1::Money& money) {
  return value.amount == money.amount() && value.currency == money.currency();
}

bool SameTime(const google::protobuf::Timestamp& a, const google::protobuf::Timestamp& b) {
  return a.seconds() == b.seconds() && a.nanos() == b.nanos();
}

v1::KeyDates KeyDatesOf(const TenderSection& tender) {
  v1::KeyDates dates;
  if (Usable(tender.enquiry_period.end)) {
    ToProtoTime(tender.enquiry_period.end, dates.mutable_enquiry_deadline());
  }
  if (Usable(tender.tender_period.end)) {
    ToProtoTime(tender.tender_period.end, dates.mutable_submission_deadline());
  }
  if (Usable(tender.bid_opening)) ToProtoTime(tender.bid_opening, dates.mutable_bid_opening_at());
  if (Usable(tender.award_period.end)) {
    ToProtoTime(tender.award_period.end, dates.mutable_award_expected_by());
  }
  return dates;
}

// The key dates of `next` that differ from `current`.
v1::KeyDates ChangedKeyDates(const v1::KeyDates& current, const v1::KeyDates& next) {
  v1::KeyDates changed;
  if (next.has_documents_available_until() &&
      !SameTime(next.documents_available_until(), current.documents_available_until())) {
    *changed.mutable_documents_available_until() = next.documents_available_until();
  }
  if (next.has_enquiry_deadline() &&
      !SameTime(next.enquiry_deadline(), current.enquiry_deadline())) {
    *changed.mutable_enquiry_deadline() = next.enquiry_deadline();
  }
  if (next.has_submission_deadline() &&
      !SameTime(next.submission_deadline(), current.submission_deadline())) {
    *changed.mutable_submission_deadline() = next.submission_deadline();
  }
  if (next.has_bid_opening_at() && !SameTime(next.bid_opening_at(), current.bid_opening_at())) {
    *changed.mutable_bid_opening_at() = next.bid_opening_at();
  }
  if (next.has_award_expected_by() &&
      !SameTime(next.award_expected_by(), current.award_expected_by())) {
    *changed.mutable_award_expected_by() = next.award_expected_by();
  }
  return changed;
}

bool Empty(const v1::KeyDates& dates) { return dates.ByteSizeLong() == 0; }

bool SameLots(const google::protobuf::RepeatedPtrField<v1::Lot>& current,
              const std::vector<v1::Lot>& next) {
  if (static_cast<size_t>(current.size()) != next.size()) return false;
  for (size_t i = 0; i < next.size(); ++i) {
    const v1::Lot& a = current[static_cast<int>(i)];
    const v1::Lot& b = next[i];
    if (a.id() != b.id() || a.title() != b.title() || a.value().amount() != b.value().amount() ||
        a.value().currency() != b.value().currency()) {
      return false;
    }
  }
  return true;
}

// A party reference resolved against the release's `parties`: the name is
// taken from there when the reference has none.
PartyRef Resolve(const Release& release, const PartyRef& reference) {
  PartyRef party = reference;
  if (party.name.empty() && !party.id.empty()) {
    for (const PartyRef& listed : release.parties) {
      if (listed.id == party.id) {
        party.name = listed.name;
        break;
      }
    }
  }
  return party;
}

const PartyRef* PartyWithRole(const Release& release, std::string_view role) {
  for (const PartyRef& party : release.parties) {
    if (party.id.empty()) continue;
    if (std::find(party.roles.begin(), party.roles.end(), role) != party.roles.end()) {
      return &party;
    }
  }
  return nullptr;
}

// `buyer`, else the party with role buyer, else the procuring entity (then
// `*from_procuring_entity` is set).
PartyRef BuyerOf(const Release& release, bool* from_procuring_entity) {
  *from_procuring_entity = false;
  if (!release.buyer.id.empty()) return Resolve(release, release.buyer);
  if (const PartyRef* party = PartyWithRole(release, "buyer"); party != nullptr) return *party;
  *from_procuring_entity = true;
  if (!release.tender.procuring_entity.id.empty()) {
    return Resolve(release, release.tender.procuring_entity);
  }
  if (const PartyRef* party = PartyWithRole(release, "procuringEntity"); party != nullptr) {
    return *party;
  }
  *from_procuring_entity = false;
  return PartyRef();
}

// The name of an element of a release, for its event id: parts joined by NUL,
// which ids do not contain, so that ("a/b", "c") and ("a", "b/c") differ.
std::string Element(std::initializer_list<absl::string_view> parts) {
  return absl::StrJoin(parts, kNul);
}

// The content of a release as the mapping sees it: party references
// resolved (so a copy that names parties by id and one that spells them out
// agree), the `parties` list itself left out.
class FingerprintWriter {
 public:
  explicit FingerprintWriter(const Release& release) : release_(release) {}

  void Put(absl::string_view text) { absl::StrAppend(&out_, text.size(), ":", text, ";"); }
  void Put(absl::Time time) {
    Put(time == absl::InfinitePast() ? std::string("-") : absl::StrCat(absl::ToUnixNanos(time)));
  }
  void Put(const Value& value) {
    Put(value.amount);
    Put(value.currency);
  }
  void Put(const Period& period) {
    Put(period.start);
    Put(period.end);
  }
  void Put(const PartyRef& reference) {
    const PartyRef party = Resolve(release_, reference);
    Put(party.id);
    Put(party.name);
  }
  void PutList(const std::vector<std::string>& list) {
    absl::StrAppend(&out_, "[", list.size());
    for (const std::string& text : list) Put(text);
    out_ += "]";
  }
  void PutParties(const std::vector<PartyRef>& parties) {
    absl::StrAppend(&out_, "[", parties.size());
    for (const PartyRef& party : parties) Put(party);
    out_ += "]";
  }
  std::string Take() { return std::move(out_); }

 private:
  const Release& release_;
  std::string out_;
};

// Maps the releases of one contracting process, one at a time, in order.
// Party ids one organisation was published under, linked (docs/ocds-import.md,
// "Parties"): within one process, parties of the releases' `parties` lists
// with the same identifier, or, both without one, the same name (any case)
// and the same address. Each linked id maps to the group's: the identifier's
// id ("<scheme>-<id>", or the bare id) when it has one, else its smallest id.
// Ids not linked are absent.
std::map<std::string, std::string> LinkedParties(const std::vector<const Release*>& releases) {
  struct Seen {
    std::string key;  // "i:<identifier>" or "n:<name>\0<address>"
    std::string id;
    std::string identifier;
  };
  std::vector<Seen> seen;
  for (const Release* release : releases) {
    for (const PartyRef& party : release->parties) {
      if (party.id.empty()) continue;
      std::string key;
      if (!party.identifier.empty()) {
        key = absl::StrCat("i:", party.identifier);
      } else if (!party.address.empty() && !party.name.empty()) {
        key = absl::StrCat("n:", absl::AsciiStrToLower(absl::StripAsciiWhitespace(party.name)),
                           kNul, party.address);
      } else {
        continue;
      }
      seen.push_back({std::move(key), party.id, party.identifier});
    }
  }
  std::map<std::string, std::set<std::string>> ids_of;
  std::map<std::string, std::string> identifier_of;
  for (const Seen& each : seen) {
    ids_of[each.key].insert(each.id);
    if (!each.identifier.empty()) identifier_of[each.key] = each.identifier;
  }
  std::map<std::string, std::string> linked;
  for (const auto& [key, ids] : ids_of) {
    if (ids.size() < 2) continue;
    auto identifier = identifier_of.find(key);
    const std::string& canonical =
        identifier != identifier_of.end() ? identifier->second : *ids.begin();
    for (const std::string& id : ids) {
      // An id in two groups (a publisher reusing ids) keeps the first link.
      if (id != canonical) linked.emplace(id, canonical);
    }
  }
  return linked;
}

class TenderMapper {
 public:
  TenderMapper(TenderMapping* out, std::map<std::string, std::string> linked)
      : out_(out), linked_(std::move(linked)) {}

  void Map(const Release& release, const std::string& fingerprint) {
    release_ = &release;
    fingerprint_ = &fingerprint;
    for (const std::string& problem : release.problems) ++out_->skipped[problem];
    for (const std::string& note : release.notes) ++out_->notes[note];
    if (!state_.exists) {
      const bool about_tender =
          release.tender.present || !release.bids.empty() || !release.awards.empty();
      if (!about_tender) return;  // planning or contract releases: nothing to record
      if (!Discover()) return;
    } else if (release.tender.present) {
      Amend();
    }
    MapBids();
    MapAwards();
    MapEndings();
  }

 private:
  // The parties with an id; those without one are counted under `reason`.
  std::vector<PartyRef> WithIds(const std::vector<PartyRef>& parties, const std::string& reason) {
    std::vector<PartyRef> out;
    for (const PartyRef& party : parties) {
      if (party.id.empty()) {
        ++out_->skipped[reason];
        continue;
      }
      PartyRef resolved = Linked(Resolve(*release_, party));
      if (std::none_of(out.begin(), out.end(),
                       [&](const PartyRef& kept) { return kept.id == resolved.id; })) {
        out.push_back(std::move(resolved));
      }
    }
    return out;
  }

  // The party under the id its organisation is linked to (LinkedParties),
  // counted once per id.
  PartyRef Linked(PartyRef party) {
    auto link = linked_.find(party.id);
    if (link == linked_.end()) return party;
    if (counted_links_.insert(party.id).second) ++out_->notes["party_linked"];
    party.id = link->second;
    return party;
  }

  // The release date as a business time of last resort, counted.
  absl::Time ReleaseDateFallback() {
    if (!Usable(release_->date)) return absl::InfinitePast();
    ++out_->notes["time_from_release_date"];
    return release_->date;
  }

  // When the tender started: tenderPeriod.startDate, datePublished,
  // enquiryPeriod.startDate; else the earliest other business date of the
  // release (period ends, bid opening, bids, awards); else the release date.
  absl::Time TenderStart() {
    const TenderSection& tender = release_->tender;
    for (absl::Time time :
         {tender.tender_period.start, tender.date_published, tender.enquiry_period.start}) {
      if (Usable(time)) return time;
    }
    absl::Time earliest = absl::InfiniteFuture();
    auto consider = [&](absl::Time time) {
      if (Usable(time)) earliest = std::min(earliest, time);
    };
    for (absl::Time time :
         {tender.enquiry_period.end, tender.tender_period.end, tender.award_period.start,
          tender.award_period.end, tender.bid_opening}) {
      consider(time);
    }
    for (const Bid& bid : release_->bids) consider(bid.date);
    for (const Award& award : release_->awards) consider(award.date);
    if (earliest != absl::InfiniteFuture()) {
      ++out_->notes["tender_start_from_other_dates"];
      return earliest;
    }
    return ReleaseDateFallback();
  }

  std::vector<v1::Lot> LotsOf(const TenderSection& tender) {
    std::vector<v1::Lot> lots;
    for (const Lot& lot : tender.lots) {
      if (std::any_of(lots.begin(), lots.end(),
                      [&](const v1::Lot& kept) { return kept.id() == lot.id; })) {
        ++out_->skipped["lot_duplicate_id"];
        continue;
      }
      v1::Lot& out = lots.emplace_back();
      out.set_id(lot.id);
      out.set_title(lot.title);
      if (lot.value.Present()) SetMoney(lot.value, out.mutable_value());
    }
    return lots;
  }

  void Emit(v1::TenderEvent event, const std::string& element) {
    MappedEvent& mapped = out_->events.emplace_back();
    mapped.event_id =
        NameBasedUuid(absl::StrCat("ocds", kNul, out_->ocid, kNul, release_->id, kNul, element));
    mapped.release_id = release_->id;
    mapped.release_fingerprint = *fingerprint_;
    if (event.has_bid_submitted()) ++out_->bids;
    if (event.has_award_announced()) ++out_->awards;
    tender::Apply(event, &state_);
    mapped.event = std::move(event);
  }

  bool Discover() {
    const TenderSection& tender = release_->tender;
    const absl::Time start = TenderStart();
    if (!Usable(start)) {
      ++out_->skipped["tender_without_date"];
      return false;
    }
    v1::TenderEvent event;
    v1::TenderDiscovered* discovered = event.mutable_tender_discovered();
    discovered->set_tender_id(out_->tender_id);
    std::string title = tender.title;
    if (title.empty() && !release_->awards.empty()) title = release_->awards.front().title;
    discovered->set_title(title);
    bool from_procuring_entity = false;
    const PartyRef buyer = Linked(BuyerOf(*release_, &from_procuring_entity));
    if (buyer.id.empty()) ++out_->skipped["buyer_unknown"];
    if (from_procuring_entity) ++out_->notes["buyer_from_procuring_entity"];
    discovered->mutable_buyer()->set_id(buyer.id);
    discovered->mutable_buyer()->set_name(buyer.name);
    discovered->set_category(tender.main_procurement_category);
    discovered->set_procurement_method(MethodOf(tender.procurement_method));
    if (!tender.procurement_method.empty() &&
        discovered->procurement_method() == v1::PROCUREMENT_METHOD_UNSPECIFIED) {
      ++out_->notes["procurement_method_unknown"];
    }
    if (tender.value.Present()) SetMoney(tender.value, discovered->mutable_estimated_value());
    for (v1::Lot& lot : LotsOf(tender)) *discovered->add_lots() = std::move(lot);
    *discovered->mutable_key_dates() = KeyDatesOf(tender);
    discovered->set_discovery_channel(v1::DISCOVERY_CHANNEL_IMPORT);
    discovered->set_source_reference(out_->ocid);
    // The buyer's zone, as far as the publisher says: the offset its tender
    // period was written with.
    discovered->set_time_zone(tender.tender_period.zone);
    ToProtoTime(start, discovered->mutable_occurred_at());
    tender_start_ = start;
    Emit(std::move(event), "tender");
    return true;
  }

  void Amend() {
    const TenderSection& tender = release_->tender;
    const v1::TenderDiscovered& details = state_.details;
    v1::TenderEvent event;
    v1::TenderAmended* amended = event.mutable_tender_amended();
    *amended->mutable_key_dates() = ChangedKeyDates(details.key_dates(), KeyDatesOf(tender));
    bool changed = !Empty(amended->key_dates());
    if (Empty(amended->key_dates())) amended->clear_key_dates();
    if (tender.value.Present() && !SameMoney(tender.value, details.estimated_value())) {
      SetMoney(tender.value, amended->mutable_estimated_value());
      changed = true;
    }
    if (tender.has_lots) {
      std::vector<v1::Lot> lots = LotsOf(tender);
      if (!SameLots(details.lots(), lots)) {
        for (v1::Lot& lot : lots) *amended->mutable_lots()->add_lots() = std::move(lot);
        amended->mutable_lots();  // set even when empty: "no lots any more"
        changed = true;
      }
    }
    bool from_procuring_entity = false;
    const PartyRef buyer = Linked(BuyerOf(*release_, &from_procuring_entity));
    const bool unrepresentable =
        (!tender.title.empty() && !details.title().empty() && tender.title != details.title()) ||
        (!buyer.id.empty() && !details.buyer().id().empty() && buyer.id != details.buyer().id()) ||
        (MethodOf(tender.procurement_method) != v1::PROCUREMENT_METHOD_UNSPECIFIED &&
         details.procurement_method() != v1::PROCUREMENT_METHOD_UNSPECIFIED &&
         MethodOf(tender.procurement_method) != details.procurement_method());
    if (unrepresentable) ++out_->skipped["tender_change_unrepresentable"];
    if (!changed) return;
    absl::Time at = tender.last_amendment;
    if (!Usable(at)) at = release_->date;
    if (!Usable(at)) {
      ++out_->skipped["amendment_without_date"];
      return;
    }
    amended->set_tender_id(out_->tender_id);
    amended->set_reason(absl::StrCat("OCDS release ", release_->id, " (",
                                     absl::StrJoin(release_->tags, ", "), ")"));
    ToProtoTime(at, amended->mutable_occurred_at());
    Emit(std::move(event), "amendment");
  }

  // The lots a bid or award belongs to: the ones it names that the tender
  // declares; without a name, the tender's only lot (or none when it has no
  // lots). Empty when it cannot be placed (counted as "<kind>_...").
  std::vector<std::string> LotsFor(const std::vector<std::string>& named, absl::string_view kind) {
    const auto& declared = state_.details.lots();
    std::vector<std::string> lots;
    if (!named.empty()) {
      for (const std::string& id : named) {
        if (std::any_of(declared.begin(), declared.end(),
                        [&](const v1::Lot& lot) { return lot.id() == id; })) {
          lots.push_back(id);
        } else {
          ++out_->skipped[absl::StrCat(kind, "_unknown_lot")];
        }
      }
      return lots;
    }
    if (declared.empty()) return {""};
    if (declared.size() == 1) return {declared[0].id()};
    ++out_->skipped[absl::StrCat(kind, "_lot_ambiguous")];
    return {};
  }

  // A bid's time: its date, else the submission deadline, else the tender's start.
  absl::Time BidTime(absl::Time date) {
    if (Usable(date)) return date;
    ++out_->notes["bid_time_from_tender_dates"];
    if (state_.details.key_dates().has_submission_deadline()) {
      return FromProtoTime(state_.details.key_dates().submission_deadline());
    }
    return FromProtoTime(state_.details.occurred_at());
  }

  const tender::LotState* FindLot(const std::string& lot_id) const {
    return state_.FindLot(lot_id);
  }

  bool HasAnyBid(const std::string& lot_id, const std::string& bidder_id) const {
    const tender::LotState* lot = FindLot(lot_id);
    return lot != nullptr &&
           std::any_of(lot->bids.begin(), lot->bids.end(), [&](const tender::BidRecord& bid) {
             return bid.bid.bidder().id() == bidder_id;
           });
  }

  void SubmitBid(const PartyRef& bidder, const std::string& lot_id, const Value& value,
                 absl::Time at, const std::string& element) {
    v1::TenderEvent event;
    v1::BidSubmitted* bid = event.mutable_bid_submitted();
    bid->set_tender_id(out_->tender_id);
    bid->mutable_bidder()->set_id(bidder.id);
    bid->mutable_bidder()->set_name(bidder.name);
    bid->set_lot_id(lot_id);
    if (value.Present()) SetMoney(value, bid->mutable_amount());
    ToProtoTime(at, bid->mutable_occurred_at());
    Emit(std::move(event), element);
  }

  void MapBids() {
    if (release_->has_bids) {
      for (size_t i = 0; i < release_->bids.size(); ++i) MapBid(release_->bids[i], i);
      return;
    }
    const TenderSection& tender = release_->tender;
    if (!tender.has_tenderers) return;
    const std::vector<PartyRef> bidders = WithIds(tender.tenderers, "tenderer_without_id");
    if (bidders.empty()) return;
    const std::vector<std::string> lots = LotsFor({}, "tenderer");
    for (const std::string& lot_id : lots) {
      for (const PartyRef& bidder : bidders) {
        if (HasAnyBid(lot_id, bidder.id)) continue;
        ++out_->notes["bids_from_tenderers"];
        SubmitBid(bidder, lot_id, Value(), BidTime(absl::InfinitePast()),
                  Element({"tenderer", bidder.id, lot_id}));
      }
    }
  }

  void MapBid(const Bid& bid, size_t index) {
    const std::string status = StatusOf(bid.status);
    if (status == "invited") {
      ++out_->skipped["bid_invited_only"];
      return;
    }
    const std::vector<PartyRef> bidders = WithIds(bid.tenderers, "bid_tenderer_without_id");
    if (bidders.empty()) {
      if (bid.tenderers.empty()) ++out_->skipped["bid_without_tenderer"];
      return;
    }
    const bool left = status == "withdrawn" || status == "disqualified";
    if (!left && !status.empty() && status != "valid" && status != "pending" &&
        status != "active") {
      ++out_->notes["bid_status_unknown"];
    }
    const std::string ref = bid.id.empty() ? absl::StrCat("#", index) : bid.id;
    for (const std::string& lot_id : LotsFor(bid.related_lots, "bid")) {
      for (const PartyRef& bidder : bidders) {
        const tender::LotState* lot = FindLot(lot_id);
        const tender::BidRecord* valid = lot == nullptr ? nullptr : lot->ValidBid(bidder.id);
        if (valid == nullptr && !(left && HasAnyBid(lot_id, bidder.id))) {
          SubmitBid(bidder, lot_id, bid.value, BidTime(bid.date),
                    Element({"bid", ref, bidder.id, lot_id}));
        } else if (valid != nullptr && !left && bid.value.Present() &&
                   !SameMoney(bid.value, valid->bid.amount())) {
          ++out_->skipped["bid_change_unrepresentable"];
        }
        if (!left) continue;
        lot = FindLot(lot_id);
        if (lot == nullptr || lot->ValidBid(bidder.id) == nullptr) continue;
        const std::string reason = absl::StrCat("OCDS bid ", ref, " ", status);
        absl::Time at = BidTime(bid.date);
        if (Usable(release_->date) && release_->date > at) at = release_->date;
        v1::TenderEvent event;
        if (status == "withdrawn") {
          v1::BidWithdrawn* withdrawn = event.mutable_bid_withdrawn();
          withdrawn->set_tender_id(out_->tender_id);
          withdrawn->set_bidder_id(bidder.id);
          withdrawn->set_lot_id(lot_id);
          withdrawn->set_reason(reason);
          ToProtoTime(at, withdrawn->mutable_occurred_at());
        } else {
          v1::BidDisqualified* disqualified = event.mutable_bid_disqualified();
          disqualified->set_tender_id(out_->tender_id);
          disqualified->set_bidder_id(bidder.id);
          disqualified->set_lot_id(lot_id);
          disqualified->set_reason(reason);
          ToProtoTime(at, disqualified->mutable_occurred_at());
        }
        Emit(std::move(event), Element({"bid-" + status, ref, bidder.id, lot_id}));
      }
    }
  }

  // The award's announcement time: its date, else the release date.
  absl::Time AwardTime(const Award& award) {
    if (Usable(award.date)) return award.date;
    return ReleaseDateFallback();
  }

  // An award cancellation has no date of its own in OCDS: the release that
  // says so is the first evidence of it.
  absl::Time CancelTime(const Award& award) {
    absl::Time at = Usable(release_->date) ? release_->date : award.date;
    if (!Usable(at)) at = FromProtoTime(state_.details.occurred_at());
    return at;
  }

  void Announce(const Award& award, const std::string& award_id, const std::string& lot_id,
                const std::vector<PartyRef>& suppliers) {
    const absl::Time at = AwardTime(award);
    if (!Usable(at)) {
      ++out_->skipped["award_without_date"];
      return;
    }
    if (at < tender_start_) ++out_->notes["award_before_tender_start"];
    const tender::LotState* lot = FindLot(lot_id);
    if (lot != nullptr) {
      if (lot->bids.empty()) {
        ++out_->notes["award_without_bids"];
      } else {
        for (const PartyRef& supplier : suppliers) {
          if (lot->ValidBid(supplier.id) == nullptr) ++out_->notes["award_supplier_without_bid"];
        }
      }
      if (lot->AwardInForce() != nullptr) ++out_->notes["second_award_in_force"];
    }
    v1::TenderEvent event;
    v1::AwardAnnounced* announced = event.mutable_award_announced();
    announced->set_tender_id(out_->tender_id);
    announced->set_award_id(award_id);
    announced->set_lot_id(lot_id);
    for (const PartyRef& supplier : suppliers) {
      v1::Party* party = announced->add_suppliers();
      party->set_id(supplier.id);
      party->set_name(supplier.name);
    }
    if (award.value.Present()) SetMoney(award.value, announced->mutable_amount());
    ToProtoTime(at, announced->mutable_occurred_at());
    Emit(std::move(event), Element({"award", award_id}));
  }

  void Cancel(const Award& award, const std::string& award_id, const std::string& status) {
    v1::TenderEvent event;
    v1::AwardCancelled* cancelled = event.mutable_award_cancelled();
    cancelled->set_tender_id(out_->tender_id);
    cancelled->set_award_id(award_id);
    cancelled->set_reason(
        absl::StrCat("OCDS award ", award.id, " ", status, " (release ", release_->id, ")"));
    ToProtoTime(CancelTime(award), cancelled->mutable_occurred_at());
    Emit(std::move(event), Element({"award-" + status, award_id}));
  }

  // An unsuccessful award that was never in force: its suppliers' bids did
  // not make it (ProZorro disqualifies the first-ranked bidder this way).
  void Disqualify(const Award& award, const std::string& award_id, const std::string& lot_id,
                  const std::vector<PartyRef>& suppliers) {
    for (const PartyRef& supplier : suppliers) {
      const tender::LotState* lot = FindLot(lot_id);
      if (lot == nullptr || lot->ValidBid(supplier.id) == nullptr) {
        ++out_->notes["award_unsuccessful_without_bid"];
        continue;
      }
      absl::Time at = AwardTime(award);
      if (!Usable(at)) at = CancelTime(award);
      v1::TenderEvent event;
      v1::BidDisqualified* disqualified = event.mutable_bid_disqualified();
      disqualified->set_tender_id(out_->tender_id);
      disqualified->set_bidder_id(supplier.id);
      disqualified->set_lot_id(lot_id);
      disqualified->set_reason(absl::StrCat("OCDS award ", award.id, " unsuccessful"));
      ToProtoTime(at, disqualified->mutable_occurred_at());
      Emit(std::move(event), Element({"award-unsuccessful", award_id, supplier.id}));
    }
  }

  bool SameAward(const tender::AwardRecord& record, const Award& award,
                 const std::vector<PartyRef>& suppliers) const {
    if (award.value.Present() && !SameMoney(award.value, record.award.amount())) return false;
    if (static_cast<size_t>(record.award.suppliers_size()) != suppliers.size()) return false;
    for (size_t i = 0; i < suppliers.size(); ++i) {
      if (record.award.suppliers(static_cast<int>(i)).id() != suppliers[i].id) return false;
    }
    return true;
  }

  void MapAwards() {
    for (const Award& award : release_->awards) {
      if (award.id.empty()) {
        ++out_->skipped["award_without_id"];
        continue;
      }
      const std::string status = StatusOf(award.status);
      if (status.empty()) {
        ++out_->skipped["award_status_missing"];
        continue;
      }
      if (status != "active" && status != "cancelled" && status != "unsuccessful" &&
          status != "pending") {
        ++out_->skipped["award_status_unknown"];
        continue;
      }
      const std::vector<std::string> lots = LotsFor(award.related_lots, "award");
      if (lots.empty()) continue;
      const std::vector<PartyRef> suppliers = WithIds(award.suppliers, "supplier_without_id");
      for (const std::string& lot_id : lots) {
        // An award over several lots is one award per lot here.
        const std::string award_id =
            award.related_lots.size() > 1 ? absl::StrCat(award.id, "/", lot_id) : award.id;
        const tender::AwardRecord* record = FindAward(award_id);
        const bool in_force = record != nullptr && !record->cancelled;
        if (status == "active") {
          if (record == nullptr) {
            if (suppliers.empty()) {
              ++out_->skipped["award_without_supplier"];
            } else {
              Announce(award, award_id, lot_id, suppliers);
            }
          } else if (!in_force) {
            ++out_->skipped["award_status_backwards"];
          } else if (!SameAward(*record, award, suppliers)) {
            ++out_->skipped["award_change_unrepresentable"];
          }
        } else if (status == "cancelled" || status == "unsuccessful") {
          if (in_force) {
            Cancel(award, award_id, status);
          } else if (record == nullptr && status == "unsuccessful") {
            Disqualify(award, award_id, lot_id, suppliers);
          } else if (record == nullptr) {
            ++out_->notes["award_cancelled_never_active"];
          }
        } else if (in_force) {  // pending after active
          ++out_->skipped["award_status_backwards"];
        } else {
          ++out_->notes["award_pending"];
        }
      }
    }
  }

  const tender::AwardRecord* FindAward(const std::string& award_id) const {
    for (const tender::LotState& lot : state_.lots) {
      for (const tender::AwardRecord& award : lot.awards) {
        if (award.award.award_id() == award_id) return &award;
      }
    }
    return nullptr;
  }

  absl::Time EndTime() {
    if (Usable(release_->date)) return release_->date;
    return state_.last_event_at;
  }

  void End(const std::string& status, std::vector<std::string> lot_ids, const std::string& element,
           const std::string& reason) {
    v1::TenderEvent event;
    google::protobuf::Timestamp at = ToProtoTime(EndTime());
    if (status == "cancelled") {
      v1::TenderCancelled* cancelled = event.mutable_tender_cancelled();
      cancelled->set_tender_id(out_->tender_id);
      for (std::string& id : lot_ids) cancelled->add_lot_ids(std::move(id));
      cancelled->set_reason(reason);
      *cancelled->mutable_occurred_at() = at;
    } else {
      v1::TenderUnsuccessful* unsuccessful = event.mutable_tender_unsuccessful();
      unsuccessful->set_tender_id(out_->tender_id);
      for (std::string& id : lot_ids) unsuccessful->add_lot_ids(std::move(id));
      unsuccessful->set_reason(reason);
      *unsuccessful->mutable_occurred_at() = at;
    }
    Emit(std::move(event), element);
  }

  static bool Ends(const std::string& status) {
    return status == "cancelled" || status == "unsuccessful";
  }

  static v1::TenderStatus TenderStatusOf(const std::string& status) {
    return status == "cancelled" ? v1::TENDER_STATUS_CANCELLED : v1::TENDER_STATUS_UNSUCCESSFUL;
  }

  void MapEndings() {
    const TenderSection& tender = release_->tender;
    if (!tender.present) return;
    const std::string status = StatusOf(tender.status);
    const bool tender_void = state_.status == v1::TENDER_STATUS_CANCELLED ||
                             state_.status == v1::TENDER_STATUS_UNSUCCESSFUL;
    if (Ends(status)) {
      if (!tender_void) {
        End(status, {}, "tender-" + status,
            absl::StrCat("OCDS tender status ", status, " (release ", release_->id, ")"));
      } else if (state_.status != TenderStatusOf(status)) {
        ++out_->skipped["tender_status_change_unrepresentable"];
      }
      return;
    }
    if (tender_void) {
      if (!status.empty()) ++out_->skipped["tender_status_backwards"];
      return;
    }
    for (const std::string ending : {"cancelled", "unsuccessful"}) {
      std::vector<std::string> lot_ids;
      for (const Lot& lot : tender.lots) {
        const tender::LotState* state = FindLot(lot.id);
        if (state == nullptr || lot.id.empty()) continue;
        const std::string lot_status = StatusOf(lot.status);
        if (lot_status == ending && !state->Void()) {
          lot_ids.push_back(lot.id);
        } else if (state->Void() && !lot_status.empty() && !Ends(lot_status)) {
          ++out_->skipped["lot_status_backwards"];
        }
      }
      if (lot_ids.empty()) continue;
      End(ending, lot_ids, absl::StrCat("lots-", ending, kNul, absl::StrJoin(lot_ids, kNul)),
          absl::StrCat("OCDS lot status ", ending, " (release ", release_->id, ")"));
    }
  }

  TenderMapping* const out_;
  const std::map<std::string, std::string> linked_;
  std::set<std::string> counted_links_;
  tender::TenderState state_;
  absl::Time tender_start_ = absl::InfinitePast();
  const Release* release_ = nullptr;
  const std::string* fingerprint_ = nullptr;
};

std::string FormatDate(absl::Time time) {
  return time == absl::InfinitePast()
             ? "no date"
             : absl::FormatTime("%Y-%m-%dT%H:%M:%S%Ez", time, absl::UTCTimeZone());
}

}  // namespace

std::string TenderIdOf(const std::string& ocid) {
  if (tender::ValidateTenderId(ocid).ok()) return ocid;
  return absl::StrCat("ocds-", NameBasedUuid(absl::StrCat("ocid", kNul, ocid)));
}

std::string ReleaseFingerprint(const Release& release) {
  FingerprintWriter w(release);
  w.Put(release.ocid);
  w.Put(release.id);
  w.Put(release.date);
  w.PutList(release.tags);
  const TenderSection& tender = release.tender;
  w.Put(tender.present ? "tender" : "-");
  w.Put(tender.id);
  w.Put(tender.title);
  w.Put(tender.status);
  w.Put(tender.procurement_method);
  w.Put(tender.main_procurement_category);
  w.Put(tender.value);
  w.Put(tender.tender_period);
  w.Put(tender.enquiry_period);
  w.Put(tender.award_period);
  w.Put(tender.date_published);
  w.Put(tender.bid_opening);
  w.Put(tender.last_amendment);
  w.Put(tender.has_lots ? "lots" : "-");
  for (const Lot& lot : tender.lots) {
    w.Put(lot.id);
    w.Put(lot.title);
    w.Put(lot.status);
    w.Put(lot.value);
  }
  w.Put(tender.has_tenderers ? "tenderers" : "-");
  w.PutParties(tender.tenderers);
  w.Put(release.has_bids ? "bids" : "-");
  for (const Bid& bid : release.bids) {
    w.Put(bid.id);
    w.Put(bid.date);
    w.Put(bid.status);
    w.Put(bid.value);
    w.PutParties(bid.tenderers);
    w.PutList(bid.related_lots);
  }
  w.Put("awards");
  for (const Award& award : release.awards) {
    w.Put(award.id);
    w.Put(award.title);
    w.Put(award.date);
    w.Put(award.status);
    w.Put(award.value);
    w.PutParties(award.suppliers);
    w.PutList(award.related_lots);
  }
  bool from_procuring_entity = false;
  w.Put(BuyerOf(release, &from_procuring_entity));
  w.Put(release.compiled ? "compiled" : "-");
  return NameBasedUuid(w.Take());
}

TenderMapping MapReleases(const std::string& ocid, std::vector<Release> releases) {
  TenderMapping out;
  out.ocid = ocid;
  out.tender_id = TenderIdOf(ocid);
  std::vector<std::string> fingerprints;
  fingerprints.reserve(releases.size());
  for (const Release& release : releases) fingerprints.push_back(ReleaseFingerprint(release));

  // One copy per release id: OCDS releases are immutable, so the first one
  // published (the earliest release date, then the first read) is the release.
  std::map<std::string, std::vector<size_t>> copies;
  for (size_t i = 0; i < releases.size(); ++i) copies[releases[i].id].push_back(i);
  std::vector<size_t> selected;
  selected.reserve(copies.size());
  for (auto& [id, indexes] : copies) {
    std::stable_sort(indexes.begin(), indexes.end(),
                     [&](size_t a, size_t b) { return releases[a].date < releases[b].date; });
    const size_t kept = indexes.front();
    selected.push_back(kept);
    for (size_t k = 1; k < indexes.size(); ++k) {
      const size_t other = indexes[k];
      if (fingerprints[other] == fingerprints[kept]) {
        ++out.releases_skipped["duplicate_release"];
        continue;
      }
      ++out.releases_skipped["conflicting_release"];
      out.conflicts.push_back(absl::StrCat(
          ocid, ": release ", id, " has copies with different content; kept ",
          releases[kept].source, " (", FormatDate(releases[kept].date), "), not imported ",
          releases[other].source, " (", FormatDate(releases[other].date), ")"));
    }
  }
  // A compiled release sums up the releases of its record, so it follows them.
  std::sort(selected.begin(), selected.end(), [&](size_t a, size_t b) {
    if (releases[a].compiled != releases[b].compiled) return releases[b].compiled;
    if (releases[a].date != releases[b].date) return releases[a].date < releases[b].date;
    if (releases[a].id != releases[b].id) return releases[a].id < releases[b].id;
    return a < b;
  });

  std::vector<const Release*> mapped;
  for (size_t index : selected) mapped.push_back(&releases[index]);
  TenderMapper mapper(&out, LinkedParties(mapped));
  for (size_t index : selected) {
    mapper.Map(releases[index], fingerprints[index]);
    ++out.releases_mapped;
  }
  return out;
}

}  // namespace bidtrail::ocds
