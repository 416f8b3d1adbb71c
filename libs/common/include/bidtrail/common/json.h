// A JSON string literal for text: quotes and escapes. Header-only; pure.
#ifndef BIDTRAIL_COMMON_JSON_H_
#define BIDTRAIL_COMMON_JSON_H_

#include <cstdio>
#include <string>
#include <string_view>

namespace bidtrail {

inline std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (const unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
          out += escaped;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

}  // namespace bidtrail

#endif  // BIDTRAIL_COMMON_JSON_H_
