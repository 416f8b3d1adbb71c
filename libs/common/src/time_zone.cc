#include "bidtrail/common/time_zone.h"

#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace bidtrail {
namespace {

constexpr int kMaxOffsetMinutes = 18 * 60;

std::string OffsetName(int minutes) {
  if (minutes == 0) return "UTC";
  const int magnitude = minutes < 0 ? -minutes : minutes;
  return absl::StrFormat("%c%02d:%02d", minutes < 0 ? '-' : '+', magnitude / 60, magnitude % 60);
}

// "+08:00", "+0800", "+08", "-5:30": minutes east of UTC.
std::optional<int> ParseOffset(std::string_view text) {
  if (text.size() < 2 || (text[0] != '+' && text[0] != '-')) return std::nullopt;
  const int sign = text[0] == '-' ? -1 : 1;
  std::string digits(text.substr(1));
  std::string hours = digits;
  std::string minutes = "0";
  if (const size_t colon = digits.find(':'); colon != std::string::npos) {
    hours = digits.substr(0, colon);
    minutes = digits.substr(colon + 1);
    if (minutes.size() != 2) return std::nullopt;
  } else if (digits.size() == 4) {
    hours = digits.substr(0, 2);
    minutes = digits.substr(2);
  }
  if (hours.empty() || hours.size() > 2) return std::nullopt;
  for (char c : hours + minutes) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  int h = 0;
  int m = 0;
  if (!absl::SimpleAtoi(hours, &h) || !absl::SimpleAtoi(minutes, &m) || m >= 60) {
    return std::nullopt;
  }
  const int total = h * 60 + m;
  if (total > kMaxOffsetMinutes) return std::nullopt;
  return sign * total;
}

std::string Trimmed(std::string text) { return std::string(absl::StripAsciiWhitespace(text)); }

}  // namespace

absl::StatusOr<NamedZone> ParseZone(std::string_view text) {
  const std::string typed(text);
  if (typed == "UTC" || typed == "utc" || typed == "Z" || typed == "z" || typed == "Etc/UTC") {
    return NamedZone{absl::UTCTimeZone(), "UTC"};
  }
  if (!typed.empty() && (typed[0] == '+' || typed[0] == '-')) {
    const std::optional<int> minutes = ParseOffset(typed);
    if (!minutes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "\"", typed, "\" is not a UTC offset; write +08:00 or -05:30 (within ±18:00)"));
    }
    return NamedZone{*minutes == 0 ? absl::UTCTimeZone() : absl::FixedTimeZone(*minutes * 60),
                     OffsetName(*minutes)};
  }
  absl::TimeZone zone;
  // IANA names are letters, digits and / _ - +; refusing anything else keeps
  // paths like "../x" away from the tz database lookup.
  bool plausible = !typed.empty() && typed.size() <= 64 && typed[0] != '/' &&
                   typed.find("..") == std::string::npos;
  for (char c : typed) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '_' && c != '-' &&
        c != '+') {
      plausible = false;
    }
  }
  if (!plausible || !absl::LoadTimeZone(typed, &zone)) {
    // IANA names are case-sensitive: "asia/shanghai" is Asia/Shanghai
    // written in the wrong case, which is suggested, not guessed.
    std::string suggestion;
    if (plausible) {
      std::string cased = typed;
      bool start = true;
      for (char& c : cased) {
        const unsigned char u = static_cast<unsigned char>(c);
        c = static_cast<char>(start ? std::toupper(u) : std::tolower(u));
        start = c == '/' || c == '_' || c == '-';
      }
      absl::TimeZone found;
      if (cased != typed && absl::LoadTimeZone(cased, &found)) {
        suggestion = absl::StrCat("; did you mean ", cased, "?");
      }
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", typed.substr(0, 64),
        "\" is not a time zone; write an IANA name (Asia/Shanghai, Europe/Paris, UTC) or a UTC "
        "offset (+08:00)",
        suggestion));
  }
  return NamedZone{zone, typed};
}

std::string OffsetAt(absl::Time time, absl::TimeZone zone) {
  const int minutes = zone.At(time).offset / 60;
  const std::string name = OffsetName(minutes);
  return name == "UTC" ? "+00:00" : name;
}

std::string FormatRfc3339(absl::Time time, absl::TimeZone zone) {
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*S%Ez", time, zone);
}

std::optional<std::string> TypedOffset(std::string_view text) {
  const std::string typed = Trimmed(std::string(text));
  if (typed.size() < 11 || typed.find('T') == std::string::npos) return std::nullopt;
  if (typed.back() == 'Z' || typed.back() == 'z') return "UTC";
  const size_t sign = typed.find_last_of("+-");
  if (sign == std::string::npos || sign < typed.find('T')) return std::nullopt;
  const std::optional<int> minutes = ParseOffset(typed.substr(sign));
  if (!minutes) return std::nullopt;
  return OffsetName(*minutes);
}

NamedZone SystemZone() {
  if (const char* tz = std::getenv("TZ"); tz != nullptr && tz[0] != '\0') {
    std::string name = tz[0] == ':' ? tz + 1 : tz;
    if (absl::StatusOr<NamedZone> zone = ParseZone(name); zone.ok()) return *zone;
  }
  std::ifstream file("/etc/timezone");
  std::string line;
  if (file && std::getline(file, line)) {
    if (absl::StatusOr<NamedZone> zone = ParseZone(Trimmed(line)); zone.ok()) return *zone;
  }
  char target[512];
  const ssize_t size = readlink("/etc/localtime", target, sizeof(target) - 1);
  if (size > 0) {
    const std::string path(target, static_cast<size_t>(size));
    const size_t at = path.find("zoneinfo/");
    if (at != std::string::npos) {
      if (absl::StatusOr<NamedZone> zone = ParseZone(path.substr(at + 9)); zone.ok()) return *zone;
    }
  }
  return NamedZone{absl::UTCTimeZone(), "UTC"};
}

}  // namespace bidtrail
