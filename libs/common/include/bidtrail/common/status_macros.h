// Helpers for errors as values: early return on a non-OK absl::Status or
// absl::StatusOr. abseil 20220623 (Debian 12) ships none of its own.
// Header-only; no state.
#ifndef BIDTRAIL_COMMON_STATUS_MACROS_H_
#define BIDTRAIL_COMMON_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define BIDTRAIL_CONCAT_INNER_(a, b) a##b
#define BIDTRAIL_CONCAT_(a, b) BIDTRAIL_CONCAT_INNER_(a, b)

// Returns from the enclosing function when `expr` (an absl::Status) is not OK.
#define RETURN_IF_ERROR(expr)                 \
  do {                                        \
    ::absl::Status bidtrail_status_ = (expr); \
    if (!bidtrail_status_.ok()) {             \
      return bidtrail_status_;                \
    }                                         \
  } while (false)

// `ASSIGN_OR_RETURN(auto x, MakeX());` declares x from an absl::StatusOr, or
// returns its status from the enclosing function.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(BIDTRAIL_CONCAT_(bidtrail_statusor_, __LINE__), lhs, expr)

#define ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                           \
  if (!statusor.ok()) {                             \
    return std::move(statusor).status();            \
  }                                                 \
  lhs = std::move(statusor).value()

#endif  // BIDTRAIL_COMMON_STATUS_MACROS_H_
