// The mapping of OCDS releases onto tender events, pure: each fixture's
// events, their business times and ids, and what is counted when a release
// cannot be represented.
#include "bidtrail/ocds/mapping.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "bidtrail/common/proto_time.h"
#include "bidtrail/ocds/importer.h"
#include "bidtrail/tender/codec.h"
#include "bidtrail/tender/decide.h"
#include "bidtrail/tender/state.h"
#include "bidtrail/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bidtrail::ocds {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

const std::string kTestdata = BIDTRAIL_OCDS_TESTDATA;

absl::Time Utc(int year, int month, int day, int hour = 0, int minute = 0) {
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, 0), absl::UTCTimeZone());
}

std::vector<Release> ReleasesOf(const std::vector<std::string>& files) {
  std::vector<Release> releases;
  for (const std::string& file : files) {
    absl::StatusOr<std::string> json = ReadInputFile(absl::StrCat(kTestdata, "/", file));
    EXPECT_TRUE(json.ok()) << json.status();
    absl::StatusOr<Document> document = ParseDocument(json.value_or(""), file);
    EXPECT_TRUE(document.ok()) << document.status();
    if (!document.ok()) continue;
    for (Release& release : document->releases) releases.push_back(std::move(release));
  }
  return releases;
}

TenderMapping Map(const std::string& ocid, const std::vector<std::string>& files) {
  return MapReleases(ocid, ReleasesOf(files));
}

std::vector<std::string> Types(const TenderMapping& mapping) {
  std::vector<std::string> types;
  for (const MappedEvent& mapped : mapping.events) {
    const std::string type = tender::EventTypeName(mapped.event);
    types.push_back(type.substr(type.rfind('.') + 1));
  }
  return types;
}

tender::TenderState FoldOf(const TenderMapping& mapping) {
  std::vector<v1::TenderEvent> events;
  for (const MappedEvent& mapped : mapping.events) events.push_back(mapped.event);
  return tender::Fold(events);
}

absl::Time At(const MappedEvent& mapped) { return tender::OccurredAtOf(mapped.event); }

