// The customer notebook over the real log and key store: recording, the
// views, activities that name a contact, the roles, and erasing a person
// (crypto-shredding) with the chain still verifying and no personal byte
// left in any file.
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "bidtrail/auth/authenticator.h"
#include "bidtrail/auth/testing/events.h"
#include "bidtrail/common/proto_time.h"
#include "bidtrail/contacts/book.h"
#include "bidtrail/contacts/key_store.h"
#include "bidtrail/contacts/service.h"
#include "bidtrail/eventlog/rocks_event_log.h"
#include "bidtrail/rpc/wire.h"
#include "bidtrail/tender/testing/events.h"
#include "bidtrail/tenders/commands.h"
#include "bidtrail/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"

namespace bidtrail::contacts {
namespace {

using ::bidtrail::testing::IsOk;
using ::bidtrail::testing::ScratchDir;
using ::bidtrail::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace ::bidtrail::tender::testing;  // NOLINT: event builders

constexpr char kName[] = "Zhang Wenjing";
constexpr char kPhone[] = "+86 871 6315 2741";
constexpr char kNote[] = "keeps a garden of orchids in Kunming";

// Whether any file under `dir` holds `needle`, byte for byte.
std::vector<std::string> FilesHolding(const std::string& dir, const std::string& needle) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    if (bytes.str().find(needle) != std::string::npos) found.push_back(entry.path().string());
  }
  return found;
}

class ContactBookTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    eventlog::RocksEventLog::Options log_options;
    log_options.path = dir_.path() + "/eventlog";
    log_options.sync = false;
    ASSERT_OK_AND_ASSIGN(log_, eventlog::RocksEventLog::Open(log_options));
    ASSERT_OK_AND_ASSIGN(keys_, KeyStore::Open(dir_.path() + "/keys"));
    ContactBook::Options options;
    options.clock = [this] {
      absl::MutexLock lock(&clock_mu_);
      return now_;
    };
    book_ = std::make_unique<ContactBook>(log_.get(), keys_.get(), options);
    tenders::TenderCommands::Options tender_options;
    tender_options.domain.own_party_id = kUs;
    tender_options.clock = options.clock;
    tender_options.resolve_contact = [this](const tender::TenderState& state,
                                            v1::ActivityLogged* activity) {
      return book_->ResolveActivity(state, activity);
    };
    commands_ = std::make_unique<tenders::TenderCommands>(log_.get(), tender_options);
  }

  void Close() {
    commands_.reset();
    book_.reset();
    keys_.reset();
    log_.reset();
  }

  void At(absl::Time now) {
    absl::MutexLock lock(&clock_mu_);
    now_ = now;
  }
  uint64_t Head() { return log_->HeadPosition().value(); }

  absl::StatusOr<v1::ContactCommandResult> Add(const std::string& request_id,
                                               const std::string& buyer, v1::BuyingRole role,
                                               const std::string& name,
                                               const std::string& phone = "") {
    v1::AddContactRequest request;
    request.set_request_id(request_id);
    request.set_buyer_id(buyer);
    request.set_role(role);
    request.set_territory("north");
    request.mutable_personal()->set_name(name);
    request.mutable_personal()->set_phone(phone);
    return book_->Add(alice_, request);
  }

  absl::StatusOr<v1::CommandResult> Meet(const std::string& request_id, const std::string& contact,
                                         absl::Time at, const std::string& tender = kTender) {
    v1::TenderEvent event = ForTender(tender, Activity(at));
    event.mutable_activity_logged()->clear_contact_name();
    event.mutable_activity_logged()->set_role(v1::BUYING_ROLE_UNSPECIFIED);
    event.mutable_activity_logged()->set_contact_id(contact);
    return commands_->Execute({"bob"}, request_id, event);
  }

  ScratchDir dir_;
  absl::Mutex clock_mu_;
  absl::Time now_ ABSL_GUARDED_BY(clock_mu_) = Day(1);
  std::unique_ptr<eventlog::RocksEventLog> log_;
  std::unique_ptr<KeyStore> keys_;
  std::unique_ptr<ContactBook> book_;
  std::unique_ptr<tenders::TenderCommands> commands_;
  const ContactBook::Caller alice_{"alice"};
};

