// The OCDS parser: times, exact amounts, every document kind, and the
// variants publishers use for party ids and lot references.
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "bidtrail/ocds/importer.h"
#include "bidtrail/ocds/mapping.h"
#include "bidtrail/ocds/release.h"
#include "bidtrail/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bidtrail::ocds {
namespace {

using ::bidtrail::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

const std::string kTestdata = BIDTRAIL_OCDS_TESTDATA;

absl::Time Utc(int year, int month, int day, int hour = 0, int minute = 0, int second = 0) {
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, second),
                         absl::UTCTimeZone());
}

Document ParseFile(const std::string& relative) {
  absl::StatusOr<std::string> json = ReadInputFile(kTestdata + "/" + relative);
  EXPECT_TRUE(json.ok()) << json.status();
  absl::StatusOr<Document> document = ParseDocument(json.value_or(""), relative);
  EXPECT_TRUE(document.ok()) << document.status();
  return document.value_or(Document());
}

TEST(ParseOcdsTimeTest, ReadsRfc3339WithOffsetsFractionsAndBareDates) {
  EXPECT_EQ(ParseOcdsTime("2016-06-07T15:00:00+03:00"), Utc(2016, 6, 7, 12));
  EXPECT_EQ(ParseOcdsTime("2015-12-22T00:00:00-06:00"), Utc(2015, 12, 22, 6));
  EXPECT_EQ(ParseOcdsTime("2021-01-10T00:00:00Z"), Utc(2021, 1, 10));
  EXPECT_EQ(ParseOcdsTime("2016-06-07T20:36:23.384435+03:00"),
            Utc(2016, 6, 7, 17, 36, 23) + absl::Microseconds(384435));
  EXPECT_EQ(ParseOcdsTime("2020-02-29"), Utc(2020, 2, 29));
  EXPECT_EQ(ParseOcdsTime("2020-02-29T10:30"), Utc(2020, 2, 29, 10, 30));
  EXPECT_EQ(ParseOcdsTime("2016-06-07T15:00:00+0300"), Utc(2016, 6, 7, 12));
}

TEST(ParseOcdsTimeTest, RejectsWhatIsNotATime) {
  for (const char* text :
       {"", "yesterday", "2021-02-30T00:00:00Z", "2021-13-01", "2021-1-1", "2021-01-01T25:00:00Z",
        "2021-01-01T00:00:00+3", "2021-01-01T00:00:00.Z", "2021-01-01T00:00:00Z trailing"}) {
    EXPECT_EQ(ParseOcdsTime(text), absl::InfinitePast()) << text;
  }
}

TEST(DecimalTextTest, KeepsEveryDigitAndDropsOnlyMeaninglessZeros) {
  std::string problem;
  EXPECT_EQ(DecimalText("2910.0", &problem), "2910");
  EXPECT_EQ(DecimalText("84543.83", &problem), "84543.83");
  EXPECT_EQ(DecimalText("12345678901234567.89", &problem), "12345678901234567.89");
  EXPECT_EQ(DecimalText("1.25E+6", &problem), "1250000");
  EXPECT_EQ(DecimalText("3.9e5", &problem), "390000");
  EXPECT_EQ(DecimalText("1e-9", &problem), "0.000000001");
  EXPECT_EQ(DecimalText("007.50", &problem), "7.5");
  EXPECT_EQ(DecimalText("0.0", &problem), "0");
  EXPECT_EQ(DecimalText("-0", &problem), "0");
  EXPECT_EQ(DecimalText(" 42 ", &problem), "42");
  EXPECT_EQ(DecimalText(".5", &problem), "0.5");
  EXPECT_EQ(problem, "");
}

TEST(DecimalTextTest, NamesWhyAnAmountCannotBeUsed) {
  std::string problem;
  EXPECT_EQ(DecimalText("-3", &problem), "");
  EXPECT_EQ(problem, "value_negative");
  EXPECT_EQ(DecimalText("1e30", &problem), "");
  EXPECT_EQ(problem, "value_out_of_range");
  EXPECT_EQ(DecimalText("0.0000000001", &problem), "");
  EXPECT_EQ(problem, "value_out_of_range");
  EXPECT_EQ(DecimalText("1234567890123456789", &problem), "");
  EXPECT_EQ(problem, "value_out_of_range");
  for (const char* text : {"1,000", "abc", "", "1e", "1.2.3", "0x10", "--1"}) {
    problem.clear();
    EXPECT_EQ(DecimalText(text, &problem), "") << text;
    EXPECT_EQ(problem, "value_not_decimal") << text;
  }
}

