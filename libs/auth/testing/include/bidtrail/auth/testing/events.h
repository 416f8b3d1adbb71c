// Builders of access events for tests (target bidtrail::auth_testing).
// Test-only; header-only.
#ifndef BIDTRAIL_AUTH_TESTING_EVENTS_H_
#define BIDTRAIL_AUTH_TESTING_EVENTS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "bidtrail/auth/access.h"
#include "bidtrail/common/proto_time.h"
#include "bidtrail/v1/access.pb.h"

namespace bidtrail::auth::testing {

inline v1::AccessEvent Granted(const std::string& principal, v1::Role role,
                               const std::vector<std::string>& territories = {}) {
  v1::AccessEvent event;
  event.mutable_role_granted()->set_principal(principal);
  event.mutable_role_granted()->set_role(role);
  for (const std::string& t : territories) event.mutable_role_granted()->add_territories(t);
  return event;
}

inline v1::AccessEvent Withdrawn(const std::string& principal, v1::Role role,
                                 const std::vector<std::string>& territories = {}) {
  v1::AccessEvent event;
  event.mutable_role_withdrawn()->set_principal(principal);
  event.mutable_role_withdrawn()->set_role(role);
  for (const std::string& t : territories) event.mutable_role_withdrawn()->add_territories(t);
  return event;
}

// `token` now proves `principal` (until `expires`, when given).
inline v1::AccessEvent Issued(const std::string& token, const std::string& principal,
                              std::optional<absl::Time> expires = std::nullopt) {
  v1::AccessEvent event;
  event.mutable_token_issued()->set_token_hash(TokenHash(token));
  event.mutable_token_issued()->set_principal(principal);
  if (expires) ToProtoTime(*expires, event.mutable_token_issued()->mutable_expires_at());
  return event;
}

inline v1::AccessEvent Revoked(const std::string& token) {
  v1::AccessEvent event;
  event.mutable_token_revoked()->set_token_hash(TokenHash(token));
  return event;
}

}  // namespace bidtrail::auth::testing

#endif  // BIDTRAIL_AUTH_TESTING_EVENTS_H_
