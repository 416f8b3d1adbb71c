// Real data from three publishers (tests/data/ocds, see its SOURCES.md):
// each is imported into a real log, and what the analytics compute from the
// log is compared with what this test computes on its own, straight from the
// JSON (simdjson's DOM API, not the importer's parser), following DOMAIN.md
// and the mapping rules of docs/ocds-import.md:
//   - per bidder: won, lost, pending and void competitions;
//   - per tender: the number of distinct bidders;
//   - per competition: the time from the tender's start to its first award.
// Importing the same data twice appends nothing.
#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "bidtrail/analytics/competition.h"
#include "bidtrail/analytics/metrics.h"
#include "bidtrail/common/validate.h"
#include "bidtrail/eventlog/rocks_event_log.h"
#include "bidtrail/ocds/importer.h"
#include "bidtrail/tender/codec.h"
#include "bidtrail/tender/state.h"
#include "bidtrail/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "simdjson.h"

namespace bidtrail::ocds {
namespace {

namespace dom = simdjson::dom;
using ::bidtrail::testing::ScratchDir;

// The repository's own copy of the data (tests/data/ocds), never a folder
// beside the checkout: a clone alone must pass its tests.
const std::string kOcdsData = std::string(BIDTRAIL_TESTDATA_DIR) + "/ocds";

// Missing data fails the tests, it does not skip them.
TEST(OcdsTestData, IsInTheRepository) {
  ASSERT_TRUE(std::filesystem::is_regular_file(kOcdsData + "/SOURCES.md"))
      << kOcdsData << "/SOURCES.md is missing";
  for (const char* publisher : {"ukraine-prozorro", "paraguay-dncp", "mexico-cdmx"}) {
    EXPECT_TRUE(std::filesystem::is_directory(kOcdsData + "/" + publisher))
        << kOcdsData << "/" << publisher << " is missing";
  }
}

// ---------------------------------------------------------------------------
// The independent reading of the JSON.

std::string Text(dom::element element) {
  switch (element.type()) {
    case dom::element_type::STRING:
      return std::string(std::string_view(element.get_string().value()));
    case dom::element_type::INT64:
      return std::to_string(int64_t(element));
    case dom::element_type::UINT64:
      return std::to_string(uint64_t(element));
    default:
      return "";
  }
}

std::string Member(dom::element object, const char* key) {
  dom::element value;
  if (object.type() != dom::element_type::OBJECT || object[key].get(value)) return "";
  return Text(value);
}

bool Has(dom::element object, const char* key) {
  dom::element value;
  return object.type() == dom::element_type::OBJECT && !object[key].get(value);
}

// A JSON null standing for a member that is not there (a default
// dom::element points at no document).
dom::element Missing() {
  static dom::parser* const parser = new dom::parser();
  static const dom::element null = parser->parse(std::string_view("null")).value();
  return null;
}

dom::element Get(dom::element object, const char* key) {
  dom::element value;
  if (object.type() != dom::element_type::OBJECT || object[key].get(value)) return Missing();
  return value;
}

std::vector<dom::element> Elements(dom::element maybe_array) {
  std::vector<dom::element> out;
  if (maybe_array.type() != dom::element_type::ARRAY) return out;
  for (dom::element element : dom::array(maybe_array)) out.push_back(element);
  return out;
}

absl::Time TimeOf(const std::string& text) {
  if (text.empty()) return absl::InfinitePast();
  std::string rfc = text;
  if (rfc.back() == 'Z') rfc = rfc.substr(0, rfc.size() - 1) + "+00:00";
  absl::Time time;
  std::string error;
  if (!absl::ParseTime("%Y-%m-%dT%H:%M:%E*S%Ez", rfc, &time, &error)) return absl::InfinitePast();
  return time;
}

// DOMAIN.md: the publisher's party id, else <scheme>-<identifier>.
std::string PartyId(dom::element party) {
  std::string id = Member(party, "id");
  if (!id.empty()) return id;
  dom::element identifier = Get(party, "identifier");
  const std::string scheme = Member(identifier, "scheme");
  const std::string local = Member(identifier, "id");
  if (local.empty()) return "";
  return scheme.empty() ? local : scheme + "-" + local;
}

std::vector<std::string> PartyIds(dom::element parties) {
  std::vector<std::string> ids;
  for (dom::element party : Elements(parties)) {
    const std::string id = PartyId(party);
    if (!id.empty() && std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
  return ids;
}

void LotIds(dom::element element, std::vector<std::string>* out) {
  if (element.type() == dom::element_type::ARRAY) {
    for (dom::element item : Elements(element)) LotIds(item, out);
  } else if (element.type() == dom::element_type::OBJECT) {
    const std::string id = Member(element, "id");
    if (!id.empty()) out->push_back(id);
  } else if (const std::string id = Text(element); !id.empty()) {
    out->push_back(id);
  }
}

std::vector<std::string> NamedLots(dom::element object, bool items_too) {
  std::vector<std::string> lots;
  for (const char* key : {"relatedLots", "relatedLot", "lotID"}) {
    if (Has(object, key)) LotIds(Get(object, key), &lots);
  }
  if (lots.empty() && items_too) {
    for (dom::element item : Elements(Get(object, "items"))) {
      if (Has(item, "relatedLot")) LotIds(Get(item, "relatedLot"), &lots);
    }
  }
  std::vector<std::string> unique;
  for (const std::string& lot : lots) {
    if (std::find(unique.begin(), unique.end(), lot) == unique.end()) unique.push_back(lot);
  }
  return unique;
}

std::string StatusPrefix(const std::string& status) {
  std::string lower = status;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.substr(0, lower.find('.'));
}

struct JsonRelease {
  std::string ocid;
  std::string id;
  absl::Time date = absl::InfinitePast();
  bool compiled = false;
  dom::element body;
  size_t order = 0;
};

// Every release of a folder, as DOMAIN.md's OCDS section describes the
// document kinds: packages, records (embedded releases, else the compiled
// release), bare releases.
class Corpus {
 public:
  explicit Corpus(const std::string& folder) {
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(folder)) {
      if (entry.is_regular_file() && entry.path().extension() == ".json") {
        files.push_back(entry.path().string());
      }
    }
    std::sort(files.begin(), files.end());
    for (const std::string& file : files) {
      auto parser = std::make_unique<dom::parser>();
      dom::element root;
      EXPECT_EQ(parser->load(file).get(root), simdjson::SUCCESS) << file;
      parsers_.push_back(std::move(parser));
      if (Has(root, "records")) {
        for (dom::element record : Elements(Get(root, "records"))) AddRecord(record);
      } else if (Has(root, "releases") && (Has(root, "compiledRelease") ||
                                           Has(root, "versionedRelease") || Has(root, "ocid"))) {
        AddRecord(root);
      } else if (Has(root, "releases")) {
        for (dom::element release : Elements(Get(root, "releases"))) Add(release, "", false);
      } else {
        Add(root, "", false);
      }
    }
  }

  // The releases of each ocid: one copy per release id (the earliest
  // published), in date order, compiled releases last.
  std::map<std::string, std::vector<JsonRelease>> ByOcid() const {
    std::map<std::pair<std::string, std::string>, JsonRelease> unique;
    for (const JsonRelease& release : releases_) {
      auto [it, inserted] = unique.emplace(std::make_pair(release.ocid, release.id), release);
      if (!inserted && release.date < it->second.date) it->second = release;
    }
    std::map<std::string, std::vector<JsonRelease>> by_ocid;
    for (auto& [key, release] : unique) by_ocid[key.first].push_back(release);
    for (auto& [ocid, releases] : by_ocid) {
      std::sort(releases.begin(), releases.end(), [](const JsonRelease& a, const JsonRelease& b) {
        return std::make_tuple(a.compiled, a.date, a.id, a.order) <
               std::make_tuple(b.compiled, b.date, b.id, b.order);
      });
    }
    return by_ocid;
  }

 private:
  void AddRecord(dom::element record) {
    std::string ocid = Member(record, "ocid");
    bool embedded = false;
    for (dom::element release : Elements(Get(record, "releases"))) {
      if (!Has(release, "id")) continue;  // a linked release
      embedded = true;
      if (ocid.empty()) ocid = Member(release, "ocid");
      Add(release, ocid, false);
    }
    if (!embedded && Has(record, "compiledRelease"))
      Add(Get(record, "compiledRelease"), ocid, true);
  }

  void Add(dom::element release, const std::string& record_ocid, bool compiled) {
    JsonRelease out;
    out.ocid = Member(release, "ocid");
    if (out.ocid.empty()) out.ocid = record_ocid;
    out.id = Member(release, "id");
    if (out.ocid.empty() || out.id.empty()) return;
    out.date = TimeOf(Member(release, "date"));
    out.compiled = compiled;
    out.body = release;
    out.order = releases_.size();
    releases_.push_back(out);
  }

  std::vector<std::unique_ptr<dom::parser>> parsers_;
  std::vector<JsonRelease> releases_;
};

// ---------------------------------------------------------------------------
// The independent fold: competitions and their outcomes.

struct BidderRecord {
  int valid = 0;         // bids in the competition
  int disqualified = 0;  // bids disqualified
  bool any = false;      // ever bid, whatever happened to it
};

struct AwardRecord {
  std::string id;
  std::vector<std::string> suppliers;
  absl::Time date;
  bool cancelled = false;
};

struct Competition {
  bool void_ = false;
  std::map<std::string, BidderRecord> bidders;
  std::vector<AwardRecord> awards;
};

// docs/ocds-import.md, "Parties": the ids one organisation was published
// under in one process (the same identifier; or, without one, the same name
// in any case and the same address) are one party, known by the identifier's
// id, else by the smallest of its ids.
std::map<std::string, std::string> Links(const std::vector<JsonRelease>& releases) {
  std::map<std::string, std::set<std::string>> ids_of;
  std::map<std::string, std::string> identifier_of;
  for (const JsonRelease& release : releases) {
    for (dom::element party : Elements(Get(release.body, "parties"))) {
      const std::string id = PartyId(party);
      if (id.empty()) continue;
      dom::element identifier = Get(party, "identifier");
      const std::string local = Member(identifier, "id");
      const std::string scheme = Member(identifier, "scheme");
      dom::element address = Get(party, "address");
      const std::string where =
          absl::StrCat(Member(address, "streetAddress"), "|", Member(address, "postalCode"), "|",
                       Member(address, "locality"), "|", Member(address, "countryName"));
      std::string key;
      if (!local.empty()) {
        key = "i:" + (scheme.empty() ? local : scheme + "-" + local);
        identifier_of[key] = key.substr(2);
      } else if (where != "|||" && !Member(party, "name").empty()) {
        key = absl::StrCat(
            "n:", absl::AsciiStrToLower(absl::StripAsciiWhitespace(Member(party, "name"))), "|",
            where);
      } else {
        continue;
      }
      ids_of[key].insert(id);
    }
  }
  std::map<std::string, std::string> links;
  for (const auto& [key, ids] : ids_of) {
    if (ids.size() < 2) continue;
    const std::string canonical =
        identifier_of.count(key) > 0 ? identifier_of.at(key) : *ids.begin();
    for (const std::string& id : ids) {
      if (id != canonical) links.emplace(id, canonical);
    }
  }
  return links;
}

struct Expected {
  std::map<std::string, std::tuple<int, int, int, int>> per_bidder;  // won, lost, pending, void
  std::map<std::string, size_t> bidders_per_tender;
  std::map<std::pair<std::string, std::string>, absl::Duration> start_to_first_award;
};

class ProcessFold {
 public:
  explicit ProcessFold(std::map<std::string, std::string> links) : links_(std::move(links)) {}

  void Apply(const JsonRelease& release) {
    const dom::element body = release.body;
    const dom::element tender = Get(body, "tender");
    const bool has_tender = tender.type() == dom::element_type::OBJECT;
    const dom::element bids = Get(Get(body, "bids"), "details");
    const std::vector<dom::element> awards = Elements(Get(body, "awards"));
    if (!exists_) {
      if (!has_tender && Elements(bids).empty() && awards.empty()) return;
      exists_ = true;
      start_ = Start(release);
      SetLots(tender);
    } else if (has_tender && Has(tender, "lots")) {
      SetLots(tender);
    }
    if (bids.type() == dom::element_type::ARRAY) {
      for (dom::element bid : Elements(bids)) ApplyBid(bid);
    } else if (Has(tender, "tenderers")) {
      for (const std::string& lot : Lots({})) {
        for (const std::string& bidder : Ids(Get(tender, "tenderers"))) {
          BidderRecord& record = competitions_[lot].bidders[bidder];
          if (record.any) continue;
          record.any = true;
          ++record.valid;
        }
      }
    }
    for (dom::element award : awards) ApplyAward(award, release);
    if (!has_tender) return;
    const std::string status = StatusPrefix(Member(tender, "status"));
    if (status == "cancelled" || status == "unsuccessful") {
      tender_void_ = true;
      return;
    }
    if (tender_void_) return;
    for (dom::element lot : Elements(Get(tender, "lots"))) {
      const std::string lot_status = StatusPrefix(Member(lot, "status"));
      auto it = competitions_.find(Member(lot, "id"));
      if (it != competitions_.end() &&
          (lot_status == "cancelled" || lot_status == "unsuccessful")) {
        it->second.void_ = true;
      }
    }
  }

  void AddTo(const std::string& tender_id, Expected* expected) const {
    if (!exists_) return;
    std::set<std::string> tender_bidders;
    for (const auto& [lot, competition] : competitions_) {
      const bool void_ = tender_void_ || competition.void_;
      const AwardRecord* in_force = nullptr;
      absl::Time first_award = absl::InfiniteFuture();
      for (const AwardRecord& award : competition.awards) {
        first_award = std::min(first_award, award.date);
        if (!award.cancelled) in_force = &award;
      }
      if (!competition.awards.empty()) {
        expected->start_to_first_award[{tender_id, lot}] = first_award - start_;
      }
      for (const auto& [bidder, record] : competition.bidders) {
        if (record.valid == 0 && record.disqualified == 0) continue;  // withdrawn
        tender_bidders.insert(bidder);
        auto& [won, lost, pending, void_count] = expected->per_bidder[bidder];
        const bool disqualified = record.valid == 0;
        const bool winner =
            in_force != nullptr &&
            std::count(in_force->suppliers.begin(), in_force->suppliers.end(), bidder) > 0;
        if (void_) {
          ++void_count;
        } else if (winner && !disqualified) {
          ++won;
        } else if (in_force != nullptr || disqualified) {
          ++lost;
        } else {
          ++pending;
        }
      }
    }
    expected->bidders_per_tender[tender_id] = tender_bidders.size();
  }

 private:
  static bool Usable(absl::Time time) { return IsPlausibleTime(time); }

  // The tender's start (docs/ocds-import.md): tenderPeriod.startDate,
  // datePublished, enquiryPeriod.startDate, else the earliest business date.
  absl::Time Start(const JsonRelease& release) const {
    const dom::element tender = Get(release.body, "tender");
    for (absl::Time time : {TimeOf(Member(Get(tender, "tenderPeriod"), "startDate")),
                            TimeOf(Member(tender, "datePublished")),
                            TimeOf(Member(Get(tender, "enquiryPeriod"), "startDate"))}) {
      if (Usable(time)) return time;
    }
    absl::Time earliest = absl::InfiniteFuture();
    std::vector<absl::Time> others = {TimeOf(Member(Get(tender, "enquiryPeriod"), "endDate")),
                                      TimeOf(Member(Get(tender, "tenderPeriod"), "endDate")),
                                      TimeOf(Member(Get(tender, "awardPeriod"), "startDate")),
                                      TimeOf(Member(Get(tender, "awardPeriod"), "endDate"))};
    for (dom::element bid : Elements(Get(Get(release.body, "bids"), "details"))) {
      others.push_back(TimeOf(Member(bid, "date")));
    }
    for (dom::element award : Elements(Get(release.body, "awards"))) {
      others.push_back(TimeOf(Member(award, "date")));
    }
    for (absl::Time time : others) {
      if (Usable(time)) earliest = std::min(earliest, time);
    }
    return earliest != absl::InfiniteFuture() ? earliest : release.date;
  }

  // A new list of lots keeps what the lots it still has went through.
  void SetLots(dom::element tender) {
    declared_.clear();
    for (dom::element lot : Elements(Get(tender, "lots"))) {
      const std::string id = Member(lot, "id");
      if (!id.empty() && std::find(declared_.begin(), declared_.end(), id) == declared_.end()) {
        declared_.push_back(id);
      }
    }
    std::map<std::string, Competition> kept;
    for (const std::string& id : declared_.empty() ? std::vector<std::string>{""} : declared_) {
      kept[id] = competitions_[id];
    }
    competitions_ = std::move(kept);
  }

  // DOMAIN.md: a bid or award naming no lot belongs to the tender's only lot.
  std::vector<std::string> Lots(const std::vector<std::string>& named) const {
    if (named.empty()) {
      if (declared_.empty()) return {""};
      if (declared_.size() == 1) return declared_;
      return {};
    }
    std::vector<std::string> lots;
    for (const std::string& lot : named) {
      if (std::find(declared_.begin(), declared_.end(), lot) != declared_.end()) {
        lots.push_back(lot);
      }
    }
    return lots;
  }

  void ApplyBid(dom::element bid) {
    const std::string status = StatusPrefix(Member(bid, "status"));
    if (status == "invited") return;
    const bool left = status == "withdrawn" || status == "disqualified";
    for (const std::string& lot : Lots(NamedLots(bid, false))) {
      for (const std::string& bidder : Ids(Get(bid, "tenderers"))) {
        BidderRecord& record = competitions_[lot].bidders[bidder];
        if (record.valid == 0 && !(left && record.any)) {
          ++record.valid;
          record.any = true;
        }
        if (left && record.valid > 0) {
          --record.valid;
          if (status == "disqualified") ++record.disqualified;
        }
      }
    }
  }

  AwardRecord* FindAward(const std::string& id) {
    for (auto& [lot, competition] : competitions_) {
      for (AwardRecord& award : competition.awards) {
        if (award.id == id) return &award;
      }
    }
    return nullptr;
  }

  void ApplyAward(dom::element award, const JsonRelease& release) {
    const std::string id = Member(award, "id");
    const std::string status = StatusPrefix(Member(award, "status"));
    if (id.empty()) return;
    const std::vector<std::string> named = NamedLots(award, true);
    const std::vector<std::string> suppliers = Ids(Get(award, "suppliers"));
    for (const std::string& lot : Lots(named)) {
      const std::string award_id = named.size() > 1 ? absl::StrCat(id, "/", lot) : id;
      AwardRecord* record = FindAward(award_id);
      if (status == "active" && record == nullptr && !suppliers.empty()) {
        absl::Time date = TimeOf(Member(award, "date"));
        if (!Usable(date)) date = release.date;
        competitions_[lot].awards.push_back({award_id, suppliers, date, false});
      } else if ((status == "cancelled" || status == "unsuccessful") && record != nullptr) {
        record->cancelled = true;
      } else if (status == "unsuccessful" && record == nullptr) {
        for (const std::string& supplier : suppliers) {
          BidderRecord& bidder = competitions_[lot].bidders[supplier];
          if (bidder.valid > 0) {
            --bidder.valid;
            ++bidder.disqualified;
          }
        }
      }
    }
  }

  // PartyIds, each under the id its organisation is linked to.
  std::vector<std::string> Ids(dom::element parties) const {
    std::vector<std::string> ids;
    for (const std::string& id : PartyIds(parties)) {
      auto link = links_.find(id);
      const std::string& linked = link == links_.end() ? id : link->second;
      if (std::find(ids.begin(), ids.end(), linked) == ids.end()) ids.push_back(linked);
    }
    return ids;
  }

  const std::map<std::string, std::string> links_;
  bool exists_ = false;
  absl::Time start_ = absl::InfinitePast();
  bool tender_void_ = false;
  std::vector<std::string> declared_;
  std::map<std::string, Competition> competitions_;
};

Expected ComputeFromJson(const std::string& folder) {
  Expected expected;
  const Corpus corpus(folder);
  for (const auto& [ocid, releases] : corpus.ByOcid()) {
    ProcessFold fold(Links(releases));
    for (const JsonRelease& release : releases) fold.Apply(release);
    fold.AddTo(ocid, &expected);
  }
  return expected;
}

// ---------------------------------------------------------------------------
// What the analytics compute from the log.

struct Analyzed {
  std::vector<analytics::Competition> competitions;
  Expected metrics;
};

Analyzed AnalyzeLog(eventlog::EventStore* store) {
  std::map<std::string, std::vector<v1::TenderEvent>> streams;
  eventlog::ReadAllRequest request;
  while (true) {
    absl::StatusOr<eventlog::ReadAllResult> page = store->ReadAll(request);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok() || page->events.empty()) break;
    for (const eventlog::RecordedEvent& record : page->events) {
      std::optional<v1::TenderEvent> event = tender::DecodeEvent(record.type, record.data);
      EXPECT_TRUE(event.has_value()) << record.type;
      if (event) streams[record.stream_id].push_back(*event);
    }
    request.from_position = page->next_position;
  }
  Analyzed analyzed;
  for (const auto& [stream, events] : streams) {
    for (analytics::Competition& competition : analytics::CompetitionsOf(tender::Fold(events))) {
      analyzed.competitions.push_back(std::move(competition));
    }
  }
  analytics::WinLossOptions options;
  options.group_by = v1::WIN_LOSS_GROUP_BY_BIDDER;
  for (const v1::WinLossGroup& group :
       analytics::WinLoss(analytics::CompetitionSet(analyzed.competitions), options)) {
    analyzed.metrics.per_bidder[group.group()] = {group.won(), group.lost(), group.pending(),
                                                  group.void_()};
  }
  std::map<std::string, std::set<std::string>> bidders;
  for (const analytics::Competition& competition : analyzed.competitions) {
    std::set<std::string>& tender_bidders = bidders[competition.tender_id];
    for (const analytics::Competition::BidFacts& bid : competition.bid_facts) {
      if (bid.status != v1::BID_STATUS_WITHDRAWN) {
        tender_bidders.insert(std::string(bid.bidder.text()));
      }
    }
    if (competition.first_award_at != absl::InfinitePast()) {
      analyzed.metrics.start_to_first_award[{competition.tender_id, competition.lot_id}] =
          competition.first_award_at - competition.discovered_at;
    }
  }
  for (const auto& [tender_id, set] : bidders) {
    analyzed.metrics.bidders_per_tender[tender_id] = set.size();
  }
  return analyzed;
}

class PublisherTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::is_directory(Folder()))
        << Folder() << " is missing: the OCDS sample data belongs in the repository";
    eventlog::RocksEventLog::Options options;
    options.path = dir_.path() + "/log";
    options.sync = false;
    ASSERT_OK_AND_ASSIGN(log_, eventlog::RocksEventLog::Open(options));
    ASSERT_OK_AND_ASSIGN(summary_, ImportPaths({Folder()}, log_.get(), ImportOptions(), nullptr));
    analyzed_ = AnalyzeLog(log_.get());
    expected_ = ComputeFromJson(Folder());
  }

  std::string Folder() const { return kOcdsData + "/" + GetParam(); }

  ScratchDir dir_;
  std::unique_ptr<eventlog::RocksEventLog> log_;
  ImportSummary summary_;
  Analyzed analyzed_;
  Expected expected_;
};

