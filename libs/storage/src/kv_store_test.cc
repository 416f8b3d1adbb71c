// The KvStore contract on RocksKvStore: a real RocksDB in a scratch folder,
// and what it does when its files fail.
#include <chrono>
#include <filesystem>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bidtrail/storage/rocks_kv_store.h"
#include "bidtrail/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bidtrail::storage {
namespace {

using ::bidtrail::testing::IsOk;
using ::bidtrail::testing::ScratchDir;
using ::bidtrail::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::SizeIs;

using Durability = KvStore::Durability;
using Rows = std::vector<std::pair<std::string, std::string>>;

Rows ScanAll(KvStore& store, std::string_view from = "", std::string_view to = "\xff") {
  Rows rows;
  EXPECT_THAT(store.Scan(from, to,
                         [&](std::string_view key, std::string_view value) {
                           rows.emplace_back(key, value);
                           return true;
                         }),
              IsOk());
  return rows;
}

class KvStoreTest : public ::testing::Test {
 protected:
  void Open(const std::string& name = "store") {
    store_.reset();
    RocksKvStore::Options options;
    options.path = scratch_.path() + "/" + name;
    options.faults = faults_;
    ASSERT_OK_AND_ASSIGN(store_, RocksKvStore::Open(options));
  }
  void SetUp() override { Open(); }

  ScratchDir scratch_;
  std::shared_ptr<FileFaults> faults_ = std::make_shared<FileFaults>();
  std::unique_ptr<KvStore> store_;
};

TEST_F(KvStoreTest, BatchesApplyPutsDeletesAppendsAndRanges) {
  std::unique_ptr<KvStore::Batch> batch = store_->NewBatch(1024);
  batch->Put("a", "1");
  batch->Put("b", "2");
  batch->Put("c", "3");
  batch->Append("log", "x");
  batch->Append("log", "y");
  EXPECT_EQ(batch->Count(), 5u);
  ASSERT_THAT(store_->Write(*batch, Durability::kSynced), IsOk());
  batch->Clear();
  EXPECT_EQ(batch->Count(), 0u);
  batch->Delete("a");
  batch->Append("log", "z");
  batch->DeleteRange("b", "c");  // b only: the end is exclusive
  ASSERT_THAT(store_->Write(*batch, Durability::kBuffered), IsOk());
  EXPECT_THAT(ScanAll(*store_), ElementsAre(Pair("c", "3"), Pair("log", "xyz")));
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> got, store_->Get("log"));
  EXPECT_EQ(got, "xyz");
  ASSERT_OK_AND_ASSIGN(got, store_->Get("a"));
  EXPECT_EQ(got, std::nullopt);
}

TEST_F(KvStoreTest, ScansAHalfOpenRangeInKeyOrderAndStopsWhenAsked) {
  std::unique_ptr<KvStore::Batch> batch = store_->NewBatch();
  // "k" sorts before "k\0": outside the range from "k\0" below.
  for (const char* key : {"k3", "k1", "k2", "k10", "k", "l"}) {
    batch->Put(key, "v");
  }
  batch->Put(std::string("k\0z", 3), "nul");
  ASSERT_THAT(store_->Write(*batch, Durability::kSynced), IsOk());
  Rows rows = ScanAll(*store_, "k1", "k3");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].first, "k1");
  EXPECT_EQ(rows[1].first, "k10");
  EXPECT_EQ(rows[2].first, "k2");
  EXPECT_EQ(ScanAll(*store_, std::string("k\0", 2), "k0").size(), 1u);  // bytes, NUL included
  int visited = 0;
  ASSERT_THAT(
      store_->Scan("", "\xff", [&](std::string_view, std::string_view) { return ++visited < 2; }),
      IsOk());
  EXPECT_EQ(visited, 2);
}

// Compacting a range keeps exactly what a scan saw before, merge operands
// and buffered writes included, in the range and out of it.
TEST_F(KvStoreTest, CompactingARangeChangesNothingAScanSees) {
  std::unique_ptr<KvStore::Batch> batch = store_->NewBatch();
  for (int i = 0; i < 200; ++i) batch->Put(absl::StrCat("i/", 1000 + i), "v");
  batch->Put("z", "outside");
  ASSERT_THAT(store_->Write(*batch, Durability::kSynced), IsOk());
  ASSERT_THAT(store_->Flush(), IsOk());
  batch->Clear();
  for (int i = 0; i < 200; i += 2) batch->Delete(absl::StrCat("i/", 1000 + i));
  batch->Append("i/log", "x");
  batch->Append("i/log", "y");
  ASSERT_THAT(store_->Write(*batch, Durability::kBuffered), IsOk());
  const auto before = ScanAll(*store_);
  ASSERT_THAT(before, SizeIs(102));
  // Cancelled (a process stopping): nothing changes either, and the store
  // goes on as before.
  std::atomic<bool> cancel{true};
  EXPECT_THAT(store_->Compact("i/", "i0", &cancel),
              StatusIs(absl::StatusCode::kCancelled, HasSubstr("cancelled")));
  EXPECT_EQ(ScanAll(*store_), before);
  cancel = false;
  ASSERT_THAT(store_->Compact("i/", "i0", &cancel), IsOk());
  EXPECT_EQ(ScanAll(*store_), before);
  ASSERT_THAT(store_->Compact("i/", "i0", nullptr), IsOk());
  EXPECT_EQ(ScanAll(*store_), before);
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> got, store_->Get("i/log"));
  EXPECT_EQ(got, "xy");
  batch->Clear();
  batch->Put("i/after", "w");
  EXPECT_THAT(store_->Write(*batch, Durability::kSynced), IsOk());
}