TEST(ParseDocumentTest, ReleasePackageWithLotVariants) {
  Document document = ParseFile("package/lots_release_package.json");
  EXPECT_EQ(document.kind, Document::Kind::kReleasePackage);
  ASSERT_EQ(document.releases.size(), 3u);
  // In document order, not yet sorted.
  const Release& update = document.releases[0];
  EXPECT_EQ(update.ocid, "ocds-fixture-lots");
  EXPECT_EQ(update.id, "lots-03-award-update");
  EXPECT_EQ(update.source, "package/lots_release_package.json releases[0]");
  ASSERT_EQ(update.awards.size(), 2u);
  EXPECT_THAT(update.awards[0].related_lots, ElementsAre("L1"));  // relatedLots: ["L1"]
  EXPECT_THAT(update.awards[1].related_lots, ElementsAre("L1"));  // relatedLots: [{"id": "L1"}]
  EXPECT_EQ(update.awards[1].value, (Value{"580000", "EUR"}));    // "580000.00", "eur"
  EXPECT_EQ(update.awards[0].value, (Value{"550000.5", "EUR"}));

  const Release& tender = document.releases[1];
  EXPECT_TRUE(tender.tender.present);
  EXPECT_EQ(tender.tender.procurement_method, "selective");
  EXPECT_EQ(tender.tender.tender_period.start, Utc(2021, 1, 10));
  EXPECT_EQ(tender.tender.tender_period.end, Utc(2021, 2, 1, 12));
  EXPECT_EQ(tender.tender.tender_period.zone, "UTC");
  EXPECT_EQ(tender.tender.award_period.zone, "");  // none published
  ASSERT_EQ(tender.tender.lots.size(), 2u);
  EXPECT_EQ(tender.tender.lots[1].value, (Value{"400000", "EUR"}));
  ASSERT_EQ(tender.parties.size(), 3u);
  EXPECT_THAT(tender.parties[0].roles, ElementsAre("buyer"));

  const Release& bids = document.releases[2];
  EXPECT_TRUE(bids.has_bids);
  ASSERT_EQ(bids.bids.size(), 3u);
  EXPECT_THAT(bids.bids[0].related_lots, ElementsAre("L1"));        // relatedLot: "L1"
  EXPECT_THAT(bids.bids[1].related_lots, ElementsAre("L1", "L2"));  // relatedLots: strings
  EXPECT_THAT(bids.bids[2].related_lots, ElementsAre("L2"));        // relatedLots: objects
  ASSERT_EQ(bids.bids[2].tenderers.size(), 1u);
  EXPECT_EQ(bids.bids[2].tenderers[0].id, "XX-REG-333");  // <scheme>-<identifier>
  EXPECT_EQ(bids.bids[2].value, (Value{"390000", "EUR"}));
  EXPECT_EQ(bids.tender.last_amendment, Utc(2021, 1, 28, 10));
  ASSERT_EQ(bids.awards.size(), 1u);
  EXPECT_THAT(bids.awards[0].related_lots, ElementsAre("L1"));  // lotID
}

TEST(ParseDocumentTest, SingleReleaseKeepsRawNumbersExact) {
  Document document = ParseFile("single/release.json");
  EXPECT_EQ(document.kind, Document::Kind::kRelease);
  ASSERT_EQ(document.releases.size(), 1u);
  const Release& release = document.releases[0];
  EXPECT_EQ(release.source, "single/release.json");
  // A double would give 12345678901234568.
  EXPECT_EQ(release.tender.value, (Value{"12345678901234567.89", "UAH"}));
  EXPECT_EQ(release.tender.status, "active.qualification");
  EXPECT_EQ(release.tender.tender_period.zone, "+02:00");  // as its dates were written
  EXPECT_EQ(release.buyer.id, "UA-EDR-01234567");
  EXPECT_EQ(release.buyer.name, "City Hospital");
  ASSERT_EQ(release.bids.size(), 4u);
  EXPECT_EQ(release.bids[0].tenderers[0].id, "UA-EDR-11111111");  // identifier.id as a number
  EXPECT_EQ(release.bids[0].date, Utc(2022, 1, 20, 8) + absl::Microseconds(123456));
  EXPECT_EQ(release.bids[3].status, "invited");
  EXPECT_TRUE(release.problems.empty());
}

