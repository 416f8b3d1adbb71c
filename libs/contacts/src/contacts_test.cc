// The notebook's domain: sealing, the key store's files, the fold of
// contact events and activities, the checks of personal fields.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "bidtrail/common/proto_time.h"
#include "bidtrail/contacts/key_store.h"
#include "bidtrail/contacts/notebook.h"
#include "bidtrail/contacts/seal.h"
#include "bidtrail/tender/codec.h"
#include "bidtrail/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bidtrail::contacts {
namespace {

using ::bidtrail::testing::IsOk;
using ::bidtrail::testing::ScratchDir;
using ::bidtrail::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kKey(kKeyBytes, 'k');
const std::string kOtherKey(kKeyBytes, 'o');

v1::ContactPersonal Person(const std::string& name, const std::string& phone = "") {
  v1::ContactPersonal personal;
  personal.set_name(name);
  personal.set_phone(phone);
  return personal;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

TEST(SealTest, OpensOnlyUnderItsKeyForItsContact) {
  ASSERT_OK_AND_ASSIGN(v1::Sealed sealed, Seal(kKey, "ct-0000000000000001", Person("Wang Li")));
  EXPECT_EQ(sealed.nonce().size(), 12u);
  EXPECT_EQ(sealed.SerializeAsString().find("Wang Li"), std::string::npos);
  ASSERT_OK_AND_ASSIGN(v1::ContactPersonal opened, Unseal(kKey, "ct-0000000000000001", sealed));
  EXPECT_EQ(opened.name(), "Wang Li");
  // Another key, another contact, a flipped byte: never opens, never guesses.
  EXPECT_THAT(Unseal(kOtherKey, "ct-0000000000000001", sealed),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("do not open")));
  EXPECT_THAT(Unseal(kKey, "ct-0000000000000002", sealed),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("do not open")));
  v1::Sealed altered = sealed;
  (*altered.mutable_ciphertext())[0] ^= 1;
  EXPECT_THAT(Unseal(kKey, "ct-0000000000000001", altered),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("do not open")));
  v1::Sealed cut = sealed;
  cut.set_ciphertext("short");
  EXPECT_THAT(Unseal(kKey, "ct-0000000000000001", cut),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("not AES-256-GCM")));
  // Two seals of the same fields differ (a fresh nonce each time).
  ASSERT_OK_AND_ASSIGN(v1::Sealed again, Seal(kKey, "ct-0000000000000001", Person("Wang Li")));
  EXPECT_NE(again.ciphertext(), sealed.ciphertext());
}