TEST(MapReleasesTest, ReleasesAreFoldedInDateOrderWithLotsBidsAndAwards) {
  const TenderMapping mapping = Map("ocds-fixture-lots", {"package/lots_release_package.json"});
  EXPECT_EQ(mapping.tender_id, "ocds-fixture-lots");
  EXPECT_EQ(mapping.releases_mapped, 3u);
  EXPECT_THAT(mapping.releases_skipped, IsEmpty());
  EXPECT_THAT(Types(mapping),
              ElementsAre("TenderDiscovered", "TenderAmended", "BidSubmitted", "BidSubmitted",
                          "BidSubmitted", "BidSubmitted", "AwardAnnounced", "AwardCancelled",
                          "AwardAnnounced", "TenderUnsuccessful"));
  EXPECT_EQ(mapping.bids, 4u);
  EXPECT_EQ(mapping.awards, 2u);
  EXPECT_THAT(mapping.skipped, IsEmpty());

  const v1::TenderDiscovered& discovered = mapping.events[0].event.tender_discovered();
  EXPECT_EQ(discovered.tender_id(), "ocds-fixture-lots");
  EXPECT_EQ(discovered.title(), "Substation equipment");
  EXPECT_EQ(discovered.buyer().id(), "BUYER-1");  // the party with role buyer
  EXPECT_EQ(discovered.buyer().name(), "Provincial Power Bureau");
  EXPECT_EQ(discovered.procurement_method(), v1::PROCUREMENT_METHOD_SELECTIVE);
  EXPECT_EQ(discovered.category(), "goods");
  EXPECT_EQ(discovered.discovery_channel(), v1::DISCOVERY_CHANNEL_IMPORT);
  EXPECT_EQ(discovered.source_reference(), "ocds-fixture-lots");
  EXPECT_EQ(discovered.time_zone(), "UTC");  // tenderPeriod's dates end in Z
  EXPECT_EQ(discovered.estimated_value().amount(), "1000000");
  ASSERT_EQ(discovered.lots_size(), 2);
  EXPECT_EQ(discovered.lots(0).value().amount(), "600000");
  EXPECT_EQ(FromProtoTime(discovered.key_dates().submission_deadline()), Utc(2021, 2, 1, 12));
  EXPECT_EQ(FromProtoTime(discovered.key_dates().enquiry_deadline()), Utc(2021, 1, 25, 12));
  // Business times: tenderPeriod.startDate, not the release date (2021-01-05).
  EXPECT_EQ(At(mapping.events[0]), Utc(2021, 1, 10));

  const v1::TenderAmended& amended = mapping.events[1].event.tender_amended();
  EXPECT_EQ(FromProtoTime(amended.key_dates().submission_deadline()), Utc(2021, 2, 3, 12));
  EXPECT_FALSE(amended.key_dates().has_enquiry_deadline());
  EXPECT_FALSE(amended.has_lots());
  EXPECT_FALSE(amended.has_estimated_value());
  EXPECT_THAT(amended.reason(), HasSubstr("lots-02-bids-award"));
  EXPECT_EQ(At(mapping.events[1]), Utc(2021, 1, 28, 10));  // tender.amendments[].date

  const v1::BidSubmitted& first_bid = mapping.events[2].event.bid_submitted();
  EXPECT_EQ(first_bid.bidder().id(), "ORG-1");
  EXPECT_EQ(first_bid.lot_id(), "L1");
  EXPECT_EQ(first_bid.amount().amount(), "550000.5");
  EXPECT_EQ(At(mapping.events[2]), Utc(2021, 2, 1, 9));
  // One bid naming two lots is a bid on each.
  EXPECT_EQ(mapping.events[3].event.bid_submitted().lot_id(), "L1");
  EXPECT_EQ(mapping.events[4].event.bid_submitted().lot_id(), "L2");
  EXPECT_EQ(mapping.events[5].event.bid_submitted().bidder().id(), "XX-REG-333");

  const v1::AwardAnnounced& award = mapping.events[6].event.award_announced();
  EXPECT_EQ(award.award_id(), "A1");
  EXPECT_EQ(award.lot_id(), "L1");
  EXPECT_EQ(At(mapping.events[6]), Utc(2021, 2, 10, 12));
  EXPECT_EQ(mapping.events[7].event.award_cancelled().award_id(), "A1");
  EXPECT_EQ(At(mapping.events[7]), Utc(2021, 3, 10, 9));
  EXPECT_EQ(mapping.events[8].event.award_announced().award_id(), "A2");
  EXPECT_THAT(mapping.events[9].event.tender_unsuccessful().lot_ids(), ElementsAre("L2"));

  const tender::TenderState state = FoldOf(mapping);
  EXPECT_EQ(state.status, v1::TENDER_STATUS_OPEN);
  const tender::LotState* l1 = state.FindLot("L1");
  ASSERT_NE(l1, nullptr);
  ASSERT_NE(l1->AwardInForce(), nullptr);
  EXPECT_EQ(l1->AwardInForce()->award.award_id(), "A2");
  EXPECT_EQ(l1->bids.size(), 2u);
  const tender::LotState* l2 = state.FindLot("L2");
  ASSERT_NE(l2, nullptr);
  EXPECT_EQ(l2->status, v1::LOT_STATUS_UNSUCCESSFUL);
  EXPECT_EQ(l2->bids.size(), 2u);
}

TEST(MapReleasesTest, EventIdsDeriveFromOcidReleaseAndElement) {
  const TenderMapping first = Map("ocds-fixture-lots", {"package/lots_release_package.json"});
  const TenderMapping again = Map("ocds-fixture-lots", {"package/lots_release_package.json"});
  ASSERT_EQ(first.events.size(), again.events.size());
  std::set<std::string> ids;
  for (size_t i = 0; i < first.events.size(); ++i) {
    EXPECT_EQ(first.events[i].event_id, again.events[i].event_id);
    EXPECT_EQ(first.events[i].event.SerializeAsString(), again.events[i].event.SerializeAsString());
    ids.insert(first.events[i].event_id);
  }
  EXPECT_EQ(ids.size(), first.events.size());
  EXPECT_EQ(first.events[0].release_id, "lots-01-tender");
  EXPECT_EQ(first.events[7].release_id, "lots-03-award-update");
  // Another ocid with the same releases gets other ids.
  std::vector<Release> releases = ReleasesOf({"package/lots_release_package.json"});
  for (Release& release : releases) release.ocid = "ocds-fixture-other";
  const TenderMapping other = MapReleases("ocds-fixture-other", releases);
  EXPECT_NE(other.events[0].event_id, first.events[0].event_id);
}

