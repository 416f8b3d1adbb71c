// The OCDS parser on simdjson's On-Demand API: one forward pass over each
// document, every field visited once and everything bidtrail does not use
// skipped without being materialised. simdjson reports errors as values
// (error_code); nothing here throws.
#include <algorithm>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "bidtrail/common/currency.h"
#include "bidtrail/common/time_zone.h"
#include "bidtrail/ocds/release.h"
#include "simdjson.h"

namespace bidtrail::ocds {
namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;
using simdjson::SUCCESS;

#define OCDS_TRY(expr)                                  \
  do {                                                  \
    if (error_code ocds_error_ = (expr); ocds_error_) { \
      return ocds_error_;                               \
    }                                                   \
  } while (false)

// The value of an iteration step, or its error. (simdjson's get() consumes
// the result it is called on.)
template <typename Result, typename T>
error_code Take(Result result, T* out) {
  return std::move(result).get(*out);
}

// Calls visit(key, field) for each field of an object, stopping at the first
// error either returns.
template <typename Visit>
error_code ForEachField(od::value& value, Visit&& visit) {
  od::object object;
  OCDS_TRY(value.get_object().get(object));
  for (auto field_result : object) {
    od::field field;
    OCDS_TRY(Take(field_result, &field));
    std::string_view key;
    OCDS_TRY(field.unescaped_key().get(key));
    OCDS_TRY(visit(key, field));
  }
  return SUCCESS;
}

// Calls visit(element) for each element of `value` when it is an array (an
// array of anything else is no array: nothing is visited), stopping at the
// first error. A visit taking (element, index) also gets the element's index.
template <typename Visit>
error_code ForEachElement(od::value& value, Visit&& visit) {
  od::json_type type;
  OCDS_TRY(value.type().get(type));
  if (type != od::json_type::array) return SUCCESS;
  od::array array;
  OCDS_TRY(value.get_array().get(array));
  size_t index = 0;
  for (auto element_result : array) {
    od::value element;
    OCDS_TRY(Take(element_result, &element));
    if constexpr (std::is_invocable_v<Visit, od::value&, size_t>) {
      OCDS_TRY(visit(element, index++));
    } else {
      OCDS_TRY(visit(element));
    }
  }
  return SUCCESS;
}

// As ForEachElement, visiting only the elements that are objects; for each
// other element `not_an_object()` is called (to count or note it).
template <typename NotAnObject, typename Visit>
error_code ForEachObject(od::value& value, NotAnObject&& not_an_object, Visit&& visit) {
  return ForEachElement(value, [&](od::value& element, size_t index) -> error_code {
    od::json_type type;
    OCDS_TRY(element.type().get(type));
    if (type != od::json_type::object) {
      not_an_object();
      return SUCCESS;
    }
    if constexpr (std::is_invocable_v<Visit, od::value&, size_t>) {
      return visit(element, index);
    } else {
      return visit(element);
    }
  });
}

std::string_view TrimRight(std::string_view text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n' ||
                           text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

// A string, or a number's literal text (publishers write ids both ways); ""
// for null, booleans, objects and arrays.
error_code ReadText(od::value& value, std::string* out) {
  od::json_type type;
  OCDS_TRY(value.type().get(type));
  if (type == od::json_type::string) {
    std::string_view text;
    OCDS_TRY(value.get_string().get(text));
    out->assign(text);
  } else if (type == od::json_type::number) {
    out->assign(TrimRight(value.raw_json_token()));
  } else {
    out->clear();
  }
  return SUCCESS;
}

error_code ReadLowerText(od::value& value, std::string* out) {
  OCDS_TRY(ReadText(value, out));
  absl::AsciiStrToLower(out);
  return SUCCESS;
}

// A time; `zone`, when given, gets the UTC offset it was written with.
error_code ReadTime(od::value& value, absl::Time* out, Release* release,
                    std::string* zone = nullptr) {
  std::string text;
  OCDS_TRY(ReadText(value, &text));
  if (text.empty()) return SUCCESS;
  *out = ParseOcdsTime(text);
  if (*out == absl::InfinitePast()) {
    release->problems.push_back("date_unparsable");
  } else if (zone != nullptr) {
    *zone = TypedOffset(text).value_or("");
  }
  return SUCCESS;
}

// An ISO 4217 code, upper-cased as some publishers write it in lower case.
bool ValidCurrency(std::string* currency) {
  *currency = absl::AsciiStrToUpper(*currency);
  return IsIsoCurrency(*currency);
}

error_code ReadValue(od::value& value, Value* out, Release* release) {
  od::json_type type;
  OCDS_TRY(value.type().get(type));
  if (type != od::json_type::object) return SUCCESS;
  std::string amount;
  std::string currency;
  OCDS_TRY(ForEachField(value, [&](std::string_view key, od::field& field) -> error_code {
    if (key == "amount") {
      OCDS_TRY(ReadText(field.value(), &amount));
    } else if (key == "currency") {
      OCDS_TRY(ReadText(field.value(), &currency));
    }
    return SUCCESS;
  }));
  if (amount.empty()) return SUCCESS;
  std::string problem;
  std::string decimal = DecimalText(amount, &problem);
  if (decimal.empty()) {
    release->problems.push_back(problem);
    return SUCCESS;
  }
  if (!ValidCurrency(&currency)) {
    release->problems.push_back(currency.empty() ? "value_without_currency"
                                                 : "value_invalid_currency");
    return SUCCESS;
  }
  out->amount = std::move(decimal);
  out->currency = std::move(currency);
  return SUCCESS;
}

error_code ReadPeriod(od::value& value, Period* out, Release* release) {
  od::json_type type;
  OCDS_TRY(value.type().get(type));
  if (type != od::json_type::object) return SUCCESS;
  std::string start_zone;
  std::string end_zone;
  OCDS_TRY(ForEachField(value, [&](std::string_view key, od::field& field) -> error_code {
    if (key == "startDate") {
      OCDS_TRY(ReadTime(field.value(), &out->start, release, &start_zone));
    } else if (key == "endDate") {
      OCDS_TRY(ReadTime(field.value(), &out->end, release, &end_zone));
    }
    return SUCCESS;
  }));
  out->zone = !end_zone.empty() ? end_zone : start_zone;
  return SUCCESS;
}

// The `date` member of an object (bidOpening, amendment), if any.
error_code ReadDateOf(od::value& value, absl::Time* out, Release* release) {
  od::json_type type;
  OCDS_TRY(value.type().get(type));
  if (type != od::json_type::object) return SUCCESS;
  OCDS_TRY(ForEachField(value, [&](std::string_view key, od::field& field) -> error_code {
    if (key == "date") OCDS_TRY(ReadTime(field.value(), out, release));
    return SUCCESS;
  }));
  return SUCCESS;
}

error_code ReadStringList(od::value& value, std::vector<std::string>* out) {
  od::json_type type;
  OCDS_TRY(value.type().get(type));
  if (type != od::json_type::array) {
    std::string text;
    OCDS_TRY(ReadText(value, &text));
    if (!text.empty()) out->push_back(std::move(text));
    return SUCCESS;
  }
  return ForEachElement(value, [&](od::value& element) -> error_code {
    std::string text;
    OCDS_TRY(ReadText(element, &text));
    if (!text.empty()) out->push_back(std::move(text));
    return SUCCESS;
  });
}

// Lot references in every form publishers use: "L1", 1, {"id": "L1"}, and
// arrays of any of these.
error_code ReadLotRefs(od::value& value, std::vector<std::string>* out) {
  od::json_type type;
  OCDS_TRY(value.type().get(type));
  switch (type) {
    case od::json_type::array:
      return ForEachElement(value, [&](od::value& element) { return ReadLotRefs(element, out); });
    case od::json_type::object: {
      OCDS_TRY(ForEachField(value, [&](std::string_view key, od::field& field) -> error_code {
        if (key == "id") {
          std::string id;
          OCDS_TRY(ReadText(field.value(), &id));
          if (!id.empty()) out->push_back(std::move(id));
        }
        return SUCCESS;
      }));
      return SUCCESS;
    }
    default: {
      std::string id;
      OCDS_TRY(ReadText(value, &id));
      if (!id.empty()) out->push_back(std::move(id));
      return SUCCESS;
    }
  }
}

bool IsLotRefKey(std::string_view key) {
  return key == "relatedLots" || key == "relatedLot" || key == "lotID" || key == "lotId";
}

void Deduplicate(std::vector<std::string>* ids) {
  std::vector<std::string> unique;
  for (std::string& id : *ids) {
    if (std::find(unique.begin(), unique.end(), id) == unique.end())
      unique.push_back(std::move(id));
  }
  *ids = std::move(unique);
}

error_code ReadParty(od::value& value, PartyRef* out, Release* release) {
  od::json_type type;
  OCDS_TRY(value.type().get(type));
  if (type != od::json_type::object) return SUCCESS;
  std::string scheme;
  std::string identifier;
  std::string legal_name;
  OCDS_TRY(ForEachField(value, [&](std::string_view key, od::field& field) -> error_code {
    if (key == "id") {
      OCDS_TRY(ReadText(field.value(), &out->id));
    } else if (key == "name") {
      OCDS_TRY(ReadText(field.value(), &out->name));
    } else if (key == "roles") {
      OCDS_TRY(ReadStringList(field.value(), &out->roles));
    } else if (key == "identifier") {
      od::json_type identifier_type;
      OCDS_TRY(field.value().type().get(identifier_type));
      if (identifier_type != od::json_type::object) return SUCCESS;
      od::object identifier_object;
      OCDS_TRY(field.value().get_object().get(identifier_object));
      for (auto inner_result : identifier_object) {
        od::field inner;
        OCDS_TRY(Take(inner_result, &inner));
        std::string_view inner_key;
        OCDS_TRY(inner.unescaped_key().get(inner_key));
        if (inner_key == "scheme") {
          OCDS_TRY(ReadText(inner.value(), &scheme));
        } else if (inner_key == "id") {
          OCDS_TRY(ReadText(inner.value(), &identifier));
        } else if (inner_key == "legalName") {
          OCDS_TRY(ReadText(inner.value(), &legal_name));
        }
      }
    } else if (key == "address") {
      od::json_type address_type;
      OCDS_TRY(field.value().type().get(address_type));
      if (address_type != od::json_type::object) return SUCCESS;
      std::string street, postal_code, locality, country;
      OCDS_TRY(
          ForEachField(field.value(), [&](std::string_view part, od::field& inner) -> error_code {
            if (part == "streetAddress") return ReadText(inner.value(), &street);
            if (part == "postalCode") return ReadText(inner.value(), &postal_code);
            if (part == "locality") return ReadText(inner.value(), &locality);
            if (part == "countryName") return ReadText(inner.value(), &country);
            return SUCCESS;
          }));
      if (!street.empty() || !postal_code.empty() || !locality.empty() || !country.empty()) {
        out->address = absl::StrCat(street, "|", postal_code, "|", locality, "|", country);
      }
    }
    return SUCCESS;
  }));
  if (!identifier.empty()) {
    out->identifier = scheme.empty() ? identifier : absl::StrCat(scheme, "-", identifier);
  }
  if (out->id.empty() && !identifier.empty()) {
    if (scheme.empty()) {
      out->id = identifier;
      release->notes.push_back("party_identifier_without_scheme");
    } else {
      out->id = absl::StrCat(scheme, "-", identifier);
    }
  }
  if (out->name.empty()) out->name = std::move(legal_name);
  return SUCCESS;
}

// An array of parties; a single party object is accepted as a list of one.
error_code ReadPartyList(od::value& value, std::vector<PartyRef>* out, Release* release) {
  od::json_type type;
  OCDS_TRY(value.type().get(type));
  if (type == od::json_type::object) {
    PartyRef party;
    OCDS_TRY(ReadParty(value, &party, release));
    out->push_back(std::move(party));
    return SUCCESS;
  }
  return ForEachElement(value, [&](od::value& element) -> error_code {
    PartyRef party;
    OCDS_TRY(ReadParty(element, &party, release));
    out->push_back(std::move(party));
    return SUCCESS;
  });
}

error_code ReadLot(od::value& value, Lot* out, Release* release) {
  OCDS_TRY(ForEachField(value, [&](std::string_view key, od::field& field) -> error_code {
    if (key == "id") {
      OCDS_TRY(ReadText(field.value(), &out->id));
    } else if (key == "title") {
      OCDS_TRY(ReadText(field.value(), &out->title));
    } else if (key == "status") {
      OCDS_TRY(ReadLowerText(field.value(), &out->status));
    } else if (key == "value") {
      OCDS_TRY(ReadValue(field.value(), &out->value, release));
    }
    return SUCCESS;
  }));
  return SUCCESS;
}

// The `relatedLot` of each item (awards name their lots this way too).
error_code ReadItemLots(od::value& value, std::vector<std::string>* out) {
  return ForEachObject(
      value, [] {},
      [&](od::value& element) {
        return ForEachField(element, [&](std::string_view key, od::field& field) -> error_code {
          if (key == "relatedLot" || key == "relatedLots") {
            OCDS_TRY(ReadLotRefs(field.value(), out));
          }
          return SUCCESS;
        });
      });
}

error_code ReadTender(od::value& value, TenderSection* out, Release* release) {
  od::json_type type;
  OCDS_TRY(value.type().get(type));
  if (type != od::json_type::object) return SUCCESS;
  out->present = true;
  OCDS_TRY(ForEachField(value, [&](std::string_view key, od::field& field) -> error_code {
    od::value& member = field.value();
    if (key == "id") {
      OCDS_TRY(ReadText(member, &out->id));
    } else if (key == "title") {
      OCDS_TRY(ReadText(member, &out->title));
    } else if (key == "status") {
      OCDS_TRY(ReadLowerText(member, &out->status));
    } else if (key == "procurementMethod") {
      OCDS_TRY(ReadLowerText(member, &out->procurement_method));
    } else if (key == "mainProcurementCategory") {
      OCDS_TRY(ReadText(member, &out->main_procurement_category));
    } else if (key == "value") {
      OCDS_TRY(ReadValue(member, &out->value, release));
    } else if (key == "tenderPeriod") {
      OCDS_TRY(ReadPeriod(member, &out->tender_period, release));
    } else if (key == "enquiryPeriod") {
      OCDS_TRY(ReadPeriod(member, &out->enquiry_period, release));
    } else if (key == "awardPeriod") {
      OCDS_TRY(ReadPeriod(member, &out->award_period, release));
    } else if (key == "datePublished") {
      OCDS_TRY(ReadTime(member, &out->date_published, release));
    } else if (key == "bidOpening") {
      OCDS_TRY(ReadDateOf(member, &out->bid_opening, release));
    } else if (key == "amendment") {
      absl::Time date = absl::InfinitePast();
      OCDS_TRY(ReadDateOf(member, &date, release));
      out->last_amendment = std::max(out->last_amendment, date);
    } else if (key == "amendments") {
      OCDS_TRY(ForEachElement(member, [&](od::value& element) -> error_code {
        absl::Time date = absl::InfinitePast();
        OCDS_TRY(ReadDateOf(element, &date, release));
        out->last_amendment = std::max(out->last_amendment, date);
        return SUCCESS;
      }));
    } else if (key == "lots") {
      od::json_type lots_type;
      OCDS_TRY(member.type().get(lots_type));
      if (lots_type != od::json_type::array) return SUCCESS;
      out->has_lots = true;
      OCDS_TRY(ForEachObject(
          member, [&] { release->problems.push_back("lot_not_an_object"); },
          [&](od::value& element) -> error_code {
            Lot lot;
            OCDS_TRY(ReadLot(element, &lot, release));
            if (lot.id.empty()) {
              release->problems.push_back("lot_without_id");
              return SUCCESS;
            }
            out->lots.push_back(std::move(lot));
            return SUCCESS;
          }));
    } else if (key == "procuringEntity") {
      OCDS_TRY(ReadParty(member, &out->procuring_entity, release));
    } else if (key == "tenderers") {
      out->has_tenderers = true;
      OCDS_TRY(ReadPartyList(member, &out->tenderers, release));
    }
    return SUCCESS;
  }));
  return SUCCESS;
}

error_code ReadBid(od::value& value, Bid* out, Release* release) {
  OCDS_TRY(ForEachField(value, [&](std::string_view key, od::field& field) -> error_code {
    od::value& member = field.value();
    if (key == "id") {
      OCDS_TRY(ReadText(member, &out->id));
    } else if (key == "date") {
      OCDS_TRY(ReadTime(member, &out->date, release));
    } else if (key == "status") {
      OCDS_TRY(ReadLowerText(member, &out->status));
    } else if (key == "value") {
      OCDS_TRY(ReadValue(member, &out->value, release));
    } else if (key == "tenderers") {
      OCDS_TRY(ReadPartyList(member, &out->tenderers, release));
    } else if (IsLotRefKey(key)) {
      OCDS_TRY(ReadLotRefs(member, &out->related_lots));
    }
    return SUCCESS;
  }));
  Deduplicate(&out->related_lots);
  return SUCCESS;
}

error_code ReadBids(od::value& value, Release* release) {
  od::json_type type;
  OCDS_TRY(value.type().get(type));
  if (type != od::json_type::object) return SUCCESS;
  OCDS_TRY(ForEachField(value, [&](std::string_view key, od::field& field) -> error_code {
    if (key != "details") return SUCCESS;
    od::json_type details_type;
    OCDS_TRY(field.value().type().get(details_type));
    if (details_type != od::json_type::array) return SUCCESS;
    release->has_bids = true;
    return ForEachObject(
        field.value(), [&] { release->problems.push_back("bid_not_an_object"); },
        [&](od::value& element) -> error_code {
          Bid bid;
          OCDS_TRY(ReadBid(element, &bid, release));
          release->bids.push_back(std::move(bid));
          return SUCCESS;
        });
  }));
  return SUCCESS;
}

error_code ReadAward(od::value& value, Award* out, Release* release) {
  std::vector<std::string> item_lots;
  OCDS_TRY(ForEachField(value, [&](std::string_view key, od::field& field) -> error_code {
    od::value& member = field.value();
    if (key == "id") {
      OCDS_TRY(ReadText(member, &out->id));
    } else if (key == "title") {
      OCDS_TRY(ReadText(member, &out->title));
    } else if (key == "date") {
      OCDS_TRY(ReadTime(member, &out->date, release));
    } else if (key == "status") {
      OCDS_TRY(ReadLowerText(member, &out->status));
    } else if (key == "value") {
      OCDS_TRY(ReadValue(member, &out->value, release));
    } else if (key == "suppliers") {
      OCDS_TRY(ReadPartyList(member, &out->suppliers, release));
    } else if (key == "items") {
      OCDS_TRY(ReadItemLots(member, &item_lots));
    } else if (IsLotRefKey(key)) {
      OCDS_TRY(ReadLotRefs(member, &out->related_lots));
    }
    return SUCCESS;
  }));
  if (out->related_lots.empty()) out->related_lots = std::move(item_lots);
  Deduplicate(&out->related_lots);
  return SUCCESS;
}

error_code ReadAwards(od::value& value, Release* release) {
  return ForEachObject(
      value, [&] { release->problems.push_back("award_not_an_object"); },
      [&](od::value& element) -> error_code {
        Award award;
        OCDS_TRY(ReadAward(element, &award, release));
        release->awards.push_back(std::move(award));
        return SUCCESS;
      });
}

// What the members of a release-like object said about its shape.
struct Shape {
  bool has_id = false;
  bool has_url = false;
  bool has_content = false;  // ocid, id, tender, bids, awards, buyer or parties
};

// Reads one member of a release into `release`; other members are skipped.
error_code ReadReleaseMember(std::string_view key, od::value& member, Release* release,
                             Shape* shape) {
  if (key == "ocid") {
    OCDS_TRY(ReadText(member, &release->ocid));
  } else if (key == "id") {
    shape->has_id = true;
    OCDS_TRY(ReadText(member, &release->id));
  } else if (key == "date") {
    OCDS_TRY(ReadTime(member, &release->date, release));
    return SUCCESS;
  } else if (key == "tag") {
    OCDS_TRY(ReadStringList(member, &release->tags));
    return SUCCESS;
  } else if (key == "tender") {
    OCDS_TRY(ReadTender(member, &release->tender, release));
  } else if (key == "bids") {
    OCDS_TRY(ReadBids(member, release));
  } else if (key == "awards") {
    OCDS_TRY(ReadAwards(member, release));
  } else if (key == "buyer") {
    OCDS_TRY(ReadParty(member, &release->buyer, release));
  } else if (key == "parties") {
    OCDS_TRY(ReadPartyList(member, &release->parties, release));
  } else if (key == "url") {
    shape->has_url = true;
    return SUCCESS;
  } else {
    return SUCCESS;
  }
  shape->has_content = true;
  return SUCCESS;
}

class DocumentReader {
 public:
  DocumentReader(Document* document, const std::string& source)
      : document_(document), source_(source) {}

  // A top-level object, or an element of a top-level array (`where` names it).
  error_code ReadTopObject(od::object object, const std::string& where, bool* recognized) {
    Release candidate;
    Shape shape;
    bool has_releases = false;
    bool has_records = false;
    bool has_compiled = false;
    bool has_versioned = false;
    std::vector<Release> embedded;
    uint64_t embedded_linked = 0;
    Release compiled;
    for (auto field_result : object) {
      od::field field;
      OCDS_TRY(Take(field_result, &field));
      std::string_view key;
      OCDS_TRY(field.unescaped_key().get(key));
      od::value& member = field.value();
      if (key == "releases") {
        has_releases = true;
        OCDS_TRY(ReadReleaseArray(member, Where(where, "releases"), &embedded, &embedded_linked));
      } else if (key == "records") {
        has_records = true;
        OCDS_TRY(ReadRecordArray(member, Where(where, "records")));
      } else if (key == "compiledRelease") {
        has_compiled = true;
        OCDS_TRY(ReadCompiled(member, Where(where, "compiledRelease"), &compiled));
      } else if (key == "versionedRelease") {
        has_versioned = true;
      } else {
        OCDS_TRY(ReadReleaseMember(key, member, &candidate, &shape));
      }
    }
    *recognized = true;
    if (has_records) {
      Classify(Document::Kind::kRecordPackage);
    } else if (has_releases && (has_compiled || has_versioned || !candidate.ocid.empty())) {
      Classify(Document::Kind::kRecord);
      AddRecord(candidate.ocid, std::move(embedded), embedded_linked, has_compiled,
                std::move(compiled));
    } else if (has_releases) {
      Classify(Document::Kind::kReleasePackage);
      document_->linked_releases += embedded_linked;
      for (Release& release : embedded) {
        if (release.ocid.empty()) {
          Skip("release_without_ocid");
        } else {
          AddRelease(std::move(release));
        }
      }
    } else if (has_compiled) {
      Classify(Document::Kind::kRecord);
      AddRecord(candidate.ocid, {}, 0, true, std::move(compiled));
    } else if (shape.has_content) {
      Classify(Document::Kind::kRelease);
      candidate.source = where;
      FinishRelease(std::move(candidate), shape);
    } else {
      *recognized = false;
    }
    return SUCCESS;
  }

 private:
  std::string Where(const std::string& where, absl::string_view member) const {
    return where == source_ ? absl::StrCat(source_, " ", member) : absl::StrCat(where, ".", member);
  }

  void Classify(Document::Kind kind) {
    if (!classified_) document_->kind = kind;
    classified_ = true;
  }

  void Skip(const std::string& reason) { ++document_->skipped_releases[reason]; }

  void AddRelease(Release release) { document_->releases.push_back(std::move(release)); }

  // Accounts a release object read from `shape`: kept, linked or skipped.
  void FinishRelease(Release release, const Shape& shape) {
    if (!shape.has_id && shape.has_url) {
      ++document_->linked_releases;
    } else if (release.id.empty()) {
      Skip("release_without_id");
    } else if (release.ocid.empty()) {
      Skip("release_without_ocid");
    } else {
      AddRelease(std::move(release));
    }
  }

  error_code ReadRelease(od::value& value, const std::string& where, Release* release,
                         Shape* shape) {
    release->source = where;
    OCDS_TRY(ForEachField(value, [&](std::string_view key, od::field& field) -> error_code {
      OCDS_TRY(ReadReleaseMember(key, field.value(), release, shape));
      return SUCCESS;
    }));
    return SUCCESS;
  }

  // The releases of a package or record. Releases without content (linked
  // releases) are counted in `linked`; the others returned, ocid not checked.
  error_code ReadReleaseArray(od::value& value, const std::string& where, std::vector<Release>* out,
                              uint64_t* linked) {
    return ForEachObject(
        value, [&] { Skip("release_not_an_object"); },
        [&](od::value& element, size_t index) -> error_code {
          Release release;
          Shape shape;
          OCDS_TRY(ReadRelease(element, absl::StrCat(where, "[", index, "]"), &release, &shape));
          if (!shape.has_id && shape.has_url) {
            ++*linked;
          } else if (release.id.empty()) {
            Skip("release_without_id");
          } else {
            out->push_back(std::move(release));
          }
          return SUCCESS;
        });
  }

  error_code ReadCompiled(od::value& value, const std::string& where, Release* out) {
    od::json_type type;
    OCDS_TRY(value.type().get(type));
    if (type != od::json_type::object) return SUCCESS;
    Shape shape;
    OCDS_TRY(ReadRelease(value, where, out, &shape));
    out->compiled = true;
    return SUCCESS;
  }

  // A record's releases: the embedded ones, else its compiledRelease.
  void AddRecord(std::string ocid, std::vector<Release> embedded, uint64_t linked,
                 bool has_compiled, Release compiled) {
    ++document_->records;
    document_->linked_releases += linked;
    if (ocid.empty()) {
      for (const Release& release : embedded) {
        if (!release.ocid.empty()) {
          ocid = release.ocid;
          break;
        }
      }
      if (ocid.empty()) ocid = compiled.ocid;
    }
    if (!embedded.empty()) {
      if (has_compiled) ++document_->compiled_releases_unused;
      for (Release& release : embedded) {
        if (release.ocid.empty()) release.ocid = ocid;
        if (release.ocid.empty()) {
          Skip("release_without_ocid");
          continue;
        }
        AddRelease(std::move(release));
      }
      return;
    }
    if (!has_compiled) return;
    if (compiled.ocid.empty()) compiled.ocid = ocid;
    if (compiled.id.empty()) {
      Skip("release_without_id");
    } else if (compiled.ocid.empty()) {
      Skip("release_without_ocid");
    } else {
      AddRelease(std::move(compiled));
    }
  }

  error_code ReadRecord(od::value& value, const std::string& where) {
    std::string ocid;
    std::vector<Release> embedded;
    uint64_t linked = 0;
    bool has_compiled = false;
    Release compiled;
    OCDS_TRY(ForEachField(value, [&](std::string_view key, od::field& field) -> error_code {
      od::value& member = field.value();
      if (key == "ocid") {
        OCDS_TRY(ReadText(member, &ocid));
      } else if (key == "releases") {
        OCDS_TRY(ReadReleaseArray(member, Where(where, "releases"), &embedded, &linked));
      } else if (key == "compiledRelease") {
        has_compiled = true;
        OCDS_TRY(ReadCompiled(member, Where(where, "compiledRelease"), &compiled));
      }
      return SUCCESS;
    }));
    AddRecord(std::move(ocid), std::move(embedded), linked, has_compiled, std::move(compiled));
    return SUCCESS;
  }

  error_code ReadRecordArray(od::value& value, const std::string& where) {
    return ForEachObject(
        value, [] {},
        [&](od::value& element, size_t index) {
          return ReadRecord(element, absl::StrCat(where, "[", index, "]"));
        });
  }

  Document* const document_;
  const std::string& source_;
  bool classified_ = false;
};

// Digits of a decimal number split at its point, and its exponent.
struct DecimalParts {
  std::string digits;  // integer and fraction digits, no point
  int64_t point = 0;   // digits before the point, after applying the exponent
};

}  // namespace

absl::Time ParseOcdsTime(std::string_view text) {
  size_t pos = 0;
  auto digits = [&](int count, int* out) {
    if (pos + count > text.size()) return false;
    int value = 0;
    for (int i = 0; i < count; ++i) {
      const char c = text[pos + i];
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    pos += count;
    *out = value;
    return true;
  };
  auto expect = [&](char c) {
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  };
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(4, &year) || !expect('-') || !digits(2, &month) || !expect('-') || !digits(2, &day)) {
    return absl::InfinitePast();
  }
  int64_t nanos = 0;
  absl::Duration offset;
  if (pos < text.size()) {
    if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') return absl::InfinitePast();
    ++pos;
    if (!digits(2, &hour) || !expect(':') || !digits(2, &minute)) return absl::InfinitePast();
    if (expect(':')) {
      if (!digits(2, &second)) return absl::InfinitePast();
      if (expect('.') || expect(',')) {
        int64_t scale = 100000000;
        size_t fraction_digits = 0;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
          nanos += (text[pos] - '0') * scale;
          scale /= 10;
          ++pos;
          ++fraction_digits;
        }
        if (fraction_digits == 0) return absl::InfinitePast();
      }
    }
    if (pos < text.size()) {
      const char sign = text[pos];
      if (sign == 'Z' || sign == 'z') {
        ++pos;
      } else if (sign == '+' || sign == '-') {
        ++pos;
        int offset_hours = 0, offset_minutes = 0;
        if (!digits(2, &offset_hours)) return absl::InfinitePast();
        expect(':');
        if (!digits(2, &offset_minutes)) return absl::InfinitePast();
        if (offset_hours > 23 || offset_minutes > 59) return absl::InfinitePast();
        offset = absl::Hours(offset_hours) + absl::Minutes(offset_minutes);
        if (sign == '-') offset = -offset;
      } else {
        return absl::InfinitePast();
      }
    }
    if (pos != text.size()) return absl::InfinitePast();
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return absl::InfinitePast();
  }
  const absl::CivilSecond civil(year, month, day, hour, minute, second);
  if (civil.day() != day) return absl::InfinitePast();  // 31 April and the like
  return absl::FromCivil(civil, absl::UTCTimeZone()) - offset + absl::Nanoseconds(nanos);
}