std::set<std::string> TableFiles(const std::string& path) {
  std::set<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    if (entry.path().extension() == ".sst") files.insert(entry.path().filename());
  }
  return files;
}

// Compact returns with the store at rest: the compactions RocksDB runs of
// its own (here: level 0 holds more files than it compacts from) have ended
// too, so that reads after it do not run beside them.
TEST_F(KvStoreTest, CompactReturnsOnceTheStoreIsAtRest) {
  std::mt19937_64 random(7);
  std::string value(1000, ' ');
  std::unique_ptr<KvStore::Batch> batch = store_->NewBatch();
  // Eight table files over the same keys, of values that do not compress:
  // level 0 is compacted from four files on.
  for (int file = 0; file < 8; ++file) {
    batch->Clear();
    for (int i = 0; i < 4000; ++i) {
      for (char& c : value) c = static_cast<char>(random());
      batch->Put(absl::StrCat("k/", 10000 + i), value);
    }
    ASSERT_THAT(store_->Write(*batch, Durability::kBuffered), IsOk());
    ASSERT_THAT(store_->Flush(), IsOk());
  }
  ASSERT_THAT(store_->Compact("a/", "b/", nullptr), IsOk());  // a range without keys
  const std::set<std::string> files = TableFiles(scratch_.path() + "/store");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(TableFiles(scratch_.path() + "/store"), files);
  EXPECT_THAT(ScanAll(*store_), SizeIs(4000));
}

TEST_F(KvStoreTest, BufferedWritesSurviveAnOrderlyClose) {
  std::unique_ptr<KvStore::Batch> batch = store_->NewBatch();
  batch->Put("checkpoint", "42");
  batch->Append("chunk", "ab");
  ASSERT_THAT(store_->Write(*batch, Durability::kBuffered), IsOk());
  Open();
  EXPECT_THAT(ScanAll(*store_), ElementsAre(Pair("checkpoint", "42"), Pair("chunk", "ab")));
}

TEST_F(KvStoreTest, AFailedReadIsAnErrorNotAnAbsentKey) {
  std::unique_ptr<KvStore::Batch> batch = store_->NewBatch();
  batch->Put("checkpoint", "42");
  ASSERT_THAT(store_->Write(*batch, Durability::kSynced), IsOk());
  ASSERT_THAT(store_->Flush(), IsOk());
  Open();  // an empty block cache: the next read goes to the table file
  faults_->Fail(FileFaults::Kind::kRead, -1);
  EXPECT_THAT(store_->Get("checkpoint"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("injected fault: read")));
  EXPECT_THAT(store_->Scan("", "\xff", [](std::string_view, std::string_view) { return true; }),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("injected fault: read")));
  EXPECT_GT(faults_->injected(FileFaults::Kind::kRead), 0u);
  faults_->Clear();
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> got, store_->Get("checkpoint"));
  EXPECT_EQ(got, "42");
}

// A full disk and a failing one: the write or flush fails with UNAVAILABLE
// naming the cause, the store refuses writes while the fault lasts, and once
// the files work again it opens itself again and takes writes; what was
// durable before the failure is still there.
TEST_F(KvStoreTest, AfterAFailedFlushTheStoreStartsAgainFromWhatIsDurable) {
  for (const FileFaults::Error error : {FileFaults::Error::kNoSpace, FileFaults::Error::kIoError}) {
    const bool no_space = error == FileFaults::Error::kNoSpace;
    const char* cause = no_space ? "No space left on device" : "injected fault: write";
    const std::string folder = no_space ? "full" : "failing";
    Open(folder);
    std::unique_ptr<KvStore::Batch> batch = store_->NewBatch();
    batch->Put("synced", "1");
    ASSERT_THAT(store_->Write(*batch, Durability::kSynced), IsOk());
    batch->Clear();
    batch->Put("buffered", "2");
    ASSERT_THAT(store_->Write(*batch, Durability::kBuffered), IsOk());
    faults_->Fail(FileFaults::Kind::kWrite, -1, error);
    EXPECT_THAT(store_->Flush(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr(cause)));
    batch->Clear();
    batch->Put("later", "3");
    EXPECT_THAT(store_->Write(*batch, Durability::kBuffered),
                StatusIs(absl::StatusCode::kUnavailable, HasSubstr(cause)));
    faults_->Clear();
    ASSERT_THAT(store_->Write(*batch, Durability::kBuffered), IsOk());
    ASSERT_THAT(store_->Flush(), IsOk());
    ASSERT_OK_AND_ASSIGN(std::optional<std::string> got, store_->Get("synced"));
    EXPECT_EQ(got, "1");
    // It opened itself again: a write made for the epoch before is refused.
    EXPECT_EQ(store_->Epoch(), 1u);
    EXPECT_THAT(store_->Write(*batch, Durability::kBuffered, 0),
                StatusIs(absl::StatusCode::kAborted, HasSubstr("dropped buffered writes")));
    ASSERT_THAT(store_->Write(*batch, Durability::kBuffered, 1), IsOk());
    Open(folder);
    ASSERT_OK_AND_ASSIGN(got, store_->Get("synced"));
    EXPECT_EQ(got, "1");
    ASSERT_OK_AND_ASSIGN(got, store_->Get("later"));
    EXPECT_EQ(got, "3");
  }
}

TEST_F(KvStoreTest, RefusesAnEmptyPath) {
  EXPECT_THAT(RocksKvStore::Open(RocksKvStore::Options()),
              StatusIs(absl::StatusCode::kInvalidArgument, "path: required"));
}

}  // namespace
}  // namespace bidtrail::storage