TEST_F(ContactBookTest, RecordsRetriesAndRefusesWithoutWriting) {
  ASSERT_OK_AND_ASSIGN(v1::ContactCommandResult added,
                       Add("r1", "BUYER-1", v1::BUYING_ROLE_EXECUTIVE, kName, kPhone));
  EXPECT_EQ(added.buyer_id(), "BUYER-1");
  EXPECT_FALSE(added.already_applied());
  EXPECT_THAT(ValidateContactId(added.contact_id()), IsOk());
  const uint64_t head = Head();
  // A retry names the same contact and appends nothing.
  ASSERT_OK_AND_ASSIGN(v1::ContactCommandResult again,
                       Add("r1", "BUYER-1", v1::BUYING_ROLE_EXECUTIVE, kName, kPhone));
  EXPECT_TRUE(again.already_applied());
  EXPECT_EQ(again.contact_id(), added.contact_id());
  EXPECT_EQ(again.position(), added.position());
  EXPECT_EQ(Head(), head);

  // Bad input: a clear error naming the field, nothing appended.
  EXPECT_THAT(Add("r2", "BUYER-1", v1::BUYING_ROLE_UNSPECIFIED, kName),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("role: required")));
  EXPECT_THAT(Add("r3", "BUYER-1", v1::BUYING_ROLE_USER, ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name: required")));
  EXPECT_THAT(Add("r4", "BUYER-1", v1::BUYING_ROLE_USER, kName, "call me"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("phone")));
  EXPECT_THAT(Add("r5", "", v1::BUYING_ROLE_USER, kName),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("buyer_id")));
  EXPECT_THAT(Add("", "BUYER-1", v1::BUYING_ROLE_USER, kName),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("request_id")));
  v1::AddContactRequest no_territory;
  no_territory.set_request_id("r6");
  no_territory.set_buyer_id("BUYER-1");
  no_territory.set_role(v1::BUYING_ROLE_USER);
  no_territory.mutable_personal()->set_name(kName);
  EXPECT_THAT(book_->Add(alice_, no_territory),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("territory: required")));
  v1::AddContactRequest future = no_territory;
  future.set_territory("north");
  ToProtoTime(Day(3), future.mutable_occurred_at());
  EXPECT_THAT(book_->Add(alice_, future),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("in the future")));
  v1::NoteContactRequest note;
  note.set_request_id("r7");
  note.set_contact_id("ct-0000000000000000");
  note.set_text("hello");
  EXPECT_THAT(book_->Note(alice_, note),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("not in the notebook")));
  note.set_contact_id(added.contact_id());
  note.set_text("  ");
  EXPECT_THAT(book_->Note(alice_, note),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("text")));
  v1::ChangeContactRequest nothing;
  nothing.set_request_id("r8");
  nothing.set_contact_id(added.contact_id());
  EXPECT_THAT(book_->Change(alice_, nothing),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nothing to change")));
  EXPECT_EQ(Head(), head);
  // No error message quotes what is personal.
  absl::Status phone = Add("r9", "BUYER-1", v1::BUYING_ROLE_USER, kName, "ring 5551234").status();
  EXPECT_THAT(std::string(phone.message()), ::testing::Not(HasSubstr("5551234")));
}