TEST(MapReleasesTest, InputOrderDoesNotMatter) {
  std::vector<Release> releases = ReleasesOf({"package/lots_release_package.json"});
  const TenderMapping forward = MapReleases("ocds-fixture-lots", releases);
  std::reverse(releases.begin(), releases.end());
  const TenderMapping backward = MapReleases("ocds-fixture-lots", releases);
  ASSERT_EQ(forward.events.size(), backward.events.size());
  for (size_t i = 0; i < forward.events.size(); ++i) {
    EXPECT_EQ(forward.events[i].event_id, backward.events[i].event_id);
  }
}

TEST(MapReleasesTest, UnsuccessfulAwardDisqualifiesAndOddBidStatusesAreNoted) {
  const TenderMapping mapping = Map("ocds-fixture-single", {"single/release.json"});
  EXPECT_THAT(Types(mapping), ElementsAre("TenderDiscovered", "BidSubmitted", "BidSubmitted",
                                          "BidSubmitted", "BidDisqualified", "AwardAnnounced"));
  const v1::TenderDiscovered& discovered = mapping.events[0].event.tender_discovered();
  // tenderPeriod.startDate wins over datePublished and the release date.
  EXPECT_EQ(At(mapping.events[0]), Utc(2022, 1, 10, 8));
  EXPECT_EQ(discovered.buyer().id(), "UA-EDR-01234567");
  EXPECT_EQ(discovered.estimated_value().amount(), "12345678901234567.89");
  EXPECT_TRUE(discovered.lots().empty());
  EXPECT_EQ(mapping.events[1].event.bid_submitted().lot_id(), "");
  EXPECT_EQ(mapping.events[3].event.bid_submitted().bidder().id(), "UA-EDR-33333333");
  EXPECT_EQ(mapping.events[4].event.bid_disqualified().bidder_id(), "UA-EDR-11111111");
  EXPECT_THAT(mapping.events[4].event.bid_disqualified().reason(), HasSubstr("aw-1 unsuccessful"));
  EXPECT_EQ(mapping.events[5].event.award_announced().suppliers(0).id(), "UA-EDR-22222222");
  EXPECT_THAT(mapping.skipped, UnorderedElementsAre(Pair("bid_invited_only", 1)));
  EXPECT_THAT(mapping.notes, Contains(Pair("bid_status_unknown", 1)));
}

TEST(MapReleasesTest, AwardStatusGoingBackwardsKeepsTheAwardAndIsCounted) {
  const TenderMapping mapping = Map("ocds-fixture-record", {"record/record.json"});
  EXPECT_EQ(mapping.releases_mapped, 2u);
  EXPECT_THAT(Types(mapping),
              ElementsAre("TenderDiscovered", "BidSubmitted", "BidSubmitted", "AwardAnnounced"));
  EXPECT_EQ(mapping.events[0].release_id, "01");  // the earlier release, though listed second
  EXPECT_EQ(mapping.events[0].event.tender_discovered().procurement_method(),
            v1::PROCUREMENT_METHOD_LIMITED);
  // Bids from tender.tenderers, at the submission deadline.
  EXPECT_EQ(mapping.events[1].event.bid_submitted().bidder().id(), "UNI-1");
  EXPECT_EQ(At(mapping.events[1]), Utc(2016, 1, 1, 6));
  EXPECT_EQ(At(mapping.events[3]), Utc(2015, 12, 31, 6));  // before the tender started
  EXPECT_THAT(mapping.skipped, UnorderedElementsAre(Pair("award_status_backwards", 1)));
  EXPECT_THAT(mapping.notes, Contains(Pair("bids_from_tenderers", 2)));
  EXPECT_THAT(mapping.notes, Contains(Pair("award_before_tender_start", 1)));
  const tender::TenderState state = FoldOf(mapping);
  ASSERT_EQ(state.lots.size(), 1u);
  ASSERT_NE(state.lots[0].AwardInForce(), nullptr);
}

