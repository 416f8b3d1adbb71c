#include "bidtrail/eventlog/limits.h"

#include <string>
#include <vector>

#include "bidtrail/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bidtrail::eventlog {
namespace {

using ::bidtrail::testing::IsOk;
using ::bidtrail::testing::StatusIs;
using ::testing::HasSubstr;

ProposedEvent Event(std::string id) {
  ProposedEvent event;
  event.event_id = std::move(id);
  event.type = "bidtrail.v1.TenderDiscovered";
  event.occurred_at = absl::FromUnixSeconds(1767225600);
  return event;
}

TEST(UuidTest, RoundTripsAndNormalisesCase) {
  ASSERT_OK_AND_ASSIGN(Uuid uuid, ParseUuid("0B6F1C9E-3D2A-4F5B-9C8D-7E6F5A4B3C2D", "id"));
  EXPECT_EQ(FormatUuid(uuid), "0b6f1c9e-3d2a-4f5b-9c8d-7e6f5a4b3c2d");
}

TEST(UuidTest, RejectsMalformedText) {
  for (const std::string bad :
       {"0b6f1c9e3d2a4f5b9c8d7e6f5a4b3c2d", "0b6f1c9e-3d2a-4f5b-9c8d-7e6f5a4b3c2",
        "0b6f1c9e-3d2a-4f5b-9c8d-7e6f5a4b3c2g", "0b6f1c9e-3d2a-4f5b-9c8d7-e6f5a4b3c2d",
        "not a uuid"}) {
    EXPECT_THAT(ParseUuid(bad, "events[0].event_id"),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("events[0].event_id: \"" + bad + "\" is not a UUID")))
        << bad;
  }
  EXPECT_THAT(ParseUuid("", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("f: required")));
  EXPECT_THAT(ParseUuid("00000000-0000-0000-0000-000000000000", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nil UUID")));
}

TEST(StreamIdTest, AcceptsPrintableUpToTheLimit) {
  Limits limits;
  EXPECT_THAT(ValidateStreamId("tender-T-2026-0042", limits), IsOk());
  EXPECT_THAT(ValidateStreamId(std::string(200, 'a'), limits), IsOk());
  EXPECT_THAT(ValidateStreamId("with space", limits), IsOk());
}

TEST(StreamIdTest, RejectsEachRuleWithItsMessage) {
  Limits limits;
  EXPECT_THAT(ValidateStreamId("", limits),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("stream_id: 0 bytes; must be 1 to 200 bytes")));
  EXPECT_THAT(ValidateStreamId(std::string(201, 'a'), limits),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("stream_id: 201 bytes; must be 1 to 200 bytes")));
  EXPECT_THAT(ValidateStreamId("$all", limits),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must not start with '$'")));
  EXPECT_THAT(ValidateStreamId(std::string("a\nb"), limits),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("byte 1 (0x0a) is not printable ASCII")));
  EXPECT_THAT(ValidateStreamId("t\xc3\xa9", limits),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("byte 1 (0xc3) is not printable ASCII")));
}

TEST(ValidateAppendTest, NamesTheFieldAndTheLimit) {
  Limits limits;
  limits.max_events_per_append = 3;
  limits.max_event_data_bytes = 10;
  const std::string id1 = "00000000-0000-4000-8000-000000000001";
  const std::string id2 = "00000000-0000-4000-8000-000000000002";

  EXPECT_THAT(ValidateAppend("s", {}, limits),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("events: 0 events; an append carries 1 to 3")));
  EXPECT_THAT(ValidateAppend("s", std::vector<ProposedEvent>(4, Event(id1)), limits),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("4 events; an append carries 1 to 3")));
  EXPECT_THAT(ValidateAppend("s", {Event(id1), Event(id1)}, limits),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("events[1].event_id: " + id1 + " appears twice")));
  EXPECT_THAT(
      ValidateAppend("s", {Event(id1), Event("")}, limits),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events[1].event_id: required")));

  ProposedEvent untyped = Event(id2);
  untyped.type.clear();
  EXPECT_THAT(ValidateAppend("s", {Event(id1), untyped}, limits),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("events[1].type: 0 bytes; must be 1 to 200 bytes")));
  ProposedEvent big = Event(id2);
  big.data = std::string(11, 'x');
  EXPECT_THAT(ValidateAppend("s", {big}, limits),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("events[0].data: 11 bytes; at most 10")));
  ProposedEvent timeless = Event(id2);
  timeless.occurred_at = absl::InfinitePast();
  EXPECT_THAT(
      ValidateAppend("s", {timeless}, limits),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events[0].occurred_at: required")));
  ProposedEvent ancient = Event(id2);
  ancient.occurred_at = absl::FromUnixSeconds(-3000000000);
  EXPECT_THAT(ValidateAppend("s", {Event(id1), ancient}, limits),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("events[1].occurred_at: 1874-12-07T")));
  EXPECT_THAT(ValidateAppend("s", {ancient}, limits),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("must be from 1900-01-01 to before 2200-01-01 UTC")));
  ProposedEvent chatty = Event(id2);
  chatty.actor = std::string(201, 'a');
  EXPECT_THAT(ValidateAppend("s", {chatty}, limits),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("events[0].actor: 201 bytes; at most 200")));
  // Each metadata field is named in its error, whichever event it is in.
  ProposedEvent signed_long = Event(id2);
  signed_long.written_by = std::string(201, 'w');
  EXPECT_THAT(ValidateAppend("s", {Event(id1), signed_long}, limits),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("events[1].written_by: 201 bytes; at most 200")));
  ProposedEvent caused = Event(id2);
  caused.causation_id = std::string(201, 'c');
  EXPECT_THAT(ValidateAppend("s", {caused}, limits),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("events[0].causation_id: 201 bytes; at most 200")));
  EXPECT_THAT(ValidateAppend("s", {Event(id1), Event("not-a-uuid")}, limits),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("events[1].event_id: \"not-a-uuid\" is not a UUID")));
  EXPECT_THAT(ValidateAppend("$s", {Event(id1)}, limits),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("stream_id")));
  ASSERT_OK_AND_ASSIGN(std::vector<Uuid> ids,
                       ValidateAppend("s", {Event(id1), Event(id2)}, limits));
  EXPECT_EQ(ids.size(), 2u);
}

TEST(ExpectedRevisionTest, DescribesItself) {
  EXPECT_EQ(ExpectedRevision::Any().ToString(), "any");
  EXPECT_EQ(ExpectedRevision::NoStream().ToString(), "no stream");
  EXPECT_EQ(ExpectedRevision::StreamExists().ToString(), "stream exists");
  EXPECT_EQ(ExpectedRevision::Exact(7).ToString(), "revision 7");
}

TEST(EventFilterTest, MatchesPrefixAndTypes) {
  EventFilter filter;
  EXPECT_TRUE(filter.Matches("tender-1", "A"));
  filter.stream_prefix = "tender-";
  EXPECT_TRUE(filter.Matches("tender-1", "A"));
  EXPECT_FALSE(filter.Matches("party-1", "A"));
  filter.event_types = {"A", "B"};
  EXPECT_TRUE(filter.Matches("tender-1", "B"));
  EXPECT_FALSE(filter.Matches("tender-1", "C"));
}

}  // namespace
}  // namespace bidtrail::eventlog
