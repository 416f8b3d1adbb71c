// Who may do what (docs/security.md): the access stream's events folded into
// tokens and roles, and which role each kind of action needs. Pure functions
// and a value type; AccessState is not thread-safe (callers lock).
#ifndef BIDTRAIL_AUTH_ACCESS_H_
#define BIDTRAIL_AUTH_ACCESS_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bidtrail/v1/access.pb.h"

namespace bidtrail::auth {

// The log stream that holds the access events.
inline constexpr char kAccessStream[] = "access";
// Grants to every territory.
inline constexpr char kAllTerritories[] = "*";

// A new API token: "btk_" and 32 random bytes in base64url (43 characters).
std::string NewToken();
// Lower-case hex SHA-256 of the token's text: what the log keeps.
std::string TokenHash(std::string_view token);

// The event's full type name ("bidtrail.v1.TokenIssued"), as it is stored.
std::string AccessEventType(const v1::AccessEvent& event);
// The access event stored under `type` with `data`; nullopt for other types.
std::optional<v1::AccessEvent> DecodeAccessEvent(std::string_view type, std::string_view data);

// The fold of the access stream.
class AccessState {
 public:
  // Applies the next event of the stream.
  void Apply(const v1::AccessEvent& event);

  // No token was ever issued and no role granted: `bidtrail auth init` may
  // create the first admin.
  bool empty() const { return tokens_.empty() && roles_.empty(); }

  // The principal `token` proves at `now`; UNAUTHENTICATED saying why not
  // (unknown, revoked or expired), never naming the token.
  absl::StatusOr<std::string> PrincipalOf(std::string_view token, absl::Time now) const;
  // Whether `token` is a bidtrail token (btk_...) this state has not seen
  // issued.
  bool Unknown(std::string_view token) const;

  // Whether `principal` holds `role`; for bidder and manager, in
  // `territory` (any territory when it is empty).
  bool Has(std::string_view principal, v1::Role role, std::string_view territory = "") const;
  // The territories `principal` holds `role` in, sorted ("*" for all).
  std::vector<std::string> TerritoriesOf(std::string_view principal, v1::Role role) const;
  // Every principal with a role, and its roles.
  const std::map<std::string, std::map<v1::Role, std::set<std::string>>>& roles() const {
    return roles_;
  }

  struct Token {
    std::string principal;
    std::optional<absl::Time> expires_at;
    bool revoked = false;
  };
  // Every token issued, by hash.
  const std::map<std::string, Token, std::less<>>& tokens() const { return tokens_; }

 private:
  std::map<std::string, Token, std::less<>> tokens_;  // by hash
  std::map<std::string, std::map<v1::Role, std::set<std::string>>> roles_;
};

// What a call does, for the role it needs.
enum class Action {
  kQuery,        // read any view (analyst, manager; bidder within its territories)
  kRecord,       // record a fact on a tender of `territory` (bidder or manager of it)
  kApproveLate,  // be named as the approver of a late fact in `territory` (manager of it)
  kAdminister,   // grants, rebuild, backup, verify, import (admin)
  kRawAppend,    // EventStore.Append to tender and access streams (service or admin)
  kFollowLog,    // read and subscribe to the log itself (service or admin)
  // read the notebook's contacts of `territory`: names, notes (a bidder of
  // it, any manager, or a service for its user; never an analyst)
  kReadContacts,
  // forget a contact of `territory` (a bidder or manager of it, or an admin)
  kForgetContact,
};

// OK when `principal` may do `action` (in `territory` for kQuery, kRecord,
// kApproveLate and the contacts'; "" for a query over all territories); PERMISSION_DENIED
// naming the role needed and the caller's territories otherwise.
absl::Status Allow(const AccessState& state, std::string_view principal, Action action,
                   std::string_view territory = "");

// "bidder", "manager", ...; and back (nullopt for another word).
std::string RoleWord(v1::Role role);
std::optional<v1::Role> RoleOfWord(std::string_view word);

}  // namespace bidtrail::auth

#endif  // BIDTRAIL_AUTH_ACCESS_H_