TEST_F(ContactBookTest, ShowsDetailsNotesMeetingsCoverageAndWhoWasNotSeen) {
  ASSERT_THAT(commands_->Execute({"alice"}, "d1", Discovered()).status(), IsOk());
  ASSERT_OK_AND_ASSIGN(v1::ContactCommandResult exec,
                       Add("a1", "BUYER-1", v1::BUYING_ROLE_EXECUTIVE, kName, kPhone));
  ASSERT_OK_AND_ASSIGN(v1::ContactCommandResult tech,
                       Add("a2", "BUYER-1", v1::BUYING_ROLE_TECHNICAL_STAFF, "Li Na"));
  ASSERT_OK_AND_ASSIGN(v1::ContactCommandResult other,
                       Add("a3", "BUYER-2", v1::BUYING_ROLE_PROCUREMENT, "Chen Jie"));
  v1::NoteContactRequest note;
  note.set_request_id("n1");
  note.set_contact_id(exec.contact_id());
  note.set_text(kNote);
  ASSERT_THAT(book_->Note(alice_, note).status(), IsOk());
  v1::ChangeContactRequest change;
  change.set_request_id("c1");
  change.set_contact_id(exec.contact_id());
  change.mutable_personal()->set_department("Information Centre");
  ASSERT_THAT(book_->Change(alice_, change).status(), IsOk());

  // Activities name contacts; the role comes from the notebook.
  At(Day(5));
  ASSERT_OK_AND_ASSIGN(v1::CommandResult met, Meet("m1", exec.contact_id(), Day(4)));
  EXPECT_EQ(met.events(0).activity_logged().role(), v1::BUYING_ROLE_EXECUTIVE);
  EXPECT_TRUE(met.events(0).activity_logged().contact_name().empty());
  const uint64_t head = Head();
  EXPECT_THAT(Meet("m2", other.contact_id(), Day(4)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("works at buyer BUYER-2")));
  EXPECT_THAT(Meet("m3", "ct-00000000000000ff", Day(4)),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("not in the notebook")));
  v1::TenderEvent named = ForTender(kTender, Activity(Day(4)));
  named.mutable_activity_logged()->set_contact_id(exec.contact_id());
  EXPECT_THAT(commands_->Execute({"bob"}, "m4", named),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("contact_name")));
  EXPECT_EQ(Head(), head);

  ASSERT_OK_AND_ASSIGN(v1::GetContactResponse shown, book_->Get(alice_, [&] {
    v1::GetContactRequest request;
    request.set_contact_id(exec.contact_id());
    return request;
  }()));
  EXPECT_EQ(shown.contact().name(), kName);
  EXPECT_EQ(shown.contact().phone(), kPhone);
  EXPECT_EQ(shown.contact().department(), "Information Centre");
  EXPECT_EQ(shown.contact().status(), v1::CONTACT_STATUS_ACTIVE);
  EXPECT_EQ(shown.contact().added_by(), "alice");
  EXPECT_EQ(shown.contact().meetings(), 1u);
  EXPECT_EQ(shown.contact().last_met_by(), "bob");
  EXPECT_EQ(FromProtoTime(shown.contact().last_met_at()), Day(4));
  EXPECT_EQ(shown.contact().days_since_met(), 1u);
  ASSERT_EQ(shown.notes_size(), 1);
  EXPECT_EQ(shown.notes(0).text(), kNote);
  ASSERT_EQ(shown.meetings_size(), 1);
  EXPECT_EQ(shown.meetings(0).tender_id(), kTender);

  // Coverage of BUYER-1 on day 100: the executive not met for 96 days,
  // technical staff known but never met, four roles with no one.
  At(Day(100));
  v1::BuyerCoverageRequest coverage_request;
  coverage_request.set_buyer_id("BUYER-1");
  ASSERT_OK_AND_ASSIGN(v1::BuyerCoverageResponse coverage,
                       book_->Coverage(alice_, coverage_request));
  ASSERT_EQ(coverage.roles_size(), 6);
  EXPECT_EQ(coverage.roles(0).role(), v1::BUYING_ROLE_EXECUTIVE);
  EXPECT_EQ(coverage.roles(0).gap(), "not met for 96 days");
  EXPECT_EQ(coverage.roles(5).gap(), "never met");
  EXPECT_THAT(
      coverage.gaps(),
      ElementsAre("executive not met for 96 days", "no one in using department management known",
                  "no one in technical department management known", "no one in procurement known",
                  "no one in user known", "technical staff known but never met"));
  coverage_request.set_not_met_days(120);
  ASSERT_OK_AND_ASSIGN(coverage, book_->Coverage(alice_, coverage_request));
  EXPECT_EQ(coverage.roles(0).gap(), "");

  // Not seen for 90 days: never met counts from when added; longest first.
  v1::ListContactsRequest list;
  list.set_not_seen_days(90);
  ASSERT_OK_AND_ASSIGN(v1::ListContactsResponse unseen, book_->List(alice_, list));
  ASSERT_EQ(unseen.contacts_size(), 3);
  EXPECT_EQ(unseen.contacts(2).contact_id(), exec.contact_id());
  EXPECT_EQ(unseen.contacts(2).days_since_met(), 96u);
  list.set_representative("bob");
  ASSERT_OK_AND_ASSIGN(unseen, book_->List(alice_, list));
  ASSERT_EQ(unseen.contacts_size(), 1);
  list.Clear();
  list.set_buyer_id("BUYER-2");
  ASSERT_OK_AND_ASSIGN(v1::ListContactsResponse at_buyer, book_->List(alice_, list));
  ASSERT_EQ(at_buyer.contacts_size(), 1);
  EXPECT_EQ(at_buyer.contacts(0).name(), "Chen Jie");

  // One who left is not in the coverage, nor active in lists.
  v1::RecordContactLeftRequest left;
  left.set_request_id("l1");
  left.set_contact_id(tech.contact_id());
  ASSERT_THAT(book_->Left(alice_, left).status(), IsOk());
  left.set_request_id("l2");
  EXPECT_THAT(book_->Left(alice_, left),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("left the buyer")));
  ASSERT_OK_AND_ASSIGN(coverage, book_->Coverage(alice_, coverage_request));
  EXPECT_EQ(coverage.roles(5).gap(), "no one known");
  // A meeting after they left (on day 100) cannot be recorded; one before can.
  At(Day(102));
  EXPECT_THAT(Meet("m5", tech.contact_id(), Day(99)).status(), IsOk());
  EXPECT_THAT(Meet("m6", tech.contact_id(), Day(101)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("left the buyer")));
}

