#include "bidtrail/common/uuid.h"

#include <openssl/evp.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace bidtrail {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool DashAt(size_t i) { return i == 8 || i == 13 || i == 18 || i == 23; }

}  // namespace

absl::StatusOr<Uuid> ParseUuid(std::string_view text, std::string_view field) {
  const absl::string_view name(field.data(), field.size());  // no copy: errors only
  if (text.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": required; a UUID such as 0b6f1c9e-3d2a-4f5b-9c8d-7e6f5a4b3c2d"));
  }
  Uuid uuid{};
  bool well_formed = text.size() == 36;
  size_t out = 0;
  for (size_t i = 0; well_formed && i < text.size(); ++i) {
    if (DashAt(i)) {
      well_formed = text[i] == '-';
      continue;
    }
    const int hi = HexValue(text[i]);
    const int lo = i + 1 < text.size() ? HexValue(text[i + 1]) : -1;
    well_formed = hi >= 0 && lo >= 0;
    if (well_formed) uuid[out++] = static_cast<uint8_t>(hi << 4 | lo);
    ++i;
  }
  if (!well_formed) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": \"", std::string(text.substr(0, 64)),
                     "\" is not a UUID; expected 36 characters, 8-4-4-4-12 hex digits"));
  }
  if (std::all_of(uuid.begin(), uuid.end(), [](uint8_t b) { return b == 0; })) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": the nil UUID is not an event id"));
  }
  return uuid;
}

std::string FormatUuid(const Uuid& uuid) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  text.reserve(36);
  for (size_t i = 0; i < uuid.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text.push_back('-');
    text.push_back(kHex[uuid[i] >> 4]);
    text.push_back(kHex[uuid[i] & 0x0f]);
  }
  return text;
}

std::string NameBasedUuid(std::string_view name) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(name.data(), name.size(), digest, &length, EVP_sha256(), nullptr);
  Uuid uuid;
  std::copy(digest, digest + uuid.size(), uuid.begin());
  uuid[6] = static_cast<uint8_t>((uuid[6] & 0x0f) | 0x80);  // version 8
  uuid[8] = static_cast<uint8_t>((uuid[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return FormatUuid(uuid);
}

}  // namespace bidtrail
