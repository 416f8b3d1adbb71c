// Structured logging for operators: one line per event, in logfmt, to
// standard error unless a sink is set.
//
//   2026-12-05T04:50:00.123456Z WARN projection: write failed position=1200 error="..."
//
// What is logged is what an operator needs to know: a server starting and
// stopping, each failure (once, with its context), rebuild progress, slow
// requests. Thread-safe; a line is written whole.
//
//   log::Warn("projection", "write failed", {{"position", 1200}, {"error", status}});
#ifndef BIDTRAIL_COMMON_LOG_H_
#define BIDTRAIL_COMMON_LOG_H_

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace bidtrail::log {

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// "DEBUG", "INFO", "WARN", "ERROR".
std::string_view LevelName(Level level);

// One key=value pair of a line. Values are text, numbers, booleans, times
// (RFC 3339, UTC), durations (absl's format) or statuses (code and message).
struct Field {
  template <
      typename Integer,
      std::enable_if_t<std::is_integral_v<Integer> && !std::is_same_v<Integer, bool>, int> = 0>
  Field(std::string_view key, Integer value) : key(key), value(std::to_string(value)) {}
  Field(std::string_view key, bool value);
  Field(std::string_view key, double value);
  Field(std::string_view key, std::string_view value);
  Field(std::string_view key, const std::string& value) : Field(key, std::string_view(value)) {}
  Field(std::string_view key, const char* value) : Field(key, std::string_view(value)) {}
  Field(std::string_view key, absl::Time value);
  Field(std::string_view key, absl::Duration value);
  Field(std::string_view key, const absl::Status& value);

  std::string_view key;
  std::string value;  // unquoted
};

// The line for an event at `time`, without the trailing newline. Values with
// spaces, quotes, '=' or control bytes are quoted and escaped.
std::string FormatLine(absl::Time time, Level level, std::string_view component,
                       std::string_view message, std::initializer_list<Field> fields);

// Writes a line at `level` when the level is at least the minimum level.
void Write(Level level, std::string_view component, std::string_view message,
           std::initializer_list<Field> fields = {});

// log::Info(component, message, fields) and the like: Write at that level.
struct LevelWriter {
  Level level;
  void operator()(std::string_view component, std::string_view message,
                  std::initializer_list<Field> fields = {}) const {
    Write(level, component, message, fields);
  }
};
inline constexpr LevelWriter Debug{Level::kDebug};
inline constexpr LevelWriter Info{Level::kInfo};
inline constexpr LevelWriter Warn{Level::kWarning};
inline constexpr LevelWriter Error{Level::kError};

// Lines below `level` are dropped. Default: kInfo.
void SetMinLevel(Level level);
// Parses "debug", "info", "warn" or "error".
bool ParseLevel(std::string_view text, Level* level);

// Lines go to `sink` (one call per line, newline excluded) instead of
// standard error; an empty function restores standard error. Returns the
// sink it replaced. For tests and embedding.
using Sink = std::function<void(std::string_view line)>;
Sink SetSink(Sink sink);

}  // namespace bidtrail::log

#endif  // BIDTRAIL_COMMON_LOG_H_
