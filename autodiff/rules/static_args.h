#ifndef ATTUNE_AUTODIFF_RULES_STATIC_ARGS_H_
#define ATTUNE_AUTODIFF_RULES_STATIC_ARGS_H_

// Reading a forward node's static arguments (perm, begin, paddings, ...)
// while its gradient is built.

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "autodiff/grad_rule.h"

namespace attune {

// The int list a node takes as input `input` (which must be an int32/int64
// constant of the model) or, when that input is absent, as attribute `attr`
// (an ints list or a single int). nullopt when neither is present.
// Unimplemented (via ctx) when the input is computed rather than constant.
absl::StatusOr<std::optional<std::vector<int64_t>>> StaticInts(
    const GradContext& ctx, int input, absl::string_view attr);

// The shape of forward tensor `tensor`; Unimplemented (via ctx) naming
// `why` when a dim is only known at run time.
absl::StatusOr<Shape> StaticShape(const GradContext& ctx, int tensor,
                                  absl::string_view why);

// Normalizes an axis of a rank-`rank` tensor into [0, rank); InvalidArgument
// when out of range.
absl::StatusOr<int> NormalizedAxis(const GradContext& ctx, int64_t axis,
                                   int rank);

}  // namespace attune

#endif  // ATTUNE_AUTODIFF_RULES_STATIC_ARGS_H_