TEST(ParseDocumentTest, RecordUsesEmbeddedReleasesNotItsCompiledRelease) {
  Document document = ParseFile("record/record.json");
  EXPECT_EQ(document.kind, Document::Kind::kRecord);
  EXPECT_EQ(document.records, 1u);
  EXPECT_EQ(document.compiled_releases_unused, 1u);
  ASSERT_EQ(document.releases.size(), 2u);
  EXPECT_EQ(document.releases[0].id, "02");
  EXPECT_EQ(document.releases[0].source, "record/record.json releases[0]");
  EXPECT_FALSE(document.releases[0].compiled);
  EXPECT_TRUE(document.releases[0].tender.has_tenderers);
  // An identifier without a scheme gives its bare id, noted.
  EXPECT_EQ(document.releases[0].tender.tenderers[0].id, "UNI-1");
  EXPECT_EQ(document.releases[0].buyer.id, "GDF9712054NA");
  EXPECT_THAT(document.releases[0].notes, ::testing::Contains("party_identifier_without_scheme"));
}

TEST(ParseDocumentTest, RecordPackageWithLinkedReleasesUsesTheCompiledRelease) {
  Document document = ParseFile("record/record_package.json");
  EXPECT_EQ(document.kind, Document::Kind::kRecordPackage);
  EXPECT_EQ(document.records, 2u);
  EXPECT_EQ(document.linked_releases, 3u);
  EXPECT_EQ(document.compiled_releases_unused, 0u);
  ASSERT_EQ(document.releases.size(), 1u);
  const Release& compiled = document.releases[0];
  EXPECT_TRUE(compiled.compiled);
  EXPECT_EQ(compiled.id, "ocds-fixture-cancelled-compiled");
  EXPECT_EQ(compiled.source, "record/record_package.json records[0].compiledRelease");
  EXPECT_EQ(compiled.tender.procuring_entity.id, "PY-RUC-800-1");
}

TEST(ParseDocumentTest, ArrayOfReleasesCountsObjectsItCannotUse) {
  Document document = ParseFile("nested/deeper/releases_array.json");
  EXPECT_EQ(document.kind, Document::Kind::kArray);
  EXPECT_EQ(document.releases.size(), 3u);
  EXPECT_THAT(document.skipped_releases,
              UnorderedElementsAre(Pair("release_without_ocid", 1), Pair("release_without_id", 1)));
  EXPECT_EQ(document.releases[0].source, "nested/deeper/releases_array.json [0]");
  EXPECT_THAT(document.releases[0].problems, ElementsAre("value_not_decimal"));
}

TEST(ParseDocumentTest, NumericLotIdsAndLotsFromAwardedItems) {
  absl::StatusOr<std::string> json = ReadInputFile(kTestdata + "/gz/package.json.gz");
  ASSERT_TRUE(json.ok()) << json.status();
  ASSERT_OK_AND_ASSIGN(Document document, ParseDocument(*json, "gz"));
  ASSERT_EQ(document.releases.size(), 1u);
  const Release& release = document.releases[0];
  ASSERT_EQ(release.tender.lots.size(), 2u);
  EXPECT_EQ(release.tender.lots[0].id, "1");
  EXPECT_EQ(release.tender.value, (Value{"1250000", "USD"}));
  ASSERT_EQ(release.awards.size(), 2u);
  EXPECT_THAT(release.awards[0].related_lots, ElementsAre("2"));  // relatedLots: [2]
  EXPECT_THAT(release.awards[1].related_lots, ElementsAre("1"));  // items[].relatedLot
}

TEST(ParseDocumentTest, ValuesItCannotUseAreProblemsNotErrors) {
  Document document = ParseFile("statuses/odd_statuses.json");
  ASSERT_EQ(document.releases.size(), 2u);
  EXPECT_THAT(
      document.releases[0].problems,
      UnorderedElementsAre("date_unparsable", "value_invalid_currency", "value_negative",
                           "value_out_of_range", "lot_without_id", "value_without_currency"));
  EXPECT_FALSE(document.releases[0].tender.value.Present());
  EXPECT_EQ(document.releases[0].tender.lots.size(), 2u);
}