TEST(MapReleasesTest, CancelledTenderWithActiveAwardIsVoidBuyerFromProcuringEntity) {
  const TenderMapping mapping = Map("ocds-fixture-cancelled", {"record/record_package.json"});
  EXPECT_THAT(Types(mapping), ElementsAre("TenderDiscovered", "AwardAnnounced", "TenderCancelled"));
  const v1::TenderDiscovered& discovered = mapping.events[0].event.tender_discovered();
  EXPECT_EQ(discovered.buyer().id(), "PY-RUC-800-1");
  EXPECT_EQ(discovered.procurement_method(), v1::PROCUREMENT_METHOD_DIRECT);
  EXPECT_THAT(mapping.events[2].event.tender_cancelled().lot_ids(), IsEmpty());
  EXPECT_EQ(At(mapping.events[2]), Utc(2019, 7, 1));
  EXPECT_THAT(mapping.notes, Contains(Pair("buyer_from_procuring_entity", 1)));
  EXPECT_THAT(mapping.notes, Contains(Pair("award_without_bids", 1)));
  EXPECT_EQ(FoldOf(mapping).status, v1::TENDER_STATUS_CANCELLED);
}

TEST(MapReleasesTest, NumericLotsItemLotsAndAwardsBeforeTheTenderOpened) {
  const TenderMapping mapping = Map("ocds-fixture-gz", {"gz/package.json.gz"});
  EXPECT_THAT(Types(mapping), ElementsAre("TenderDiscovered", "AwardAnnounced", "AwardAnnounced"));
  EXPECT_EQ(mapping.events[1].event.award_announced().lot_id(), "2");
  EXPECT_EQ(mapping.events[2].event.award_announced().lot_id(), "1");
  EXPECT_EQ(mapping.events[2].event.award_announced().amount().amount(), "1200000");
  EXPECT_THAT(mapping.notes, Contains(Pair("award_before_tender_start", 1)));
}

TEST(MapReleasesTest, EndedTenderGoingBackToActiveIsCounted) {
  const TenderMapping mapping = Map("ocds-fixture-array", {"nested/deeper/releases_array.json"});
  EXPECT_THAT(Types(mapping), ElementsAre("TenderDiscovered", "BidSubmitted", "TenderCancelled"));
  EXPECT_FALSE(mapping.events[1].event.bid_submitted().has_amount());  // "1,000" is not a decimal
  EXPECT_THAT(mapping.skipped,
              UnorderedElementsAre(Pair("value_not_decimal", 1), Pair("bid_without_tenderer", 1),
                                   Pair("tender_status_backwards", 1)));
}

TEST(MapReleasesTest, EverythingThatCannotBeRepresentedIsCountedByReason) {
  const TenderMapping mapping = Map("ocds-fixture-odd", {"statuses/odd_statuses.json"});
  EXPECT_THAT(Types(mapping),
              ElementsAre("TenderDiscovered", "BidSubmitted", "BidDisqualified", "BidSubmitted",
                          "BidSubmitted", "BidWithdrawn", "AwardAnnounced", "AwardAnnounced",
                          "AwardCancelled", "AwardCancelled", "TenderCancelled"));
  EXPECT_THAT(mapping.skipped,
              UnorderedElementsAre(Pair("date_unparsable", 1), Pair("value_invalid_currency", 1),
                                   Pair("value_negative", 1), Pair("value_out_of_range", 1),
                                   Pair("lot_without_id", 1), Pair("value_without_currency", 1),
                                   Pair("bid_unknown_lot", 1), Pair("bid_lot_ambiguous", 1),
                                   Pair("award_without_id", 1), Pair("award_status_missing", 1),
                                   Pair("award_status_unknown", 1), Pair("award_unknown_lot", 1),
                                   Pair("award_lot_ambiguous", 1), Pair("supplier_without_id", 1),
                                   Pair("award_without_supplier", 1)));
  EXPECT_THAT(mapping.notes, Contains(Pair("award_pending", 1)));
  EXPECT_THAT(mapping.notes, Contains(Pair("award_cancelled_never_active", 1)));
  EXPECT_THAT(mapping.notes, Contains(Pair("procurement_method_unknown", 1)));
  // An award over two lots is one award per lot.
  EXPECT_EQ(mapping.events[6].event.award_announced().award_id(), "AX/L1");
  EXPECT_EQ(mapping.events[7].event.award_announced().award_id(), "AX/L2");
  EXPECT_THAT(mapping.events[10].event.tender_cancelled().lot_ids(), ElementsAre("L1"));
  const tender::TenderState state = FoldOf(mapping);
  EXPECT_EQ(state.FindLot("L1")->status, v1::LOT_STATUS_CANCELLED);
  EXPECT_EQ(state.FindLot("L2")->status, v1::LOT_STATUS_OPEN);
  EXPECT_EQ(state.FindLot("L2")->AwardInForce(), nullptr);
}

