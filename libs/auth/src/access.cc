#include "bidtrail/auth/access.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bidtrail/common/proto_time.h"

namespace bidtrail::auth {
namespace {

constexpr char kTokenPrefix[] = "btk_";

bool Holds(const std::set<std::string>& territories, std::string_view territory) {
  return territories.count(kAllTerritories) > 0 ||
         (!territory.empty() && territories.count(std::string(territory)) > 0) ||
         (territory.empty() && !territories.empty());
}

}  // namespace

std::string NewToken() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    // Without the system's random source no token may be made at all.
    std::abort();
  }
  std::string encoded;
  absl::WebSafeBase64Escape(absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)),
                            &encoded);
  return absl::StrCat(kTokenPrefix, encoded);
}

std::string TokenHash(std::string_view token) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(token.data(), token.size(), digest, &size, EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), size));
}

std::string AccessEventType(const v1::AccessEvent& event) {
  const google::protobuf::OneofDescriptor* oneof = event.GetDescriptor()->oneof_decl(0);
  const google::protobuf::FieldDescriptor* field =
      event.GetReflection()->GetOneofFieldDescriptor(event, oneof);
  return field == nullptr ? std::string() : field->message_type()->full_name();
}

std::optional<v1::AccessEvent> DecodeAccessEvent(std::string_view type, std::string_view data) {
  const google::protobuf::Descriptor* descriptor = v1::AccessEvent::descriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = descriptor->field(i);
    if (field->message_type()->full_name() != type) continue;
    v1::AccessEvent event;
    google::protobuf::Message* inner = event.GetReflection()->MutableMessage(&event, field);
    if (!inner->ParseFromArray(data.data(), static_cast<int>(data.size()))) return std::nullopt;
    return event;
  }
  return std::nullopt;
}

void AccessState::Apply(const v1::AccessEvent& event) {
  switch (event.event_case()) {
    case v1::AccessEvent::kTokenIssued: {
      const v1::TokenIssued& issued = event.token_issued();
      Token& token = tokens_[issued.token_hash()];
      token.principal = issued.principal();
      token.expires_at = issued.has_expires_at()
                             ? std::optional<absl::Time>(FromProtoTime(issued.expires_at()))
                             : std::nullopt;
      token.revoked = false;
      break;
    }
    case v1::AccessEvent::kTokenRevoked: {
      auto token = tokens_.find(event.token_revoked().token_hash());
      if (token != tokens_.end()) token->second.revoked = true;
      break;
    }
    case v1::AccessEvent::kRoleGranted: {
      const v1::RoleGranted& granted = event.role_granted();
      std::set<std::string>& territories = roles_[granted.principal()][granted.role()];
      for (const std::string& territory : granted.territories()) territories.insert(territory);
      break;
    }
    case v1::AccessEvent::kRoleWithdrawn: {
      const v1::RoleWithdrawn& withdrawn = event.role_withdrawn();
      auto principal = roles_.find(withdrawn.principal());
      if (principal == roles_.end()) break;
      auto role = principal->second.find(withdrawn.role());
      if (role == principal->second.end()) break;
      if (withdrawn.territories().empty()) {
        principal->second.erase(role);
      } else {
        for (const std::string& territory : withdrawn.territories()) role->second.erase(territory);
        // A bidder or manager of no territory any more holds nothing.
        if (role->second.empty()) principal->second.erase(role);
      }
      if (principal->second.empty()) roles_.erase(principal);
      break;
    }
    case v1::AccessEvent::EVENT_NOT_SET:
      break;
  }
}

absl::StatusOr<std::string> AccessState::PrincipalOf(std::string_view token, absl::Time now) const {
  if (token.rfind(kTokenPrefix, 0) != 0) {
    return absl::UnauthenticatedError("the token is not a bidtrail token (btk_...)");
  }
  auto found = tokens_.find(TokenHash(token));
  if (found == tokens_.end()) return absl::UnauthenticatedError("the token is not known");
  if (found->second.revoked) return absl::UnauthenticatedError("the token was revoked");
  if (found->second.expires_at && *found->second.expires_at <= now) {
    return absl::UnauthenticatedError(
        absl::StrCat("the token expired at ", absl::FormatTime(*found->second.expires_at)));
  }
  return found->second.principal;
}

bool AccessState::Unknown(std::string_view token) const {
  return token.rfind(kTokenPrefix, 0) == 0 && !tokens_.contains(TokenHash(token));
}