TEST(ParseDocumentTest, MalformedJsonIsInvalidArgument) {
  EXPECT_THAT(ParseDocument(R"({"ocid": "x", "id": )", "cut.json"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cut.json: not valid JSON")));
  EXPECT_THAT(ParseDocument(R"({"ocid": "x", "id": "1"} {"more": 1})", "two.json"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("two.json: not valid JSON")));
  EXPECT_THAT(ParseDocument("", "empty.json"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty.json")));
}

TEST(ParseDocumentTest, JsonThatIsNotOcdsIsInvalidArgument) {
  EXPECT_THAT(ParseDocument(R"({"hello": "world"})", "hello.json"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("hello.json: not an OCDS document: expected a release")));
  EXPECT_THAT(ParseDocument("42", "number.json"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not an OCDS document")));
}

TEST(ParseDocumentTest, LotReferencesInEveryPublishedForm) {
  ASSERT_OK_AND_ASSIGN(Document document, ParseDocument(R"({
    "ocid": "o", "id": "r",
    "bids": {"details": [
      {"relatedLot": {"id": "L1"}},
      {"relatedLots": "L2"},
      {"relatedLots": [1, {"id": 2}, "L3", "L3"]},
      {"lotID": "L4", "relatedLots": ["L5"]}
    ]},
    "awards": [{"id": "a", "relatedLot": ["L6"], "items": [{"relatedLot": "L9"}]},
               {"id": "b", "items": [{"relatedLot": "L7"}, {"relatedLot": "L7"}, {"relatedLot": "L8"}]}]
  })",
                                                        "inline"));
  ASSERT_EQ(document.releases.size(), 1u);
  const Release& release = document.releases[0];
  ASSERT_EQ(release.bids.size(), 4u);
  EXPECT_THAT(release.bids[0].related_lots, ElementsAre("L1"));
  EXPECT_THAT(release.bids[1].related_lots, ElementsAre("L2"));
  EXPECT_THAT(release.bids[2].related_lots, ElementsAre("1", "2", "L3"));
  EXPECT_THAT(release.bids[3].related_lots, ElementsAre("L4", "L5"));
  EXPECT_THAT(release.awards[0].related_lots, ElementsAre("L6"));
  EXPECT_THAT(release.awards[1].related_lots, ElementsAre("L7", "L8"));
}

// Whatever the bytes, parsing and mapping end with a document or
// INVALID_ARGUMENT: thousands of mutations of the fixtures (bytes changed,
// removed, duplicated; cut short), with a fixed seed.
TEST(ParseDocumentTest, MutatedInputNeverCrashes) {
  std::mt19937 rng(20240601);
  const char kBytes[] = "{}[]\":,0123456789.eE-+ nulltrue\\\x01\xff";
  int parsed = 0;
  for (const char* file : {"package/lots_release_package.json", "single/release.json",
                           "record/record.json", "record/record_package.json",
                           "statuses/odd_statuses.json", "nested/deeper/releases_array.json"}) {
    absl::StatusOr<std::string> original = ReadInputFile(kTestdata + "/" + file);
    ASSERT_TRUE(original.ok()) << original.status();
    for (int round = 0; round < 500; ++round) {
      std::string json = *original;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits && !json.empty(); ++e) {
        const size_t at = rng() % json.size();
        switch (rng() % 4) {
          case 0:
            json[at] = kBytes[rng() % (sizeof(kBytes) - 1)];
            break;
          case 1:
            json.erase(at, 1 + rng() % 8);
            break;
          case 2:
            json.insert(at, json.substr(rng() % json.size(), rng() % 16));
            break;
          default:
            json.resize(at);
        }
      }
      absl::StatusOr<Document> document = ParseDocument(json, file);
      if (!document.ok()) {
        EXPECT_EQ(document.status().code(), absl::StatusCode::kInvalidArgument);
        continue;
      }
      ++parsed;
      std::map<std::string, std::vector<Release>> by_ocid;
      for (Release& release : document->releases) {
        by_ocid[release.ocid].push_back(std::move(release));
      }
      for (auto& [ocid, releases] : by_ocid) MapReleases(ocid, std::move(releases));
    }
  }
  EXPECT_GT(parsed, 100);  // the mutations reach the mapping too
}

TEST(ReadInputFileTest, MissingFileIsNotFound) {
  EXPECT_THAT(ReadInputFile(kTestdata + "/no/such.json"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no/such.json: no such file")));
}

}  // namespace
}  // namespace bidtrail::ocds
