#ifndef ATTUNE_ENGINE_STATUS_MACROS_H_
#define ATTUNE_ENGINE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns from the enclosing function when `expr` (an absl::Status) is not OK.
#define ATTUNE_RETURN_IF_ERROR(expr)                  \
  do {                                                \
    ::absl::Status attune_status_ = (expr);           \
    if (!attune_status_.ok()) return attune_status_;  \
  } while (0)

#define ATTUNE_STATUS_CONCAT_INNER_(a, b) a##b
#define ATTUNE_STATUS_CONCAT_(a, b) ATTUNE_STATUS_CONCAT_INNER_(a, b)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status,
// otherwise moves the value into `lhs` (which may be a declaration).
#define ATTUNE_ASSIGN_OR_RETURN(lhs, rexpr)                                  \
  ATTUNE_ASSIGN_OR_RETURN_IMPL_(                                             \
      ATTUNE_STATUS_CONCAT_(attune_statusor_, __LINE__), lhs, rexpr)

#define ATTUNE_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                  \
  if (!statusor.ok()) return std::move(statusor).status();  \
  lhs = std::move(statusor).value()

#endif  // ATTUNE_ENGINE_STATUS_MACROS_H_