TEST(KeyStoreTest, KeysAreMadeOnceAndDestroyedFromTheDisk) {
  ScratchDir dir;
  const std::string folder = dir.path() + "/keys";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<KeyStore> keys, KeyStore::Open(folder));
  EXPECT_THAT(keys->Get("ct-0000000000000001"),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  ASSERT_OK_AND_ASSIGN(const std::string key, keys->GetOrCreate("ct-0000000000000001"));
  EXPECT_EQ(key.size(), kKeyBytes);
  ASSERT_OK_AND_ASSIGN(const std::string same, keys->GetOrCreate("ct-0000000000000001"));
  EXPECT_EQ(same, key);
  const std::string path = folder + "/ct-0000000000000001.key";
  EXPECT_EQ(ReadAll(path), key);
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::group_read,
            std::filesystem::perms::none);

  // Another process (a restart) reads the same key.
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<KeyStore> reopened, KeyStore::Open(folder));
    ASSERT_OK_AND_ASSIGN(const std::string read, reopened->Get("ct-0000000000000001"));
    EXPECT_EQ(read, key);
  }
  // A backup copy, then the key destroyed: gone from the folder and from
  // the cache; the copy keeps it (backups are expired separately).
  ASSERT_THAT(keys->CopyTo(dir.path() + "/backup.keys"), IsOk());
  EXPECT_EQ(ReadAll(dir.path() + "/backup.keys/ct-0000000000000001.key"), key);
  EXPECT_THAT(keys->CopyTo(dir.path() + "/backup.keys"),
              StatusIs(absl::StatusCode::kAlreadyExists, ::testing::_));
  ASSERT_THAT(keys->Destroy("ct-0000000000000001"), IsOk());
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_THAT(keys->Get("ct-0000000000000001"),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<KeyStore> reopened, KeyStore::Open(folder));
  EXPECT_THAT(reopened->Get("ct-0000000000000001"),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  // Destroying what is gone is fine; a name that is not a key id is refused.
  EXPECT_THAT(keys->Destroy("ct-0000000000000001"), IsOk());
  EXPECT_THAT(keys->Get("../eventlog/CURRENT"),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  EXPECT_THAT(keys->Destroy("a/b"), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

TEST(ContactIdTest, DerivedFromBuyerAndRequest) {
  const std::string id = ContactIdFor("UA-EDR-1", "req-1");
  EXPECT_THAT(ValidateContactId(id), IsOk());
  EXPECT_EQ(id, ContactIdFor("UA-EDR-1", "req-1"));
  EXPECT_NE(id, ContactIdFor("UA-EDR-1", "req-2"));
  EXPECT_NE(id, ContactIdFor("UA-EDR-2", "req-1"));
  for (const char* bad : {"", "ct-", "ct-00000000000000001", "ct-000000000000000G",
                          "xx-0000000000000000", "CT-0000000000000000"}) {
    EXPECT_THAT(ValidateContactId(bad),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a contact id")))
        << bad;
  }
}

TEST(ValidateTest, PersonalFieldsNameTheFieldNotTheValue) {
  EXPECT_THAT(ValidatePersonal(Person("Wang Li", "+86 (871) 6315-0000"), true), IsOk());
  EXPECT_THAT(ValidatePersonal(Person(""), true),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name: required")));
  EXPECT_THAT(ValidatePersonal(Person(""), false), IsOk());
  EXPECT_THAT(ValidatePersonal(Person("   "), true),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name")));
  const absl::Status phone = ValidatePersonal(Person("Wang Li", "call 5551234"), true);
  EXPECT_THAT(phone, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("phone: only digits")));
  EXPECT_THAT(std::string(phone.message()), Not(HasSubstr("5551234")));
  EXPECT_THAT(ValidatePersonal(Person("Wang Li", "+1"), true),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at least 3 digits")));
  v1::ContactPersonal email = Person("Wang Li");
  for (const char* bad : {"wang", "@buyer.cn", "wang@", "a@b@c", "wang li@buyer.cn"}) {
    email.set_email(bad);
    EXPECT_THAT(ValidatePersonal(email, true),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("email: not an email")))
        << bad;
  }
  email.set_email("wang.li@buyer.example");
  EXPECT_THAT(ValidatePersonal(email, true), IsOk());
  v1::ContactPersonal long_note = Person("Wang Li");
  long_note.set_note(std::string(10001, 'x'));
  EXPECT_THAT(ValidatePersonal(long_note, true),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("note: 10001 bytes")));
  EXPECT_THAT(ValidateRole(v1::BUYING_ROLE_UNSPECIFIED, "role", true),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("role: required; one of executive, using-department-management")));
  EXPECT_THAT(ValidateRole(static_cast<v1::BuyingRole>(42), "role", false),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a buying role")));
  EXPECT_THAT(ValidateBuyerId(" UA-1"), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  EXPECT_EQ(RoleWords(v1::BUYING_ROLE_TECHNICAL_STAFF), "technical staff");
}

// A log, in memory, for the fold.
class NotebookTest : public ::testing::Test {
 protected:
  void Contact(const std::string& buyer, const v1::ContactEvent& event,
               const std::string& actor = "alice") {
    eventlog::RecordedEvent record;
    record.stream_id = BuyerStreamOf(buyer);
    record.type = ContactEventType(event);
    record.data = EncodeContactEventData(event);
    record.actor = actor;
    record.position = ++position_;
    records_.push_back(record);
    notebook_.Apply(record);
  }
  uint64_t Tender(const v1::TenderEvent& event, const std::string& actor = "bob") {
    eventlog::RecordedEvent record;
    record.stream_id = "tender-" + tender::TenderIdOf(event);
    record.type = tender::EventTypeName(event);
    record.data = tender::EncodeEventData(event);
    record.actor = actor;
    record.position = ++position_;
    notebook_.Apply(record);
    return record.position;
  }
  static v1::ContactEvent Added(const std::string& id, v1::BuyingRole role, absl::Time at) {
    v1::ContactEvent event;
    v1::ContactAdded* added = event.mutable_contact_added();
    added->set_contact_id(id);
    added->set_buyer_id("B1");
    added->set_role(role);
    added->set_territory("north");
    *added->mutable_personal() = *Seal(kKey, id, Person("Wang Li", "5551234"));
    ToProtoTime(at, added->mutable_occurred_at());
    return event;
  }
  static v1::TenderEvent Met(const std::string& contact_id, absl::Time at) {
    v1::TenderEvent event;
    v1::ActivityLogged* activity = event.mutable_activity_logged();
    activity->set_tender_id("T1");
    activity->set_kind(v1::ACTIVITY_KIND_VISIT);
    activity->set_contact_id(contact_id);
    ToProtoTime(at, activity->mutable_occurred_at());
    return event;
  }

  Notebook notebook_;
  std::vector<eventlog::RecordedEvent> records_;
  uint64_t position_ = 0;
};

TEST_F(NotebookTest, FoldsContactsMeetingsVoidingsAndForgetting) {
  const absl::Time t0 = absl::FromCivil(absl::CivilDay(2026, 3, 1), absl::UTCTimeZone());
  const std::string a = "ct-000000000000000a";
  Contact("B1", Added(a, v1::BUYING_ROLE_EXECUTIVE, t0));
  // A second ContactAdded for the same id changes nothing.
  Contact("B1", Added(a, v1::BUYING_ROLE_USER, t0), "mallory");
  v1::ContactEvent changed;
  changed.mutable_contact_changed()->set_contact_id(a);
  changed.mutable_contact_changed()->set_role(v1::BUYING_ROLE_PROCUREMENT);
  v1::ContactPersonal phone;
  phone.set_phone("5559999");
  *changed.mutable_contact_changed()->mutable_personal() = *Seal(kKey, a, phone);
  Contact("B1", changed);
  v1::ContactEvent noted;
  noted.mutable_contact_noted()->set_contact_id(a);
  v1::ContactPersonal note;
  note.set_note("likes football");
  *noted.mutable_contact_noted()->mutable_note() = *Seal(kKey, a, note);
  ToProtoTime(t0 + absl::Hours(1), noted.mutable_contact_noted()->mutable_occurred_at());
  Contact("B1", noted);

  const uint64_t first = Tender(Met(a, t0 + absl::Hours(24)));
  const uint64_t second = Tender(Met(a, t0 + absl::Hours(48)), "carol");
  Tender(Met("ct-00000000000000ff", t0));  // an unknown contact: ignored

  const contacts::Contact* contact = notebook_.Find(a);
  ASSERT_NE(contact, nullptr);
  EXPECT_EQ(contact->added_by, "alice");
  EXPECT_EQ(contact->role, v1::BUYING_ROLE_PROCUREMENT);
  EXPECT_EQ(contact->territory, "north");
  ASSERT_EQ(contact->personal.size(), 2u);
  ASSERT_OK_AND_ASSIGN(v1::ContactPersonal merged,
                       MergePersonal(contact->personal, [&](const v1::Sealed& sealed) {
                         return Unseal(kKey, a, sealed);
                       }));
  EXPECT_EQ(merged.name(), "Wang Li");
  EXPECT_EQ(merged.phone(), "5559999");
  ASSERT_EQ(contact->notes.size(), 1u);
  ASSERT_EQ(contact->meetings.size(), 2u);
  EXPECT_EQ(contact->LastMeeting()->by, "carol");
  EXPECT_EQ(contact->LastMeeting()->at, t0 + absl::Hours(48));

  // The later meeting voided: the earlier one is the last again.
  v1::TenderEvent voided;
  voided.mutable_entry_voided()->set_tender_id("T1");
  voided.mutable_entry_voided()->set_position(second);
  Tender(voided);
  ASSERT_EQ(contact->meetings.size(), 1u);
  EXPECT_EQ(contact->LastMeeting()->by, "bob");
  EXPECT_EQ(contact->meetings.begin()->first, first);

  v1::ContactEvent left;
  left.mutable_contact_left_buyer()->set_contact_id(a);
  ToProtoTime(t0 + absl::Hours(72), left.mutable_contact_left_buyer()->mutable_occurred_at());
  Contact("B1", left);
  ASSERT_TRUE(contact->left_at.has_value());

  v1::ContactEvent forgotten;
  forgotten.mutable_contact_forgotten()->set_contact_id(a);
  forgotten.mutable_contact_forgotten()->set_reason("request 7");
  ToProtoTime(t0 + absl::Hours(96), forgotten.mutable_contact_forgotten()->mutable_occurred_at());
  Contact("B1", forgotten, "dpo");
  EXPECT_TRUE(contact->erased);
  EXPECT_EQ(contact->erased_by, "dpo");
  EXPECT_EQ(contact->erased_reason, "request 7");
  EXPECT_TRUE(contact->personal.empty());
  EXPECT_TRUE(contact->notes.empty());
  // Nothing sealed comes back after forgetting.
  Contact("B1", noted);
  EXPECT_TRUE(contact->notes.empty());

  // The write side's fold of the one stream agrees.
  auto folded = FoldBuyerStream(records_);
  ASSERT_EQ(folded.count(a), 1u);
  EXPECT_TRUE(folded.at(a).erased);
  EXPECT_EQ(folded.at(a).role, v1::BUYING_ROLE_PROCUREMENT);
}

TEST_F(NotebookTest, EventTypesRoundTrip) {
  const v1::ContactEvent added =
      Added("ct-000000000000000b", v1::BUYING_ROLE_USER, absl::FromUnixSeconds(1'800'000'000));
  EXPECT_EQ(ContactEventType(added), "bidtrail.v1.ContactAdded");
  EXPECT_EQ(ContactEventTypes().size(), 5u);
  std::optional<v1::ContactEvent> decoded =
      DecodeContactEvent(ContactEventType(added), EncodeContactEventData(added));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->SerializeAsString(), added.SerializeAsString());
  EXPECT_EQ(ContactOccurredAt(added), absl::FromUnixSeconds(1'800'000'000));
  EXPECT_FALSE(DecodeContactEvent("bidtrail.v1.TenderDiscovered", "").has_value());
  EXPECT_FALSE(DecodeContactEvent("bidtrail.v1.ContactAdded", "\xff\xff").has_value());
}

}  // namespace
}  // namespace bidtrail::contacts
