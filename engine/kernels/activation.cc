#include "engine/kernels/activation.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace attune {

absl::StatusOr<FusedActivation> GetFusedActivation(const NodeContext& ctx) {
  absl::StatusOr<std::string> name =
      ctx.attrs().GetStringOr("activation", "none");
  if (!name.ok()) return ctx.Annotate(name.status());
  if (*name == "none" || name->empty()) return FusedActivation::kNone;
  if (*name == "relu") return FusedActivation::kRelu;
  if (*name == "relu6") return FusedActivation::kRelu6;
  if (*name == "sigmoid") return FusedActivation::kSigmoid;
  if (*name == "tanh") return FusedActivation::kTanh;
  return ctx.InvalidArgument(absl::StrCat(
      "unknown fused activation \"", *name,
      "\" (expected none, relu, relu6, sigmoid or tanh)"));
}

void ApplyActivation(FusedActivation act, float* data, int64_t n) {
  switch (act) {
    case FusedActivation::kNone:
      return;
    case FusedActivation::kRelu:
      for (int64_t i = 0; i < n; ++i) data[i] = std::max(data[i], 0.0f);
      return;
    case FusedActivation::kRelu6:
      for (int64_t i = 0; i < n; ++i) {
        data[i] = std::min(std::max(data[i], 0.0f), 6.0f);
      }
      return;
    case FusedActivation::kSigmoid:
      for (int64_t i = 0; i < n; ++i) data[i] = 1.0f / (1.0f + std::exp(-data[i]));
      return;
    case FusedActivation::kTanh:
      for (int64_t i = 0; i < n; ++i) data[i] = std::tanh(data[i]);
      return;
  }
}

}  // namespace attune
