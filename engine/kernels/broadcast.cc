#include "engine/kernels/broadcast.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace attune {

absl::StatusOr<Shape> PlanBroadcast(
    absl::Span<const absl::Span<const int64_t>> shapes, BroadcastPlan* plan) {
  const int n_ops = static_cast<int>(shapes.size());
  if (n_ops < 1 || n_ops > kMaxBroadcastOperands) {
    return absl::InternalError(
        absl::StrCat("PlanBroadcast takes 1 to 3 shapes, got ", n_ops));
  }
  // 1. The output shape, numpy-style.
  Shape out(shapes[0].begin(), shapes[0].end());
  for (int i = 1; i < n_ops; ++i) {
    absl::StatusOr<Shape> next = BroadcastShapes(out, shapes[i]);
    if (!next.ok()) {
      std::string all;
      for (int j = 0; j < n_ops; ++j) {
        absl::StrAppend(&all, j == 0 ? "" : ", ", ShapeToString(shapes[j]));
      }
      return absl::InvalidArgumentError(
          absl::StrCat("shapes ", all, " cannot be broadcast together"));
    }
    out = *std::move(next);
  }
  const int rank = static_cast<int>(out.size());
  if (rank > kMaxRank) {
    return absl::InvalidArgumentError(absl::StrCat(
        "broadcast rank ", rank, " exceeds the maximum of ", kMaxRank));
  }
  // 2. Drop size-1 output dims and merge neighbours that repeat the same
  // operands. An operand repeats along d when its (right-aligned) dim is 1
  // and the output's is not.
  *plan = BroadcastPlan{};
  plan->num_operands = n_ops;
  plan->num_elements = NumElements(out);
  int merged = 0;
  uint32_t last_pattern = 0;
  for (int d = 0; d < rank; ++d) {
    if (out[d] == 1) continue;
    uint32_t pattern = 0;
    for (int i = 0; i < n_ops; ++i) {
      const int offset = rank - static_cast<int>(shapes[i].size());
      const int64_t dim = d < offset ? 1 : shapes[i][d - offset];
      if (dim == 1) pattern |= 1u << i;
    }
    if (merged > 0 && pattern == last_pattern) {
      plan->dims[merged - 1] *= out[d];
      continue;
    }
    for (int i = 0; i < n_ops; ++i) {
      if ((pattern >> i) & 1u) plan->repeats[i] |= 1u << merged;
    }
    plan->dims[merged++] = out[d];
    last_pattern = pattern;
  }
  plan->rank = merged;
  return out;
}

}  // namespace attune