TEST(MapReleasesTest, SameReleaseIdWithOtherContentIsReportedAndTheFirstPublishedKept) {
  const TenderMapping mapping =
      Map("ocds-fixture-conflict",
          {"conflict/second.json", "conflict/first.json", "conflict/third_same_as_first.json"});
  EXPECT_EQ(mapping.releases_mapped, 1u);
  EXPECT_THAT(mapping.releases_skipped,
              UnorderedElementsAre(Pair("conflicting_release", 1), Pair("duplicate_release", 1)));
  ASSERT_EQ(mapping.conflicts.size(), 1u);
  EXPECT_THAT(mapping.conflicts[0], HasSubstr("release c-1 has copies with different content"));
  EXPECT_THAT(mapping.conflicts[0], HasSubstr("kept conflict/first.json"));
  EXPECT_THAT(mapping.conflicts[0], HasSubstr("not imported conflict/second.json"));
  ASSERT_EQ(mapping.events.size(), 1u);
  EXPECT_EQ(mapping.events[0].event.tender_discovered().estimated_value().amount(), "100");
}

TEST(ReleaseFingerprintTest, EqualForTheSameContentSpelledDifferently) {
  const std::vector<Release> first = ReleasesOf({"conflict/first.json"});
  const std::vector<Release> again = ReleasesOf({"conflict/third_same_as_first.json"});
  const std::vector<Release> other = ReleasesOf({"conflict/second.json"});
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(again.size(), 1u);
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(ReleaseFingerprint(first[0]), ReleaseFingerprint(again[0]));
  EXPECT_NE(ReleaseFingerprint(first[0]), ReleaseFingerprint(other[0]));
}

TEST(TenderIdOfTest, KeepsValidOcidsAndDerivesTheRest) {
  EXPECT_EQ(TenderIdOf("ocds-be6bcu-UA-2016-06-02-000468-c"), "ocds-be6bcu-UA-2016-06-02-000468-c");
  const std::string long_ocid(150, 'x');
  const std::string derived = TenderIdOf(long_ocid);
  EXPECT_EQ(derived.substr(0, 5), "ocds-");
  EXPECT_TRUE(tender::ValidateTenderId(derived).ok());
  EXPECT_EQ(derived, TenderIdOf(long_ocid));
  EXPECT_NE(TenderIdOf("ocid-\xc3\xa9"), "ocid-\xc3\xa9");
}

TEST(MapReleasesTest, PlanningOnlyReleasesMapToNothing) {
  Release planning;
  planning.ocid = "ocds-fixture-plan";
  planning.id = "p-1";
  planning.date = Utc(2020, 1, 1);
  const TenderMapping mapping = MapReleases("ocds-fixture-plan", {planning});
  EXPECT_EQ(mapping.releases_mapped, 1u);
  EXPECT_THAT(mapping.events, IsEmpty());
}

TEST(MapReleasesTest, TenderWithoutAnyDateIsSkipped) {
  Release release;
  release.ocid = "ocds-fixture-nodate";
  release.id = "n-1";
  release.tender.present = true;
  const TenderMapping mapping = MapReleases("ocds-fixture-nodate", {release});
  EXPECT_THAT(mapping.events, IsEmpty());
  EXPECT_THAT(mapping.skipped, UnorderedElementsAre(Pair("tender_without_date", 1)));
}

