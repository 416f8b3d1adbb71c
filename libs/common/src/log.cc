#include "bidtrail/common/log.h"

#include <atomic>
#include <cstdio>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"

namespace bidtrail::log {
namespace {

std::atomic<int> min_level{static_cast<int>(Level::kInfo)};

// Where lines go; never destroyed, as threads may still log while the
// process exits.
struct SinkSlot {
  absl::Mutex mu;
  Sink sink ABSL_GUARDED_BY(mu);
};
SinkSlot& Slot() {
  static SinkSlot* const slot = new SinkSlot;
  return *slot;
}

bool NeedsQuotes(std::string_view value) {
  if (value.empty()) return true;
  for (const char c : value) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '"' || c == '=' || c == '\\') return true;
  }
  return false;
}

void AppendValue(std::string_view value, std::string* out) {
  if (!NeedsQuotes(value)) {
    out->append(value);
    return;
  }
  out->push_back('"');
  for (const char c : value) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (c == '\n') {
      out->append("\\n");
    } else if (u < 0x20 || u == 0x7f) {
      absl::StrAppendFormat(out, "\\x%02x", u);
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

}  // namespace

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "DEBUG";
    case Level::kInfo:
      return "INFO";
    case Level::kWarning:
      return "WARN";
    case Level::kError:
      return "ERROR";
  }
  return "?";
}

Field::Field(std::string_view key, bool value) : key(key), value(value ? "true" : "false") {}
Field::Field(std::string_view key, double value) : key(key), value(absl::StrFormat("%g", value)) {}
Field::Field(std::string_view key, std::string_view value) : key(key), value(value) {}
Field::Field(std::string_view key, absl::Time value)
    : key(key), value(absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", value, absl::UTCTimeZone())) {}
Field::Field(std::string_view key, absl::Duration value)
    : key(key), value(absl::FormatDuration(value)) {}
Field::Field(std::string_view key, const absl::Status& value) : key(key), value(value.ToString()) {}

std::string FormatLine(absl::Time time, Level level, std::string_view component,
                       std::string_view message, std::initializer_list<Field> fields) {
  std::string line = absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", time, absl::UTCTimeZone());
  line.push_back(' ');
  line.append(LevelName(level));
  line.push_back(' ');
  line.append(component);
  line.append(": ");
  line.append(message);
  for (const Field& field : fields) {
    line.push_back(' ');
    line.append(field.key);
    line.push_back('=');
    AppendValue(field.value, &line);
  }
  return line;
}

void Write(Level level, std::string_view component, std::string_view message,
           std::initializer_list<Field> fields) {
  if (static_cast<int>(level) < min_level.load(std::memory_order_relaxed)) return;
  const std::string line = FormatLine(absl::Now(), level, component, message, fields);
  SinkSlot& slot = Slot();
  absl::MutexLock lock(&slot.mu);
  if (slot.sink) {
    slot.sink(line);
    return;
  }
  std::fprintf(stderr, "%s\n", line.c_str());
}

void SetMinLevel(Level level) { min_level.store(static_cast<int>(level)); }

bool ParseLevel(std::string_view text, Level* level) {
  for (const Level candidate : {Level::kDebug, Level::kInfo, Level::kWarning, Level::kError}) {
    const std::string name = absl::AsciiStrToLower(std::string(LevelName(candidate)));
    if (text == name || (candidate == Level::kWarning && text == "warning")) {
      *level = candidate;
      return true;
    }
  }
  return false;
}

Sink SetSink(Sink sink) {
  SinkSlot& slot = Slot();
  absl::MutexLock lock(&slot.mu);
  std::swap(slot.sink, sink);
  return sink;
}

}  // namespace bidtrail::log
