// A seeded, deterministic generator of realistic tender histories: the demo
// data of `bidtrail demo load` and the workload of `bidtrail-bench
// projections`. Pure: no IO, no clock (the caller passes `now`). Not
// thread-safe; one Generator per thread.
//
// The world: territories and the bid teams that own them; buyers of several
// sizes and kinds (power bureaus, telecom operators, banks, ministries,
// universities); our company (`own_party_id`) and competitors with different
// strengths by category and territory; software and integrator partners.
// Each tender's life follows DOMAIN.md: discovery, amendments, documents
// (some late, with an approver), no-bid decisions, our bid and competitors'
// bids, the opening, awards (some cancelled and re-awarded), cancellations,
// activities with each buying role, tenders going stale, and open tenders
// with deadlines in the coming days relative to `now`.
//
// Every command it yields is accepted by tender::Decide (with the same
// own_party_id, at time `now`) when the commands are applied in the order
// given, and is already in the form Decide records (so a bulk load may append
// the events directly): tests hold it to that.
#ifndef BIDTRAIL_DEMO_GENERATOR_H_
#define BIDTRAIL_DEMO_GENERATOR_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "bidtrail/v1/tender_events.pb.h"

namespace bidtrail::demo {

struct Options {
  uint64_t seed = 1;
  int tenders = 2000;
  // Histories span [now - span, now]; open tenders have deadlines after now.
  absl::Time now;
  absl::Duration span = absl::Hours(24 * 730);
  std::string own_party_id = "us";
  // Tender ids are "<prefix>-<year of discovery>-<number>"; histories with
  // different prefixes can share one log.
  std::string tender_id_prefix = "DEMO";
};

// What `bidtrail demo load` says of the history it records all at once, for
// the Tenders service's late-recording rule (tender::Decide): each fact of
// ours is recorded long after it happened, some after the deadlines they met.
inline constexpr char kLoadReason[] = "demo history, loaded all at once by bidtrail demo load";
inline constexpr char kLoadManager[] = "demo-manager";

// One command to send to the Tenders service.
struct Command {
  // Deterministic: the same seed gives the same ids, so loading twice is a
  // retry that appends nothing.
  std::string request_id;
  // The bid-team member who records it.
  std::string actor;
  v1::TenderEvent event;
};

class Generator {
 public:
  explicit Generator(const Options& options);
  ~Generator();

  // The next command, in business-time order across all tenders (so that
  // the log interleaves tenders as real use does); false when done.
  bool Next(Command* command);

  // Commands yielded so far, and an estimate of the total (for progress).
  uint64_t yielded() const;
  uint64_t estimated_total() const;
  // Commands generated and not yet yielded: what the generator holds. It
  // stays bounded by the tenders in flight, whatever the number of tenders.
  uint64_t pending() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bidtrail::demo

#endif  // BIDTRAIL_DEMO_GENERATOR_H_