bool AccessState::Has(std::string_view principal, v1::Role role, std::string_view territory) const {
  auto found = roles_.find(std::string(principal));
  if (found == roles_.end()) return false;
  auto held = found->second.find(role);
  if (held == found->second.end()) return false;
  if (role != v1::ROLE_BIDDER && role != v1::ROLE_MANAGER) return true;
  return Holds(held->second, territory);
}

std::vector<std::string> AccessState::TerritoriesOf(std::string_view principal,
                                                    v1::Role role) const {
  auto found = roles_.find(std::string(principal));
  if (found == roles_.end()) return {};
  auto held = found->second.find(role);
  if (held == found->second.end()) return {};
  return std::vector<std::string>(held->second.begin(), held->second.end());
}

std::string RoleWord(v1::Role role) {
  const std::string name = v1::Role_Name(role);
  return absl::AsciiStrToLower(name.size() > 5 ? name.substr(5) : name);
}

std::optional<v1::Role> RoleOfWord(std::string_view word) {
  v1::Role role;
  if (!v1::Role_Parse(absl::StrCat("ROLE_", absl::AsciiStrToUpper(std::string(word))), &role) ||
      role == v1::ROLE_UNSPECIFIED) {
    return std::nullopt;
  }
  return role;
}

absl::Status Allow(const AccessState& state, std::string_view principal, Action action,
                   std::string_view territory) {
  auto has = [&](v1::Role role) { return state.Has(principal, role, territory); };
  const std::string who(principal);
  auto deny = [&](const std::string& needed) {
    std::vector<std::string> held;
    for (v1::Role role : {v1::ROLE_BIDDER, v1::ROLE_MANAGER}) {
      const std::vector<std::string> territories = state.TerritoriesOf(principal, role);
      if (!territories.empty()) {
        held.push_back(absl::StrCat(RoleWord(role), " of ", absl::StrJoin(territories, ", ")));
      }
    }
    for (v1::Role role : {v1::ROLE_ANALYST, v1::ROLE_ADMIN, v1::ROLE_SERVICE}) {
      if (state.Has(principal, role)) held.push_back(RoleWord(role));
    }
    return absl::PermissionDeniedError(absl::StrCat(
        who, " may not do this: it needs ", needed, "; ", who,
        held.empty() ? " holds no role" : absl::StrCat(" is ", absl::StrJoin(held, "; "))));
  };
  const std::string where = territory.empty()
                                ? std::string(" (every territory)")
                                : absl::StrCat(" of territory ", std::string(territory));
  switch (action) {
    case Action::kQuery:
      if (has(v1::ROLE_ANALYST) || has(v1::ROLE_ADMIN) || state.Has(principal, v1::ROLE_MANAGER) ||
          (!territory.empty() && has(v1::ROLE_BIDDER))) {
        return absl::OkStatus();
      }
      return deny(absl::StrCat("analyst, manager, or bidder", where));
    case Action::kRecord:
      if (has(v1::ROLE_BIDDER) || has(v1::ROLE_MANAGER)) return absl::OkStatus();
      return deny(absl::StrCat("bidder or manager", where));
    case Action::kApproveLate:
      if (has(v1::ROLE_MANAGER)) return absl::OkStatus();
      return deny(absl::StrCat("manager", where));
    case Action::kAdminister:
      if (has(v1::ROLE_ADMIN)) return absl::OkStatus();
      return deny("admin");
    case Action::kReadContacts:
      if (has(v1::ROLE_BIDDER) || state.Has(principal, v1::ROLE_MANAGER) ||
          state.Has(principal, v1::ROLE_SERVICE)) {
        return absl::OkStatus();
      }
      return deny(absl::StrCat("bidder", where,
                               ", or manager (contacts are personal: not for "
                               "analysts)"));
    case Action::kForgetContact:
      if (has(v1::ROLE_BIDDER) || has(v1::ROLE_MANAGER) || has(v1::ROLE_ADMIN) ||
          state.Has(principal, v1::ROLE_SERVICE)) {
        return absl::OkStatus();
      }
      return deny(absl::StrCat("bidder or manager", where, ", or admin"));
    case Action::kRawAppend:
    case Action::kFollowLog:
      if (has(v1::ROLE_SERVICE) || has(v1::ROLE_ADMIN)) return absl::OkStatus();
      return deny("service or admin");
  }
  return deny("a role");
}

}  // namespace bidtrail::auth