// The right to erasure: after `forget` every view says erased, the chain
// verifies, the tender's activity is still there, and no file of the data
// folder holds the name, the phone number or the note, even after a restart.
TEST_F(ContactBookTest, ForgettingDestroysTheKeyAndLeavesNoPersonalByteOnDisk) {
  ASSERT_THAT(commands_->Execute({"alice"}, "d1", Discovered()).status(), IsOk());
  ASSERT_OK_AND_ASSIGN(v1::ContactCommandResult added,
                       Add("a1", "BUYER-1", v1::BUYING_ROLE_EXECUTIVE, kName, kPhone));
  const std::string id = added.contact_id();
  v1::NoteContactRequest note;
  note.set_request_id("n1");
  note.set_contact_id(id);
  note.set_text(kNote);
  ASSERT_THAT(book_->Note(alice_, note).status(), IsOk());
  At(Day(5));
  ASSERT_THAT(Meet("m1", id, Day(4)).status(), IsOk());
  // Never in clear, even before forgetting: the log holds sealed bytes.
  ASSERT_THAT(log_->Verify().status(), IsOk());
  EXPECT_THAT(FilesHolding(dir_.path() + "/eventlog", kName), ::testing::IsEmpty());
  // An old backup of the key store, restored later by mistake.
  ASSERT_THAT(keys_->CopyTo(dir_.path() + "/old-backup.keys"), IsOk());

  v1::ForgetContactRequest forget;
  forget.set_request_id("f1");
  forget.set_contact_id(id);
  EXPECT_THAT(book_->Forget(alice_, forget),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reason: required")));
  forget.set_reason("erasure request 2026-114");
  ASSERT_OK_AND_ASSIGN(v1::ContactCommandResult forgotten, book_->Forget(alice_, forget));
  EXPECT_FALSE(forgotten.already_applied());
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/keys/" + id + ".key"));
  // Again: nothing new, the key still gone.
  forget.set_request_id("f2");
  ASSERT_OK_AND_ASSIGN(v1::ContactCommandResult twice, book_->Forget(alice_, forget));
  EXPECT_TRUE(twice.already_applied());

  v1::GetContactRequest get;
  get.set_contact_id(id);
  ASSERT_OK_AND_ASSIGN(v1::GetContactResponse shown, book_->Get(alice_, get));
  EXPECT_EQ(shown.contact().status(), v1::CONTACT_STATUS_ERASED);
  EXPECT_EQ(shown.contact().name(), "");
  EXPECT_EQ(shown.contact().phone(), "");
  EXPECT_EQ(shown.contact().erased_reason(), "erasure request 2026-114");
  EXPECT_EQ(shown.contact().erased_by(), "alice");
  EXPECT_EQ(shown.notes_size(), 0);
  EXPECT_EQ(shown.meetings_size(), 1);  // the tender's activity stays, naming no one
  v1::NoteContactRequest late_note = note;
  late_note.set_request_id("n2");
  EXPECT_THAT(book_->Note(alice_, late_note),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("was forgotten")));
  EXPECT_THAT(Meet("m2", id, Day(4)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("was forgotten")));
  ASSERT_OK_AND_ASSIGN(eventlog::VerifyResult verified, log_->Verify());
  EXPECT_TRUE(verified.ok) << verified.problem;
  EXPECT_EQ(verified.records_checked, Head());

  // A restart with the old key store copied back: folding the log destroys
  // the key again before anyone can read with it.
  Close();
  std::filesystem::copy_file(dir_.path() + "/old-backup.keys/" + id + ".key",
                             dir_.path() + "/keys/" + id + ".key");
  std::filesystem::remove_all(dir_.path() + "/old-backup.keys");
  Open();
  book_->Start();
  ASSERT_OK_AND_ASSIGN(shown, book_->Get(alice_, get));
  EXPECT_EQ(shown.contact().status(), v1::CONTACT_STATUS_ERASED);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/keys/" + id + ".key"));
  Close();
  for (const std::string& personal :
       {std::string(kName), std::string(kPhone), std::string(kNote)}) {
    EXPECT_THAT(FilesHolding(dir_.path(), personal), ::testing::IsEmpty()) << personal;
  }
  Open();
  ASSERT_OK_AND_ASSIGN(verified, log_->Verify());
  EXPECT_TRUE(verified.ok) << verified.problem;
}