// One organisation under several ids in one process (CDMX gives a tenderer
// and a supplier different ids): linked by identifier, else by name and
// address, and counted.
TEST(MapReleasesTest, PartiesOfOneOrganisationAreLinked) {
  const std::string json = R"({"releases": [{
    "ocid": "ocds-fixture-linked", "id": "l-1", "date": "2020-01-10T00:00:00Z", "tag": ["award"],
    "buyer": {"id": "B-1", "name": "Finance"},
    "parties": [
      {"id": "B-1", "name": "Finance", "roles": ["buyer"], "identifier": {"id": "GDF1"}},
      {"id": "P-1", "name": "Finance", "roles": ["procuringEntity"], "identifier": {"id": "GDF1"}},
      {"id": "T-1", "name": "Tiendas S.A DE C", "roles": ["tenderer"], "identifier": {"id": "TCM1"}},
      {"id": "S-1", "name": "Tiendas S.A D", "roles": ["supplier"], "identifier": {"id": "TCM1"}},
      {"id": "T-2", "name": "Papeles SA", "roles": ["tenderer"],
       "address": {"streetAddress": "Calle 1", "postalCode": "3730", "countryName": "MX"}},
      {"id": "S-2", "name": " PAPELES sa ", "roles": ["supplier"],
       "address": {"streetAddress": "Calle 1", "postalCode": "3730", "countryName": "MX"}},
      {"id": "T-3", "name": "Papeles SA", "roles": ["tenderer"],
       "address": {"streetAddress": "Calle 2", "postalCode": "3730", "countryName": "MX"}}
    ],
    "tender": {"id": "t", "title": "Paper", "status": "complete",
               "tenderPeriod": {"startDate": "2020-01-01T00:00:00Z", "endDate": "2020-01-05T00:00:00Z"},
               "lots": [{"id": "L1"}, {"id": "L2"}]},
    "bids": {"details": [
      {"id": "b1", "status": "valid", "tenderers": [{"id": "T-1"}], "relatedLots": ["L1"],
       "value": {"amount": 100, "currency": "MXN"}},
      {"id": "b2", "status": "valid", "tenderers": [{"id": "T-2"}], "relatedLots": ["L2"],
       "value": {"amount": 90, "currency": "MXN"}},
      {"id": "b3", "status": "valid", "tenderers": [{"id": "T-3"}], "relatedLots": ["L2"],
       "value": {"amount": 95, "currency": "MXN"}}]},
    "awards": [
      {"id": "a1", "status": "active", "date": "2020-01-08T00:00:00Z", "relatedLots": ["L1"],
       "suppliers": [{"id": "S-1"}], "value": {"amount": 100, "currency": "MXN"}},
      {"id": "a2", "status": "active", "date": "2020-01-08T00:00:00Z", "relatedLots": ["L2"],
       "suppliers": [{"id": "S-2"}], "value": {"amount": 90, "currency": "MXN"}}]
  }]})";
  absl::StatusOr<Document> document = ParseDocument(json, "linked.json");
  ASSERT_TRUE(document.ok()) << document.status();
  const TenderMapping mapping = MapReleases("ocds-fixture-linked", document->releases);
  const tender::TenderState state = FoldOf(mapping);
  ASSERT_TRUE(state.exists);
  // The buyer under its identifier (linked to the procuring entity's id).
  EXPECT_EQ(state.details.buyer().id(), "GDF1");
  ASSERT_EQ(state.lots.size(), 2u);
  // L1: the tenderer and the supplier are one party, by identifier: it won.
  const tender::LotState& l1 = state.lots[0];
  ASSERT_EQ(l1.bids.size(), 1u);
  EXPECT_EQ(l1.bids[0].bid.bidder().id(), "TCM1");
  ASSERT_NE(l1.AwardInForce(), nullptr);
  EXPECT_EQ(l1.AwardInForce()->award.suppliers(0).id(), "TCM1");
  // L2: by name (any case, trimmed) and address: the smallest id; T-3, at
  // another address, stays apart.
  const tender::LotState& l2 = state.lots[1];
  ASSERT_EQ(l2.bids.size(), 2u);
  EXPECT_EQ(l2.bids[0].bid.bidder().id(), "S-2");
  EXPECT_EQ(l2.bids[1].bid.bidder().id(), "T-3");
  EXPECT_EQ(l2.AwardInForce()->award.suppliers(0).id(), "S-2");
  EXPECT_EQ(mapping.notes.at("party_linked"), 4);  // B-1, T-1, S-1, T-2
  EXPECT_EQ(mapping.notes.count("award_supplier_without_bid"), 0u);
}

}  // namespace
}  // namespace bidtrail::ocds
