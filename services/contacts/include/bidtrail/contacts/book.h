// ContactBook: the customer notebook over any EventStore and a KeyStore
// (docs/notebook.md). Commands read the buyer's stream, check, seal the
// personal fields under the contact's key and append with the revision
// they read (retrying when another writer got there first); queries read a
// fold of the log (Notebook) caught up on each call, and open the sealed
// fields with the keys. Forgetting a contact appends ContactForgotten and
// then destroys its key; folding a ContactForgotten destroys the key too,
// so a key that survived (a crash in between, a key store restored from an
// older backup) is destroyed at the next start. Thread-safe.
#ifndef BIDTRAIL_CONTACTS_BOOK_H_
#define BIDTRAIL_CONTACTS_BOOK_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bidtrail/auth/access.h"
#include "bidtrail/contacts/key_store.h"
#include "bidtrail/contacts/notebook.h"
#include "bidtrail/eventlog/event_store.h"
#include "bidtrail/tender/state.h"
#include "bidtrail/v1/contacts.pb.h"

namespace bidtrail::contacts {

class ContactBook {
 public:
  struct Options {
    // Attempts when concurrent writers keep winning; then ABORTED.
    int max_attempts = 50;
    std::function<absl::Time()> clock = [] { return absl::Now(); };
  };

  // Who calls. Without `access` every check passes (tests, one-user tools).
  // Every field has a default, so that `{actor}` says the rest.
  struct Caller {
    std::string actor{};
    // The service that records for `actor`, when it is not the actor.
    std::string written_by{};
    std::string principal{};
    std::shared_ptr<const auth::AccessState> access{};
  };

  // `store` and `keys` must outlive the book. Without `keys` the book only
  // follows the log for ResolveActivity (a tenders process that does not
  // host the event store, where the keys are).
  ContactBook(eventlog::EventStore* store, KeyStore* keys, Options options);
  ContactBook(eventlog::EventStore* store, KeyStore* keys) : ContactBook(store, keys, Options()) {}
  ~ContactBook();

  // Folds the log in the background (destroying the keys of forgotten
  // contacts on the way); calls meanwhile wait for it.
  void Start();

  absl::StatusOr<v1::ContactCommandResult> Add(const Caller& caller,
                                               const v1::AddContactRequest& request);
  absl::StatusOr<v1::ContactCommandResult> Change(const Caller& caller,
                                                  const v1::ChangeContactRequest& request);
  absl::StatusOr<v1::ContactCommandResult> Note(const Caller& caller,
                                                const v1::NoteContactRequest& request);
  absl::StatusOr<v1::ContactCommandResult> Left(const Caller& caller,
                                                const v1::RecordContactLeftRequest& request);
  absl::StatusOr<v1::ContactCommandResult> Forget(const Caller& caller,
                                                  const v1::ForgetContactRequest& request);

  absl::StatusOr<v1::GetContactResponse> Get(const Caller& caller,
                                             const v1::GetContactRequest& request);
  absl::StatusOr<v1::ListContactsResponse> List(const Caller& caller,
                                                const v1::ListContactsRequest& request);
  absl::StatusOr<v1::BuyerCoverageResponse> Coverage(const Caller& caller,
                                                     const v1::BuyerCoverageRequest& request);

  // For an activity on a tender that names a contact: the contact must be in
  // the notebook, at the tender's buyer, not forgotten, and not gone from
  // the buyer before the activity; the activity takes the contact's role
  // when it names none. (TenderCommands::Options::resolve_contact.)
  absl::Status ResolveActivity(const tender::TenderState& state, v1::ActivityLogged* activity);

 private:
  // Reads the log from the fold's cursor to the head.
  absl::Status CatchUp() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The contact, caught up; NOT_FOUND naming it when the notebook has none.
  absl::StatusOr<const Contact*> Known(std::string_view contact_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The contact's view as of `as_of`, its personal fields opened.
  v1::ContactView ViewOf(const Contact& contact, absl::Time as_of);
  // Appends the event `decide` makes of the buyer's contacts to the buyer's
  // stream, unless `request_id` is there already (then its first result).
  absl::StatusOr<v1::ContactCommandResult> Record(
      const Caller& caller, const std::string& request_id, const std::string& buyer_id,
      const std::function<absl::StatusOr<v1::ContactEvent>(
          const std::map<std::string, Contact, std::less<>>& contacts)>& decide);
  // Record for a command on an existing contact: `decide` gets the contact,
  // found in its buyer's stream, recordable by the caller, not forgotten.
  absl::StatusOr<v1::ContactCommandResult> RecordAbout(
      const Caller& caller, const std::string& request_id, const std::string& contact_id,
      const std::function<absl::StatusOr<v1::ContactEvent>(const Contact* contact)>& decide);
  // `text` as a note sealed under the contact's key.
  absl::StatusOr<v1::Sealed> SealNote(const std::string& contact_id, const std::string& text);
  // A command on an existing contact: its buyer, from the fold.
  absl::StatusOr<std::string> BuyerOf(const std::string& contact_id);

  eventlog::EventStore* const store_;
  KeyStore* const keys_;
  const Options options_;
  absl::Mutex mu_;
  Notebook notebook_ ABSL_GUARDED_BY(mu_);
  uint64_t cursor_ ABSL_GUARDED_BY(mu_) = 1;
  std::thread starting_;
};

}  // namespace bidtrail::contacts

#endif  // BIDTRAIL_CONTACTS_BOOK_H_
