// The shared helpers: each as a table of cases, no disk, no network.
#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "bidtrail/common/bulk_memory.h"
#include "bidtrail/common/currency.h"
#include "bidtrail/common/decimal.h"
#include "bidtrail/common/enum_names.h"
#include "bidtrail/common/json.h"
#include "bidtrail/common/log.h"
#include "bidtrail/common/proto_time.h"
#include "bidtrail/common/thread_pool.h"
#include "bidtrail/common/time_zone.h"
#include "bidtrail/common/uuid.h"
#include "bidtrail/common/validate.h"
#include "bidtrail/common/varint.h"
#include "bidtrail/testing/status_matchers.h"
#include "bidtrail/v1/tender_events.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bidtrail {
namespace {

using ::bidtrail::testing::IsOk;
using ::bidtrail::testing::StatusIs;
using ::testing::HasSubstr;

TEST(DecimalTest, ParsesSumsAndFormatsExactly) {
  EXPECT_EQ(Decimal::Parse("1250000.00")->ToString(), "1250000");
  EXPECT_EQ((*Decimal::Parse("0.1") + *Decimal::Parse("0.2")).ToString(), "0.3");
  EXPECT_EQ(Decimal::Parse("-3.25")->ToString(), "-3.25");
  EXPECT_EQ(Decimal::Parse("999999999999999999.999999999")->ToString(),
            "999999999999999999.999999999");
  for (const char* bad : {"1e5", "", "1.", ".5", "-", "1,2", "1.2.3", "0x10", " 1", "1 ",
                          "1234567890123456789", "1.1234567890", "+1"}) {
    EXPECT_FALSE(Decimal::Parse(bad).has_value()) << bad;
  }
}

TEST(DecimalTest, MultipliesRoundingHalfAwayFromZero) {
  EXPECT_EQ(Decimal::Parse("480000")->Times(*Decimal::Parse("0.14"))->ToString(), "67200");
  EXPECT_EQ(Decimal::Parse("0.000000001")->Times(*Decimal::Parse("0.5"))->ToString(),
            "0.000000001");
  EXPECT_EQ(Decimal::Parse("-0.000000001")->Times(*Decimal::Parse("0.5"))->ToString(),
            "-0.000000001");
  EXPECT_EQ(Decimal::Parse("0.000000001")->Times(*Decimal::Parse("0.4"))->ToString(), "0");
}

TEST(DecimalTest, WritesAFixedNumberOfDigits) {
  EXPECT_EQ(Decimal::Parse("0.125")->ToFixed(2), "0.13");
  EXPECT_EQ(Decimal::Parse("-0.125")->ToFixed(2), "-0.13");
  EXPECT_EQ(Decimal::Parse("56836183.3")->ToFixed(2), "56836183.30");
  EXPECT_EQ(Decimal::Parse("26367869.571447338")->ToFixed(2), "26367869.57");
  EXPECT_EQ(Decimal::Parse("7")->ToFixed(2), "7.00");
  EXPECT_EQ(Decimal::Parse("7.5")->ToFixed(0), "8");
  EXPECT_EQ(Decimal::Parse("0.004")->ToFixed(2), "0.00");
}

TEST(DecimalTest, DividesRoundingHalfAwayFromZero) {
  auto divide = [](const char* a, const char* b) {
    const std::optional<Decimal> q = Decimal::Parse(a)->DividedBy(*Decimal::Parse(b));
    return q ? q->ToString() : std::string("none");
  };
  EXPECT_EQ(divide("0.14", "1"), "0.14");
  EXPECT_EQ(divide("1", "7.1"), "0.14084507");  // 0.1408450704...
  EXPECT_EQ(divide("2", "3"), "0.666666667");
  EXPECT_EQ(divide("-2", "3"), "-0.666666667");
  EXPECT_EQ(divide("2", "-3"), "-0.666666667");
  EXPECT_EQ(divide("1", "0"), "none");
}

TEST(DecimalTest, RefusesProductsThatDoNotFit) {
  // 10^18 * 10^18 = 10^36 units, 10^45 nanos before scaling: past 128 bits.
  const Decimal big = *Decimal::Parse("999999999999999999");
  EXPECT_FALSE(big.Times(big).has_value());
  // The largest amounts times an exchange rate still fit.
  EXPECT_TRUE(big.Times(*Decimal::Parse("7.1")).has_value());
  EXPECT_EQ(big.Times(*Decimal::Parse("7.1"))->ToString(), "7099999999999999992.9");
}

TEST(ValidateTest, PrintableAscii) {
  EXPECT_TRUE(IsPrintableAscii("T-2026-0042 ~"));
  EXPECT_FALSE(IsPrintableAscii(std::string("a\0b", 3)));
  EXPECT_FALSE(IsPrintableAscii("caf\xc3\xa9"));
  EXPECT_THAT(
      CheckPrintableAscii("ab\tc", "stream_id"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "stream_id: byte 2 (0x09) is not printable ASCII; allowed are 0x20 to 0x7e"));
  EXPECT_THAT(CheckPrintableAscii("fine", "f"), IsOk());
}

TEST(ValidateTest, PlausibleTimes) {
  const absl::Time earliest = absl::FromCivil(absl::CivilDay(1900, 1, 1), absl::UTCTimeZone());
  const absl::Time latest = absl::FromCivil(absl::CivilDay(2200, 1, 1), absl::UTCTimeZone());
  EXPECT_TRUE(IsPlausibleTime(earliest));
  EXPECT_FALSE(IsPlausibleTime(earliest - absl::Nanoseconds(1)));
  EXPECT_TRUE(IsPlausibleTime(latest - absl::Nanoseconds(1)));
  EXPECT_FALSE(IsPlausibleTime(latest));
  EXPECT_FALSE(IsPlausibleTime(absl::InfiniteFuture()));
  EXPECT_THAT(CheckPlausibleTime(absl::FromUnixSeconds(-3000000000), "events[0].occurred_at"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "events[0].occurred_at: 1874-12-07T18:40:00Z is out of range; must be "
                       "from 1900-01-01 to before 2200-01-01 UTC"));
}

TEST(ValidateTest, CurrencyCodesAndLengths) {
  EXPECT_THAT(CheckCurrencyCode("CNY", "amount.currency"), IsOk());
  EXPECT_THAT(CheckCurrencyCode("usd", "amount.currency"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "amount.currency: \"usd\" is not an ISO 4217 currency code; did you mean "
                       "USD?"));
  EXPECT_THAT(CheckCurrencyCode("RMB", "estimated_value.currency"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "estimated_value.currency: \"RMB\" is not an ISO 4217 currency code; did "
                       "you mean CNY?"));
  EXPECT_THAT(CheckCurrencyCode("XYZ", "c"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "c: \"XYZ\" is not an ISO 4217 currency code (three capital letters, such "
                       "as CNY, USD or EUR)"));
  EXPECT_THAT(CheckMaxBytes(std::string(201, 'a'), "actor", 200),
              StatusIs(absl::StatusCode::kInvalidArgument, "actor: 201 bytes; at most 200"));
  EXPECT_EQ(Prefix(std::string(50, 'x'), 4), "xxxx...");
  EXPECT_EQ(Prefix("short", 40), "short");
}

TEST(CurrencyTest, IsoCodesAndSuggestions) {
  for (const char* code : {"CNY", "USD", "EUR", "UAH", "PYG", "MXN", "JPY", "XOF", "ZWL", "AED"}) {
    EXPECT_TRUE(IsIsoCurrency(code)) << code;
  }
  for (const char* code : {"XYZ", "RMB", "cny", "CN", "CNYY", "", "XTS", "XXX", "EU"}) {
    EXPECT_FALSE(IsIsoCurrency(code)) << code;
  }
  EXPECT_EQ(SuggestCurrency("RMB"), "CNY");
  EXPECT_EQ(SuggestCurrency("rmb"), "CNY");
  EXPECT_EQ(SuggestCurrency("yuan"), "CNY");
  EXPECT_EQ(SuggestCurrency("eur"), "EUR");
  EXPECT_EQ(SuggestCurrency("Euro"), "EUR");
  EXPECT_EQ(SuggestCurrency("XYZ"), std::nullopt);
  EXPECT_EQ(SuggestCurrency("USD"), std::nullopt);  // nothing to suggest: it is right
}

TEST(CurrencyTest, AmountsMeanWhatWasTyped) {
  const std::pair<const char*, const char*> accepted[] = {
      {"1250000.00", "1250000.00"},
      {"1,250,000.00", "1250000.00"},
      {"1,250,000", "1250000"},
      {"999", "999"},
      {"1,000", "1000"},
      {"12,345.5", "12345.5"},
      {"0.5", "0.5"},
      {"0", "0"},
      {"123,456,789", "123456789"},
  };
  for (const auto& [typed, stored] : accepted) {
    absl::StatusOr<std::string> normalized = NormalizeAmount(typed);
    ASSERT_TRUE(normalized.ok()) << typed << ": " << normalized.status();
    EXPECT_EQ(*normalized, stored) << typed;
  }
  const std::pair<const char*, const char*> refused[] = {
      {"1,2", "groups of three"},  // a decimal comma is not read as 12
      {"12,50", "groups of three"},
      {"1,2345", "groups of three"},
      {"1234,567", "groups of three"},  // a first group of 4
      {"2.500.000,00", "decimal point and may appear once"},
      {"1 250 000", "only digits"},
      {"1_000", "only digits"},
      {"1e6", "only digits"},
      {"-5", "only digits"},
      {"+5", "only digits"},
      {"", "only digits"},
      {".5", "only digits"},
      {"5.", "the decimals must be digits"},
      {"1,250,000.", "the decimals must be digits"},
      {",100", "groups of three"},
      {"100,", "groups of three"},
      {"1.1234567890", "at most 18 digits before the decimal point and 9 after"},
  };
  for (const auto& [typed, why] : refused) {
    EXPECT_THAT(
        NormalizeAmount(typed),
        StatusIs(absl::StatusCode::kInvalidArgument,
                 ::testing::AllOf(HasSubstr(absl::StrCat("\"", typed, "\" is not an amount")),
                                  HasSubstr(why))))
        << typed;
  }
}

TEST(UuidTest, ParsesFormatsAndDerives) {
  ASSERT_OK_AND_ASSIGN(Uuid uuid, ParseUuid("0B6F1C9E-3D2A-4F5B-9C8D-7E6F5A4B3C2D", "id"));
  EXPECT_EQ(FormatUuid(uuid), "0b6f1c9e-3d2a-4f5b-9c8d-7e6f5a4b3c2d");
  EXPECT_THAT(ParseUuid("0b6f1c9e3d2a4f5b9c8d7e6f5a4b3c2d", "id"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is not a UUID")));
  EXPECT_THAT(ParseUuid("00000000-0000-0000-0000-000000000000", "id"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nil UUID")));
  const std::string derived = NameBasedUuid("tender-T-1");
  EXPECT_EQ(derived, NameBasedUuid("tender-T-1"));
  EXPECT_NE(derived, NameBasedUuid("tender-T-2"));
  ASSERT_OK_AND_ASSIGN(Uuid parsed, ParseUuid(derived, "id"));
  EXPECT_EQ(parsed[6] >> 4, 8);       // version 8
  EXPECT_EQ(parsed[8] & 0xc0, 0x80);  // RFC 4122 variant
}

TEST(EnumNamesTest, WordsWithoutThePrefix) {
  const google::protobuf::EnumDescriptor& kind = *v1::ActivityKind_descriptor();
  EXPECT_EQ(EnumWord(kind, v1::ACTIVITY_KIND_TECHNICAL_EXCHANGE), "technical_exchange");
  EXPECT_EQ(EnumWord(kind, 0), "unspecified");
  EXPECT_EQ(EnumWord(kind, 4242), "");
  const std::vector<std::string> words = EnumWords(kind);
  ASSERT_FALSE(words.empty());
  EXPECT_EQ(words.size(), static_cast<size_t>(kind.value_count() - 1));
  EXPECT_THAT(words, ::testing::Contains("technical_exchange"));
  EXPECT_EQ(EnumValueOfWord(kind, "Technical-Exchange"), v1::ACTIVITY_KIND_TECHNICAL_EXCHANGE);
  EXPECT_EQ(EnumValueOfWord(kind, "technical_exchange"), v1::ACTIVITY_KIND_TECHNICAL_EXCHANGE);
  EXPECT_EQ(EnumValueOfWord(kind, "unspecified"), 0);
  EXPECT_EQ(EnumValueOfWord(kind, "no-such-word"), 0);
}

TEST(ProtoTimeTest, DurationsRoundTripWithOneSign) {
  for (const absl::Duration duration :
       {absl::ZeroDuration(), absl::Nanoseconds(1), -absl::Nanoseconds(1), absl::Hours(-49.5),
        absl::Seconds(1) + absl::Nanoseconds(999999999)}) {
    google::protobuf::Duration proto;
    ToProtoDuration(duration, &proto);
    EXPECT_TRUE(proto.seconds() == 0 || proto.nanos() == 0 ||
                (proto.seconds() < 0) == (proto.nanos() < 0))
        << duration;
    EXPECT_EQ(FromProtoDuration(proto), duration);
  }
}

TEST(TimeZoneTest, NamesAndOffsetsAsPeopleWriteThem) {
  const absl::Time winter =
      absl::FromCivil(absl::CivilSecond(2026, 1, 15, 4, 0, 0), absl::UTCTimeZone());
  const absl::Time summer =
      absl::FromCivil(absl::CivilSecond(2026, 7, 15, 4, 0, 0), absl::UTCTimeZone());
  ASSERT_OK_AND_ASSIGN(NamedZone shanghai, ParseZone("Asia/Shanghai"));
  EXPECT_EQ(shanghai.name, "Asia/Shanghai");
  EXPECT_EQ(FormatRfc3339(winter, shanghai.zone), "2026-01-15T12:00:00+08:00");
  ASSERT_OK_AND_ASSIGN(NamedZone paris, ParseZone("Europe/Paris"));
  EXPECT_EQ(OffsetAt(winter, paris.zone), "+01:00");
  EXPECT_EQ(OffsetAt(summer, paris.zone), "+02:00");  // daylight saving time
  ASSERT_OK_AND_ASSIGN(NamedZone fixed, ParseZone("-0530"));
  EXPECT_EQ(fixed.name, "-05:30");
  EXPECT_EQ(FormatRfc3339(winter, fixed.zone), "2026-01-14T22:30:00-05:30");
  ASSERT_OK_AND_ASSIGN(NamedZone short_form, ParseZone("+8"));
  EXPECT_EQ(short_form.name, "+08:00");
  ASSERT_OK_AND_ASSIGN(NamedZone utc, ParseZone("Z"));
  EXPECT_EQ(utc.name, "UTC");
  EXPECT_EQ(FormatRfc3339(winter + absl::Milliseconds(250), utc.zone),
            "2026-01-15T04:00:00.25+00:00");

  for (const char* bad :
       {"Mars/Olympus", "+19:00", "+08:60", "8", "", "../../etc/passwd", "CST+"}) {
    EXPECT_THAT(ParseZone(bad), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"")))
        << bad;
  }

  EXPECT_THAT(ParseZone("asia/shanghai"), StatusIs(absl::StatusCode::kInvalidArgument,
                                                   HasSubstr("did you mean Asia/Shanghai?")));
  EXPECT_THAT(ParseZone("AMERICA/NEW_YORK"), StatusIs(absl::StatusCode::kInvalidArgument,
                                                      HasSubstr("did you mean America/New_York?")));

  EXPECT_EQ(TypedOffset("2026-03-01T12:00:00+08:00"), "+08:00");
  EXPECT_EQ(TypedOffset("2026-03-01T12:00-05:00"), "-05:00");
  EXPECT_EQ(TypedOffset("2026-03-01T04:00:00Z"), "UTC");
  EXPECT_EQ(TypedOffset("2026-03-01T04:00:00+00:00"), "UTC");
  EXPECT_EQ(TypedOffset("2026-03-01"), std::nullopt);
  EXPECT_EQ(TypedOffset("now"), std::nullopt);
}

TEST(JsonTest, EscapesControlBytesQuotesAndBackslashes) {
  EXPECT_EQ(JsonString("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
}

TEST(LogTest, FormatsLogfmtAndQuotesWhatNeedsIt) {
  const absl::Time at = absl::FromUnixMicros(1764910200123456);
  EXPECT_EQ(log::FormatLine(at, log::Level::kWarning, "projection", "write failed",
                            {{"position", uint64_t{1200}},
                             {"error", absl::UnavailableError("disk \"full\"")},
                             {"retry_in", absl::Milliseconds(400)},
                             {"caught_up", false},
                             {"empty", ""}}),
            "2025-12-05T04:50:00.123456Z WARN projection: write failed position=1200 "
            "error=\"UNAVAILABLE: disk \\\"full\\\"\" retry_in=400ms caught_up=false empty=\"\"");
  EXPECT_EQ(log::FormatLine(at, log::Level::kInfo, "c", "m", {{"k", "a=b\nc"}}),
            "2025-12-05T04:50:00.123456Z INFO c: m k=\"a=b\\nc\"");
}

TEST(LogTest, HonoursTheMinimumLevelAndTheSink) {
  std::vector<std::string> lines;
  log::Sink previous = log::SetSink([&](std::string_view line) { lines.emplace_back(line); });
  log::SetMinLevel(log::Level::kWarning);
  log::Info("test", "dropped");
  log::Warn("test", "kept", {{"n", 1}});
  log::SetMinLevel(log::Level::kInfo);
  log::Info("test", "kept too");
  log::SetSink(std::move(previous));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], HasSubstr(" WARN test: kept n=1"));
  EXPECT_THAT(lines[1], HasSubstr(" INFO test: kept too"));
  log::Level level;
  EXPECT_TRUE(log::ParseLevel("warn", &level));
  EXPECT_EQ(level, log::Level::kWarning);
  EXPECT_TRUE(log::ParseLevel("debug", &level));
  EXPECT_EQ(level, log::Level::kDebug);
  EXPECT_FALSE(log::ParseLevel("loud", &level));
}

TEST(ThreadPoolTest, RunsEveryPartAndWaits) {
  ThreadPool pool(3, "test-pool");
  std::vector<std::atomic<int>> ran(64);
  pool.RunParts(64, [&](int part) { ran[part] += part + 1; });
  for (int i = 0; i < 64; ++i) EXPECT_EQ(ran[i], i + 1);
}

// One value, one encoding: what PutVarint writes reads back, and nothing
// else does (found by fuzzing the record codec: a needless zero group read as
// the same value would give one record two byte strings).
TEST(VarintTest, RoundTripsAndRefusesOtherEncodings) {
  for (uint64_t value : {uint64_t{0}, uint64_t{1}, uint64_t{127}, uint64_t{128}, uint64_t{300},
                         uint64_t{1} << 35, ~uint64_t{0}}) {
    std::string bytes;
    PutVarint(value, &bytes);
    std::string_view in = bytes;
    uint64_t read = 0;
    ASSERT_TRUE(GetVarint(&in, &read)) << value;
    EXPECT_EQ(read, value);
    EXPECT_TRUE(in.empty());
  }
  uint64_t read = 0;
  for (const std::string& other : {std::string("\x81\x00", 2), std::string("\x80\x80\x00", 3),
                                   std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10),
                                   std::string("\x80", 1), std::string()}) {
    std::string_view in = other;
    EXPECT_FALSE(GetVarint(&in, &read)) << absl::CEscape(other);
  }
}

TEST(BulkMemoryTest, BufferKeepsWhatWasWrittenWhereItWasWritten) {
  BulkBuffer buffer;
  EXPECT_EQ(buffer.capacity(), 0u);
  std::vector<std::pair<char*, size_t>> pieces;
  // Pieces of 1 byte to 8 MB + 1: several chunks, one piece larger than a chunk.
  const size_t sizes[] = {1, 100, 3 << 20, 5000, kBulkBytes + 1, 7, 2 << 20, 2 << 20, 2 << 20};
  for (size_t i = 0; i < std::size(sizes); ++i) {
    char* piece = buffer.Allocate(sizes[i]);
    std::memset(piece, static_cast<int>('a' + i), sizes[i]);
    pieces.emplace_back(piece, sizes[i]);
  }
  for (size_t i = 0; i < pieces.size(); ++i) {
    const auto& [piece, size] = pieces[i];
    EXPECT_EQ(piece[0], static_cast<char>('a' + i));
    EXPECT_EQ(piece[size - 1], static_cast<char>('a' + i));
    for (size_t j = 0; j < pieces.size(); ++j) {  // no two pieces overlap
      if (i != j) {
        EXPECT_TRUE(piece + size <= pieces[j].first || pieces[j].first + pieces[j].second <= piece);
      }
    }
  }
  EXPECT_GE(buffer.capacity(), 2 * kBulkBytes);

  // Moved, the pieces stay where they are.
  BulkBuffer moved(std::move(buffer));
  EXPECT_EQ(pieces[2].first[(3 << 20) - 1], 'c');
  BulkBuffer assigned;
  assigned.Allocate(10);
  assigned = std::move(moved);
  EXPECT_EQ(pieces[4].first[kBulkBytes], 'e');
}

// The flags the kernel shows for the mapping holding `address`
// (/proc/self/smaps VmFlags), empty if not found.
std::string VmFlagsAt(const void* address) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  const auto at = reinterpret_cast<uintptr_t>(address);
  while (std::getline(smaps, line)) {
    uintptr_t begin = 0;
    uintptr_t end = 0;
    if (std::sscanf(line.c_str(), "%" SCNxPTR "-%" SCNxPTR " ", &begin, &end) == 2 &&
        line.find(':') > 10) {
      inside = begin <= at && at < end;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return line;
    }
  }
  return "";
}

bool TransparentHugePagesOn() {
  std::ifstream setting("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string value;
  std::getline(setting, value);
  return !value.empty() && value.find("[never]") == std::string::npos;
}

TEST(BulkMemoryTest, ABufferHoldingLittleTakesLittle) {
  // A projection's write once caught up holds a few records: no 8 MB chunk.
  BulkBuffer buffer;
  for (int i = 0; i < 10; ++i) std::memset(buffer.Allocate(3000), 'r', 3000);
  EXPECT_LT(buffer.capacity(), size_t{128} << 10);
  // Grown, its chunks double up to kBulkBytes, then stay at whole huge pages.
  for (int i = 0; i < 20000; ++i) std::memset(buffer.Allocate(3000), 'r', 3000);
  EXPECT_GE(buffer.capacity(), size_t{60000000});
  EXPECT_LT(buffer.capacity(), size_t{60000000} + 2 * kBulkBytes);
}

TEST(BulkMemoryTest, LargeAllocationsAreAlignedToHugePagesAndSmallOnesAsAsked) {
  void* large = AllocateBulk(kBulkBytes, 8);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(large) % (uintptr_t{2} << 20), 0u);
  if (TransparentHugePagesOn()) {
    // Advised before its first byte is written: "hg" is MADV_HUGEPAGE.
    EXPECT_THAT(VmFlagsAt(large), HasSubstr(" hg"));
  }
  std::memset(large, 1, kBulkBytes);
  FreeBulk(large, kBulkBytes, 8);
  void* small = AllocateBulk(100, 64);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(small) % 64, 0u);
  FreeBulk(small, 100, 64);
  // Advice on memory of any size and alignment changes nothing it holds.
  std::vector<char> bytes(kBulkBytes + 12345, 'x');
  AdviseHugePages(bytes.data() + 3, bytes.size() - 3);
  AdviseHugePages(bytes.data(), 10);
  AdviseHugePages(nullptr, kBulkBytes);
  EXPECT_EQ(std::count(bytes.begin(), bytes.end(), 'x'), static_cast<std::ptrdiff_t>(bytes.size()));
}

TEST(BulkMemoryTest, AHashTableGrowsPastTheBulkSizeAndKeepsItsEntries) {
  struct Large {
    std::string name;
    char padding[200];
  };
  absl::flat_hash_map<std::string, Large, absl::container_internal::hash_default_hash<std::string>,
                      absl::container_internal::hash_default_eq<std::string>,
                      BulkAllocator<std::pair<const std::string, Large>>>
      table;
  // 60,000 slots of about 240 bytes: the last tables are tens of MB.
  for (int i = 0; i < 60000; ++i) {
    const std::string key = absl::StrCat("tender-", i);
    table[key].name = absl::StrCat("name of ", key);
  }
  EXPECT_EQ(table.size(), 60000u);
  for (int i = 0; i < 60000; i += 997) {
    EXPECT_EQ(table.at(absl::StrCat("tender-", i)).name, absl::StrCat("name of tender-", i));
  }
  table.clear();
  table.rehash(0);  // gives the large table back
  EXPECT_TRUE(table.empty());
}

}  // namespace
}  // namespace bidtrail
