// The access model: tokens and their hashes, the fold of the access stream,
// and which role each action needs, as tables of cases.
#include "bidtrail/auth/access.h"

#include <string>
#include <vector>

#include "bidtrail/auth/testing/events.h"
#include "bidtrail/common/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bidtrail::auth {
namespace {

using ::testing::HasSubstr;
using namespace ::bidtrail::auth::testing;  // NOLINT: event builders

const absl::Time kNow = absl::FromUnixSeconds(1800000000);

TEST(TokenTest, RandomPrefixedAndStoredOnlyAsAHash) {
  const std::string a = NewToken();
  const std::string b = NewToken();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.substr(0, 4), "btk_");
  EXPECT_EQ(a.size(), 4u + 43u);  // 32 bytes, base64url without padding
  EXPECT_EQ(
      a.find_first_not_of("btk_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-"),
      std::string::npos);
  // SHA-256 of "abc" (FIPS 180-2).
  EXPECT_EQ(TokenHash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(TokenHash(a).size(), 64u);
  EXPECT_EQ(TokenHash(a).find(a), std::string::npos);
}

TEST(AccessEventTest, StoredUnderTheInnerTypeAndDecodedBack) {
  const v1::AccessEvent event = Granted("alice", v1::ROLE_BIDDER, {"north"});
  EXPECT_EQ(AccessEventType(event), "bidtrail.v1.RoleGranted");
  const std::string data = event.role_granted().SerializeAsString();
  const std::optional<v1::AccessEvent> back = DecodeAccessEvent("bidtrail.v1.RoleGranted", data);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->SerializeAsString(), event.SerializeAsString());
  EXPECT_FALSE(DecodeAccessEvent("bidtrail.v1.BidSubmitted", data).has_value());
  EXPECT_FALSE(DecodeAccessEvent("bidtrail.v1.RoleGranted", "\xff\xff").has_value());
  EXPECT_EQ(AccessEventType(v1::AccessEvent()), "");
}