TEST_P(PublisherTest, EveryReleaseIsAccountedFor) {
  uint64_t skipped = 0;
  for (const auto& [reason, count] : summary_.releases_skipped) skipped += count;
  EXPECT_EQ(summary_.releases, summary_.releases_mapped + skipped);
  EXPECT_TRUE(summary_.files_skipped.empty());
  EXPECT_EQ(summary_.events_appended, summary_.events_mapped);
  EXPECT_EQ(summary_.skipped.count("append_rejected"), 0u);
  RecordProperty("summary", summary_.ToJson());
}

TEST_P(PublisherTest, WinLossPerBidderEqualsTheJson) {
  EXPECT_EQ(analyzed_.metrics.per_bidder, expected_.per_bidder);
}

TEST_P(PublisherTest, DistinctBiddersPerTenderEqualTheJson) {
  EXPECT_EQ(analyzed_.metrics.bidders_per_tender, expected_.bidders_per_tender);
}

TEST_P(PublisherTest, TimeFromTenderStartToFirstAwardEqualsTheJson) {
  EXPECT_EQ(analyzed_.metrics.start_to_first_award, expected_.start_to_first_award);
  EXPECT_FALSE(expected_.start_to_first_award.empty());
}

TEST_P(PublisherTest, ImportingTwiceAppendsNothing) {
  ASSERT_OK_AND_ASSIGN(uint64_t head, log_->HeadPosition());
  ASSERT_OK_AND_ASSIGN(ImportSummary again,
                       ImportPaths({Folder()}, log_.get(), ImportOptions(), nullptr));
  EXPECT_EQ(again.events_appended, 0u);
  EXPECT_EQ(again.events_already_recorded, summary_.events_appended);
  ASSERT_OK_AND_ASSIGN(uint64_t head_after, log_->HeadPosition());
  EXPECT_EQ(head_after, head);
}