std::string DecimalText(std::string_view number, std::string* problem) {
  constexpr int64_t kMaxIntegerDigits = 18;
  constexpr int64_t kMaxFractionDigits = 9;
  std::string_view text = number;
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  text = TrimRight(text);
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  DecimalParts parts;
  size_t pos = 0;
  while (pos < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[pos]))) {
    parts.digits.push_back(text[pos++]);
  }
  parts.point = static_cast<int64_t>(parts.digits.size());
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    while (pos < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[pos]))) {
      parts.digits.push_back(text[pos++]);
    }
  }
  if (parts.digits.empty()) {
    *problem = "value_not_decimal";
    return "";
  }
  if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
    ++pos;
    bool exponent_negative = false;
    if (pos < text.size() && (text[pos] == '-' || text[pos] == '+')) {
      exponent_negative = text[pos] == '-';
      ++pos;
    }
    int64_t exponent = 0;
    size_t exponent_digits = 0;
    while (pos < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[pos]))) {
      exponent = std::min<int64_t>(exponent * 10 + (text[pos++] - '0'), 1000000);
      ++exponent_digits;
    }
    if (exponent_digits == 0) {
      *problem = "value_not_decimal";
      return "";
    }
    parts.point += exponent_negative ? -exponent : exponent;
  }
  if (pos != text.size()) {
    *problem = "value_not_decimal";
    return "";
  }
  // Leading zeros of the integer part and trailing zeros of the fraction say nothing.
  size_t first = 0;
  while (first < parts.digits.size() && parts.digits[first] == '0' &&
         static_cast<int64_t>(first) < parts.point) {
    ++first;
  }
  parts.digits.erase(0, first);
  parts.point -= static_cast<int64_t>(first);
  while (!parts.digits.empty() && parts.digits.back() == '0' &&
         static_cast<int64_t>(parts.digits.size()) > parts.point) {
    parts.digits.pop_back();
  }
  const bool zero = parts.digits.find_first_not_of('0') == std::string::npos;
  if (zero) return "0";
  if (negative) {
    *problem = "value_negative";
    return "";
  }
  const int64_t size = static_cast<int64_t>(parts.digits.size());
  if (parts.point > kMaxIntegerDigits || size - parts.point > kMaxFractionDigits) {
    *problem = "value_out_of_range";
    return "";
  }
  std::string out;
  if (parts.point <= 0) {
    out = "0.";
    out.append(static_cast<size_t>(-parts.point), '0');
    out += parts.digits;
  } else if (parts.point >= size) {
    out = parts.digits;
    out.append(static_cast<size_t>(parts.point - size), '0');
  } else {
    out = absl::StrCat(absl::string_view(parts.digits).substr(0, parts.point), ".",
                       absl::string_view(parts.digits).substr(parts.point));
  }
  return out;
}

