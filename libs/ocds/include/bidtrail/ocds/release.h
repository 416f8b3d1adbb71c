// Open Contracting Data Standard (OCDS) documents as bidtrail reads them: the
// fields of a release that map onto tender events, already normalised (exact
// decimal amounts, parsed times, party ids as DOMAIN.md defines them), and the
// parser that finds the releases in any kind of OCDS document. Pure; the
// parser is thread-safe (each call uses its own thread's buffers).
//
// Publishers deviate from the standard; the parser accepts the known variants
// (see docs/ocds-import.md) and records in Release::problems what it could not
// use, so that the import summary can count it.
#ifndef BIDTRAIL_OCDS_RELEASE_H_
#define BIDTRAIL_OCDS_RELEASE_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace bidtrail::ocds {

// A monetary value: `amount` is exact decimal text ("2910", "84543.83"), never
// a float; `currency` an ISO 4217 code. Both empty when the publisher gave no
// usable value.
struct Value {
  std::string amount;
  std::string currency;

  bool Present() const { return !amount.empty(); }
  bool operator==(const Value&) const = default;
};

// An organisation as referenced in a release (buyer, tenderer, supplier) or
// listed in `parties`.
struct PartyRef {
  // The publisher's `id`, else "<scheme>-<identifier.id>" (DOMAIN.md), else
  // "<identifier.id>" when the identifier has no scheme, else "".
  std::string id;
  // `name`, else `identifier.legalName`.
  std::string name;
  // `roles` (entries of `parties` only).
  std::vector<std::string> roles;
  // "<scheme>-<identifier.id>", or the bare identifier.id without a scheme;
  // "" without one. Whether or not `id` came from it.
  std::string identifier;
  // The address (street, postal code, locality, country), as one text; ""
  // when it has none of these.
  std::string address;
};

struct Period {
  absl::Time start = absl::InfinitePast();
  absl::Time end = absl::InfinitePast();
  // The UTC offset the end (else the start) was written with, as a zone
  // name ("-06:00", "UTC"); "" when it had none (a bare date).
  std::string zone;
};

struct Lot {
  std::string id;
  std::string title;
  // Lower case, as published ("active", "cancelled", "unsuccessful", ...).
  std::string status;
  Value value;
};

// The `tender` section. Times are absl::InfinitePast() when absent.
struct TenderSection {
  bool present = false;
  std::string id;
  std::string title;
  std::string status;              // lower case
  std::string procurement_method;  // lower case: open, selective, limited, direct
  std::string main_procurement_category;
  Value value;
  Period tender_period;
  Period enquiry_period;
  Period award_period;
  absl::Time date_published = absl::InfinitePast();
  // The bid opening extension: tender.bidOpening.date.
  absl::Time bid_opening = absl::InfinitePast();
  // The latest tender.amendments[].date (or tender.amendment.date).
  absl::Time last_amendment = absl::InfinitePast();
  // Whether the release states the lots (an empty list included).
  bool has_lots = false;
  std::vector<Lot> lots;
  PartyRef procuring_entity;
  bool has_tenderers = false;
  std::vector<PartyRef> tenderers;
};

// One entry of bids.details (the bids extension).
struct Bid {
  std::string id;
  absl::Time date = absl::InfinitePast();
  std::string status;  // lower case
  Value value;
  std::vector<PartyRef> tenderers;
  // From relatedLots / relatedLot / lotID in any of their published forms.
  std::vector<std::string> related_lots;
};

struct Award {
  std::string id;
  std::string title;
  absl::Time date = absl::InfinitePast();
  std::string status;  // lower case
  Value value;
  std::vector<PartyRef> suppliers;
  // From relatedLots / relatedLot / lotID, else the awarded items' relatedLot.
  std::vector<std::string> related_lots;
};

struct Release {
  std::string ocid;
  std::string id;
  // The release date: when it was published. Orders the releases of one ocid;
  // never used as a business time when a business field gives one.
  absl::Time date = absl::InfinitePast();
  std::vector<std::string> tags;
  TenderSection tender;
  bool has_bids = false;
  std::vector<Bid> bids;
  std::vector<Award> awards;
  PartyRef buyer;
  std::vector<PartyRef> parties;
  // A record's compiledRelease standing in for its releases.
  bool compiled = false;
  // What could not be used, one reason per occurrence ("value_not_decimal",
  // "date_unparsable", ...); the importer counts them as skipped.
  std::vector<std::string> problems;
  // What was read with an interpretation ("party_identifier_without_scheme").
  std::vector<std::string> notes;
  // Where it was read: "<file>", "<file> releases[3]", "<file> records[0].compiledRelease".
  std::string source;
};

// What one JSON document held.
struct Document {
  enum class Kind { kRelease, kReleasePackage, kRecord, kRecordPackage, kArray };
  Kind kind = Kind::kRelease;
  // Releases with content, in document order: a record contributes its
  // embedded releases, or its compiledRelease when it embeds none.
  std::vector<Release> releases;
  uint64_t records = 0;
  // Linked releases (url, date, tag only): references without content.
  uint64_t linked_releases = 0;
  // compiledRelease objects not used because their record embeds releases.
  uint64_t compiled_releases_unused = 0;
  // Release objects that could not be used, by reason ("release_without_ocid",
  // "release_without_id", "release_not_an_object", "unrecognized_object").
  std::map<std::string, uint64_t> skipped_releases;
};

// Parses one JSON document: a release, a release package, a record, a record
// package, or a JSON array of releases or records. `source` names it in
// Release::source. INVALID_ARGUMENT for malformed JSON (with the parser's
// message) or a document that is none of these.
absl::StatusOr<Document> ParseDocument(std::string_view json, const std::string& source);

// The building blocks, exposed for tests.
//
// An RFC 3339 time ("2016-06-07T15:00:00+03:00", fraction and "Z" allowed; a
// missing offset is UTC; a bare date is its midnight UTC), or
// absl::InfinitePast() when `text` is not one.
absl::Time ParseOcdsTime(std::string_view text);
// Exact decimal text from a JSON number or numeric string ("2910.0" -> "2910",
// "1.5e3" -> "1500"): at most 18 integer and 9 fraction digits, non-negative.
// On failure returns "" and sets `*problem` to "value_not_decimal",
// "value_negative" or "value_out_of_range".
std::string DecimalText(std::string_view number, std::string* problem);

}  // namespace bidtrail::ocds

#endif  // BIDTRAIL_OCDS_RELEASE_H_