// Over gRPC with an authenticator: the territory's bidders and the managers
// read the notebook, analysts never; an admin may forget.
TEST_F(ContactBookTest, RolesKeepTheNotebookToTheTeamAndManagers) {
  auth::Authenticator authenticator(log_.get());
  ASSERT_OK_AND_ASSIGN(const std::string root, authenticator.Bootstrap("root"));
  const std::string alice = auth::NewToken();
  const std::string sam = auth::NewToken();
  const std::string zhao = auth::NewToken();
  const std::string ann = auth::NewToken();
  ASSERT_THAT(authenticator.Record(
                  {auth::testing::Granted("alice", v1::ROLE_BIDDER, {"north"}),
                   auth::testing::Granted("sam", v1::ROLE_BIDDER, {"south"}),
                   auth::testing::Granted("zhao", v1::ROLE_MANAGER, {"south"}),
                   auth::testing::Granted("ann", v1::ROLE_ANALYST),
                   auth::testing::Issued(alice, "alice"), auth::testing::Issued(sam, "sam"),
                   auth::testing::Issued(zhao, "zhao"), auth::testing::Issued(ann, "ann")},
                  "root", eventlog::ExpectedRevision::Any()),
              IsOk());
  ContactsGrpcService service(book_.get(), 2, &authenticator);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_GT(port, 0);
  auto stub = v1::ContactsService::NewStub(grpc::CreateChannel(
      absl::StrFormat("127.0.0.1:%d", port), grpc::InsecureChannelCredentials()));
  auto context = [](const std::string& token) {
    auto made = std::make_unique<grpc::ClientContext>();
    made->AddMetadata(rpc::kActorHeader, "the-ceo");  // claimed, never believed
    if (!token.empty()) made->AddMetadata("authorization", "Bearer " + token);
    return made;
  };

  // alice records in north only; the territory defaults to her one.
  v1::AddContactRequest add;
  add.set_request_id("a1");
  add.set_buyer_id("BUYER-1");
  add.set_role(v1::BUYING_ROLE_PROCUREMENT);
  add.mutable_personal()->set_name(kName);
  v1::AddContactResponse added;
  ASSERT_TRUE(stub->AddContact(context(alice).get(), add, &added).ok());
  const std::string id = added.result().contact_id();
  add.set_request_id("a2");
  add.set_territory("south");
  v1::AddContactResponse refused;
  grpc::Status status = stub->AddContact(context(alice).get(), add, &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  status = stub->AddContact(context("").get(), add, &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);

  v1::GetContactRequest get;
  get.set_contact_id(id);
  v1::GetContactResponse shown;
  ASSERT_TRUE(stub->GetContact(context(alice).get(), get, &shown).ok());
  EXPECT_EQ(shown.contact().name(), kName);
  EXPECT_EQ(shown.contact().added_by(), "alice");  // the proven principal
  EXPECT_EQ(shown.contact().territory(), "north");
  // zhao manages south, and managers read every notebook.
  ASSERT_TRUE(stub->GetContact(context(zhao).get(), get, &shown).ok());
  status = stub->GetContact(context(sam).get(), get, &shown);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("bidder of territory north"));
  status = stub->GetContact(context(ann).get(), get, &shown);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("not for analysts"));
  v1::ListContactsRequest list;
  v1::ListContactsResponse listed;
  status = stub->ListContacts(context(ann).get(), list, &listed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // sam lists, and sees none of north's contacts.
  ASSERT_TRUE(stub->ListContacts(context(sam).get(), list, &listed).ok());
  EXPECT_EQ(listed.contacts_size(), 0);

  // sam may not forget north's contact; root (admin) may.
  v1::ForgetContactRequest forget;
  forget.set_request_id("f1");
  forget.set_contact_id(id);
  forget.set_reason("request 9");
  v1::ForgetContactResponse forgotten;
  status = stub->ForgetContact(context(sam).get(), forget, &forgotten);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  status = stub->ForgetContact(context(root).get(), forget, &forgotten);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(stub->GetContact(context(alice).get(), get, &shown).ok());
  EXPECT_EQ(shown.contact().status(), v1::CONTACT_STATUS_ERASED);
  EXPECT_EQ(shown.contact().erased_by(), "root");
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  server->Wait();
}

}  // namespace
}  // namespace bidtrail::contacts
