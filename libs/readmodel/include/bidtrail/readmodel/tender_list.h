// The tender list's rules: what a tender's status and our outcome are in
// words, and which tenders a search matches. Pure; thread-safe.
#ifndef BIDTRAIL_READMODEL_TENDER_LIST_H_
#define BIDTRAIL_READMODEL_TENDER_LIST_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "bidtrail/tender/state.h"

namespace bidtrail::readmodel {

// "open" (a competition still undecided), "awarded" (every competition
// decided, at least one awarded), "cancelled" or "unsuccessful".
std::string_view StatusWord(const tender::TenderState& state);
inline constexpr std::string_view kStatusWords[] = {"open", "awarded", "cancelled", "unsuccessful"};

// Our outcome: "won" (at least one competition), "pending" (a bid of ours
// still undecided), "lost", "void" (our bid's competition ended without an
// award, or our bid was disqualified), "no_bid" (we decided not to bid),
// "not_yet" (no bid of ours yet, and the tender open with its submission
// deadline, if it has one, not passed by `now`), or "not_bid" (bidding is
// over without a bid of ours).
std::string_view OurOutcome(const tender::TenderState& state, std::string_view own_party_id,
                            absl::Time now);
inline constexpr std::string_view kOutcomeWords[] = {"won",    "pending", "lost",   "void",
                                                     "no_bid", "not_yet", "not_bid"};

// "own" (entered by us) or "import" (public data, DiscoveryChannel IMPORT).
std::string_view SourceWord(const tender::TenderState& state);
inline constexpr std::string_view kSourceWords[] = {"own", "import"};

struct TenderFilter {
  // Each must appear in the title, the id or the buyer's name, ignoring
  // ASCII case.
  std::vector<std::string> words;
  // The buyer's id, or a part of its name (any case); empty matches all.
  std::string buyer;
  // Exact matches; empty matches all.
  std::string territory;
  std::string owner_team;
  std::string status;   // a StatusWord
  std::string outcome;  // an OurOutcome
  std::string source;   // a SourceWord
  // Discovered (business time) in [from, to).
  absl::Time discovered_from = absl::InfinitePast();
  absl::Time discovered_to = absl::InfiniteFuture();
};

bool Matches(const tender::TenderState& state, const TenderFilter& filter,
             std::string_view own_party_id, absl::Time now);

}  // namespace bidtrail::readmodel

#endif  // BIDTRAIL_READMODEL_TENDER_LIST_H_