TEST(AccessStateTest, TokensProveTheirPrincipalUntilRevokedOrExpired) {
  AccessState state;
  EXPECT_TRUE(state.empty());
  const std::string alice = NewToken();
  const std::string bob = NewToken();
  state.Apply(Issued(alice, "alice"));
  state.Apply(Issued(bob, "bob", kNow + absl::Hours(1)));
  EXPECT_FALSE(state.empty());
  EXPECT_EQ(state.PrincipalOf(alice, kNow).value_or(""), "alice");
  EXPECT_EQ(state.PrincipalOf(bob, kNow).value_or(""), "bob");

  struct Refusal {
    std::string token;
    absl::Time at;
    std::string why;
  };
  state.Apply(Revoked(alice));
  for (const Refusal& r : std::vector<Refusal>{{alice, kNow, "revoked"},
                                               {bob, kNow + absl::Hours(1), "expired"},
                                               {NewToken(), kNow, "not known"},
                                               {"secret", kNow, "not a bidtrail token"},
                                               {"", kNow, "not a bidtrail token"}}) {
    const absl::StatusOr<std::string> principal = state.PrincipalOf(r.token, r.at);
    ASSERT_FALSE(principal.ok()) << r.why;
    EXPECT_EQ(principal.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_THAT(std::string(principal.status().message()), HasSubstr(r.why));
    if (!r.token.empty()) {
      EXPECT_THAT(std::string(principal.status().message()), ::testing::Not(HasSubstr(r.token)));
    }
  }
  // Issued again (rotation keeps the hash unique; re-issuing the same one
  // restores it).
  state.Apply(Issued(alice, "alice"));
  EXPECT_TRUE(state.PrincipalOf(alice, kNow).ok());
}

TEST(AccessStateTest, RolesAndTerritoriesFoldFromGrantsAndWithdrawals) {
  AccessState state;
  state.Apply(Granted("alice", v1::ROLE_BIDDER, {"north", "east"}));
  state.Apply(Granted("zhao", v1::ROLE_MANAGER, {"*"}));
  state.Apply(Granted("ann", v1::ROLE_ANALYST));
  EXPECT_TRUE(state.Has("alice", v1::ROLE_BIDDER, "north"));
  EXPECT_TRUE(state.Has("alice", v1::ROLE_BIDDER, "east"));
  EXPECT_FALSE(state.Has("alice", v1::ROLE_BIDDER, "south"));
  EXPECT_TRUE(state.Has("alice", v1::ROLE_BIDDER));
  EXPECT_FALSE(state.Has("alice", v1::ROLE_MANAGER, "north"));
  EXPECT_TRUE(state.Has("zhao", v1::ROLE_MANAGER, "anywhere"));
  EXPECT_TRUE(state.Has("ann", v1::ROLE_ANALYST));
  EXPECT_EQ(state.TerritoriesOf("alice", v1::ROLE_BIDDER),
            (std::vector<std::string>{"east", "north"}));

  state.Apply(Withdrawn("alice", v1::ROLE_BIDDER, {"east"}));
  EXPECT_FALSE(state.Has("alice", v1::ROLE_BIDDER, "east"));
  EXPECT_TRUE(state.Has("alice", v1::ROLE_BIDDER, "north"));
  state.Apply(Withdrawn("alice", v1::ROLE_BIDDER, {"north"}));
  EXPECT_FALSE(state.Has("alice", v1::ROLE_BIDDER));
  EXPECT_EQ(state.roles().count("alice"), 0u);
  state.Apply(Withdrawn("ann", v1::ROLE_ANALYST));
  EXPECT_FALSE(state.Has("ann", v1::ROLE_ANALYST));
  // Withdrawing what was never granted changes nothing.
  state.Apply(Withdrawn("nobody", v1::ROLE_ADMIN));
  EXPECT_TRUE(state.Has("zhao", v1::ROLE_MANAGER, "north"));
}

TEST(AllowTest, EachActionNeedsItsRole) {
  AccessState state;
  state.Apply(Granted("north-bidder", v1::ROLE_BIDDER, {"north"}));
  state.Apply(Granted("south-bidder", v1::ROLE_BIDDER, {"south"}));
  state.Apply(Granted("north-manager", v1::ROLE_MANAGER, {"north"}));
  state.Apply(Granted("boss", v1::ROLE_MANAGER, {"*"}));
  state.Apply(Granted("ann", v1::ROLE_ANALYST));
  state.Apply(Granted("root", v1::ROLE_ADMIN));
  state.Apply(Granted("svc-tenders", v1::ROLE_SERVICE));
  struct Case {
    std::string principal;
    Action action;
    std::string territory;
    bool allowed;
  };
  const std::vector<Case> cases = {
      {"north-bidder", Action::kRecord, "north", true},
      {"north-bidder", Action::kRecord, "south", false},
      {"north-bidder", Action::kQuery, "north", true},
      {"north-bidder", Action::kQuery, "south", false},
      {"north-bidder", Action::kQuery, "", false},
      {"north-bidder", Action::kApproveLate, "north", false},
      {"north-bidder", Action::kAdminister, "", false},
      {"north-bidder", Action::kRawAppend, "", false},
      {"south-bidder", Action::kRecord, "south", true},
      {"north-manager", Action::kRecord, "north", true},
      {"north-manager", Action::kRecord, "south", false},
      {"north-manager", Action::kApproveLate, "north", true},
      {"north-manager", Action::kApproveLate, "south", false},
      {"north-manager", Action::kQuery, "", true},  // managers read everything
      {"north-manager", Action::kQuery, "south", true},
      {"boss", Action::kApproveLate, "west", true},
      {"boss", Action::kRecord, "west", true},
      {"ann", Action::kQuery, "", true},
      {"ann", Action::kQuery, "north", true},
      {"ann", Action::kRecord, "north", false},
      {"root", Action::kAdminister, "", true},
      {"root", Action::kRawAppend, "", true},
      {"root", Action::kRecord, "north", false},
      {"svc-tenders", Action::kRawAppend, "", true},
      {"svc-tenders", Action::kFollowLog, "", true},
      {"svc-tenders", Action::kAdminister, "", false},
      {"nobody", Action::kQuery, "", false},
      // The notebook: the territory's team and managers, never analysts.
      {"north-bidder", Action::kReadContacts, "north", true},
      {"north-bidder", Action::kReadContacts, "south", false},
      {"north-manager", Action::kReadContacts, "south", true},
      {"ann", Action::kReadContacts, "north", false},
      {"root", Action::kReadContacts, "north", false},
      {"svc-tenders", Action::kReadContacts, "north", true},
      {"north-bidder", Action::kForgetContact, "north", true},
      {"north-bidder", Action::kForgetContact, "south", false},
      {"root", Action::kForgetContact, "south", true},
      {"ann", Action::kForgetContact, "north", false},
  };
  for (const Case& c : cases) {
    const absl::Status status = Allow(state, c.principal, c.action, c.territory);
    EXPECT_EQ(status.ok(), c.allowed)
        << c.principal << " " << static_cast<int>(c.action) << " " << c.territory << ": " << status;
    if (!c.allowed) {
      EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
    }
  }
  const absl::Status denied = Allow(state, "north-bidder", Action::kRecord, "south");
  EXPECT_THAT(std::string(denied.message()),
              HasSubstr("it needs bidder or manager of territory south; north-bidder is bidder "
                        "of north"));
  EXPECT_THAT(std::string(Allow(state, "nobody", Action::kQuery).message()),
              HasSubstr("nobody holds no role"));
}

TEST(RoleWordTest, WordsBothWays) {
  EXPECT_EQ(RoleWord(v1::ROLE_MANAGER), "manager");
  EXPECT_EQ(RoleOfWord("analyst"), v1::ROLE_ANALYST);
  EXPECT_EQ(RoleOfWord("Admin"), v1::ROLE_ADMIN);
  EXPECT_EQ(RoleOfWord("unspecified"), std::nullopt);
  EXPECT_EQ(RoleOfWord("boss"), std::nullopt);
}

}  // namespace
}  // namespace bidtrail::auth