INSTANTIATE_TEST_SUITE_P(Ocds, PublisherTest,
                         ::testing::Values("ukraine-prozorro", "paraguay-dncp", "mexico-cdmx"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// What SOURCES.md says about each publisher, checked on the imported log.

class PublisherFactsTest : public ::testing::Test {
 protected:
  Analyzed Import(const std::string& publisher) {
    eventlog::RocksEventLog::Options options;
    options.path = dir_.path() + "/" + publisher;
    options.sync = false;
    absl::StatusOr<std::unique_ptr<eventlog::RocksEventLog>> log =
        eventlog::RocksEventLog::Open(options);
    EXPECT_TRUE(log.ok()) << log.status();
    absl::StatusOr<ImportSummary> summary =
        ImportPaths({kOcdsData + "/" + publisher}, log->get(), ImportOptions(), nullptr);
    EXPECT_TRUE(summary.ok()) << summary.status();
    summary_ = summary.value_or(ImportSummary());
    return AnalyzeLog(log->get());
  }

  ScratchDir dir_;
  ImportSummary summary_;
};

TEST_F(PublisherFactsTest, ProzorroBidsDisqualificationsAndCycleTimes) {
  const Analyzed analyzed = Import("ukraine-prozorro");
  EXPECT_EQ(summary_.tenders, 11u);
  EXPECT_EQ(summary_.bids, 12u);
  EXPECT_EQ(summary_.events_by_type["BidDisqualified"], 3u);       // unsuccessful, then re-awarded
  EXPECT_EQ(summary_.releases_skipped["duplicate_release"], 11u);  // records/ repeat releases/
  // tender.numberOfTenderers of the five processes with bids.
  std::map<std::string, size_t> bidders;
  for (const analytics::Competition& competition : analyzed.competitions) {
    for (const analytics::Competition::BidFacts& bid : competition.bid_facts) {
      if (bid.bidder != analytics::Symbol()) bidders[competition.tender_id] += 1;
    }
  }
  EXPECT_EQ(bidders["ocds-be6bcu-UA-2016-06-08-000504-c"], 5u);
  EXPECT_EQ(bidders["ocds-be6bcu-UA-2017-04-12-001619-b"], 3u);
  EXPECT_EQ(bidders["ocds-be6bcu-UA-2017-04-10-002020-b"], 2u);
  // Open tenders: tenderPeriod start to first award 5.8 to 16 days.
  int open = 0;
  int void_count = 0;
  for (const analytics::Competition& competition : analyzed.competitions) {
    if (competition.status == analytics::Competition::Status::kVoid) ++void_count;
    if (competition.procurement_method != v1::PROCUREMENT_METHOD_OPEN ||
        competition.first_award_at == absl::InfinitePast()) {
      continue;
    }
    ++open;
    const absl::Duration cycle = competition.first_award_at - competition.discovered_at;
    EXPECT_GE(cycle, absl::Hours(24 * 5.8)) << competition.tender_id;
    EXPECT_LE(cycle, absl::Hours(24 * 16)) << competition.tender_id;
  }
  EXPECT_EQ(open, 5);
  EXPECT_EQ(void_count, 2);  // the cancelled tender with an active award, the unsuccessful one
}

TEST_F(PublisherFactsTest, ParaguayKeepsTheFirstPublishedCopyOfEachRelease) {
  Import("paraguay-dncp");
  EXPECT_EQ(summary_.processes, 12u);
  EXPECT_EQ(summary_.tenders, 11u);
  EXPECT_EQ(summary_.releases_skipped["conflicting_release"], 22u);
  EXPECT_EQ(summary_.problems_total, 22u);
  EXPECT_EQ(summary_.linked_releases, 48u);
  EXPECT_EQ(summary_.bids, 0u);
}

TEST_F(PublisherFactsTest, MexicoAwardsGoingBackToPendingStayInForce) {
  const Analyzed analyzed = Import("mexico-cdmx");
  EXPECT_EQ(summary_.tenders, 8u);
  EXPECT_GT(summary_.skipped["award_status_backwards"], 0u);
  int decided = 0;
  for (const analytics::Competition& competition : analyzed.competitions) {
    if (competition.status == analytics::Competition::Status::kDecided) ++decided;
  }
  EXPECT_EQ(decided, 8);
}

TEST_F(PublisherFactsTest, AllThreePublishersInOneImport) {
  ScratchDir dir;
  eventlog::RocksEventLog::Options options;
  options.path = dir.path() + "/log";  // synced appends, as bidtraild runs
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<eventlog::RocksEventLog> log,
                       eventlog::RocksEventLog::Open(options));
  ASSERT_OK_AND_ASSIGN(ImportSummary summary,
                       ImportPaths({kOcdsData}, log.get(), ImportOptions(), nullptr));
  EXPECT_EQ(summary.files, 22u + 86u + 24u);
  EXPECT_TRUE(summary.files_skipped.empty());
  EXPECT_EQ(summary.processes, 11u + 12u + 8u);
  EXPECT_EQ(summary.tenders, 11u + 11u + 8u);  // one Paraguayan process has only planning
  uint64_t skipped = 0;
  for (const auto& [reason, count] : summary.releases_skipped) skipped += count;
  EXPECT_EQ(summary.releases, summary.releases_mapped + skipped);
  EXPECT_EQ(summary.events_appended, summary.events_mapped);
  RecordProperty("seconds", absl::StrCat(absl::ToDoubleSeconds(summary.elapsed)));
}

}  // namespace
}  // namespace bidtrail::ocds