absl::StatusOr<Document> ParseDocument(std::string_view json, const std::string& source) {
  thread_local od::parser parser;
  thread_local std::string buffer;
  buffer.reserve(json.size() + simdjson::SIMDJSON_PADDING);
  buffer.assign(json);
  const simdjson::padded_string_view padded(buffer.data(), buffer.size(), buffer.capacity());

  Document document;
  DocumentReader reader(&document, source);
  auto fail = [&](error_code error) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": not valid JSON: ", simdjson::error_message(error)));
  };
  od::document doc;
  if (error_code error = parser.iterate(padded).get(doc)) return fail(error);
  od::json_type type;
  if (error_code error = doc.type().get(type)) return fail(error);
  bool recognized = false;
  if (type == od::json_type::object) {
    od::object object;
    if (error_code error = doc.get_object().get(object)) return fail(error);
    if (error_code error = reader.ReadTopObject(object, source, &recognized)) return fail(error);
  } else if (type == od::json_type::array) {
    od::array array;
    if (error_code error = doc.get_array().get(array)) return fail(error);
    size_t index = 0;
    recognized = true;
    for (auto element_result : array) {
      od::value element;
      if (error_code error = Take(element_result, &element)) return fail(error);
      od::json_type element_type;
      if (error_code error = element.type().get(element_type)) return fail(error);
      const std::string where = absl::StrCat(source, " [", index++, "]");
      if (element_type != od::json_type::object) {
        ++document.skipped_releases["release_not_an_object"];
        continue;
      }
      od::object object;
      if (error_code error = element.get_object().get(object)) return fail(error);
      bool element_recognized = false;
      if (error_code error = reader.ReadTopObject(object, where, &element_recognized)) {
        return fail(error);
      }
      if (!element_recognized) ++document.skipped_releases["unrecognized_object"];
    }
    // An array's kind is "array" whatever its elements were.
    document.kind = Document::Kind::kArray;
  }
  // Past the end, the iterator has no location: anything else is trailing
  // content. A scalar document was never entered, so it is not checked.
  if (recognized && doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    return fail(simdjson::TRAILING_CONTENT);
  }
  if (!recognized) {
    return absl::InvalidArgumentError(absl::StrCat(
        source,
        ": not an OCDS document: expected a release, a release package, a record or a record "
        "package"));
  }
  return document;
}

}  // namespace bidtrail::ocds
